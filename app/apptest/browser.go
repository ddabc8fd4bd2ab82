package apptest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/app/paths"
)

// Browser is a cookie-keeping client talking to the App's Fiber handler directly
// (Fiber.Test): no network, no redirect followed, every hop visible.
type Browser struct {
	Env  *Env
	T    *testing.T        // whose Fatal a failed request calls: Env.T, or the subtest of a Clone
	Jar  map[string]string // cookie name → value
	HTMX bool              // send HX-Request and HX-Boosted, as htmx's boosted navigation does
}

// Page is one response, its body read.
type Page struct {
	Status   int
	Location string
	Body     string
	Header   http.Header
}

// Browser is a new browser with no cookie.
func (e *Env) Browser() *Browser { return &Browser{Env: e, T: e.T, Jar: map[string]string{}} }

// Clone is another tab of the same session (a copy of the cookies) for the subtest t.
func (b *Browser) Clone(t *testing.T) *Browser {
	jar := make(map[string]string, len(b.Jar))
	for k, v := range b.Jar {
		jar[k] = v
	}
	return &Browser{Env: b.Env, T: t, Jar: jar}
}

// Do sends req with the jar's cookies (and the htmx headers when HTMX), keeps the cookies the
// answer sets and forgets those it deletes.
func (b *Browser) Do(req *http.Request) Page {
	b.T.Helper()
	var cookies []string
	for k, v := range b.Jar {
		cookies = append(cookies, k+"="+v)
	}
	if len(cookies) > 0 {
		req.Header.Set("Cookie", strings.Join(cookies, "; "))
	}
	if b.HTMX {
		req.Header.Set("HX-Request", "true")
		req.Header.Set("HX-Boosted", "true")
	}
	resp, err := b.Env.App.Fiber.Test(req, -1)
	if err != nil {
		b.T.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 || c.Value == "" || (!c.Expires.IsZero() && c.Expires.Before(time.Now())) {
			delete(b.Jar, c.Name)
		} else {
			b.Jar[c.Name] = c.Value
		}
	}
	return Page{Status: resp.StatusCode, Location: resp.Header.Get("Location"), Body: string(body), Header: resp.Header}
}

// Get fetches path (or a URL under Env.URL).
func (b *Browser) Get(path string) Page {
	b.T.Helper()
	return b.Do(httptest.NewRequest(http.MethodGet, b.url(path), nil))
}

// Post submits a form like a browser would, with the CSRF token from the cookie as the
// app.CSRFField field (unless form has one); without the cookie it first opens the login page
// to get one.
func (b *Browser) Post(path string, form url.Values) Page {
	b.T.Helper()
	if _, ok := b.Jar[app.CSRFCookie]; !ok {
		b.Get(paths.Login)
	}
	if form == nil {
		form = url.Values{}
	}
	if !form.Has(app.CSRFField) {
		form.Set(app.CSRFField, b.Jar[app.CSRFCookie])
	}
	return b.PostRaw(path, form)
}

// PostRaw submits the form as given: no CSRF token added.
func (b *Browser) PostRaw(path string, form url.Values) Page {
	b.T.Helper()
	req := httptest.NewRequest(http.MethodPost, b.url(path), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.Do(req)
}

func (b *Browser) url(path string) string { return b.Env.URL + strings.TrimPrefix(path, b.Env.URL) }
