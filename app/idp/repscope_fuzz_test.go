package idp

import (
	"slices"
	"testing"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/aidantsconnect/ac/store"
)

// FuzzParseRepScope: whatever the claims parameter, parseRepScope refuses it with
// invalid_request and an ASCII description, or names each démarche once, with the spelling
// that names it in the client's vocabulary, and sets aside only values that name none.
func FuzzParseRepScope(f *testing.F) {
	for _, s := range []string{"", `{"id_token":{"rep_scope":{"essential":true,"values":["Famille-Scolarité","Etranger-Europe"]}}}`,
		`{"id_token":{"rep_scope":{"value":"Justice"}}}`, `{"id_token":{"rep_scope":null}}`, `{"id_token":{"rep_scope":{"values":["x","JUSTICE"]}}}`,
		`{"userinfo":{}}`, `{"id_token":`, `[]`, `{"id_token":{"rep_scope":{"values":"Justice"}}}`, `{"id_token":{"rep_scope":{"values":["\u202eJustice"]}}}`,
		`{"id_token":{"rep_scope":{"values":["famille-scolarite","FAMILLE-SCOLARITÉ"]}}} {}`} {
		f.Add(s)
	}
	labels, keys := testClient(), &store.IdPClient{ID: "keys"}
	f.Fuzz(func(t *testing.T, claims string) {
		for _, c := range []*store.IdPClient{labels, keys} {
			rs, err := parseRepScope(claims, c)
			if err != nil {
				if err.ErrorType != oidc.InvalidRequest || !isASCII(err.Description) {
					t.Fatalf("%s: error %s %q", claims, err.ErrorType, err.Description)
				}
				continue
			}
			if !rs.Requested && (len(rs.Keys) > 0 || len(rs.Unknown) > 0) {
				t.Fatalf("%s: démarches %v without a request", claims, rs)
			}
			if len(rs.Spelling) != len(rs.Keys) {
				t.Fatalf("%s: spellings %v for démarches %v", claims, rs.Spelling, rs.Keys)
			}
			for i, k := range rs.Keys {
				if _, ok := store.FindDemarche(k); !ok || slices.Index(rs.Keys, k) != i {
					t.Fatalf("%s: démarches %v", claims, rs.Keys)
				}
				if got, ok := c.DemarcheFor(rs.Spelling[k]); !ok || got != k {
					t.Fatalf("%s: %q is the spelling of %s but names %q", claims, rs.Spelling[k], k, got)
				}
			}
			for _, v := range rs.Unknown {
				if k, ok := c.DemarcheFor(v); ok {
					t.Fatalf("%s: %q set aside, but it names %s", claims, v, k)
				}
			}
			if rs.Unmatched() != (len(rs.Keys) == 0 && len(rs.Unknown) > 0) {
				t.Fatalf("%s: unmatched %v", claims, rs)
			}
		}
	})
}
