package fibench

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
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
	"github.com/valyala/fasthttp"
)

// csrfCookie and csrfField are the App's double-submit CSRF token: any 32 random bytes the
// client sends in both (app.CSRFCookie, app.CSRFField).
const (
	csrfCookie = "ac_csrf"
	csrfField  = "csrf_token"
)

// Client is one aidant's browser: their session and CSRF cookies, no redirect followed. It
// speaks through fasthttp's client, lighter than net/http's: the generator shares the two
// cores with what it measures, and every microsecond it spends is taken from them.
type Client struct {
	hc      *fasthttp.HostClient
	base    string
	cookies map[string]string // name → value, as a browser's jar for this one site
	csrf    string
}

// NewClient is a browser on base holding the session cookie, over hc (nil: a connection pool
// of its own; hc must reach base's host).
func NewClient(base, session string, hc *fasthttp.HostClient) (*Client, error) {
	if hc == nil {
		var err error
		if hc, err = NewHostClient(base, 4); err != nil {
			return nil, err
		}
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	csrf := base64.RawURLEncoding.EncodeToString(b)
	return &Client{hc: hc, base: base, csrf: csrf, cookies: map[string]string{handlers.SessionCookie: session, csrfCookie: csrf}}, nil
}

// NewHostClient is a pool of up to conns keep-alive connections to base's host.
func NewHostClient(base string, conns int) (*fasthttp.HostClient, error) {
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("fibench: %q: an http:// base URL", base)
	}
	return &fasthttp.HostClient{Addr: u.Host, MaxConns: conns, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second,
		MaxIdemponentCallAttempts: 1, NoDefaultUserAgentHeader: true}, nil
}

var flowID = regexp.MustCompile(`[?&]id=([A-Za-z0-9_-]+)`)

// do sends one request: from the browser, the jar's cookies and the form (POST) with the CSRF
// token; from FranceConnect's back channel (/token, or a bearer token), neither. It keeps the
// cookies the response sets and returns its status, Location and body (compressed as it came:
// the generator does not inflate pages, its CPU is not the App's).
func (c *Client) do(method, path string, form url.Values, bearer string, body *[]byte) (int, string, error) {
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.Header.SetMethod(method)
	req.SetRequestURI(c.base + path)
	req.Header.Set("Accept-Encoding", "gzip, deflate, br, zstd") // as Chromium asks
	backchannel := bearer != "" || path == paths.IdPToken
	if !backchannel {
		for k, v := range c.cookies {
			req.Header.SetCookie(k, v)
		}
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	if form != nil {
		if !backchannel {
			form.Set(csrfField, c.csrf)
		}
		req.Header.SetContentType("application/x-www-form-urlencoded")
		req.SetBodyString(form.Encode())
	}
	if err := c.hc.Do(req, resp); err != nil {
		return 0, "", err
	}
	resp.Header.VisitAllCookie(func(key, value []byte) {
		ck := fasthttp.AcquireCookie()
		defer fasthttp.ReleaseCookie(ck)
		if ck.ParseBytes(value) == nil {
			if ck.MaxAge() < 0 || (!ck.Expire().IsZero() && ck.Expire().Before(time.Now())) || len(ck.Value()) == 0 {
				delete(c.cookies, string(key))
			} else {
				c.cookies[string(key)] = string(ck.Value())
			}
		}
	})
	if body != nil {
		*body = append((*body)[:0], resp.Body()...)
	}
	return resp.StatusCode(), string(resp.Header.Peek("Location")), nil
}

// Login is one full FI login, the 7 requests FranceConnect and the aidant's browser make:
// /authorize (as FranceConnect v2 sends it, prompt=login and the démarche asked), step 1,
// the usager chosen, step 2, the démarche chosen (the code sent back), /token with the
// client's secret, /userinfo with the access token. It returns how long /token and
// /userinfo took.
func (c *Client) Login(w *World) (token, userinfo time.Duration, err error) {
	step := func(method, path string, form url.Values, want int) (string, error) {
		status, loc, err := c.do(method, path, form, "", nil)
		if err != nil {
			return "", err
		}
		if status != want {
			return "", fmt.Errorf("%s %s: %d", method, path, status)
		}
		return loc, nil
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
	if _, err := step(http.MethodGet, strings.TrimPrefix(loc, c.base), nil, http.StatusOK); err != nil {
		return 0, 0, err
	}
	if _, err := step(http.MethodPost, paths.IdPUsagerChoice, url.Values{"id": {id}, "usager": {strconv.FormatInt(w.UsagerID, 10)}}, http.StatusSeeOther); err != nil {
		return 0, 0, err
	}
	if _, err := step(http.MethodGet, paths.IdPDemarcheChoice+"?id="+id, nil, http.StatusOK); err != nil {
		return 0, 0, err
	}
	if loc, err = step(http.MethodPost, paths.IdPDemarcheChoice, url.Values{"id": {id}, "demarche": {w.Demarche}}, http.StatusSeeOther); err != nil {
		return 0, 0, err
	}
	cb, err := url.Parse(loc)
	if err != nil || cb.Query().Get("code") == "" {
		return 0, 0, fmt.Errorf("démarche choice: sent to %q", loc)
	}
	began := time.Now()
	var body []byte
	status, _, err := c.do(http.MethodPost, paths.IdPToken, url.Values{"grant_type": {"authorization_code"}, "code": {cb.Query().Get("code")},
		"redirect_uri": {w.RedirectURI}, "client_id": {w.ClientID}, "client_secret": {w.ClientSecret}}, "", &body)
	if err != nil {
		return 0, 0, err
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	err = json.Unmarshal(body, &tok)
	token = time.Since(began)
	if err != nil || status != http.StatusOK || tok.AccessToken == "" {
		return 0, 0, fmt.Errorf("token: %d %v", status, err)
	}
	began = time.Now()
	if status, _, err = c.do(http.MethodGet, paths.IdPUserinfo, nil, tok.AccessToken, nil); err != nil {
		return 0, 0, err
	}
	if status != http.StatusOK {
		return 0, 0, fmt.Errorf("userinfo: %d", status)
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
	hcs := make([]*fasthttp.HostClient, len(bases))
	for i, b := range bases {
		hc, err := NewHostClient(b, clients)
		if err != nil {
			return l, err
		}
		defer hc.CloseIdleConnections()
		hcs[i] = hc
	}
	cs := make([]*Client, clients)
	for i := range cs {
		var err error
		if cs[i], err = NewClient(bases[i%len(bases)], w.Sessions[i%len(w.Sessions)], hcs[i%len(bases)]); err != nil {
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
