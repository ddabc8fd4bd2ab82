package store

import (
	"context"
	"fmt"
	"strings"
)

// SiretProblem is why a typed SIRET is not one; its message is the form's.
type SiretProblem string

const (
	SiretEmpty    SiretProblem = "Saisissez le numéro SIRET de la structure : 14 chiffres."
	SiretNotDigit SiretProblem = "Le numéro SIRET ne contient que des chiffres (les espaces sont acceptés)."
	SiretLength   SiretProblem = "Le numéro SIRET compte 14 chiffres : vérifiez qu'il n'en manque pas ou qu'il n'y en a pas de trop."
	SiretChecksum SiretProblem = "Ce numéro SIRET n'est pas valide : vérifiez-le sur un document de la structure (avis de situation SIRENE, facture, fiche de paie)."
)

func (p SiretProblem) Error() string { return string(p) }

// LaPosteSiren is La Poste's SIREN: its establishments' SIRETs have their own key (the sum of
// the digits is a multiple of 5) rather than Luhn's, which the head office's still satisfies.
const LaPosteSiren = "356000000"

// ParseSiret checks a typed SIRET (14 digits, spaces allowed anywhere) and returns its 14
// digits, or the SiretProblem to show.
func ParseSiret(typed string) (string, error) {
	s := strings.Join(strings.Fields(typed), "")
	switch {
	case s == "":
		return "", SiretEmpty
	case strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }) >= 0:
		return "", SiretNotDigit
	case len(s) != 14:
		return "", SiretLength
	}
	if luhn(s) || (strings.HasPrefix(s, LaPosteSiren) && digitSum(s)%5 == 0) {
		return s, nil
	}
	return "", SiretChecksum
}

// luhn is the Luhn key of a string of digits: from the right, every second digit doubled
// (minus 9 past 9), the sum a multiple of 10.
func luhn(s string) bool {
	sum := 0
	for i := range len(s) {
		d := int(s[len(s)-1-i] - '0')
		if i%2 == 1 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

func digitSum(s string) int {
	sum := 0
	for i := range len(s) {
		sum += int(s[i] - '0')
	}
	return sum
}

// Etablissement is an establishment as the SIRENE directory knows it, for the habilitation
// form's structure step.
type Etablissement struct {
	Siret         string
	Name          string // the legal unit's denomination (or the establishment's sign)
	LegalCategory string // catégorie juridique, 4 digits
	Address       string
	Zipcode       string
	City          string
	CityCode      string // code commune INSEE
}

// Departement is the département of a French postcode: its first two digits, 2A/2B in
// Corsica, three digits overseas (971…976).
func Departement(zipcode string) string {
	if len(zipcode) != 5 {
		return ""
	}
	switch {
	case strings.HasPrefix(zipcode, "97"):
		return zipcode[:3]
	case strings.HasPrefix(zipcode, "20"):
		if zipcode < "20200" {
			return "2A"
		}
		return "2B"
	}
	return zipcode[:2]
}

// OrganisationsBySiret are the organisations already known with that SIRET, for the form to
// offer (a structure may already be habilitée).
func (s *Store) OrganisationsBySiret(ctx context.Context, siret string) ([]Organisation, error) {
	var os []Organisation
	if err := s.db.NewSelect().Model(&os).Where("siret = ?", siret).OrderExpr("name, id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("organisations by siret: %w", err)
	}
	return os, nil
}
