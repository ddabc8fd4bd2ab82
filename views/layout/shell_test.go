package layout

import (
	"context"
	"strings"
	"testing"

	"github.com/aidantsconnect/ac/assets"
)

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

// TestPageScripts: a page loads htmx (and boosts its body) unless it chose WithoutHTMX;
// app.js and the CSRF header for app.js's own requests are on every page.
func TestPageScripts(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    Shell
		htmx bool
	}{
		{"default", Shell{CSRF: "tok"}, true},
		{"without htmx", Shell{CSRF: "tok"}.WithoutHTMX(), false},
		{"without htmx, errors", Shell{CSRF: "tok"}.WithoutHTMX().Erring(true), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			if err := Page(tc.s).Render(context.Background(), &b); err != nil {
				t.Fatal(err)
			}
			html := b.String()
			if got := strings.Contains(html, assets.Path("vendor/htmx/htmx.min.js")); got != tc.htmx {
				t.Errorf("htmx script present = %t, want %t", got, tc.htmx)
			}
			if got := strings.Contains(html, `hx-boost="true"`); got != tc.htmx {
				t.Errorf("hx-boost present = %t, want %t", got, tc.htmx)
			}
			if !strings.Contains(html, assets.Path("js/app.js")) || !strings.Contains(html, `hx-headers="{&#34;X-CSRF-Token&#34;:&#34;tok&#34;}"`) {
				t.Errorf("app.js or the CSRF header missing")
			}
		})
	}
}
