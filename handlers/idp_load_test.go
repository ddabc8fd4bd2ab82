package handlers_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/store"
)

func TestFILoad(t *testing.T) {
	perLevel, _ := strconv.Atoi(os.Getenv("AC_FI_LOAD"))
	if perLevel <= 0 {
		t.Skip("AC_FI_LOAD=<logins per level> runs the FI load measure (see BENCHMARKS.md)")
	}
	levels := []int{1, 8, 32, 64}
	w := newFIWorld(t)
	rp := fcClient(t, w.e, "franceconnect", store.AlgES256, store.UserinfoJSON, nil)
	clients := make([]*http.Client, levels[len(levels)-1])
	for i := range clients {
		p := w.aidant
		if i > 0 {
			p = w.e.Aidant("aidant"+strconv.Itoa(i)+"@example.fr", w.org, true)
		}
		b := w.e.Login(p)
		w.e.Clock.Advance(-30 * time.Second) // every code proof stays recent
		jar, _ := cookiejar.New(nil)
		base, _ := url.Parse(w.e.URL)
		var cs []*http.Cookie
		for k, v := range b.Jar {
			cs = append(cs, &http.Cookie{Name: k, Value: v})
		}
		jar.SetCookies(base, cs)
		clients[i] = &http.Client{Jar: jar, Timeout: 30 * time.Second,
			Transport:     &http.Transport{MaxIdleConnsPerHost: 4},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	for _, workers := range levels {
		var mu sync.Mutex
		var tokenDur, userinfoDur, loginDur []time.Duration
		jobs := make(chan int)
		var wg sync.WaitGroup
		start := time.Now()
		for i := 0; i < workers; i++ {
			wg.Add(1)
			go func(c *http.Client) {
				defer wg.Done()
				for range jobs {
					began := time.Now()
					td, ud, err := fiRound(c, w.e.URL, rp, w.angela.ID)
					if err != nil {
						t.Error(err)
						continue
					}
					mu.Lock()
					tokenDur, userinfoDur, loginDur = append(tokenDur, td), append(userinfoDur, ud), append(loginDur, time.Since(began))
					mu.Unlock()
				}
			}(clients[i])
		}
		for i := 0; i < perLevel; i++ {
			jobs <- i
		}
		close(jobs)
		wg.Wait()
		wall := time.Since(start)
		t.Logf("%2d concurrent aidants: %4d logins in %6.2fs = %6.1f logins/s; login p50 %s p95 %s; /token p50 %s p95 %s; /userinfo p50 %s p95 %s",
			workers, len(loginDur), wall.Seconds(), float64(len(loginDur))/wall.Seconds(), pct(loginDur, 50), pct(loginDur, 95),
			pct(tokenDur, 50), pct(tokenDur, 95), pct(userinfoDur, 50), pct(userinfoDur, 95))
	}
	n, err := w.e.App.DB.NewSelect().Table("journal").Where("action = ?", store.ActionUseAutorisation).Count(context.Background())
	if err != nil || n != int64(perLevel*len(levels)) {
		t.Errorf("%d use_autorisation rows (%v), want one per login", n, err)
	}
}

func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[(len(s)*p+99)/100-1].Round(100 * time.Microsecond)
}

// fiRound is one full FI login over HTTP; it returns how long /token and /userinfo took.
func fiRound(c *http.Client, base string, rp *fcRP, usagerID int64) (time.Duration, time.Duration, error) {
	csrf := ""
	u, _ := url.Parse(base)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == app.CSRFCookie {
			csrf = ck.Value
		}
	}
	step := func(method, path string, form url.Values, want int) (string, error) {
		var resp *http.Response
		var err error
		if method == http.MethodGet {
			resp, err = c.Get(base + path)
		} else {
			form.Set("csrf_token", csrf)
			resp, err = c.PostForm(base+path, form)
		}
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
	nonceBytes := make([]byte, 32)
	_, _ = rand.Read(nonceBytes)
	q := rp.authorizeParams(hex.EncodeToString(nonceBytes[:16])+hex.EncodeToString(nonceBytes[16:]), hex.EncodeToString(nonceBytes), "famille")
	loc, err := step(http.MethodGet, "/authorize/?"+q.Encode(), nil, http.StatusFound)
	if err != nil {
		return 0, 0, err
	}
	id := flowID.FindStringSubmatch(loc)[1]
	if _, err := step(http.MethodGet, loc, nil, http.StatusOK); err != nil {
		return 0, 0, err
	}
	if _, err := step(http.MethodPost, "/select_usager/", url.Values{"id": {id}, "usager": {strconv.FormatInt(usagerID, 10)}}, http.StatusSeeOther); err != nil {
		return 0, 0, err
	}
	if _, err := step(http.MethodGet, "/select_demarche/?id="+id, nil, http.StatusOK); err != nil {
		return 0, 0, err
	}
	loc, err = step(http.MethodPost, "/select_demarche/", url.Values{"id": {id}, "demarche": {"famille"}}, http.StatusSeeOther)
	if err != nil {
		return 0, 0, err
	}
	cb, _ := url.Parse(loc)
	began := time.Now()
	resp, err := c.PostForm(base+"/token/", url.Values{"grant_type": {"authorization_code"}, "code": {cb.Query().Get("code")},
		"redirect_uri": {rp.redirectURI}, "client_id": {rp.id}, "client_secret": {rp.secret}})
	if err != nil {
		return 0, 0, err
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	err = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	tokenDur := time.Since(began)
	if err != nil || resp.StatusCode != http.StatusOK {
		return 0, 0, fmt.Errorf("token: %d %v", resp.StatusCode, err)
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/userinfo/", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	began = time.Now()
	resp, err = c.Do(req)
	if err != nil {
		return 0, 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, 0, fmt.Errorf("userinfo: %d", resp.StatusCode)
	}
	return tokenDur, time.Since(began), nil
}
