package handlers_test

import (
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/app/apptest"
	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
)

func TestStatsPageBeforeTheFirstRecount(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	b := e.Browser()
	if r := b.Get(paths.Stats); r.Status != http.StatusOK || !strings.Contains(r.Body, "pas encore disponibles") {
		t.Fatalf("stats page: %d", r.Status)
	}
	if r := b.Get(paths.StatsCSV); r.Status != http.StatusNotFound {
		t.Fatalf("CSV before the first recount: %d", r.Status)
	}
}

func TestStatsPageShowsTheRecountedFigures(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	ctx := context.Background()
	if _, err := e.App.Store.SeedScale(ctx, store.ScaleOptions{Usagers: 600, PerOrg: 100, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	// A few aidants habilités: fewer than eleven, so hidden.
	org := e.Org("MFS")
	for i := range 3 {
		e.Aidant("h"+strconv.Itoa(i)+"@x.fr", org, true)
	}
	if _, err := e.App.Store.RefreshStats(ctx, 0, paris); err != nil {
		t.Fatal(err)
	}
	count := func(q string, args ...any) int64 {
		var n int64
		if err := e.App.DB.NewRaw(q, args...).Scan(ctx, &n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	now := e.Clock.Now()
	mandats := count("SELECT count(*) FROM mandats")
	inForce := count("SELECT count(*) FROM mandats WHERE expires_at > ? AND revoked_at IS NULL", now)

	r := e.Browser().Get(paths.Stats)
	if r.Status != http.StatusOK {
		t.Fatalf("stats page: %d", r.Status)
	}
	d := parseHTML(t, r.Body)
	figure := func(key string) string { return words(d.Find(`[data-indicateur="` + key + `"] p`).First()) }
	group := func(n int64) string { // "1 234": the page groups thousands (with a narrow no-break space, which words squashes)
		s := strconv.FormatInt(n, 10)
		for i := len(s) - 3; i > 0; i -= 3 {
			s = s[:i] + " " + s[i:]
		}
		return s
	}
	if got := figure("mandats_crees"); got != group(mandats) {
		t.Errorf("mandats créés: %q, SQL %d", got, mandats)
	}
	if got := figure("mandats_en_vigueur"); got != group(inForce) {
		t.Errorf("mandats en vigueur: %q, SQL %d", got, inForce)
	}
	if got := figure("aidants_habilites"); got != "moins de 11" {
		t.Errorf("3 aidants habilités are published: %q", got)
	}
	if got := figure("demarches_realisees"); got != "0" {
		t.Errorf("démarches réalisées without any use: %q", got)
	}
	rows, _ := cells(d, "#stats-table-mois")
	if len(rows) != store.StatsMonths || len(rows[0]) != 7 {
		t.Fatalf("monthly table: %d rows", len(rows))
	}
	var createdInYear int64
	for _, row := range rows {
		if row[3] != "moins de 11" {
			n, err := strconv.ParseInt(strings.ReplaceAll(row[3], " ", ""), 10, 64)
			if err != nil {
				t.Fatalf("mandats créés cell %q", row[3])
			}
			createdInYear += n
		}
	}
	if createdInYear == 0 {
		t.Error("no mandat created in the twelve months shown")
	}
	if rows, _ := cells(d, "#stats-table-demarches"); len(rows) != 10 || rows[0][0] != "Papiers - Citoyenneté - Élections" {
		t.Errorf("démarches table: %v", rows)
	}
	for _, id := range []string{"graphique-demarches", "graphique-domaines"} {
		svg := d.Find("svg#" + id)
		if svg.AttrOr("role", "") != "img" || svg.Find("title").Text() == "" || svg.Find("rect").Length() == 0 {
			t.Errorf("chart %s: role %q, title %q, %d bars", id, svg.AttrOr("role", ""), svg.Find("title").Text(), svg.Find("rect").Length())
		}
	}
	if d.Find("script:not([src])").Length() != 0 || strings.Contains(r.Body, "style=") {
		t.Error("inline script or style on the statistics page")
	}

	// The CSV: the same figures, one line per indicator, period and démarche.
	c := e.Browser().Get(paths.StatsCSV)
	if c.Status != http.StatusOK || !strings.HasPrefix(c.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV: %d %q", c.Status, c.Header.Get("Content-Type"))
	}
	recs, err := csv.NewReader(strings.NewReader(c.Body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1+6*store.StatsMonths+6+2*10 || strings.Join(recs[0], ",") != "indicateur,periode,demarche,valeur" {
		t.Fatalf("CSV: %d lines, header %v", len(recs), recs[0])
	}
	found := map[string]string{}
	for _, rec := range recs[1:] {
		found[rec[0]+"/"+rec[1]+"/"+rec[2]] = rec[3]
	}
	if found["mandats_crees/total/"] != strconv.FormatInt(mandats, 10) || found["aidants_habilites/total/"] != "<11" ||
		found["demarches_realisees/12_derniers_mois/famille"] != "0" {
		t.Errorf("CSV figures: mandats %q, aidants %q, famille %q", found["mandats_crees/total/"], found["aidants_habilites/total/"],
			found["demarches_realisees/12_derniers_mois/famille"])
	}
}

// TestStatsScale measures the statistics page on a database seeded at scale (`ac seed
// --scale`, see BENCHMARKS.md), skipped without AC_BENCH_DATABASE_URL: the recount the
// periodic job runs, then the page through the whole HTTP stack and, interleaved, the bare
// statement it sends (captured, replayed with database/sql). Numbers go to BENCHMARKS.md; the
// test asserts none.
func TestStatsScale(t *testing.T) {
	dsn := os.Getenv("AC_BENCH_DATABASE_URL")
	if dsn == "" {
		t.Skip("AC_BENCH_DATABASE_URL not set: no seeded database to measure")
	}
	seeded, err := app.Load(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	e := apptest.Start(t, func(c *app.Config) { c.DatabaseURL, c.SecretKey = dsn, seeded.SecretKey })
	ctx := context.Background()
	db := e.App.DB
	var usagers, mandats, uses int64
	_ = db.NewRaw("SELECT (SELECT count(*) FROM usagers), (SELECT count(*) FROM mandats), (SELECT count(*) FROM journal WHERE action = 'use_autorisation')").
		Scan(ctx, &usagers, &mandats, &uses)
	t.Logf("database: %d usagers, %d mandats, %d use_autorisation entries", usagers, mandats, uses)
	for i := range 3 {
		start := time.Now()
		if _, err := e.App.Store.RefreshStats(ctx, 0, paris); err != nil {
			t.Fatal(err)
		}
		t.Logf("recount %d: %v", i+1, time.Since(start).Round(time.Millisecond))
	}

	hook := &captureHook{}
	db.AddQueryHook(hook)
	hook.start()
	if _, err := e.App.Store.GetStats(context.WithValue(ctx, captureKey{}, true)); err != nil {
		t.Fatal(err)
	}
	sqls := hook.stop()
	bare := func() time.Duration {
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
	httpc := &http.Client{Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 4}}
	get := func(path string) time.Duration {
		req, _ := http.NewRequest(http.MethodGet, e.URL+path, nil)
		req.Header.Set("Accept-Encoding", "gzip, deflate, br")
		start := time.Now()
		resp, err := httpc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		d := time.Since(start)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %v", path, resp.StatusCode, err)
		}
		return d
	}
	var page, csvs, sql []time.Duration
	for i := range 2000 {
		if i%2 == 0 { // alternate which goes first, so neither always finds a warmer cache
			sql = append(sql, bare())
			page = append(page, get(paths.Stats))
		} else {
			page = append(page, get(paths.Stats))
			sql = append(sql, bare())
		}
		if i%10 == 0 {
			csvs = append(csvs, get(paths.StatsCSV))
		}
	}
	pct := func(ds []time.Duration, p float64) time.Duration {
		slices.Sort(ds)
		return ds[min(len(ds)-1, int(float64(len(ds))*p))]
	}
	t.Logf("statements per page: %d (%s)", len(sqls), strings.Join(sqls, "; "))
	t.Logf("page   n=%d p50 %6.2f ms p95 %6.2f ms p99 %6.2f ms", len(page), ms(pct(page, .5)), ms(pct(page, .95)), ms(pct(page, .99)))
	t.Logf("CSV    n=%d p50 %6.2f ms p95 %6.2f ms p99 %6.2f ms", len(csvs), ms(pct(csvs, .5)), ms(pct(csvs, .95)), ms(pct(csvs, .99)))
	t.Logf("bare   n=%d p50 %6.2f ms p95 %6.2f ms p99 %6.2f ms", len(sql), ms(pct(sql, .5)), ms(pct(sql, .95)), ms(pct(sql, .99)))
}
