package fcsim_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/aidantsconnect/ac/app/fc"
	"github.com/aidantsconnect/ac/app/fcsim"
)

// plainUserinfo serves the simulator's userinfo as plain JSON (what FC v1 and most providers
// do), after change has edited the claims.
func plainUserinfo(change func(map[string]any)) func(h *harness, sim http.Handler) {
	return func(h *harness, sim http.Handler) {
		h.mux.Handle("/fcsim/", sim)
		h.mux.HandleFunc("GET /fcsim/userinfo", func(w http.ResponseWriter, r *http.Request) {
			rec := httptest.NewRecorder()
			sim.ServeHTTP(rec, r)
			if rec.Code != http.StatusOK {
				http.Error(w, rec.Body.String(), rec.Code)
				return
			}
			jws, err := jose.ParseSigned(rec.Body.String(), []jose.SignatureAlgorithm{jose.ES256})
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			var claims map[string]any
			if err := json.Unmarshal(jws.UnsafePayloadWithoutVerification(), &claims); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			change(claims)
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			_ = json.NewEncoder(w).Encode(claims)
		})
	}
}

func TestUserinfoPlainJSON(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{mount: plainUserinfo(func(map[string]any) {})})
	code, nonce := h.login(t, 0)
	got, _, err := h.fc.Exchange(context.Background(), code, nonce)
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	if want := fcsim.Identities()[0]; got != want {
		t.Errorf("identity\n got %+v\nwant %+v", got, want)
	}
}

func TestUserinfoOfAnotherPerson(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{mount: plainUserinfo(func(c map[string]any) { c["sub"] = fcsim.Identities()[1].Sub })})
	code, nonce := h.login(t, 0)
	_, idToken, err := h.fc.Exchange(context.Background(), code, nonce)
	if !errors.Is(err, fc.ErrInvalidToken) || !strings.Contains(err.Error(), "sub") {
		t.Fatalf("Exchange = %v, want ErrInvalidToken (sub)", err)
	}
	if idToken == "" {
		t.Error("the verified ID token must still come back, for the FC logout")
	}
}

// FC left out the birth date: Exchange reports it, and still returns what is needed to log out.
func TestIncompleteIdentityFromFC(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{mount: plainUserinfo(func(c map[string]any) { delete(c, "birthdate") })})
	code, nonce := h.login(t, 4)
	got, idToken, err := h.fc.Exchange(context.Background(), code, nonce)
	if !errors.Is(err, fc.ErrIncompleteIdentity) || !strings.HasSuffix(err.Error(), ": birthdate") {
		t.Fatalf("Exchange = %v, want ErrIncompleteIdentity naming birthdate", err)
	}
	if got.Sub != fcsim.Identities()[4].Sub || idToken == "" {
		t.Errorf("Exchange returned %+v and ID token %q, want the partial identity and the ID token", got, idToken)
	}
	h.assertLogout(t, idToken)
}
