package fcsim

import (
	"fmt"
	"time"

	"github.com/aidantsconnect/ac/app/fc"
	"github.com/aidantsconnect/ac/store"
)

// Identities returns the fictitious people the login page offers, in page order: the radio
// button for Identities()[n] has the id "identity-<n>". Each call returns a fresh slice.
//
// They cover the cases the mandat flow must handle: a usage name, several first names, accents
// and a hyphen in the birth name, a man, someone born abroad (birthplace ""), one incomplete
// identity that must be refused, and one whose names carry control characters.
func Identities() []fc.Identity {
	return []fc.Identity{
		{
			Sub: "7f3039c8f4daced5041200228e4a8664ae03a339ca2af4153b53dec7049e0285", GivenName: "Angela Claire Louise",
			FamilyName: "Dubois", PreferredUsername: "Martin", Birthdate: "1962-08-24", Gender: "female",
			Birthplace: "75107", Birthcountry: fc.CountryFrance, Email: "angela.dubois@example.com",
		},
		{
			Sub: "a66e881268b60d86a525d1f1793aa73d723f9000adf6ac38b8746d68d9df9288", GivenName: "Marie Thérèse",
			FamilyName: "Moreau", Birthdate: "1948-11-02", Gender: "female",
			Birthplace: "33063", Birthcountry: fc.CountryFrance, Email: "marie-therese.moreau@example.com",
		},
		{
			Sub: "f0929cbfc67c08f6d8f2eaec1f8236dcc268b86c7411ac1cc1521f1d3c20d9b8", GivenName: "Léa",
			FamilyName: "Lefèvre-Nguyen", Birthdate: "1991-06-30", Gender: "female",
			Birthplace: "13055", Birthcountry: fc.CountryFrance, Email: "lea.lefevre-nguyen@example.com",
		},
		{
			Sub: "c969f1a2d8fa5380e4e9f7c839a9ae226f1c442a7d03ca916bf04fa9e09f5fbc", GivenName: "Carlos",
			FamilyName: "García López", Birthdate: "1979-01-17", Gender: "male",
			Birthplace: "", Birthcountry: "99134", Email: "carlos.garcia-lopez@example.com",
		},
		{
			Sub: "914e3cfa77aa4557a9dbd69ecc73b2cd37c598c545a868a3b6d001f7e531b5d7", GivenName: "Jean-Pierre",
			FamilyName: "Bernard", Birthdate: "1955-04-09", Gender: "male",
			Birthplace: "59350", Birthcountry: fc.CountryFrance, Email: "jean-pierre.bernard@example.com",
		},
		{
			// Not a person FranceConnect would send: born in France without a birthplace. It lets
			// trainees and tests see how an incomplete identity is refused.
			Sub: "0c7d3bdbf3f44a2b8c7f1e6a5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c", GivenName: "Profil",
			FamilyName: "Incomplet (erreur attendue)", Birthdate: "1970-01-01", Gender: "female",
			Birthplace: "", Birthcountry: fc.CountryFrance, Email: "profil.incomplet@example.com",
		},
		{
			// Not a person either: names laced with control and bidirectional characters (U+202E
			// would show "Khalil" reversed). The app stores "Nadia KHALIL"; its journal keeps
			// what it received.
			Sub: "5b1e3f7c9a2d4e6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f", GivenName: "Nadia‏",
			FamilyName: "‮Khalil‬", Birthdate: "1985-03-12", Gender: "female",
			Birthplace: "69123", Birthcountry: fc.CountryFrance, Email: "nadia.khalil@example.com",
		},
	}
}

// identityBySub finds a fictitious person; subs are what tokens carry.
func identityBySub(sub string) (fc.Identity, bool) {
	for _, id := range Identities() {
		if id.Sub == sub {
			return id, true
		}
	}
	return fc.Identity{}, false
}

// identityLabel is the radio button's label: full name, birth date and birthplace, so that a
// tester can tell the cases apart without reading JSON.
func identityLabel(id fc.Identity) string {
	name := id.GivenName + " " + id.FamilyName
	if clean := store.CleanText(id.GivenName) + " " + store.CleanText(id.FamilyName); clean != name {
		name = clean + " (avec des caractères de contrôle invisibles)"
	}
	if id.PreferredUsername != "" {
		name += ", nom d'usage " + id.PreferredUsername
	}
	born := "né"
	if id.Gender == "female" {
		born = "née"
	}
	code := id.Birthplace
	if code == "" {
		code = id.Birthcountry
	}
	return fmt.Sprintf("%s — %s le %s %s (%s)", name, born, frenchDate(id.Birthdate), placeOf(code), code)
}

// placeOf names the COG codes used above, with the right preposition.
func placeOf(code string) string {
	switch code {
	case "75107":
		return "à Paris 7e Arrondissement"
	case "33063":
		return "à Bordeaux"
	case "13055":
		return "à Marseille"
	case "59350":
		return "à Lille"
	case "69123":
		return "à Lyon"
	case "99134":
		return "en Espagne"
	case fc.CountryFrance:
		return "en France"
	default:
		return "à " + code
	}
}

func frenchDate(iso string) string {
	d, err := time.Parse(time.DateOnly, iso)
	if err != nil {
		return iso
	}
	months := [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
		"septembre", "octobre", "novembre", "décembre"}
	day := fmt.Sprint(d.Day())
	if d.Day() == 1 {
		day = "1er"
	}
	return fmt.Sprintf("%s %s %d", day, months[d.Month()-1], d.Year())
}

// StoreIdentity is the simulator's person n (Identities()[n]) as the store receives it from
// FranceConnect: the demo seed's practice mandats and the tests use it.
func StoreIdentity(n int) store.FCIdentity {
	id := Identities()[n]
	return store.FCIdentity{Sub: id.Sub, GivenName: id.GivenName, FamilyName: id.FamilyName, PreferredUsername: id.PreferredUsername,
		Birthdate: id.Birthdate, Gender: id.Gender, Birthplace: id.Birthplace, Birthcountry: id.Birthcountry, Email: id.Email}
}
