package app

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/gofiber/fiber/v2"

	"github.com/aidantsconnect/ac/app/fc"
	"github.com/aidantsconnect/ac/app/fcsim"
)

type mountCtxKey struct{}

// retained is what a handler kept of a request, read only after every request has completed.
type retained struct {
	url                               *url.URL
	method, host, probe, cookie, body string
	ctxValue                          any
}

// mountHTTP must give the handler memory of its own: fasthttp reuses its buffers for the next
// requests, so strings aliasing them would change after the fact. Many concurrent requests over
// keep-alive connections make that reuse happen; the retained values must still be intact.
func TestMountHTTPCopiesTheRequest(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	kept := map[string]retained{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		cookie, _ := r.Cookie("c")
		mu.Lock()
		// The key is cloned so that a corrupted request shows up in the values checked below.
		kept[strings.Clone(r.URL.Query().Get("n"))] = retained{url: r.URL, method: r.Method, host: r.Host, probe: r.Header.Get("X-Probe"),
			cookie: cookie.Value, body: string(body), ctxValue: r.Context().Value(mountCtxKey{})}
		mu.Unlock()
		http.SetCookie(w, &http.Cookie{Name: "a", Value: "1"})
		http.SetCookie(w, &http.Cookie{Name: "b", Value: "2"})
		w.Header().Set("Content-Type", "application/jwt")
		w.WriteHeader(http.StatusCreated)
		_, _ = fmt.Fprintf(w, "echo %s", r.URL.Query().Get("n"))
	})

	f := fiber.New(fiber.Config{Immutable: true, DisableStartupMessage: true})
	f.Use(func(c *fiber.Ctx) error {
		c.SetUserContext(context.WithValue(c.UserContext(), mountCtxKey{}, "from fiber"))
		c.Set("X-Frame-Options", "DENY")
		c.Set("Content-Type", "text/plain") // the handler's own must win
		return c.Next()
	})
	mountHTTP(f, "/fcsim", h)
	f.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = f.Listener(ln) }()
	t.Cleanup(func() { _ = f.Shutdown() })
	base := "http://" + ln.Addr().String()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	t.Cleanup(client.CloseIdleConnections)

	const workers, perWorker = 8, 40
	// Paths, headers and bodies of varying length, so that a reused buffer visibly overwrites.
	want := func(w, i int) (path, probe, body string) {
		n := fmt.Sprintf("%d-%d", w, i)
		return fmt.Sprintf("/fcsim/%s/%s", strings.Repeat("p", (w*perWorker+i)%17+1), n),
			"probe-" + n + strings.Repeat("x", i%13), "body=" + n + strings.Repeat("y", w%7)
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers*perWorker)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				path, probe, body := want(w, i)
				n := fmt.Sprintf("%d-%d", w, i)
				req, err := http.NewRequest(http.MethodPost, base+path+"?n="+n, strings.NewReader(body))
				if err != nil {
					errs <- err
					return
				}
				req.Header.Set("X-Probe", probe)
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.AddCookie(&http.Cookie{Name: "c", Value: "cookie-" + n})
				resp, err := client.Do(req)
				if err != nil {
					errs <- err
					return
				}
				got, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				switch {
				case resp.StatusCode != http.StatusCreated || string(got) != "echo "+n:
					errs <- fmt.Errorf("%s: %d %q", n, resp.StatusCode, got)
				case resp.Header.Get("Content-Type") != "application/jwt" || resp.Header.Get("X-Frame-Options") != "DENY":
					errs <- fmt.Errorf("%s: headers %v", n, resp.Header)
				case len(resp.Cookies()) != 2:
					errs <- fmt.Errorf("%s: cookies %v", n, resp.Cookies())
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	if len(kept) != workers*perWorker {
		t.Fatalf("handler saw %d requests, want %d", len(kept), workers*perWorker)
	}
	for w := range workers {
		for i := range perWorker {
			n := fmt.Sprintf("%d-%d", w, i)
			path, probe, body := want(w, i)
			got := kept[n]
			if got.url.String() != path+"?n="+n || got.url.Path != path || got.method != http.MethodPost ||
				got.host != ln.Addr().String() || got.probe != probe || got.cookie != "cookie-"+n || got.body != body ||
				got.ctxValue != "from fiber" {
				t.Errorf("request %s retained %+v (url %s), want path %s probe %s body %s", n, got, got.url, path, probe, body)
			}
		}
	}
}

func TestMountHTTPRoutes(t *testing.T) {
	t.Parallel()
	f := fiber.New(fiber.Config{DisableStartupMessage: true})
	mountHTTP(f, "/fcsim", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "<!DOCTYPE html><p>"+r.Method+" "+r.URL.Path) // no Content-Type: sniffed as net/http does
	}))
	f.Use(func(c *fiber.Ctx) error { return c.Status(http.StatusNotFound).SendString("fiber 404") })
	for _, tt := range []struct{ method, path, want string }{
		{http.MethodGet, "/fcsim", "<!DOCTYPE html><p>GET /fcsim"},
		{http.MethodGet, "/fcsim/.well-known/openid-configuration", "<!DOCTYPE html><p>GET /fcsim/.well-known/openid-configuration"},
		{http.MethodPost, "/fcsim/token", "<!DOCTYPE html><p>POST /fcsim/token"},
		{http.MethodGet, "/fcsimulator", "fiber 404"},
		{http.MethodGet, "/other", "fiber 404"},
	} {
		req, _ := http.NewRequest(tt.method, "http://ac.example"+tt.path, nil)
		resp, err := f.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != tt.want {
			t.Errorf("%s %s = %q, want %q", tt.method, tt.path, body, tt.want)
		}
		if tt.want != "fiber 404" && resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
			t.Errorf("%s %s: Content-Type %q, want the sniffed text/html", tt.method, tt.path, resp.Header.Get("Content-Type"))
		}
	}
}

// The FranceConnect simulator (zitadel's OP) behind Fiber: concurrent full flows, then logout.
// This is the setup in which aliased strings used to lose zitadel's auth requests.
func TestMountHTTPServesTheSimulator(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sim, err := fcsim.New(fcsim.Config{Issuer: base + "/fcsim", Key: key, Clients: []fcsim.Client{{ID: "ac", Secret: "s3cret",
		RedirectURIs: []string{base + "/callbackv2/"}, PostLogoutURIs: []string{base + "/logout-callback/"}}}})
	if err != nil {
		t.Fatal(err)
	}
	f := fiber.New(fiber.Config{Immutable: true, DisableStartupMessage: true})
	mountHTTP(f, "/fcsim", sim.Handler())
	go func() { _ = f.Listener(ln) }()
	t.Cleanup(func() { _ = f.Shutdown() })
	client, err := fc.New(fc.Config{Issuer: base + "/fcsim", ClientID: "ac", ClientSecret: "s3cret",
		RedirectURL: base + "/callbackv2/", PostLogoutURL: base + "/logout-callback/"})
	if err != nil {
		t.Fatal(err)
	}
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	redirect := func(u string, form url.Values) *url.URL {
		var (
			resp *http.Response
			err  error
		)
		if form == nil {
			resp, err = browser.Get(u)
		} else {
			resp, err = browser.PostForm(u, form)
		}
		if err != nil {
			t.Error(err)
			return nil
		}
		resp.Body.Close()
		loc, err := resp.Location()
		if err != nil {
			t.Errorf("%s: status %d, no redirect", u, resp.StatusCode)
			return nil
		}
		return loc
	}

	people := fcsim.Identities()
	people = people[:5] // the complete, plain ones: then come the incomplete profile and the one with control characters
	var wg sync.WaitGroup
	for n := range 12 {
		wg.Go(func() {
			state, nonce := fmt.Sprintf("state-%02d-%s", n, strings.Repeat("s", n)), fmt.Sprintf("nonce-%02d", n)
			authURL, err := client.AuthCodeURL(context.Background(), state, nonce)
			if err != nil {
				t.Error(err)
				return
			}
			loginURL := redirect(authURL, nil)
			if loginURL == nil {
				return
			}
			resp, err := browser.Get(loginURL.String())
			if err != nil {
				t.Error(err)
				return
			}
			doc, err := goquery.NewDocumentFromReader(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Error(err)
				return
			}
			form := url.Values{"action": {"login"}, "identity": {fmt.Sprint(n % len(people))}}
			doc.Find("input[type=hidden]").Each(func(_ int, s *goquery.Selection) {
				form.Set(s.AttrOr("name", ""), s.AttrOr("value", ""))
			})
			cb := redirect(base+doc.Find("form").AttrOr("action", ""), form)
			if cb == nil || cb.Query().Get("state") != state {
				t.Errorf("flow %d: callback %v", n, cb)
				return
			}
			id, idToken, err := client.Exchange(context.Background(), cb.Query().Get("code"), nonce)
			if err != nil || id != people[n%len(people)] {
				t.Errorf("flow %d: Exchange = %+v, %v", n, id, err)
				return
			}
			logoutURL, err := client.LogoutURL(context.Background(), idToken, state)
			if err != nil {
				t.Error(err)
				return
			}
			if back := redirect(logoutURL, nil); back == nil || back.Path != "/logout-callback/" || back.Query().Get("state") != state {
				t.Errorf("flow %d: logout went to %v", n, back)
			}
		})
	}
	wg.Wait()
}
