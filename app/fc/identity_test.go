package fc_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/aidantsconnect/ac/app/fc"
)

func TestIdentityValidate(t *testing.T) {
	t.Parallel()
	french := fc.Identity{Sub: strings.Repeat("a", 64), GivenName: "Marie Thérèse", FamilyName: "Lefèvre-Nguyen",
		Birthdate: "1948-11-02", Gender: "female", Birthplace: "33063", Birthcountry: "99100", Email: "m@example.com"}
	with := func(change func(*fc.Identity)) fc.Identity {
		i := french
		change(&i)
		return i
	}
	tests := []struct {
		name string
		id   fc.Identity
		bad  string // the claims named in the error; "" = valid
	}{
		{"born in France", french, ""},
		{"born in Corsica", with(func(i *fc.Identity) { i.Birthplace = "2A004" }), ""},
		{"born abroad, empty birthplace", with(func(i *fc.Identity) { i.Birthcountry, i.Birthplace = "99134", "" }), ""},
		{"no email, no usage name", with(func(i *fc.Identity) { i.Email, i.PreferredUsername = "", "" }), ""},
		{"born in France, empty birthplace", with(func(i *fc.Identity) { i.Birthplace = "" }), "birthplace"},
		{"born in France, malformed birthplace", with(func(i *fc.Identity) { i.Birthplace = "3306" }), "birthplace"},
		{"born abroad with a birthplace", with(func(i *fc.Identity) { i.Birthcountry = "99134" }), "birthplace"},
		{"no sub", with(func(i *fc.Identity) { i.Sub = "" }), "sub"},
		{"blank given name", with(func(i *fc.Identity) { i.GivenName = " " }), "given_name"},
		{"no family name", with(func(i *fc.Identity) { i.FamilyName = "" }), "family_name"},
		{"no birthdate", with(func(i *fc.Identity) { i.Birthdate = "" }), "birthdate"},
		{"impossible date", with(func(i *fc.Identity) { i.Birthdate = "1948-02-30" }), "birthdate"},
		{"French date format", with(func(i *fc.Identity) { i.Birthdate = "02/11/1948" }), "birthdate"},
		{"bad gender", with(func(i *fc.Identity) { i.Gender = "F" }), "gender"},
		{"no gender", with(func(i *fc.Identity) { i.Gender = "" }), "gender"},
		{"country not a COG code", with(func(i *fc.Identity) { i.Birthcountry = "FR" }), "birthcountry, birthplace"},
		{"given name of control characters only", with(func(i *fc.Identity) { i.GivenName = "\u202e\x01 " }), "given_name"},
		{"birthplace with a direction mark", with(func(i *fc.Identity) { i.Birthplace = "33063\u200e" }), ""},
		{"names with bidirectional overrides", with(func(i *fc.Identity) { i.FamilyName = "\u202eLefèvre\u202c" }), ""},
		{"everything missing", fc.Identity{}, "sub, given_name, family_name, birthdate, gender, birthcountry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.id.Validate()
			if tt.bad == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, fc.ErrIncompleteIdentity) {
				t.Fatalf("Validate() = %v, want ErrIncompleteIdentity", err)
			}
			if !strings.HasSuffix(err.Error(), ": "+tt.bad) {
				t.Errorf("Validate() = %q, want it to name exactly %q", err, tt.bad)
			}
		})
	}
}
