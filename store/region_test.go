package store_test

import (
	"testing"

	"github.com/aidantsconnect/ac/store"
)

// The table: every département once, in one région; a postcode's département finds its région.
func TestRegions(t *testing.T) {
	t.Parallel()
	seen := map[string]string{}
	for _, r := range store.Regions() {
		if got, ok := store.RegionByCode(r.Code); !ok || got.Name != r.Name {
			t.Errorf("région %s by its code: %+v %v", r.Code, got, ok)
		}
		for _, d := range r.Departements {
			if other, dup := seen[d]; dup {
				t.Errorf("département %s in %s and %s", d, other, r.Name)
			}
			seen[d] = r.Name
		}
	}
	if len(store.Regions()) != 18 || len(seen) != 101 {
		t.Errorf("%d régions, %d départements; want 18, 101", len(store.Regions()), len(seen))
	}
	for _, c := range []struct{ zipcode, region string }{
		{"45000", "Centre-Val de Loire"}, {"75011", "Île-de-France"}, {"01000", "Auvergne-Rhône-Alpes"},
		{"20000", "Corse"}, {"20200", "Corse"}, {"97400", "La Réunion"}, {"97600", "Mayotte"},
		{"13001", "Provence-Alpes-Côte d'Azur"}, {"29200", "Bretagne"}, {"90000", "Bourgogne-Franche-Comté"},
		{"97500", ""}, {"98000", ""}, {"", ""}, {"4500", ""},
	} {
		r, ok := store.RegionOf(store.Departement(c.zipcode))
		if r.Name != c.region || ok != (c.region != "") {
			t.Errorf("%q: %q %v, want %q", c.zipcode, r.Name, ok, c.region)
		}
	}
	if _, ok := store.RegionByCode("99"); ok {
		t.Error("an unknown région code found")
	}
}
