package fc_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/aidantsconnect/ac/app/fc"
)

// FuzzIdentity: a userinfo document, read as the client reads it (JSON into fc.Identity),
// then validated and cleaned as the store keeps it. A valid identity is complete once cleaned;
// cleaning leaves no control or format character, is idempotent, and never touches the sub.
func FuzzIdentity(f *testing.F) {
	for _, s := range []string{
		`{"sub":"abc","given_name":"Marie Thérèse","family_name":"Moreau","birthdate":"1948-11-02","gender":"female","birthplace":"33063","birthcountry":"99100","email":"m@example.com"}`,
		`{"sub":"abc","given_name":"Carlos","family_name":"García López","birthdate":"1979-01-17","gender":"male","birthplace":"","birthcountry":"99134"}`,
		`{"sub":"abc","given_name":"Nadia\u200f","family_name":"\u202eKhalil\u202c\u0001","birthdate":"1985-03-12","gender":"female","birthplace":"69123","birthcountry":"99100"}`,
		`{"sub":"abc","given_name":"\u202e","family_name":"X","birthdate":"1985-03-12","gender":"female","birthplace":"2A004","birthcountry":"99100"}`,
		`{"sub":"a\u0000b","given_name":"A\u0000","family_name":"B","preferred_username":"C\u2028D","birthdate":"2000-02-29","gender":"male","birthplace":"75056\u200e","birthcountry":"99100"}`,
		`{}`, `[]`, `{"given_name":1}`, "{\"given_name\":\"\xff\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var id fc.Identity
		if err := json.Unmarshal(body, &id); err != nil {
			return
		}
		c := id.Store().Cleaned()
		if c.Sub != id.Sub {
			t.Fatalf("the sub changed: %q → %q", id.Sub, c.Sub)
		}
		if again := c.Cleaned(); again != c {
			t.Fatalf("cleaning twice changes %+v into %+v", c, again)
		}
		for _, v := range []string{c.GivenName, c.FamilyName, c.PreferredUsername, c.Birthdate, c.Gender, c.Birthplace, c.Birthcountry, c.Email} {
			if !utf8.ValidString(v) || strings.ContainsFunc(v, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }) ||
				strings.TrimSpace(v) != v {
				t.Fatalf("cleaned field %q", v)
			}
		}
		if err := id.Validate(); err != nil {
			return
		}
		_, dateErr := time.Parse(time.DateOnly, c.Birthdate)
		switch {
		case strings.TrimSpace(id.Sub) == "" || c.GivenName == "" || c.FamilyName == "" || dateErr != nil:
			t.Fatalf("valid, but incomplete once cleaned: %+v", c)
		case c.Gender != "female" && c.Gender != "male":
			t.Fatalf("valid with gender %q", c.Gender)
		case len(c.Birthcountry) != 5 || (c.Birthcountry == fc.CountryFrance) == (c.Birthplace == ""):
			t.Fatalf("valid with birthcountry %q and birthplace %q", c.Birthcountry, c.Birthplace)
		}
		// What the store keeps is valid too.
		kept := fc.Identity{Sub: c.Sub, GivenName: c.GivenName, FamilyName: c.FamilyName, PreferredUsername: c.PreferredUsername,
			Birthdate: c.Birthdate, Gender: c.Gender, Birthplace: c.Birthplace, Birthcountry: c.Birthcountry, Email: c.Email}
		if err := kept.Validate(); err != nil {
			t.Fatalf("valid as received, not as kept: %v", err)
		}
	})
}
