package fc

import (
	"fmt"
	"strings"
	"time"
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

// Validate checks that the identity is complete enough to create an usager. The error wraps
// ErrIncompleteIdentity and names the missing or malformed claims.
func (i Identity) Validate() error {
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
