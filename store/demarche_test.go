package store_test

import (
	"slices"
	"testing"

	"github.com/aidantsconnect/ac/store"
)

func TestFindDemarches(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		keys []string
		want []string // keys of the démarches returned
	}{
		{"none", nil, nil},
		{"one", []string{"social"}, []string{"social"}},
		{"the keys' order, not the catalogue's", []string{"loisirs", "papiers", "famille"}, []string{"loisirs", "papiers", "famille"}},
		{"unknown keys skipped", []string{"voyage", "argent", "", "Argent"}, []string{"argent"}},
		{"only unknown keys", []string{"voyage"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := store.FindDemarches(tc.keys)
			var keys []string
			for _, d := range got {
				want, _ := store.FindDemarche(d.Key)
				if d != want {
					t.Errorf("%s: %+v, want the catalogue's %+v", d.Key, d, want)
				}
				keys = append(keys, d.Key)
			}
			if !slices.Equal(keys, tc.want) || (tc.want == nil) != (got == nil) {
				t.Errorf("FindDemarches(%q) = %q (nil: %t), want %q", tc.keys, keys, got == nil, tc.want)
			}
		})
	}
}
