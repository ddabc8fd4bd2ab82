package ui

import "github.com/aidantsconnect/ac/store"

// Born identifies a usager beyond the name, for homonyms: "née le 2 mars 1950, commune de
// naissance 33063 (code INSEE)", or the country for a usager born abroad. FranceConnect sends
// COG codes and the service keeps no table of their names: the code is what is certain.
func Born(u *store.Usager) string {
	word := "née"
	if u.Gender == "male" {
		word = "né"
	}
	s := word + " le " + DayMonthYear(u.Birthdate)
	switch {
	case u.Birthplace != "":
		s += ", commune de naissance " + u.Birthplace + " (code INSEE)"
	case u.Birthcountry != "" && u.Birthcountry != "99100":
		s += ", pays de naissance " + u.Birthcountry + " (code INSEE)"
	}
	return s
}
