package fcsim_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aidantsconnect/ac/app/apptest"
	"github.com/aidantsconnect/ac/app/fc"
	"github.com/aidantsconnect/ac/app/fcsim"
)

// The whole FS journey through real HTTP, for every fictitious person: authorize, login page,
// code, token + ID token + signed userinfo verified by our client, then FC logout.
func TestFlowEveryIdentity(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{rsa: true}) // RS256, FC's usual algorithm
	want := []fc.Identity{
		{Sub: "7f3039c8f4daced5041200228e4a8664ae03a339ca2af4153b53dec7049e0285", GivenName: "Angela Claire Louise",
			FamilyName: "Dubois", PreferredUsername: "Martin", Birthdate: "1962-08-24", Gender: "female",
			Birthplace: "75107", Birthcountry: "99100", Email: "angela.dubois@example.com"},
		{Sub: "a66e881268b60d86a525d1f1793aa73d723f9000adf6ac38b8746d68d9df9288", GivenName: "Marie Thérèse",
			FamilyName: "Moreau", PreferredUsername: "", Birthdate: "1948-11-02", Gender: "female",
			Birthplace: "33063", Birthcountry: "99100", Email: "marie-therese.moreau@example.com"},
		{Sub: "f0929cbfc67c08f6d8f2eaec1f8236dcc268b86c7411ac1cc1521f1d3c20d9b8", GivenName: "Léa",
			FamilyName: "Lefèvre-Nguyen", PreferredUsername: "", Birthdate: "1991-06-30", Gender: "female",
			Birthplace: "13055", Birthcountry: "99100", Email: "lea.lefevre-nguyen@example.com"},
		{Sub: "c969f1a2d8fa5380e4e9f7c839a9ae226f1c442a7d03ca916bf04fa9e09f5fbc", GivenName: "Carlos",
			FamilyName: "García López", PreferredUsername: "", Birthdate: "1979-01-17", Gender: "male",
			Birthplace: "", Birthcountry: "99134", Email: "carlos.garcia-lopez@example.com"},
		{Sub: "914e3cfa77aa4557a9dbd69ecc73b2cd37c598c545a868a3b6d001f7e531b5d7", GivenName: "Jean-Pierre",
			FamilyName: "Bernard", PreferredUsername: "", Birthdate: "1955-04-09", Gender: "male",
			Birthplace: "59350", Birthcountry: "99100", Email: "jean-pierre.bernard@example.com"},
	}
	// The identity with control characters comes through as sent: the store cleans it.
	want = append(want, fc.Identity{Sub: "5b1e3f7c9a2d4e6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f", GivenName: "Nadia\u200f",
		FamilyName: "\u202eKhalil\u202c\x01", Birthdate: "1985-03-12", Gender: "female", Birthplace: "69123", Birthcountry: "99100",
		Email: "nadia.khalil@example.com"})
	// Identity 5 is the deliberately incomplete profile, refused by Exchange (the app's mandat
	// tests walk it through the handlers).
	const incomplete = 5
	if got := fcsim.Identities(); len(got) != len(want)+1 || got[incomplete].Validate() == nil {
		t.Fatalf("%d identities offered, the table has %d complete ones plus one incomplete", len(got), len(want))
	}
	for i, w := range want {
		n := i
		if n >= incomplete {
			n++
		}
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			t.Parallel()
			if got := fcsim.Identities()[n]; got != w {
				t.Fatalf("Identities()[%d] = %+v, want %+v", n, got, w)
			}
			code, nonce := h.login(t, n)
			got, idToken, err := h.fc.Exchange(context.Background(), code, nonce)
			if err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			if got != w {
				t.Errorf("identity\n got %+v\nwant %+v", got, w)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
			if strings.Count(idToken, ".") != 2 {
				t.Errorf("raw ID token %q is not a compact JWS", idToken)
			}
			h.assertLogout(t, idToken)
		})
	}
}

// ES256 is FC's other algorithm: the client must take it as well.
func TestFlowES256(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	code, nonce := h.login(t, 3)
	got, idToken, err := h.fc.Exchange(context.Background(), code, nonce)
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	if want := fcsim.Identities()[3]; got != want {
		t.Errorf("identity\n got %+v\nwant %+v", got, want)
	}
	h.assertLogout(t, idToken)
}

// assertLogout follows LogoutURL: the simulator must send the browser to our post-logout URL
// with the state we gave.
func (h *harness) assertLogout(t *testing.T, idToken string) {
	t.Helper()
	state := apptest.RandomHex(t)
	logoutURL, err := h.fc.LogoutURL(context.Background(), idToken, state)
	if err != nil {
		t.Fatalf("LogoutURL: %v", err)
	}
	if !strings.HasPrefix(logoutURL, h.issuer+"/session/end?") {
		t.Errorf("logout URL %s is not the simulator's end-session endpoint", logoutURL)
	}
	resp, body := h.get(t, logoutURL)
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("end session: status %d: %s", resp.StatusCode, body)
	}
	u := location(t, resp)
	if got := u.Scheme + "://" + u.Host + u.Path; got != h.logout {
		t.Errorf("end session redirected to %s, want %s", got, h.logout)
	}
	if u.Query().Get("state") != state {
		t.Errorf("end session state %q, want %q", u.Query().Get("state"), state)
	}
}
