package app_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aidantsconnect/ac/app/apptest"
)

// TestMalformedInput: a NUL byte or invalid UTF-8 in a query or form value is the sender's
// mistake, answered 422 with a French message (or invalid_request on the OIDC back channel),
// never a 500 from the database refusing the text.
func TestMalformedInput(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	b := e.Login(e.Aidant("jean@example.fr", e.Org("MFS"), true))
	b.Get("/espace-aidant/")
	pages := []struct {
		name string
		send func() apptest.Page
	}{
		{"NUL in the usagers search", func() apptest.Page { return b.Get("/espace-aidant/usagers/?q=a%00b") }},
		{"invalid UTF-8 in the usagers search", func() apptest.Page { return b.Get("/espace-aidant/usagers/?q=%C3%28") }},
		{"NUL in a query parameter's name", func() apptest.Page { return b.Get("/espace-aidant/usagers/?q%00=a") }},
		{"NUL in a form value", func() apptest.Page {
			return b.Post("/accounts/login/", url.Values{"email": {"jean\x00@example.fr"}, "otp_token": {"123456"}})
		}},
		{"invalid UTF-8 in a form value", func() apptest.Page {
			return b.Post("/espace-aidant/creation_mandat/", url.Values{"duree": {"LONG\xff"}, "demarche": {"papiers"}})
		}},
		{"anonymous, NUL on a public page", func() apptest.Page { return e.Browser().Get("/?x=%00") }},
	}
	for _, tc := range pages {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.send()
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "caractères") || !strings.Contains(r.Body, "<html") {
				t.Fatalf("got %d %s", r.Status, r.Body)
			}
		})
	}
	if n := e.Count("mandat_flows"); n != 0 {
		t.Errorf("%d flows saved from malformed input", n)
	}
	t.Run("the back channel answers in OIDC's format", func(t *testing.T) {
		resp, err := http.PostForm(e.URL+"/token/", url.Values{"grant_type": {"authorization_code"}, "code": {"x"},
			"client_id": {"a\x00b"}, "client_secret": {strings.Repeat("s", 40)}, "redirect_uri": {"https://x.example/"}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]string
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusBadRequest || body["error"] != "invalid_request" {
			t.Fatalf("token: %d %v %v", resp.StatusCode, body, err)
		}
	})
}

// TestOversizedRequest: a request line or headers beyond what the server reads answer 431
// with a French page, over a real connection.
func TestOversizedRequest(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	host := strings.TrimPrefix(e.URL, "http://")
	for name, req := range map[string]string{
		"request line": "GET /espace-aidant/usagers/?q=" + strings.Repeat("a", 10000) + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n",
		"headers":      "GET / HTTP/1.1\r\nHost: " + host + "\r\nCookie: x=" + strings.Repeat("b", 10000) + "\r\n\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			conn, err := net.Dial("tcp", host)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := fmt.Fprint(conn, req); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge || !strings.Contains(string(body), "trop longue") ||
				!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
				t.Fatalf("got %d %q %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
		})
	}
}
