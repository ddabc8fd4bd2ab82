package ui

import "testing"

func TestErrorsPointing(t *testing.T) {
	var errs Errors
	errs.Add("demarche", "Choisissez une démarche.")
	errs.Add("otp_token", "Saisissez le code.")
	pointed := errs.Pointing("demarche", "demarche-papiers")
	if got := []string{pointed[0].Href(), pointed[1].Href()}; got[0] != "#demarche-papiers" || got[1] != "#otp_token" {
		t.Errorf("hrefs = %v", got)
	}
	if errs[0].Href() != "#demarche" {
		t.Errorf("Pointing changed the original: %q", errs[0].Href())
	}
}

func TestDescribedByNamesTheErrorOnly(t *testing.T) {
	p := InputProps{ID: "email", Hint: "nom@domaine.fr"}
	if got := p.DescribedBy(); got != "" {
		t.Errorf("with a hint only: %q (the hint is in the label)", got)
	}
	p.Error = "Saisissez votre adresse e-mail."
	if got := p.DescribedBy(); got != "email-error" {
		t.Errorf("with an error: %q", got)
	}
}
