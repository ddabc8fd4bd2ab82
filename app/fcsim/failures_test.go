package fcsim_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aidantsconnect/ac/app/apptest"
	"github.com/aidantsconnect/ac/app/fc"
)

func TestCancel(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	form, state, _ := h.openLogin(t)
	resp, _ := h.submit(t, form, "cancel", -1) // formnovalidate: no identity needed
	q := h.callback(t, resp)
	if q.Get("error") != "access_denied" || q.Get("state") != state || q.Get("code") != "" {
		t.Fatalf("callback %v, want error=access_denied with our state and no code", q)
	}
	if err := fc.CallbackError(q); !errors.Is(err, fc.ErrCancelled) {
		t.Fatalf("CallbackError = %v, want ErrCancelled", err)
	}
	// The request is gone: the form cannot be replayed to log in after all.
	if resp, _ := h.submit(t, form, "login", 0); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("login after cancel: status %d, want 400", resp.StatusCode)
	}
}

func TestNonceMismatch(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	code, _ := h.login(t, 0)
	_, _, err := h.fc.Exchange(context.Background(), code, apptest.RandomHex(t))
	if !errors.Is(err, fc.ErrNonceMismatch) {
		t.Fatalf("Exchange with another nonce = %v, want ErrNonceMismatch", err)
	}
}

// A code is single use: the second exchange is refused by the token endpoint (invalid_grant),
// which our client reports as ErrProvider.
func TestCodeReplay(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	code, nonce := h.login(t, 1)
	if _, _, err := h.fc.Exchange(context.Background(), code, nonce); err != nil {
		t.Fatalf("first Exchange: %v", err)
	}
	_, idToken, err := h.fc.Exchange(context.Background(), code, nonce)
	if !errors.Is(err, fc.ErrProvider) || !strings.Contains(err.Error(), "invalid_grant") {
		t.Fatalf("second Exchange = %v, want ErrProvider (invalid_grant)", err)
	}
	if idToken != "" {
		t.Errorf("second Exchange returned an ID token")
	}
}

func TestExpiredCode(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	code, nonce := h.login(t, 2)
	h.clock.Advance(61 * time.Second) // FC's codes live 60 s
	_, _, err := h.fc.Exchange(context.Background(), code, nonce)
	if !errors.Is(err, fc.ErrProvider) || !strings.Contains(err.Error(), "invalid_grant") {
		t.Fatalf("Exchange of an expired code = %v, want ErrProvider (invalid_grant)", err)
	}
}

// A second simulator with the same issuer but its own key answers everything except the JWKS,
// which still comes from the first: its tokens must be refused.
func TestIDTokenSignedByAnotherKey(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{mount: func(h *harness, trusted http.Handler) {
		h.mux.Handle("/fcsim/jwks", trusted)
	}})
	impostor := h.newSim(t, false)
	h.mux.Handle("/fcsim/", impostor.Handler())
	code, nonce := h.login(t, 0)
	_, idToken, err := h.fc.Exchange(context.Background(), code, nonce)
	if !errors.Is(err, fc.ErrInvalidToken) || !strings.Contains(err.Error(), "no key") {
		t.Fatalf("Exchange = %v, want ErrInvalidToken (no key)", err)
	}
	if idToken != "" {
		t.Errorf("an unverified ID token was returned")
	}
}

// The ID token is altered on the way (its sub changed, signature kept).
func TestTamperedIDToken(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{mount: func(h *harness, sim http.Handler) {
		h.mux.Handle("/fcsim/", sim)
		h.mux.HandleFunc("POST /fcsim/token", func(w http.ResponseWriter, r *http.Request) {
			rec := httptest.NewRecorder()
			sim.ServeHTTP(rec, r)
			var tok map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &tok); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			parts := strings.Split(tok["id_token"].(string), ".")
			payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
			payload = bytes.Replace(payload, []byte(`"sub":"`), []byte(`"sub":"0`), 1)
			parts[1] = base64.RawURLEncoding.EncodeToString(payload)
			tok["id_token"] = strings.Join(parts, ".")
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(tok)
		})
	}})
	code, nonce := h.login(t, 0)
	_, _, err := h.fc.Exchange(context.Background(), code, nonce)
	if !errors.Is(err, fc.ErrInvalidToken) || !strings.Contains(err.Error(), "signature") {
		t.Fatalf("Exchange = %v, want ErrInvalidToken (signature)", err)
	}
}

// Our clock is 2 minutes ahead: the 60 s ID token is expired even with the leeway.
func TestExpiredIDToken(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{fcAhead: 2 * time.Minute})
	code, nonce := h.login(t, 0)
	_, _, err := h.fc.Exchange(context.Background(), code, nonce)
	if !errors.Is(err, fc.ErrInvalidToken) || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("Exchange = %v, want ErrInvalidToken (expired)", err)
	}
}

func TestEndSessionRefusals(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	code, nonce := h.login(t, 0)
	_, idToken, err := h.fc.Exchange(context.Background(), code, nonce)
	if err != nil {
		t.Fatal(err)
	}
	for name, q := range map[string]url.Values{
		"unknown post_logout_redirect_uri": {"id_token_hint": {idToken}, "state": {"s"}, "post_logout_redirect_uri": {"https://evil.example/logout-callback/"}},
		"no id_token_hint":                 {"client_id": {clientID}, "state": {"s"}, "post_logout_redirect_uri": {h.logout}},
		"forged id_token_hint":             {"id_token_hint": {idToken[:len(idToken)-4] + "AAAA"}, "state": {"s"}, "post_logout_redirect_uri": {h.logout}},
		"no post_logout_redirect_uri":      {"id_token_hint": {idToken}, "state": {"s"}},
	} {
		t.Run(name, func(t *testing.T) {
			resp, body := h.get(t, h.issuer+"/session/end?"+q.Encode())
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("status %d, want 400", resp.StatusCode)
			}
			if loc := resp.Header.Get("Location"); loc != "" {
				t.Errorf("redirected to %s", loc)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("content type %q, want a page", ct)
			}
			if !strings.Contains(body, `<html lang="fr">`) || !strings.Contains(body, "Déconnexion impossible") {
				t.Errorf("page:\n%s", body)
			}
		})
	}
}

// The login form's token ties a POST to the page we served: a cross-site form, which cannot read
// it, is refused, and the real form still works afterwards.
func TestLoginRequiresItsToken(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	form, state, _ := h.openLogin(t)
	forged := form
	forged.fields = url.Values{"id": form.fields["id"], "csrf_token": {"guessed"}}
	for _, action := range []string{"login", "cancel"} {
		if resp, _ := h.submit(t, forged, action, 0); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("%s with a wrong token: status %d, want 400", action, resp.StatusCode)
		}
	}
	resp, _ := h.submit(t, form, "login", 0)
	if q := h.callback(t, resp); q.Get("code") == "" || q.Get("state") != state {
		t.Fatalf("genuine form after the forgeries: callback %v", q)
	}
	// Completed: the same form cannot mint a second code.
	if resp, _ := h.submit(t, form, "login", 0); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("second submit: status %d, want 400", resp.StatusCode)
	}
}

func TestLoginWithoutChoice(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	form, _, _ := h.openLogin(t)
	resp, body := h.submit(t, form, "login", -1)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422", resp.StatusCode)
	}
	if !strings.Contains(body, "Choisissez une identité pour continuer.") || !strings.Contains(body, `aria-labelledby="identities-legend identity-error"`) {
		t.Errorf("page does not explain the error:\n%s", body)
	}
}

// An unknown client or redirect_uri gets a local error, never a redirect to an unvetted URI.
func TestAuthorizeRefusesUnknownClient(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	base := url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {h.redirect},
		"scope": {fc.Scope}, "acr_values": {"eidas1"}, "state": {apptest.RandomHex(t)}, "nonce": {apptest.RandomHex(t)}}
	for name, change := range map[string][2]string{
		"client_id":    {"client_id", "someone-else"},
		"redirect_uri": {"redirect_uri", "https://evil.example/callbackv2/"},
	} {
		t.Run(name, func(t *testing.T) {
			q := url.Values{}
			for k, v := range base {
				q[k] = v
			}
			q.Set(change[0], change[1])
			resp, _ := h.get(t, h.issuer+"/authorize?"+q.Encode())
			if resp.StatusCode < 400 || resp.StatusCode > 499 || resp.Header.Get("Location") != "" {
				t.Fatalf("status %d, Location %q: want a local 4xx", resp.StatusCode, resp.Header.Get("Location"))
			}
		})
	}
	t.Run("no nonce", func(t *testing.T) {
		q := url.Values{}
		for k, v := range base {
			q[k] = v
		}
		q.Del("nonce")
		resp, _ := h.get(t, h.issuer+"/authorize?"+q.Encode())
		cb := h.callback(t, resp)
		if cb.Get("error") != "invalid_request" || cb.Get("state") != base.Get("state") {
			t.Fatalf("callback %v, want error=invalid_request with state", cb)
		}
	})
}
