package store_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/aidantsconnect/ac/store"
)

var parisLoc = func() *time.Location {
	l, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic(err)
	}
	return l
}()

// statsWorld is a seeded database: scale data (mandats in every state over years), aidants
// with and without a second factor, and uses of autorisations spread over fourteen months.
func statsWorld(t *testing.T) *world {
	t.Helper()
	w := newWorld(t)
	ctx := context.Background()
	if _, err := w.st.SeedScale(ctx, store.ScaleOptions{Usagers: 1500, PerOrg: 150, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	// Aidants habilités (a confirmed device), and some who are not.
	for i := range 16 {
		a := &store.Aidant{Email: "habilite" + strconv.Itoa(i) + "@x.fr", FirstName: "H", LastName: "A", CurrentOrganisationID: w.org.ID,
			IsActive: i != 14, CanCreateMandats: true}
		if err := w.st.CreateAidant(ctx, a, false); err != nil {
			t.Fatal(err)
		}
		if i == 15 {
			continue // no device
		}
		if err := w.st.AddOTPDevice(ctx, &store.OTPDevice{AidantID: a.ID, Kind: "app", Step: 30, Tolerance: 1, Confirmed: true,
			Secret: []byte("0123456789abcdef0123")}, ""); err != nil {
			t.Fatal(err)
		}
	}
	// Uses: 700 at increasing instants over fourteen months, on 250 autorisations.
	type aut struct {
		ID, MandatID, UsagerID, OrgID, AidantID int64
		Demarche                                string
	}
	var auts []aut
	if err := w.st.DB().NewRaw(`SELECT a.id, a.mandat_id, m.usager_id, m.organisation_id AS org_id, m.created_by_aidant_id AS aidant_id, a.demarche
		FROM autorisations AS a JOIN mandats AS m ON m.id = a.mandat_id ORDER BY a.id LIMIT 250`).Scan(ctx, &auts); err != nil {
		t.Fatal(err)
	}
	now := w.clock.Now()
	rnd := rand.New(rand.NewPCG(1, 2))
	at := now.AddDate(0, -14, 0)
	step := now.Sub(at) / 700
	for range 700 {
		at = at.Add(time.Duration(rnd.Int64N(int64(2 * step))))
		if at.After(now) {
			break
		}
		a := auts[rnd.IntN(len(auts))]
		w.clock.Set(at)
		if err := w.st.InTx(ctx, func(tx *store.Store) error {
			return tx.AppendJournal(ctx, &store.JournalEntry{Action: store.ActionUseAutorisation, AidantID: &a.AidantID, OrganisationID: &a.OrgID,
				UsagerID: &a.UsagerID, MandatID: &a.MandatID, AutorisationID: &a.ID, Demarche: a.Demarche, Info: "client : x"})
		}); err != nil {
			t.Fatal(err)
		}
	}
	w.clock.Set(now)
	return w
}

func (w *world) count(t *testing.T, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := w.st.DB().NewRaw(q, args...).Scan(context.Background(), &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// inForce counts, from the autorisations (not the mandats' cached revocation date), the
// mandats in force at t: created, not expired, not every autorisation revoked by t.
func (w *world) inForce(t *testing.T, at time.Time) int64 {
	t.Helper()
	var ms []store.Mandat
	if err := w.st.DB().NewSelect().Model(&ms).Relation("Autorisations").Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, m := range ms {
		if m.CreatedAt.After(at) || !m.ExpiresAt.After(at) {
			continue
		}
		revoked := len(m.Autorisations) > 0
		for _, a := range m.Autorisations {
			if a.RevokedAt == nil || a.RevokedAt.After(at) {
				revoked = false
			}
		}
		if !revoked {
			n++
		}
	}
	return n
}

const (
	habilite  = `a.is_active AND a.can_create_mandats AND a.id IN (SELECT aidant_id FROM otp_devices WHERE confirmed) AND a.id IN (SELECT ao.aidant_id FROM aidant_organisations ao JOIN organisations o ON o.id = ao.organisation_id AND o.is_active)`
	structure = `o.is_active AND o.id IN (SELECT ao.organisation_id FROM aidant_organisations ao JOIN aidants a ON a.id = ao.aidant_id WHERE ` + habilite + `)`
)

func TestStatsMatchCountsMadeInSQL(t *testing.T) {
	t.Parallel()
	w := statsWorld(t)
	ctx := context.Background()
	if _, err := w.st.GetStats(ctx); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("before the first recount: %v", err)
	}
	if done, err := w.st.RefreshStats(ctx, store.StatsRefreshEvery, parisLoc); err != nil || !done {
		t.Fatalf("first recount: %v %v", done, err)
	}
	raw, err := w.st.RawStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	now := w.clock.Now()
	local := now.In(parisLoc)
	if len(raw.Months) != store.StatsMonths || !raw.ComputedAt.Equal(now) {
		t.Fatalf("%d months computed at %v", len(raw.Months), raw.ComputedAt)
	}
	use := "action = 'use_autorisation'"
	for i, m := range raw.Months {
		from := time.Date(local.Year(), local.Month()-time.Month(store.StatsMonths-1-i), 1, 0, 0, 0, 0, parisLoc)
		to := from.AddDate(0, 1, 0)
		end := to
		if end.After(now) {
			end = now
		}
		if m.Month != from.Format("2006-01") {
			t.Fatalf("month %d is %s, want %s", i, m.Month, from.Format("2006-01"))
		}
		want := store.StatsCounts{
			Demarches:  w.count(t, "SELECT count(*) FROM journal WHERE "+use+" AND created_at >= ? AND created_at < ?", from, to),
			Personnes:  w.count(t, "SELECT count(DISTINCT usager_id) FROM journal WHERE "+use+" AND created_at >= ? AND created_at < ?", from, to),
			Mandats:    w.count(t, "SELECT count(*) FROM mandats WHERE created_at >= ? AND created_at < ?", from, to),
			EnVigueur:  w.inForce(t, end),
			Aidants:    w.count(t, "SELECT count(*) FROM aidants a WHERE a.created_at >= ? AND a.created_at < ? AND "+habilite, from, to),
			Structures: w.count(t, "SELECT count(*) FROM organisations o WHERE o.created_at >= ? AND o.created_at < ? AND "+structure, from, to),
		}
		if m.StatsCounts != want {
			t.Errorf("%s: recount %+v, SQL %+v", m.Month, m.StatsCounts, want)
		}
	}
	wantTotals := store.StatsCounts{
		Demarches:  w.count(t, "SELECT count(*) FROM journal WHERE "+use),
		Personnes:  w.count(t, "SELECT count(DISTINCT usager_id) FROM journal WHERE "+use),
		Mandats:    w.count(t, "SELECT count(*) FROM mandats"),
		EnVigueur:  w.inForce(t, now),
		Aidants:    w.count(t, "SELECT count(*) FROM aidants a WHERE "+habilite),
		Structures: w.count(t, "SELECT count(*) FROM organisations o WHERE "+structure),
	}
	if raw.Totals != wantTotals {
		t.Errorf("totals: recount %+v, SQL %+v", raw.Totals, wantTotals)
	}
	if wantTotals.Aidants != 14 || wantTotals.Structures != 1 || wantTotals.Demarches < 600 || wantTotals.EnVigueur < 100 {
		t.Fatalf("the seeded data is not what the test means to count: %+v", wantTotals)
	}
	busy := 0
	for _, m := range raw.Months {
		if m.Mandats >= store.StatsMinCount && m.Demarches >= store.StatsMinCount && m.EnVigueur >= store.StatsMinCount {
			busy++
		}
	}
	if busy < 10 {
		t.Fatalf("only %d months with figures to compare: %+v", busy, raw.Months)
	}
	start := time.Date(local.Year(), local.Month()-time.Month(store.StatsMonths-1), 1, 0, 0, 0, 0, parisLoc)
	for i, d := range raw.Demarches {
		if d.Key != store.DemarcheKeys()[i] {
			t.Fatalf("démarche %d is %s", i, d.Key)
		}
		year := w.count(t, "SELECT count(*) FROM journal WHERE "+use+" AND demarche = ? AND created_at >= ?", d.Key, start)
		total := w.count(t, "SELECT count(*) FROM journal WHERE "+use+" AND demarche = ?", d.Key)
		if d.Year != year || d.Total != total {
			t.Errorf("%s: recount %d / %d, SQL %d / %d", d.Key, d.Year, d.Total, year, total)
		}
	}

	// What is published is those figures, under the small-count rule.
	pub, err := w.st.GetStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	check := func(what string, f store.Figure, n int64) {
		switch {
		case n > 0 && n < store.StatsMinCount && !f.Hidden:
			t.Errorf("%s: %d published", what, n)
		case !f.Hidden && f.N != n:
			t.Errorf("%s: published %d, counted %d", what, f.N, n)
		case f.Hidden && f.N != 0:
			t.Errorf("%s: hidden but keeps its value", what)
		}
	}
	check("démarches réalisées", pub.Totals.Demarches, wantTotals.Demarches)
	check("mandats en vigueur", pub.Totals.EnVigueur, wantTotals.EnVigueur)
	for i, m := range pub.Months {
		check(raw.Months[i].Month+" démarches", m.Demarches, raw.Months[i].Demarches)
		check(raw.Months[i].Month+" mandats", m.Mandats, raw.Months[i].Mandats)
		check(raw.Months[i].Month+" aidants", m.Aidants, raw.Months[i].Aidants)
	}
	for i, d := range pub.Demarches {
		check(d.Demarche.Key, d.Year, raw.Demarches[i].Year)
	}

	// A recount within the period does nothing; another instance recounting makes this one wait for nothing.
	if done, err := w.st.RefreshStats(ctx, store.StatsRefreshEvery, parisLoc); err != nil || done {
		t.Errorf("recount within the period: %v %v", done, err)
	}
	w.clock.Advance(store.StatsRefreshEvery)
	conn, err := w.st.DB().(*bun.DB).Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(727011020)"); err != nil { // the store's stats lock
		t.Fatal(err)
	}
	if done, err := w.st.RefreshStats(ctx, store.StatsRefreshEvery, parisLoc); err != nil || done {
		t.Errorf("recount while another instance holds the lock: %v %v", done, err)
	}
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_unlock(727011020)"); err != nil {
		t.Fatal(err)
	}
	if done, err := w.st.RefreshStats(ctx, store.StatsRefreshEvery, parisLoc); err != nil || !done {
		t.Errorf("recount past the period: %v %v", done, err)
	}
}

func TestStatsPublishHidesSmallCounts(t *testing.T) {
	t.Parallel()
	months := make([]store.StatsMonth, store.StatsMonths)
	for i := range months {
		months[i].Month = time.Date(2026, time.Month(1+i), 1, 0, 0, 0, 0, time.UTC).Format("2006-01")
		months[i].Demarches = int64(100 + i)
		months[i].Mandats = int64(50 + i)
	}
	months[3].Demarches = 4  // hidden, and so is the next smallest (100, January)
	months[5].Mandats = 0    // zero concerns nobody
	months[6].Mandats = 10   // hidden
	months[7].Mandats = 11   // the smallest published
	months[8].Mandats = 3    // two hidden already: nothing more to hide
	months[2].Personnes = 12 // alone in its series, above the threshold
	st := store.Stats{Months: months, Totals: store.StatsCounts{Demarches: 1234567, Aidants: 7},
		Demarches: []store.StatsDemarche{{Key: "papiers", Year: 40, Total: 90}, {Key: "famille", Year: 2, Total: 2}, {Key: "social", Year: 0, Total: 30}}}
	p := st.Publish()
	hidden := func(fs ...store.Figure) (out []bool) {
		for _, f := range fs {
			out = append(out, f.Hidden)
		}
		return out
	}
	var dem, man []store.Figure
	for _, m := range p.Months {
		dem, man = append(dem, m.Demarches), append(man, m.Mandats)
	}
	want := func(is ...int) []bool {
		out := make([]bool, store.StatsMonths)
		for _, i := range is {
			out[i] = true
		}
		return out
	}
	if got := hidden(dem...); !reflect.DeepEqual(got, want(0, 3)) {
		t.Errorf("démarches hidden = %v", got)
	}
	if got := hidden(man...); !reflect.DeepEqual(got, want(6, 8)) {
		t.Errorf("mandats hidden = %v", got)
	}
	if p.Months[2].Personnes.Hidden || p.Months[2].Personnes.N != 12 || p.Months[5].Mandats.Hidden || p.Months[7].Mandats.N != 11 {
		t.Errorf("published figures: %+v %+v %+v", p.Months[2].Personnes, p.Months[5].Mandats, p.Months[7].Mandats)
	}
	for _, f := range append(dem, man...) {
		if f.Hidden && f.N != 0 {
			t.Fatalf("a hidden figure keeps its value %d", f.N)
		}
	}
	if !p.Totals.Aidants.Hidden || p.Totals.Aidants.String() != "moins de 11" || p.Totals.Aidants.CSV() != "<11" {
		t.Errorf("a small total: %+v %q", p.Totals.Aidants, p.Totals.Aidants.String())
	}
	if got := p.Totals.Demarches.String(); got != "1\u202f234\u202f567" || p.Totals.Demarches.CSV() != "1234567" {
		t.Errorf("a large total: %q", got)
	}
	// famille (2 in the year) is hidden, so is the smallest other: papiers (40); social's 0 stays.
	if got := hidden(p.Demarches[0].Year, p.Demarches[1].Year, p.Demarches[2].Year); !reflect.DeepEqual(got, []bool{true, true, false}) {
		t.Errorf("démarches of the year hidden = %v", got)
	}
	if got := hidden(p.Demarches[0].Total, p.Demarches[1].Total, p.Demarches[2].Total); !reflect.DeepEqual(got, []bool{false, true, true}) {
		t.Errorf("démarches in total hidden = %v", got)
	}
	if got := p.Months[3].Month.Format("2006-01"); got != "2026-04" {
		t.Errorf("month = %s", got)
	}
}

func TestStatsMonthStartsInParisAcrossDaylightSaving(t *testing.T) {
	t.Parallel()
	// 31 March 2027, 23:30 UTC is 1 April, 01:30 in Paris (summer time): April is the current month.
	b := store.StatsMonthStarts(time.Date(2027, 3, 31, 23, 30, 0, 0, time.UTC), parisLoc)
	if len(b) != store.StatsMonths+1 || b[store.StatsMonths-1].Format("2006-01-02 15:04 MST") != "2027-04-01 00:00 CEST" ||
		b[0].Format("2006-01-02 15:04 MST") != "2026-05-01 00:00 CEST" || b[store.StatsMonths].Format("2006-01-02") != "2027-05-01" {
		t.Fatalf("bounds: %v", b)
	}
}
