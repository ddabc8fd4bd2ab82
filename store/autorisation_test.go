package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aidantsconnect/ac/store"
)

// An autorisation is in force while it is not revoked and its mandat has not reached its end:
// every query that asks for active autorisations agrees, up to the microsecond.
func TestActiveAutorisationsEndWithTheirMandat(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	m := w.mandat(t, w.aidant, "marie", "SHORT", "papiers", "famille")
	i := slices.IndexFunc(m.Autorisations, func(a store.Autorisation) bool { return a.Demarche == "famille" })
	if _, _, err := w.st.RevokeAutorisation(ctx, w.org.ID, w.aidant.ID, m.ID, m.Autorisations[i].ID); err != nil {
		t.Fatal(err)
	}
	all := store.DemarcheKeys()
	for _, tc := range []struct {
		name  string
		at    time.Time
		among []string
		want  []string
	}{
		{"signed", m.CreatedAt, all, []string{"papiers"}},
		{"revoked démarche only", m.CreatedAt, []string{"famille"}, nil},
		{"last microsecond", m.ExpiresAt.Add(-time.Microsecond), all, []string{"papiers"}},
		{"at its end", m.ExpiresAt, all, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w.clock.Set(tc.at)
			got, err := w.st.IdPDemarches(ctx, w.org.ID, m.UsagerID, tc.among)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("IdPDemarches = %q, want %q", got, tc.want)
			}
			us, n, err := w.st.ListIdPUsagers(ctx, w.org.ID, tc.among, "", 20, 0)
			if err != nil {
				t.Fatal(err)
			}
			if wantN := min(len(tc.want), 1); n != wantN || len(us) != wantN || (n == 1 && us[0].ID != m.UsagerID) {
				t.Errorf("ListIdPUsagers: %d usagers (total %d), want %d", len(us), n, wantN)
			}
		})
	}
}
