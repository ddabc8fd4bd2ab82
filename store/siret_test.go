package store_test

import (
	"testing"

	"github.com/aidantsconnect/ac/store"
)

func TestParseSiret(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, typed, want string
		problem           error
	}{
		{"valid", "13002526500013", "13002526500013", nil},
		{"valid with spaces", " 130 025 265 00013 ", "13002526500013", nil},
		{"valid, grouped by the tab of a copy", "130\t025\t265\t00013", "13002526500013", nil},
		{"Luhn key wrong", "13002526500014", "", store.SiretChecksum},
		{"two digits swapped", "13002526500031", "", store.SiretChecksum},
		{"La Poste: digit sum a multiple of 5, Luhn wrong", "35600000000001", "35600000000001", nil},
		{"La Poste: another office, with spaces", "356 000 000 00010", "35600000000010", nil},
		{"La Poste: Luhn right, sum not (any Luhn-valid one passes, like the head office)", "35600000012340", "35600000012340", nil},
		{"La Poste: a digit off", "35600000000028", "", store.SiretChecksum},
		{"La Poste's head office: Luhn right, sum not", "35600000000048", "35600000000048", nil},
		{"La Poste: neither rule", "35600000012345", "", store.SiretChecksum},
		{"sum of 5 outside La Poste", "35600000100000", "", store.SiretChecksum},
		{"empty", "", "", store.SiretEmpty},
		{"spaces only", "   ", "", store.SiretEmpty},
		{"13 digits", "1300252650001", "", store.SiretLength},
		{"15 digits", "130025265000130", "", store.SiretLength},
		{"9 digits: a SIREN", "130025265", "", store.SiretLength},
		{"letters", "1300252650001A", "", store.SiretNotDigit},
		{"dots", "130.025.265.00013", "", store.SiretNotDigit},
		{"dashes", "130-025-265-00013", "", store.SiretNotDigit},
		{"full-width digits", "１３００２５２６５０００１３", "", store.SiretNotDigit},
		{"all zeros (Luhn holds, still 14 digits)", "00000000000000", "00000000000000", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := store.ParseSiret(tc.typed)
			if got != tc.want || err != tc.problem {
				t.Errorf("ParseSiret(%q) = %q, %v; want %q, %v", tc.typed, got, err, tc.want, tc.problem)
			}
		})
	}
}

func TestDepartement(t *testing.T) {
	t.Parallel()
	for zip, want := range map[string]string{"45000": "45", "75001": "75", "20000": "2A", "20200": "2B", "97400": "974", "01000": "01", "4500": "", "": ""} {
		if got := store.Departement(zip); got != want {
			t.Errorf("Departement(%q) = %q, want %q", zip, got, want)
		}
	}
}
