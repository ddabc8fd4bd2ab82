package store_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aidantsconnect/ac/store"
	"github.com/uptrace/bun"
)

// person is an FC identity with the names under test.
func person(sub, given, family, usage, gender, birth string) store.FCIdentity {
	return store.FCIdentity{Sub: sub, GivenName: given, FamilyName: family, PreferredUsername: usage, Birthdate: birth,
		Gender: gender, Birthplace: "75056", Birthcountry: "99100"}
}

// mandatFor runs the whole creation flow for that identity, at the world's clock.
func (w *world) mandatFor(t *testing.T, a *store.Aidant, id store.FCIdentity, duree string, demarches ...string) *store.Mandat {
	t.Helper()
	ctx := context.Background()
	token, err := w.st.StartMandatFlow(ctx, a.ID, a.CurrentOrganisationID, store.MandatChoice{Demarches: demarches, Duree: duree}, nil)
	if err != nil {
		t.Fatal(err)
	}
	state := "state-" + token[:12]
	if err := w.st.SetFCState(ctx, a.ID, token, state, w.st.FCNonce(state)); err != nil {
		t.Fatal(err)
	}
	f, err := w.st.FlowForCallback(ctx, a.ID, token, state)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.st.IdentifyUsager(ctx, f, id); err != nil {
		t.Fatal(err)
	}
	m, err := w.st.CreateMandat(ctx, store.CreateMandatInput{AidantID: a.ID, FlowToken: token, Code: "123456", AllowDemo: true})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func autorisationOf(t *testing.T, m *store.Mandat, demarche string) *store.Autorisation {
	t.Helper()
	for i := range m.Autorisations {
		if m.Autorisations[i].Demarche == demarche {
			return &m.Autorisations[i]
		}
	}
	t.Fatalf("mandat %d has no %s autorisation", m.ID, demarche)
	return nil
}

func (w *world) list(t *testing.T, orgID int64, q store.UsagerSearch) *store.UsagerList {
	t.Helper()
	l, err := w.st.ListUsagers(context.Background(), orgID, q)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestSearchIgnoresCaseAccentsPunctuationAndOrder(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	people := []store.FCIdentity{
		person("a", "Joséphine", "Dupont", "", "female", "1950-03-02"),
		person("b", "Jean-François", "Lefèvre", "", "male", "1961-07-14"),
		person("c", "Maëlle", "N'Diaye", "", "female", "1990-01-31"),
		person("d", "François", "Çelik", "", "male", "1975-12-01"),
		person("e", "Anne", "Œuvrard", "", "female", "1948-05-08"),
		person("f", "Marie-Claire", "Martin", "Le Gall", "female", "1982-02-28"),
		person("g", "Éloïse", "D’Almeida", "", "female", "2001-09-09"),
		person("h", "Jean", "Dupont-Moreau", "", "male", "1939-11-11"),
	}
	for _, p := range people {
		w.mandatFor(t, w.aidant, p, "LONG", "social")
	}
	// Another organisation's Dupont must never come up.
	w.mandatFor(t, w.foreigner, person("x", "Jean", "Dupont", "", "male", "1970-01-01"), "LONG", "social")

	cases := []struct {
		q    string
		want []string // given names, in list order (by usage or birth name, then given names)
	}{
		{"jose", []string{"Joséphine"}}, // prefix, no accent typed
		{"JOSÉPHINE dupont", []string{"Joséphine"}},
		{"dupont jose", []string{"Joséphine"}}, // any order
		{"dupont", []string{"Joséphine", "Jean"}},
		{"dupont jean", []string{"Jean"}},
		{"jean", []string{"Jean", "Jean-François"}},
		{"jean-françois", []string{"Jean-François"}},
		{"Jean Francois LEFEVRE", []string{"Jean-François"}},
		{"francois", []string{"François", "Jean-François"}}, // Çelik sorts as celik
		{"lefèvre", []string{"Jean-François"}},
		{"ndiaye", []string{"Maëlle"}},
		{"N’Diaye maelle", []string{"Maëlle"}}, // typographic apostrophe
		{"n'diaye", []string{"Maëlle"}},
		{"celik", []string{"François"}},
		{"ÇELIK", []string{"François"}},
		{"Çel", []string{"François"}},
		{"oeuvrard", []string{"Anne"}},
		{"œuvr", []string{"Anne"}},
		{"le gall", []string{"Marie-Claire"}}, // usage name
		{"martin marie-claire", []string{"Marie-Claire"}},
		{"marie claire", []string{"Marie-Claire"}},
		{"d'almeida", []string{"Éloïse"}},
		{"dalmeida eloise", []string{"Éloïse"}},
		{"dupont-moreau", []string{"Jean"}},
		{"moreau, jean", []string{"Jean"}},
		{"!", []string{"François", "Éloïse", "Joséphine", "Jean", "Marie-Claire", "Jean-François", "Maëlle", "Anne"}}, // no word: all, by name
		// % and _ are literal characters, never LIKE wildcards: no name holds one.
		{"%", nil},
		{"_", nil},
		{"Du%ont", nil},
		{"Du_ont", nil},
		{"dupont %", nil},
		{"jos_phine", nil},
		{"xyz", nil},
		{"dupont xyz", nil},
	}
	for _, tc := range cases {
		l := w.list(t, w.org.ID, store.UsagerSearch{Query: tc.q})
		var got []string
		for _, r := range l.Rows {
			got = append(got, r.GivenName)
		}
		if !slices.Equal(got, tc.want) || l.Counts.Actifs != len(tc.want) || l.Counts.Expires+l.Counts.Revoques != 0 {
			t.Errorf("%q: got %v (counts %+v), want %v", tc.q, got, l.Counts, tc.want)
		}
	}
}

// The list searches the mandats' copy of the usager's names: it must follow a change of name.
func TestMandatsFollowTheUsagersNames(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	m := w.mandatFor(t, w.aidant, person("1", "Marie", "Dupont", "", "female", "1950-03-02"), "LONG", "social")
	w.mandatFor(t, w.aidant, person("2", "Anne", "Martin", "", "female", "1951-03-02"), "LONG", "social")
	// FranceConnect sends a usage name the next time the usager identifies.
	id := person("1", "Marie", "Dupont", "Lefèvre", "female", "1950-03-02")
	w.mandatFor(t, w.aidant, id, "LONG", "papiers")
	// Both of her mandats follow: one row, two mandats.
	for q, want := range map[string]int{"lefevre": 2, "dupont lefevre": 2, "martin": 1, "dupont": 2} {
		if l := w.list(t, w.org.ID, store.UsagerSearch{Query: q}); l.Counts.Actifs != 1 || len(l.Rows) != 1 || l.Rows[0].Mandats != want {
			t.Errorf("%q: %+v, %+v; want one usager with %d mandats", q, l.Counts, l.Rows, want)
		}
	}
	// The order follows the usage name now: Lefèvre before Martin.
	l := w.list(t, w.org.ID, store.UsagerSearch{})
	if len(l.Rows) != 2 || l.Rows[0].UsagerID != m.UsagerID || l.Rows[1].FamilyName != "Martin" {
		t.Fatalf("order after the new usage name: %+v", l.Rows)
	}
	if _, err := w.st.DB().ExecContext(ctx, "UPDATE usagers SET given_name = 'Maria' WHERE id = ?", m.UsagerID); err != nil {
		t.Fatal(err)
	}
	if l := w.list(t, w.org.ID, store.UsagerSearch{Query: "maria"}); l.Counts.Actifs != 1 || len(l.Rows) != 1 || l.Rows[0].Mandats != 2 {
		t.Fatalf("after a given name change: %+v", l.Counts)
	}
}

func TestSearchWords(t *testing.T) {
	t.Parallel()
	for q, want := range map[string][]string{
		"  dupont   jean ":  {"dupont", "jean"},
		"Jean-François":     {"Jean-François"},
		"N'Diaye, Maëlle":   {"N'Diaye", "Maëlle"},
		"50% _ d\\u ' - ’":  {"50%", "_", "d", "u"}, // % and _ are literal characters
		"a\x00b\x01c":       {"a", "b", "c"},        // control characters separate
		"a\xffb":            {"a", "b"},             // so do bytes that are not UTF-8
		"dupont;jean/marie": {"dupont", "jean", "marie"},
		"":                  nil,
	} {
		if got := store.SearchWords(q); !slices.Equal(got, want) {
			t.Errorf("SearchWords(%q) = %q, want %q", q, got, want)
		}
	}
}

// The trigram index must be usable by the search predicate as the store writes it.
func TestSearchPredicateCanUseTheTrigramIndex(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	err := w.st.InTx(ctx, func(tx *store.Store) error {
		if _, err := tx.DB().ExecContext(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
			return err
		}
		var plan []string
		err := tx.DB().NewRaw("EXPLAIN SELECT u.id FROM usagers AS u WHERE u.search_name LIKE '%' || public.f_search_text(?) || '%'", "Joséphine").Scan(ctx, &plan)
		if err != nil {
			return err
		}
		if p := strings.Join(plan, "\n"); !strings.Contains(p, "usagers_search_name_trgm_idx") || !strings.Contains(p, "'%josephine%'") {
			t.Errorf("plan does not use the trigram index with a folded pattern:\n%s", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestListUsagersTabsColumnsAndScope(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	now := w.clock.Now()
	at := func(d time.Duration) { w.clock.Set(now.Add(d)) }
	day := 24 * time.Hour

	at(-100 * day)
	active := w.mandatFor(t, w.aidant, person("1", "Alice", "Active", "", "female", "1950-01-02"), "LONG", "social", "papiers")
	at(-10 * day)
	soon := w.mandatFor(t, w.colleague, person("2", "Bruno", "Bientôt", "", "male", "1960-02-03"), "MONTH", "argent")
	at(-3 * day)
	expired := w.mandatFor(t, w.aidant, person("3", "Chloé", "Expirée", "Épouse", "female", "1970-03-04"), "SHORT", "famille")
	at(-400 * day)
	w.mandatFor(t, w.aidant, person("4", "Denis", "Oublié", "", "male", "1980-04-05"), "SHORT", "famille") // outdated
	at(-300 * day)
	revoked := w.mandatFor(t, w.aidant, person("5", "Emma", "Révoquée", "", "female", "1990-05-06"), "LONG", "famille", "social")
	at(-200 * day)
	if _, err := w.st.RevokeMandat(ctx, w.org.ID, w.aidant.ID, revoked.ID); err != nil {
		t.Fatal(err)
	}
	at(-700 * day)
	oldRevoked := w.mandatFor(t, w.aidant, person("6", "Félix", "Ancien", "", "male", "1940-06-07"), "LONG", "papiers")
	at(-690 * day)
	if _, err := w.st.RevokeMandat(ctx, w.org.ID, w.aidant.ID, oldRevoked.ID); err != nil { // outdated: revoked 690 days ago
		t.Fatal(err)
	}
	at(-50 * day)
	partial := w.mandatFor(t, w.aidant, person("7", "Gaëlle", "Partielle", "", "female", "1955-07-08"), "SEMESTER", "papiers", "argent", "social")
	at(-40 * day)
	if _, _, err := w.st.RevokeAutorisation(ctx, w.org.ID, w.aidant.ID, partial.ID, autorisationOf(t, partial, "argent").ID); err != nil {
		t.Fatal(err)
	}
	at(-20 * day)
	// Alice's second mandat, for other démarches: both stay active, one row for her.
	second := w.mandatFor(t, w.aidant, person("1", "Alice", "Active", "", "female", "1950-01-02"), "SEMESTER", "famille")
	at(-5 * day)
	w.mandatFor(t, w.foreigner, person("8", "Hugo", "Étranger", "", "male", "1985-08-09"), "LONG", "social") // another organisation
	at(0)

	l := w.list(t, w.org.ID, store.UsagerSearch{})
	if want := (store.UsagerCounts{Actifs: 3, Expires: 1, Revoques: 1, Usagers: 5, Soon: 1, SoonMandats: 1}); l.Counts != want || l.Pages != 1 {
		t.Fatalf("counts %+v pages %d, want %+v", l.Counts, l.Pages, want)
	}
	date := func(s string) time.Time { d, _ := time.Parse("2006-01-02", s); return d }
	row := func(tab store.UsagerTab, ms []*store.Mandat, ends []time.Time, given, family, usage, gender, birth string, demarches ...string) store.UsagerRow {
		return store.UsagerRow{UsagerID: ms[0].UsagerID, GivenName: given, FamilyName: family, PreferredUsername: usage,
			Gender: gender, Birthdate: date(birth), Mandats: len(ms), Ends: ends, Demarches: demarches, Tab: tab}
	}
	one := func(m *store.Mandat) []*store.Mandat { return []*store.Mandat{m} }
	want := map[store.UsagerTab][]store.UsagerRow{
		store.TabActifs: {
			// Her two mandats: the démarches of both, the soonest end first.
			row(store.TabActifs, []*store.Mandat{active, second}, []time.Time{second.ExpiresAt, active.ExpiresAt}, "Alice", "Active", "", "female", "1950-01-02", "papiers", "famille", "social"),
			row(store.TabActifs, one(soon), []time.Time{soon.ExpiresAt}, "Bruno", "Bientôt", "", "male", "1960-02-03", "argent"),
			row(store.TabActifs, one(partial), []time.Time{partial.ExpiresAt}, "Gaëlle", "Partielle", "", "female", "1955-07-08", "papiers", "social"), // argent revoked: not shown
		},
		store.TabExpires:  {row(store.TabExpires, one(expired), []time.Time{expired.ExpiresAt}, "Chloé", "Expirée", "Épouse", "female", "1970-03-04", "famille")}, // sorted by usage name
		store.TabRevoques: {row(store.TabRevoques, one(revoked), []time.Time{now.Add(-200 * day)}, "Emma", "Révoquée", "", "female", "1990-05-06", "famille", "social")},
	}
	for tab, rows := range want {
		got := w.list(t, w.org.ID, store.UsagerSearch{Tab: tab})
		if len(got.Rows) != len(rows) {
			t.Fatalf("%s: %d rows, want %d", tab, len(got.Rows), len(rows))
		}
		for i := range rows {
			g := got.Rows[i]
			g.Birthdate = g.Birthdate.UTC()
			for j := range g.Ends {
				g.Ends[j] = g.Ends[j].UTC()
			}
			for j := range rows[i].Ends {
				rows[i].Ends[j] = rows[i].Ends[j].UTC()
			}
			if !reflect.DeepEqual(g, rows[i]) {
				t.Errorf("%s row %d:\n got %+v\nwant %+v", tab, i, g, rows[i])
			}
		}
	}
	// The SQL classification agrees with the model's rule.
	for _, c := range []struct {
		m   *store.Mandat
		tab store.UsagerTab
	}{{active, store.TabActifs}, {second, store.TabActifs}, {soon, store.TabActifs}, {partial, store.TabActifs}, {expired, store.TabExpires}, {revoked, store.TabRevoques}} {
		if m := w.get(t, w.org.ID, c.m.ID); store.TabOf(m.Status(now)) != c.tab || m.Outdated(now) {
			t.Errorf("mandat %d: model status %s, listed in %s", m.ID, m.Status(now), c.tab)
		}
	}
	if rows := w.list(t, w.org.ID, store.UsagerSearch{Tab: store.TabActifs}).Rows; !rows[1].ExpiresSoon(now) || rows[0].ExpiresSoon(now) || rows[2].ExpiresSoon(now) || !rows[0].Renewable() {
		t.Error("only the mandat ending in 21 days expires soon")
	}
	// Narrowed to what ends soon: Bruno alone, the home's count agrees; the filter means
	// nothing on another tab.
	if l := w.list(t, w.org.ID, store.UsagerSearch{Tab: store.TabActifs, Soon: true}); len(l.Rows) != 1 || l.Rows[0].GivenName != "Bruno" || !l.Search.Soon || l.Pages != 1 {
		t.Errorf("expiring soon: %+v", l)
	}
	if n, err := w.st.CountExpiringSoon(ctx, w.org.ID); err != nil || n != l.Counts.SoonMandats {
		t.Errorf("CountExpiringSoon %d (%v), the list's %d", n, err, l.Counts.SoonMandats)
	}
	if l := w.list(t, w.org.ID, store.UsagerSearch{Tab: store.TabExpires, Soon: true}); len(l.Rows) != 1 || l.Search.Soon {
		t.Errorf("expired tab with the filter: %d rows, soon %v", len(l.Rows), l.Search.Soon)
	}
	// The other organisation sees its own mandat only, whatever the query.
	for _, q := range []string{"", "alice", "hugo", "e"} {
		l := w.list(t, w.other.ID, store.UsagerSearch{Query: q})
		for _, r := range l.Rows {
			if r.GivenName != "Hugo" {
				t.Errorf("other organisation, %q: sees %s", q, r.GivenName)
			}
		}
	}
	if l := w.list(t, w.other.ID, store.UsagerSearch{Query: "alice"}); l.Counts.Total() != 0 {
		t.Errorf("other organisation finds alice: %+v", l.Counts)
	}
	// Detail: visible mandats only, newest first; outdated only or foreign is not found.
	f, err := w.st.GetUsagerFile(ctx, w.org.ID, revoked.UsagerID)
	if err != nil || len(f.Mandats) != 1 || !f.CancelledMandats[revoked.ID] || f.Usager.GivenName != "Emma" {
		t.Fatalf("usager file: %+v %v", f, err)
	}
	for _, tc := range []struct {
		org, usager int64
	}{{w.org.ID, oldRevoked.UsagerID}, {w.other.ID, active.UsagerID}, {w.org.ID, 999999}} {
		if _, err := w.st.GetUsagerFile(ctx, tc.org, tc.usager); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("usager file %+v: %v", tc, err)
		}
	}
}

func TestListUsagersPagination(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	var names []string
	for i := range 45 {
		family := fmt.Sprintf("Nom%02d", 44-i) // created in reverse name order
		names = append(names, family)
		w.mandatFor(t, w.aidant, person(fmt.Sprint(i), "Prénom", family, "", "male", "1960-01-01"), "LONG", "papiers")
	}
	slices.Sort(names)
	for _, tc := range []struct{ page, want, rows int }{{0, 1, 20}, {1, 1, 20}, {2, 2, 20}, {3, 3, 5}, {99, 3, 5}} {
		l := w.list(t, w.org.ID, store.UsagerSearch{Page: tc.page})
		if l.Pages != 3 || l.Search.Page != tc.want || len(l.Rows) != tc.rows {
			t.Fatalf("page %d: served %d of %d, %d rows", tc.page, l.Search.Page, l.Pages, len(l.Rows))
		}
		if l.Rows[0].FamilyName != names[(tc.want-1)*20] {
			t.Errorf("page %d starts with %s, want %s", tc.page, l.Rows[0].FamilyName, names[(tc.want-1)*20])
		}
	}
	if l := w.list(t, w.org.ID, store.UsagerSearch{Query: "nom4", Page: 2}); l.Pages != 1 || l.Search.Page != 1 || len(l.Rows) != 5 {
		t.Fatalf("search narrows the pages: %d of %d, %d rows", l.Search.Page, l.Pages, len(l.Rows))
	}
}

func TestSeedScale(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	var progress strings.Builder
	rep, err := st.SeedScale(ctx, store.ScaleOptions{Usagers: 900, PerOrg: 100, Batch: 400, Seed: 7, Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	count := func(q string) int {
		var n int
		if err := st.DB().NewRaw(q).Scan(ctx, &n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if rep.Organisations != 9 || rep.Usagers != 900 || count("SELECT count(*) FROM usagers") != 900 ||
		count("SELECT count(*) FROM mandats") != rep.Mandats || count("SELECT count(*) FROM autorisations") != rep.Autorisations ||
		count("SELECT count(DISTINCT organisation_id) FROM mandats") != 9 || count("SELECT count(*) FROM aidants") != 9 {
		t.Fatalf("report %+v does not match the tables", rep)
	}
	if per := float64(rep.Mandats) / 900; per < 2.6 || per > 3.4 {
		t.Errorf("%.2f mandats per usager, want about 3", per)
	}
	if strings.Count(progress.String(), "usagers ") != 3 || !strings.Contains(progress.String(), "usagers 900/900 (100 %)") {
		t.Errorf("progress:\n%s", progress.String())
	}
	if n, err := st.CheckScaleConsistency(ctx); err != nil || n != 0 {
		t.Fatalf("mandats.revoked_at disagrees with the autorisations for %d mandats (%v)", n, err)
	}
	if n := count("SELECT count(*) FROM journal"); n != 0 {
		t.Errorf("scale data wrote %d journal rows", n)
	}
	// Every state exists, and the largest organisation is much larger than the smallest.
	for name, q := range map[string]string{
		"active":          "SELECT count(*) FROM mandats WHERE revoked_at IS NULL AND expires_at > '2026-11-24 09:00Z'",
		"expiring soon":   "SELECT count(*) FROM mandats WHERE revoked_at IS NULL AND expires_at > '2026-11-24 09:00Z' AND expires_at < '2026-12-24 09:00Z'",
		"expired":         "SELECT count(*) FROM mandats WHERE revoked_at IS NULL AND expires_at <= '2026-11-24 09:00Z' AND expires_at > '2025-11-24 09:00Z'",
		"revoked":         "SELECT count(*) FROM mandats WHERE revoked_at > '2025-11-24 09:00Z'",
		"partly revoked":  "SELECT count(DISTINCT m.id) FROM mandats m JOIN autorisations a ON a.mandat_id = m.id WHERE m.revoked_at IS NULL AND a.revoked_at IS NOT NULL",
		"outdated":        "SELECT count(*) FROM mandats WHERE least(expires_at, coalesce(revoked_at, 'infinity')) < '2025-11-24 09:00Z'",
		"apostrophe name": "SELECT count(*) FROM usagers WHERE family_name LIKE '%''%' OR preferred_username LIKE '%''%'",
		"hyphenated name": "SELECT count(*) FROM usagers WHERE given_name LIKE '%-%' OR family_name LIKE '%-%'",
		"usage name":      "SELECT count(*) FROM usagers WHERE preferred_username <> ''",
		"two orgs":        "SELECT count(*) FROM (SELECT usager_id FROM mandats GROUP BY 1 HAVING count(DISTINCT organisation_id) > 1) s",
	} {
		if count(q) == 0 {
			t.Errorf("no %s in the scale data", name)
		}
	}
	if big, small := count("SELECT max(n) FROM (SELECT count(*) n FROM mandats GROUP BY organisation_id) s"),
		count("SELECT min(n) FROM (SELECT count(*) n FROM mandats GROUP BY organisation_id) s"); big < 2*small {
		t.Errorf("organisation sizes %d..%d: not uneven", small, big)
	}
}

// organisation_usagers (one row per organisation and usager, what the list reads) follows
// every write of the mandats in the same statement: creation, a démarche then a mandat
// revoked, a new end, a change of name, a mandat moved to another organisation or deleted,
// several rows at once.
func TestOrganisationUsagersFollowTheMandats(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	check := func(st *store.Store, step string) {
		t.Helper()
		if n, err := st.CheckOrganisationUsagers(ctx); err != nil || n != 0 {
			t.Fatalf("%s: %d rows of organisation_usagers differ from the mandats (%v)", step, n, err)
		}
	}
	exec := func(db bun.IDB, q string, args ...any) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	rows := func(st *store.Store, orgID int64) int {
		n, err := st.DB().NewSelect().Table("organisation_usagers").Where("organisation_id = ?", orgID).Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return int(n)
	}
	alice := person("1", "Alice", "Active", "", "female", "1950-01-02")
	long := w.mandatFor(t, w.aidant, alice, "LONG", "social", "papiers")
	check(w.st, "first mandat")
	short := w.mandatFor(t, w.aidant, alice, "SHORT", "famille")
	w.mandatFor(t, w.foreigner, alice, "LONG", "papiers") // the same usager elsewhere: a row of its own
	bruno := w.mandatFor(t, w.aidant, person("2", "Bruno", "Bientôt", "", "male", "1960-02-03"), "MONTH", "argent")
	check(w.st, "mandats of two usagers in two organisations")
	if rows(w.st, w.org.ID) != 2 || rows(w.st, w.other.ID) != 1 {
		t.Fatalf("rows: %d and %d", rows(w.st, w.org.ID), rows(w.st, w.other.ID))
	}
	if _, _, err := w.st.RevokeAutorisation(ctx, w.org.ID, w.aidant.ID, long.ID, autorisationOf(t, long, "social").ID); err != nil {
		t.Fatal(err)
	}
	check(w.st, "one démarche revoked")
	if _, err := w.st.RevokeMandat(ctx, w.org.ID, w.aidant.ID, short.ID); err != nil {
		t.Fatal(err)
	}
	check(w.st, "a mandat revoked")
	exec(w.st.DB(), "UPDATE mandats SET created_at = created_at - interval '400 days', expires_at = expires_at - interval '400 days' WHERE id = ?", bruno.ID)
	check(w.st, "an end moved")
	exec(w.st.DB(), "UPDATE mandats SET expires_at = expires_at + interval '1 day' WHERE organisation_id = ?", w.org.ID)
	check(w.st, "every mandat of the organisation")
	exec(w.st.DB(), "UPDATE usagers SET preferred_username = 'Zèbre' WHERE id = ?", long.UsagerID)
	check(w.st, "a usage name")
	if l := w.list(t, w.org.ID, store.UsagerSearch{Query: "zebre"}); l.Counts.Actifs != 1 || len(l.Rows) != 1 || l.Rows[0].UsagerID != long.UsagerID {
		t.Fatalf("search by the new name: %+v", l.Counts)
	}
	// Moved; a copy made elsewhere then deleted (rolled back: the journal names the mandats).
	errRollback := errors.New("rollback")
	err := w.st.InTx(ctx, func(tx *store.Store) error {
		exec(tx.DB(), "UPDATE mandats SET organisation_id = ? WHERE id = ?", w.other.ID, bruno.ID)
		check(tx, "a mandat moved")
		if rows(tx, w.org.ID) != 1 || rows(tx, w.other.ID) != 2 {
			t.Fatalf("after the move: %d and %d rows", rows(tx, w.org.ID), rows(tx, w.other.ID))
		}
		var copyID int64
		if err := tx.DB().NewRaw(`INSERT INTO mandats (organisation_id, usager_id, created_by_aidant_id, duree, created_at, expires_at,
			template_version, attestation_hash, verify_token_hash)
			SELECT ?, usager_id, created_by_aidant_id, duree, created_at, expires_at, template_version, attestation_hash,
			sha256(verify_token_hash) FROM mandats WHERE id = ? RETURNING id`, w.org.ID, bruno.ID).Scan(ctx, &copyID); err != nil {
			t.Fatal(err)
		}
		check(tx, "a copy")
		if rows(tx, w.org.ID) != 2 {
			t.Fatalf("after the copy: %d rows", rows(tx, w.org.ID))
		}
		exec(tx.DB(), "DELETE FROM mandats WHERE id = ?", copyID)
		check(tx, "a mandat deleted")
		if rows(tx, w.org.ID) != 1 {
			t.Fatalf("after the deletion: %d rows", rows(tx, w.org.ID))
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatal(err)
	}
	check(w.st, "rolled back")
}

// Two transactions adding a mandat for the same usager in the same organisation at once: the
// second waits for the first's row, then computes it from both mandats.
func TestOrganisationUsagersUnderConcurrentWrites(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	m := w.mandatFor(t, w.aidant, person("1", "Alice", "Active", "", "female", "1950-01-02"), "SHORT", "famille")
	db := w.st.DB().(*bun.DB)
	// A copy of the mandat, ending days after it.
	insert := func(tx bun.Tx, days int) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO mandats (organisation_id, usager_id, created_by_aidant_id, duree, created_at, expires_at,
			template_version, attestation_hash, verify_token_hash)
			SELECT organisation_id, usager_id, created_by_aidant_id, duree, created_at, expires_at + make_interval(days => ?),
			template_version, attestation_hash, sha256(verify_token_hash || ?::text::bytea) FROM mandats WHERE id = ?`, days, days, m.ID)
		return err
	}
	first, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Rollback() //nolint:errcheck // after Commit it is a no-op
	if err := insert(first, 10); err != nil {
		t.Fatal(err)
	}
	second, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Rollback() //nolint:errcheck // after Commit it is a no-op
	var pid int
	if err := second.NewRaw("SELECT pg_backend_pid()").Scan(ctx, &pid); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		if err := insert(second, 20); err != nil {
			done <- err
			return
		}
		done <- second.Commit()
	}()
	// The second waits on the first's lock of the row; then the first commits.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var waiting bool
		if err := db.NewRaw("SELECT coalesce(wait_event_type = 'Lock', false) FROM pg_stat_activity WHERE pid = ?", pid).Scan(ctx, &waiting); err != nil {
			t.Fatal(err)
		}
		if waiting {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the second transaction never waited for the first")
		}
	}
	if err := first.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n, err := w.st.CheckOrganisationUsagers(ctx); err != nil || n != 0 {
		t.Fatalf("%d rows differ from the mandats (%v)", n, err)
	}
	var ends int
	if err := db.NewRaw("SELECT count(*) FROM organisation_usagers AS o, unnest(o.expiries) WHERE o.usager_id = ?", m.UsagerID).Scan(ctx, &ends); err != nil || ends != 3 {
		t.Fatalf("the row holds %d ends, want 3 (%v)", ends, err)
	}
}
