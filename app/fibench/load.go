package fibench

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aidantsconnect/ac/app/paths"

	"github.com/aidantsconnect/ac/handlers"
)

// csrfCookie and csrfField are the App's double-submit CSRF token: any 32 random bytes the
// client sends in both (app.CSRFCookie, app.CSRFField).
const (
	csrfCookie = "ac_csrf"
	csrfField  = "csrf_token"
)

// Client is one aidant's browser: their session, a CSRF token, no redirect followed.
type Client struct {
	http *http.Client
	base string
	csrf string
}

// NewClient is a browser on base holding the session cookie, over transport (nil: a
// transport of its own).
func NewClient(base, session string, transport http.RoundTripper) (*Client, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	csrf := base64.RawURLEncoding.EncodeToString(b)
	jar, _ := cookiejar.New(nil)
	jar.SetCookies(u, []*http.Cookie{{Name: handlers.SessionCookie, Value: session}, {Name: csrfCookie, Value: csrf}})
	if transport == nil {
		transport = &http.Transport{MaxIdleConnsPerHost: 4}
	}
	return &Client{base: base, csrf: csrf, http: &http.Client{Jar: jar, Timeout: 30 * time.Second, Transport: transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}, nil
}

var flowID = regexp.MustCompile(`[?&]id=([A-Za-z0-9_-]+)`)

// Login is one full FI login, the 7 requests FranceConnect and the aidant's browser make:
// /authorize (as FranceConnect v2 sends it, prompt=login and the démarche asked), step 1,
// the usager chosen, step 2, the démarche chosen (the code sent back), /token with the
// client's secret, /userinfo with the access token. It returns how long /token and
// /userinfo took.
func (c *Client) Login(w *World) (token, userinfo time.Duration, err error) {
	step := func(method, path string, form url.Values, want int) (string, error) {
		var req *http.Request
		if method == http.MethodGet {
			req, _ = http.NewRequest(method, c.base+path, nil)
		} else {
			form.Set(csrfField, c.csrf)
			req, _ = http.NewRequest(method, c.base+path, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		// Compressed as a browser asks; set here, the transport leaves the body as it came
		// (the generator reads it without inflating it: its CPU is not the App's).
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := c.http.Do(req)
		if err != nil {
			return "", err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			return "", fmt.Errorf("%s %s: %d", method, path, resp.StatusCode)
		}
		return resp.Header.Get("Location"), nil
	}
	nonce := make([]byte, 32)
	if _, err := rand.Read(nonce); err != nil {
		return 0, 0, err
	}
	claims, _ := json.Marshal(map[string]any{"id_token": map[string]any{"rep_scope": map[string]any{"essential": true, "values": []string{w.Demarche}}}})
	q := url.Values{"response_type": {"code"}, "client_id": {w.ClientID}, "redirect_uri": {w.RedirectURI},
		"scope": {"openid profile email birth"}, "acr_values": {"eidas1"}, "state": {hex.EncodeToString(nonce[:16])},
		"nonce": {hex.EncodeToString(nonce)}, "prompt": {"login"}, "claims": {string(claims)}}
	loc, err := step(http.MethodGet, paths.IdPAuthorize+"?"+q.Encode(), nil, http.StatusFound)
	if err != nil {
		return 0, 0, err
	}
	m := flowID.FindStringSubmatch(loc)
	if m == nil {
		return 0, 0, fmt.Errorf("authorize: sent to %q", loc)
	}
	id := m[1]
	if _, err := step(http.MethodGet, loc, nil, http.StatusOK); err != nil {
		return 0, 0, err
	}
	if _, err := step(http.MethodPost, "/select_usager/", url.Values{"id": {id}, "usager": {strconv.FormatInt(w.UsagerID, 10)}}, http.StatusSeeOther); err != nil {
		return 0, 0, err
	}
	if _, err := step(http.MethodGet, "/select_demarche/?id="+id, nil, http.StatusOK); err != nil {
		return 0, 0, err
	}
	if loc, err = step(http.MethodPost, "/select_demarche/", url.Values{"id": {id}, "demarche": {w.Demarche}}, http.StatusSeeOther); err != nil {
		return 0, 0, err
	}
	cb, err := url.Parse(loc)
	if err != nil || cb.Query().Get("code") == "" {
		return 0, 0, fmt.Errorf("démarche choice: sent to %q", loc)
	}
	began := time.Now()
	resp, err := c.http.PostForm(c.base+paths.IdPToken, url.Values{"grant_type": {"authorization_code"}, "code": {cb.Query().Get("code")},
		"redirect_uri": {w.RedirectURI}, "client_id": {w.ClientID}, "client_secret": {w.ClientSecret}})
	if err != nil {
		return 0, 0, err
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	err = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	token = time.Since(began)
	if err != nil || resp.StatusCode != http.StatusOK {
		return 0, 0, fmt.Errorf("token: %d %v", resp.StatusCode, err)
	}
	req, _ := http.NewRequest(http.MethodGet, c.base+paths.IdPUserinfo, nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	began = time.Now()
	if resp, err = c.http.Do(req); err != nil {
		return 0, 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, 0, fmt.Errorf("userinfo: %d", resp.StatusCode)
	}
	return token, time.Since(began), nil
}

// Level is what one level of concurrency measured.
type Level struct {
	Clients  int
	Logins   int
	Errors   int
	FirstErr error
	Wall     time.Duration
	Login    [2]time.Duration // p50, p95 of a whole login
	Token    [2]time.Duration
	Userinfo [2]time.Duration
	// Generator is the CPU time this process (the load generator) spent over the level.
	Generator time.Duration
}

// PerSecond is the level's logins per second.
func (l Level) PerSecond() float64 { return float64(l.Logins) / l.Wall.Seconds() }

func (l Level) String() string {
	s := fmt.Sprintf("%2d clients: %5d logins in %5.2fs = %6.1f logins/s; login p50 %s p95 %s; /token p50 %s p95 %s; /userinfo p50 %s p95 %s",
		l.Clients, l.Logins, l.Wall.Seconds(), l.PerSecond(), l.Login[0], l.Login[1], l.Token[0], l.Token[1], l.Userinfo[0], l.Userinfo[1])
	if l.Logins > 0 {
		s += fmt.Sprintf("; CPU per login: generator %.2f ms", float64(l.Generator.Microseconds())/1000/float64(l.Logins))
	}
	if l.Errors > 0 {
		s += fmt.Sprintf("; %d errors (first: %v)", l.Errors, l.FirstErr)
	}
	return s
}

// Run drives clients concurrent logins against the bases (client i on bases[i % len]), each
// client as the aidant of session i (modulo the world's), for d, or for logins logins in all
// when logins > 0 (then d is ignored).
func Run(ctx context.Context, bases []string, w *World, clients int, d time.Duration, logins int) (Level, error) {
	l := Level{Clients: clients}
	if clients < 1 || len(bases) == 0 {
		return l, errors.New("fibench: at least one client and one base URL")
	}
	transport := &http.Transport{MaxIdleConnsPerHost: clients, MaxIdleConns: 2 * clients}
	defer transport.CloseIdleConnections()
	cs := make([]*Client, clients)
	for i := range cs {
		var err error
		if cs[i], err = NewClient(bases[i%len(bases)], w.Sessions[i%len(w.Sessions)], transport); err != nil {
			return l, err
		}
	}
	var mu sync.Mutex
	var loginDur, tokenDur, userinfoDur []time.Duration
	var wg sync.WaitGroup
	cpu := selfCPU()
	start := time.Now()
	deadline := start.Add(d)
	left := logins
	more := func() bool {
		mu.Lock()
		defer mu.Unlock()
		if ctx.Err() != nil {
			return false
		}
		if logins > 0 {
			left--
			return left >= 0
		}
		return time.Now().Before(deadline)
	}
	for _, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for more() {
				began := time.Now()
				td, ud, err := c.Login(w)
				mu.Lock()
				if err != nil {
					if l.Errors++; l.FirstErr == nil {
						l.FirstErr = err
					}
				} else {
					loginDur, tokenDur, userinfoDur = append(loginDur, time.Since(began)), append(tokenDur, td), append(userinfoDur, ud)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	l.Wall = time.Since(start)
	l.Generator = selfCPU() - cpu
	l.Logins = len(loginDur)
	l.Login, l.Token, l.Userinfo = pcts(loginDur), pcts(tokenDur), pcts(userinfoDur)
	return l, nil
}

// pcts is the 50th and 95th percentiles.
func pcts(ds []time.Duration) [2]time.Duration {
	if len(ds) == 0 {
		return [2]time.Duration{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(p int) time.Duration { return s[(len(s)*p+99)/100-1].Round(100 * time.Microsecond) }
	return [2]time.Duration{at(50), at(95)}
}

// selfCPU is this process's CPU time so far (user + system).
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
