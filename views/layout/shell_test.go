package layout

import "testing"

func TestShellTitleAndDescription(t *testing.T) {
	for _, tc := range []struct {
		name  string
		s     Shell
		title string
		desc  string
	}{
		{"home", Shell{}, "Aidants Connect", DefaultDescription},
		{"page", Shell{Title: "Connexion"}, "Connexion - Aidants Connect", DefaultDescription},
		{"errors", Shell{Title: "Connexion"}.Erring(true), "Erreur – Connexion - Aidants Connect", DefaultDescription},
		{"no errors", Shell{Title: "Connexion"}.Erring(false), "Connexion - Aidants Connect", DefaultDescription},
		{"described", Shell{Title: "Statistiques"}.Describe("Les chiffres."), "Statistiques - Aidants Connect", "Les chiffres."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.s.FullTitle(); got != tc.title {
				t.Errorf("FullTitle = %q, want %q", got, tc.title)
			}
			if got := tc.s.MetaDescription(); got != tc.desc {
				t.Errorf("MetaDescription = %q, want %q", got, tc.desc)
			}
		})
	}
}
