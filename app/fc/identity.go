package fc

import (
	"fmt"
	"strings"
	"time"

	"github.com/aidantsconnect/ac/store"
)

// CountryFrance is the COG code FC gives as birthcountry for people born in France.
const CountryFrance = "99100"

// Identity is the identité pivot FC vouches for, plus email and usage name. The JSON names are
// FC's claim names.
type Identity struct {
	Sub               string `json:"sub"`
	GivenName         string `json:"given_name"`                   // all first names, space separated
	FamilyName        string `json:"family_name"`                  // birth name
	PreferredUsername string `json:"preferred_username,omitempty"` // usage name, often empty
	Birthdate         string `json:"birthdate"`                    // YYYY-MM-DD
	Gender            string `json:"gender"`                       // female | male
	Birthplace        string `json:"birthplace"`                   // COG commune code, "" when born abroad
	Birthcountry      string `json:"birthcountry"`                 // COG country code, 99100 for France
	Email             string `json:"email"`
}

// isCOGCommune: a department (two digits, or 2A/2B for Corsica) then three digits.
func isCOGCommune(s string) bool {
	return len(s) == 5 && (digits(s[:2]) || s[:2] == "2A" || s[:2] == "2B") && digits(s[2:])
}

func isCOGCountry(s string) bool { return len(s) == 5 && digits(s) }

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// Validate checks that the identity is complete enough to create an usager, as the store will
// keep it: control and bidirectional characters removed (store.CleanText), so that a name
// made of nothing else counts as missing. The error wraps ErrIncompleteIdentity and names the
// missing or malformed claims.
func (i Identity) Validate() error {
	i = i.cleaned()
	var bad []string
	check := func(ok bool, claim string) {
		if !ok {
			bad = append(bad, claim)
		}
	}
	check(strings.TrimSpace(i.Sub) != "", "sub")
	check(strings.TrimSpace(i.GivenName) != "", "given_name")
	check(strings.TrimSpace(i.FamilyName) != "", "family_name")
	_, err := time.Parse(time.DateOnly, i.Birthdate)
	check(err == nil, "birthdate")
	check(i.Gender == "female" || i.Gender == "male", "gender")
	check(isCOGCountry(i.Birthcountry), "birthcountry")
	if i.Birthcountry == CountryFrance {
		check(isCOGCommune(i.Birthplace), "birthplace")
	} else {
		check(i.Birthplace == "", "birthplace")
	}
	if len(bad) > 0 {
		return fmt.Errorf("%w: %s", ErrIncompleteIdentity, strings.Join(bad, ", "))
	}
	return nil
}

// cleaned is the identity with every field but the sub as the store keeps it.
func (i Identity) cleaned() Identity {
	c := i.Store().Cleaned()
	return Identity{Sub: i.Sub, GivenName: c.GivenName, FamilyName: c.FamilyName, PreferredUsername: c.PreferredUsername,
		Birthdate: c.Birthdate, Gender: c.Gender, Birthplace: c.Birthplace, Birthcountry: c.Birthcountry, Email: c.Email}
}

// Store is the identity as the store takes it, as received: the store cleans it, and journals
// what it received.
func (i Identity) Store() store.FCIdentity {
	return store.FCIdentity{Sub: i.Sub, GivenName: i.GivenName, FamilyName: i.FamilyName, PreferredUsername: i.PreferredUsername,
		Birthdate: i.Birthdate, Gender: i.Gender, Birthplace: i.Birthplace, Birthcountry: i.Birthcountry, Email: i.Email}
}
