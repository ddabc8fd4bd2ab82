package handlers_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
)

// TestReferentAidantsScale measures the aidants list of an organisation of 500 aidants:
// the request through the whole HTTP stack (loopback TCP, middleware, session, store, templ,
// compression) against the bare SQL statements ListManagedAidants sends for it, replayed in
// the same run, interleaved. It asserts what the list shows, never a time; the numbers go to
// BENCHMARKS.md. AC_REFERENT_SCALE_ROUNDS sets the rounds (default 3, BENCHMARKS.md used 40):
//
//	AC_REFERENT_SCALE_ROUNDS=40 go test ./handlers -run TestReferentAidantsScale -count=1 -v
func TestReferentAidantsScale(t *testing.T) {
	rounds := 3
	if n, err := strconv.Atoi(os.Getenv("AC_REFERENT_SCALE_ROUNDS")); err == nil && n > 0 {
		rounds = n
	}
	const size = 500
	w := newRefWorld(t)
	ctx := context.Background()
	db := w.e.App.DB
	// 500 members of a, by SQL: a tenth deactivated, a third with an app, a third with a carte.
	_, err := db.ExecContext(ctx, `WITH a AS (
		INSERT INTO aidants (email, first_name, last_name, profession, current_organisation_id, can_create_mandats, is_active)
		SELECT 'aidant' || g || '@scale.example.fr',
			(ARRAY['Jean','Marie','Hélène','Karim','Fatou','Léa','Paul','Zoé','Nicolas','Amina'])[1 + g % 10],
			(ARRAY['Dupont','Martin','Lefèvre','N''Diaye','Nguyen','Moreau','Çelik','Garcia','Bernard','Petit'])[1 + (g / 10) % 10] || '-' || g,
			'Conseiller', ?, true, g % 10 <> 0
		FROM generate_series(1, ?) AS g RETURNING id)
		INSERT INTO aidant_organisations (aidant_id, organisation_id) SELECT id, ? FROM a`, w.a.ID, size, w.a.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO otp_devices (aidant_id, kind, seed_enc, step, tolerance, confirmed)
		 SELECT id, 'app', '\x00'::bytea, 30, 1, true FROM aidants WHERE email LIKE '%@scale.example.fr' AND id % 3 = 0`,
		`INSERT INTO cartes_totp (serial_number, seed_enc) SELECT 'SCALE' || id, '\x00'::bytea FROM aidants WHERE email LIKE '%@scale.example.fr' AND id % 3 = 1`,
		`INSERT INTO otp_devices (aidant_id, kind, carte_id, seed_enc, step, tolerance, confirmed)
		 SELECT a.id, 'carte', c.id, '\x00'::bytea, 60, 1, a.id % 2 = 0 FROM aidants a JOIN cartes_totp c ON c.serial_number = 'SCALE' || a.id`,
		`ANALYZE`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	var cookies []string
	for k, v := range w.browser.Jar {
		cookies = append(cookies, k+"="+v)
	}
	httpc := &http.Client{Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 4}}
	get := func(path string, fragment bool) (time.Duration, string) {
		req, _ := http.NewRequest(http.MethodGet, w.e.URL+path, nil)
		req.Header.Set("Cookie", strings.Join(cookies, "; "))
		req.Header.Set("Accept-Encoding", "gzip, deflate, br")
		if fragment {
			req.Header.Set("HX-Request", "true")
			req.Header.Set("HX-Target", "aidants-results")
		}
		start := time.Now()
		resp, err := httpc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		d := time.Since(start)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %v", path, resp.StatusCode, err)
		}
		return d, string(body)
	}
	hook := &captureHook{}
	db.AddQueryHook(hook)
	statements := func(f store.AidantFilter) []string {
		hook.start()
		if _, err := w.e.App.Store.ListManagedAidants(context.WithValue(ctx, captureKey{}, true), w.scope(), f); err != nil {
			t.Fatal(err)
		}
		return hook.stop()
	}
	bare := func(sqls []string) time.Duration {
		start := time.Now()
		for _, s := range sqls {
			rows, err := db.QueryContext(ctx, s)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
			}
			if err := rows.Close(); err != nil {
				t.Fatal(err)
			}
		}
		return time.Since(start)
	}

	// What the list must show, checked once on the uncompressed page.
	l, err := w.e.App.Store.ListManagedAidants(ctx, w.scope(), store.AidantFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if l.Counts[store.AidantsAll] != size+1 || len(l.Rows) != store.AidantsPageSize || l.Pages != (size+1+store.AidantsPageSize-1)/store.AidantsPageSize ||
		l.Counts[store.AidantsInactive] != size/10 {
		t.Fatalf("list of %d aidants: counts %v, %d rows, %d pages", size, l.Counts, len(l.Rows), l.Pages)
	}
	if rows, _ := cells(parseHTML(t, w.browser.Get(paths.ReferentAidantsFiltered("", "", 3)).Body), "#aidants-results"); len(rows) != store.AidantsPageSize {
		t.Fatalf("page 3 shows %d rows", len(rows))
	}

	type probe struct {
		name     string
		path     string
		fragment bool
		filter   store.AidantFilter
	}
	probes := []probe{
		{"page entière, page 1", paths.ReferentAidants, false, store.AidantFilter{WithRequests: true}},
		{"page entière, page 6", paths.ReferentAidantsFiltered("", "", 6), false, store.AidantFilter{Page: 6, WithRequests: true}},
		{"filtre « ma » (fragment)", paths.ReferentAidantsFiltered("ma", "", 1), true, store.AidantFilter{Query: "ma"}},
		{"filtre « dupont jean »", paths.ReferentAidantsFiltered("dupont jean", "", 1), true, store.AidantFilter{Query: "dupont jean"}},
		{"sans moyen de connexion", paths.ReferentAidantsFiltered("", "sans-connexion", 1), true, store.AidantFilter{Status: store.AidantsNoDevice}},
	}
	type sample struct{ http, sql time.Duration }
	results := make([][]sample, len(probes))
	bytes := make([]int, len(probes))
	for round := range rounds {
		for i, p := range probes {
			sqls := statements(p.filter)
			var s sample
			if round%2 == 0 { // alternate which goes first, so that neither always finds a warmer cache
				s.sql = bare(sqls)
				s.http, _ = get(p.path, p.fragment)
			} else {
				var body string
				s.http, body = get(p.path, p.fragment)
				s.sql = bare(sqls)
				bytes[i] = len(body)
			}
			results[i] = append(results[i], s)
		}
	}
	pct := func(ds []time.Duration, p float64) time.Duration {
		slices.Sort(ds)
		return ds[min(len(ds)-1, int(float64(len(ds))*p))]
	}
	load, _ := os.ReadFile("/proc/loadavg")
	t.Logf("%d aidants, %d rounds, load average %s", size+1, rounds, strings.TrimSpace(string(load)))
	var allH, allS []time.Duration
	for i, p := range probes {
		var h, s []time.Duration
		for _, x := range results[i] {
			h, s = append(h, x.http), append(s, x.sql)
		}
		allH, allS = append(allH, h...), append(allS, s...)
		t.Logf("%-28s HTTP p50 %6.2f ms p95 %6.2f ms | bare SQL p50 %6.2f ms p95 %6.2f ms | p95 ratio %.1f× | %d B compressed",
			p.name, ms(pct(h, .5)), ms(pct(h, .95)), ms(pct(s, .5)), ms(pct(s, .95)), float64(pct(h, .95))/float64(pct(s, .95)), bytes[i])
	}
	t.Logf("%-28s HTTP p50 %6.2f ms p95 %6.2f ms | bare SQL p50 %6.2f ms p95 %6.2f ms | p95 ratio %.1f×",
		"toutes", ms(pct(allH, .5)), ms(pct(allH, .95)), ms(pct(allS, .5)), ms(pct(allS, .95)), float64(pct(allH, .95))/float64(pct(allS, .95)))
	for _, s := range statements(store.AidantFilter{Query: "dupont jean"}) {
		var plan []string
		if err := db.NewRaw("EXPLAIN (ANALYZE, BUFFERS) "+s).Scan(ctx, &plan); err != nil {
			t.Fatal(err)
		}
		t.Logf("EXPLAIN (ANALYZE, BUFFERS) q=dupont jean:\n%s\n%s", s, strings.Join(plan, "\n"))
	}
}
