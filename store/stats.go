package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// Public statistics are computed by a periodic job (RefreshStats), never by a request: the
// page reads one row (GetStats). Most figures could be counters kept as actions happen, but
// "mandats en vigueur" changes with the clock alone (mandats expire without any action), and
// "personnes accompagnées" counts distinct people, which no counter adds up; a recount from
// the tables is also exact by construction, with nothing to keep in step with every write
// path. The job costs a few scans per period, instead of one per request.

const (
	// StatsMonths is how many calendar months (Paris time) the monthly figures cover, the
	// current one included.
	StatsMonths = 12
	// StatsMinCount is the smallest count published: a figure from 1 to StatsMinCount-1 is
	// shown as "moins de 11", so that no figure points at a handful of people.
	StatsMinCount = 11
	// StatsRefreshEvery is how old the figures may get before the job recounts them.
	StatsRefreshEvery = time.Hour
)

// statsLock lets one app instance recount at a time.
const statsLock = 727_011_020

// Stats are the raw figures of one recount. They never leave the store unpublished: Publish
// applies the small-count rule.
type Stats struct {
	ComputedAt time.Time       `json:"computed_at"`
	Months     []StatsMonth    `json:"months"` // oldest first, StatsMonths of them, the current month last
	Totals     StatsCounts     `json:"totals"` // since the service opened; the stocks as of ComputedAt
	Demarches  []StatsDemarche `json:"demarches"`
}

// StatsCounts are one period's figures.
type StatsCounts struct {
	Demarches  int64 `json:"demarches"`  // démarches réalisées: use_autorisation entries
	Personnes  int64 `json:"personnes"`  // personnes accompagnées: distinct usagers among them
	Mandats    int64 `json:"mandats"`    // mandats created
	EnVigueur  int64 `json:"en_vigueur"` // mandats in force at the period's end
	Aidants    int64 `json:"aidants"`    // aidants habilités (new in the month; all, in the totals)
	Structures int64 `json:"structures"` // structures habilitées (new in the month; all, in the totals)
}

// StatsMonth is one calendar month's figures.
type StatsMonth struct {
	Month string `json:"month"` // "2026-03", Paris time
	StatsCounts
}

// StatsDemarche is one démarche's realised count.
type StatsDemarche struct {
	Key   string `json:"key"`
	Year  int64  `json:"year"`  // over the StatsMonths months
	Total int64  `json:"total"` // since the service opened
}

// statsRow is the one stored snapshot.
type statsRow struct {
	bun.BaseModel `bun:"table:stats_snapshots"`

	ID         int16           `bun:"id,pk"`
	ComputedAt time.Time       `bun:"computed_at"`
	Figures    json.RawMessage `bun:"figures,type:jsonb"`
}

// GetStats returns the published figures of the last recount, ErrNotFound before the first.
// It reads one row.
func (s *Store) GetStats(ctx context.Context) (*PublicStats, error) {
	row := new(statsRow)
	if err := s.db.NewSelect().Model(row).Where("id = 1").Scan(ctx); err != nil {
		return nil, notFound(err, "get stats")
	}
	var st Stats
	if err := json.Unmarshal(row.Figures, &st); err != nil {
		return nil, fmt.Errorf("decode stats: %w", err)
	}
	p := st.Publish()
	return &p, nil
}

// RefreshStats recounts the figures if the stored ones are older than maxAge (0: always),
// unless another instance is recounting. It reports whether it recounted. Every count reads
// one snapshot of the database (repeatable read).
func (s *Store) RefreshStats(ctx context.Context, maxAge time.Duration, loc *time.Location) (bool, error) {
	done := false
	err := s.db.RunInTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead}, func(ctx context.Context, tx bun.Tx) error {
		var locked bool
		if err := tx.NewRaw("SELECT pg_try_advisory_xact_lock(?)", statsLock).Scan(ctx, &locked); err != nil {
			return fmt.Errorf("stats lock: %w", err)
		}
		if !locked {
			return nil
		}
		now := s.Now()
		var last time.Time
		err := tx.NewSelect().Model((*statsRow)(nil)).Column("computed_at").Where("id = 1").Scan(ctx, &last)
		if err != nil && notFound(err, "") != ErrNotFound {
			return fmt.Errorf("stats age: %w", err)
		}
		if err == nil && maxAge > 0 && now.Sub(last) < maxAge {
			return nil
		}
		st, err := countStats(ctx, tx, now, loc)
		if err != nil {
			return err
		}
		b, err := json.Marshal(st)
		if err != nil {
			return fmt.Errorf("encode stats: %w", err)
		}
		row := &statsRow{ID: 1, ComputedAt: now, Figures: b}
		if _, err := tx.NewInsert().Model(row).On("CONFLICT (id) DO UPDATE").
			Set("computed_at = EXCLUDED.computed_at, figures = EXCLUDED.figures").Exec(ctx); err != nil {
			return fmt.Errorf("save stats: %w", err)
		}
		done = true
		return nil
	})
	return done, err
}

// StatsMonthStarts are the first instants of the StatsMonths months ending with now's, in
// loc, and the start of the next month: StatsMonths+1 bounds.
func StatsMonthStarts(now time.Time, loc *time.Location) []time.Time {
	t := now.In(loc)
	first := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc)
	out := make([]time.Time, StatsMonths+1)
	for i := range out {
		out[i] = first.AddDate(0, i-(StatsMonths-1), 0)
	}
	return out
}

// monthKey is the "YYYY-MM" of a month start (in its own location).
func monthKey(t time.Time) string { return t.Format("2006-01") }

// The SQL predicates of the figures, shared by the recount and the tests that check it.
const (
	// StatsAidantHabilite: an aidant who may act for usagers today: active, allowed to
	// create mandats, with a confirmed second factor, member of an active organisation.
	StatsAidantHabilite = `a.is_active AND a.can_create_mandats
		AND EXISTS (SELECT 1 FROM otp_devices AS d WHERE d.aidant_id = a.id AND d.confirmed)
		AND EXISTS (SELECT 1 FROM aidant_organisations AS ao JOIN organisations AS o ON o.id = ao.organisation_id
		            WHERE ao.aidant_id = a.id AND o.is_active)`
	// StatsStructureHabilitee: an active organisation with at least one aidant habilité.
	StatsStructureHabilitee = `o.is_active AND EXISTS (SELECT 1 FROM aidant_organisations AS ao JOIN aidants AS a ON a.id = ao.aidant_id
		WHERE ao.organisation_id = o.id AND ` + StatsAidantHabilite + `)`
	// statsMonthOf is a row's month in the service's calendar (the zone is the first argument).
	statsMonthOf = `to_char(%s AT TIME ZONE ?, 'YYYY-MM')`
)

// StatsInForceAt is the SQL predicate of a mandat (alias m) in force at the instant ? — the
// rule of (*Mandat).Status: created, not expired, not every autorisation revoked.
const StatsInForceAt = `m.created_at <= ? AND m.expires_at > ? AND (m.revoked_at IS NULL OR m.revoked_at > ?)`

type monthCount struct {
	Month string `bun:"month"`
	Key   string `bun:"key"`
	N     int64  `bun:"n"`
}

// countStats runs the recount's queries in tx.
func countStats(ctx context.Context, tx bun.Tx, now time.Time, loc *time.Location) (*Stats, error) {
	bounds := StatsMonthStarts(now, loc)
	start := bounds[0]
	st := &Stats{ComputedAt: now, Months: make([]StatsMonth, StatsMonths)}
	index := map[string]int{}
	for i := range st.Months {
		st.Months[i].Month = monthKey(bounds[i])
		index[st.Months[i].Month] = i
	}
	monthOf := func(col string) string { return fmt.Sprintf(statsMonthOf, col) }
	zone := loc.String()
	perMonth := func(what string, q string, args []any, set func(*StatsCounts, int64)) error {
		var rows []monthCount
		if err := tx.NewRaw(q, args...).Scan(ctx, &rows); err != nil {
			return fmt.Errorf("stats %s: %w", what, err)
		}
		for _, r := range rows {
			if i, ok := index[r.Month]; ok {
				set(&st.Months[i].StatsCounts, r.N)
			}
		}
		return nil
	}
	use := "j.action = '" + ActionUseAutorisation + "'"

	// Démarches réalisées, by month and démarche, then in total.
	var uses []monthCount
	if err := tx.NewRaw(`SELECT `+monthOf("j.created_at")+` AS month, j.demarche AS key, count(*) AS n
		FROM journal AS j WHERE `+use+` AND j.created_at >= ? GROUP BY 1, 2`, zone, start).Scan(ctx, &uses); err != nil {
		return nil, fmt.Errorf("stats uses: %w", err)
	}
	year := map[string]int64{}
	for _, r := range uses {
		if i, ok := index[r.Month]; ok {
			st.Months[i].Demarches += r.N
			year[r.Key] += r.N
		}
	}
	var totals []monthCount
	if err := tx.NewRaw(`SELECT j.demarche AS key, count(*) AS n FROM journal AS j WHERE `+use+` GROUP BY 1`).Scan(ctx, &totals); err != nil {
		return nil, fmt.Errorf("stats uses total: %w", err)
	}
	total := map[string]int64{}
	for _, r := range totals {
		total[r.Key] += r.N
		st.Totals.Demarches += r.N
	}
	for _, k := range DemarcheKeys() {
		st.Demarches = append(st.Demarches, StatsDemarche{Key: k, Year: year[k], Total: total[k]})
	}

	// Personnes accompagnées: distinct usagers a démarche was done for.
	if err := perMonth("personnes", `SELECT `+monthOf("j.created_at")+` AS month, count(DISTINCT j.usager_id) AS n
		FROM journal AS j WHERE `+use+` AND j.created_at >= ? GROUP BY 1`, []any{zone, start},
		func(c *StatsCounts, n int64) { c.Personnes = n }); err != nil {
		return nil, err
	}
	if err := tx.NewRaw(`SELECT count(DISTINCT j.usager_id) FROM journal AS j WHERE `+use).Scan(ctx, &st.Totals.Personnes); err != nil {
		return nil, fmt.Errorf("stats personnes total: %w", err)
	}

	// Mandats: created by month and in total, and in force at each month's end (now, for the
	// current month), in one pass over the table.
	if err := perMonth("mandats", `SELECT `+monthOf("m.created_at")+` AS month, count(*) AS n
		FROM mandats AS m WHERE m.created_at >= ? GROUP BY 1`, []any{zone, start},
		func(c *StatsCounts, n int64) { c.Mandats = n }); err != nil {
		return nil, err
	}
	cols := []string{"count(*)"}
	var args []any
	instants := append(slices.Clone(bounds[1:StatsMonths]), now)
	for _, t := range instants {
		cols = append(cols, "count(*) FILTER (WHERE "+StatsInForceAt+")")
		args = append(args, t, t, t)
	}
	counts := make([]int64, len(cols))
	dest := make([]any, len(cols))
	for i := range counts {
		dest[i] = &counts[i]
	}
	if err := tx.NewRaw("SELECT "+strings.Join(cols, ", ")+" FROM mandats AS m", args...).Scan(ctx, dest...); err != nil {
		return nil, fmt.Errorf("stats mandats: %w", err)
	}
	st.Totals.Mandats = counts[0]
	for i := range st.Months {
		st.Months[i].EnVigueur = counts[1+i]
	}
	st.Totals.EnVigueur = counts[len(counts)-1]

	// Aidants and structures habilités: today's, and those among them created in each month.
	if err := perMonth("aidants", `SELECT `+monthOf("a.created_at")+` AS month, count(*) AS n
		FROM aidants AS a WHERE a.created_at >= ? AND `+StatsAidantHabilite+` GROUP BY 1`, []any{zone, start},
		func(c *StatsCounts, n int64) { c.Aidants = n }); err != nil {
		return nil, err
	}
	if err := perMonth("structures", `SELECT `+monthOf("o.created_at")+` AS month, count(*) AS n
		FROM organisations AS o WHERE o.created_at >= ? AND `+StatsStructureHabilitee+` GROUP BY 1`, []any{zone, start},
		func(c *StatsCounts, n int64) { c.Structures = n }); err != nil {
		return nil, err
	}
	if err := tx.NewRaw(`SELECT (SELECT count(*) FROM aidants AS a WHERE `+StatsAidantHabilite+`),
		(SELECT count(*) FROM organisations AS o WHERE `+StatsStructureHabilitee+`)`).
		Scan(ctx, &st.Totals.Aidants, &st.Totals.Structures); err != nil {
		return nil, fmt.Errorf("stats habilités: %w", err)
	}
	return st, nil
}

// Figure is a published count: its value, or hidden by the small-count rule.
type Figure struct {
	N      int64
	Hidden bool
}

// String is the figure as the page and the CSV give it: "12 345" (thin spaces between
// thousands), or "moins de 11".
func (f Figure) String() string {
	if f.Hidden {
		return "moins de " + strconv.Itoa(StatsMinCount)
	}
	return groupThousands(f.N)
}

// CSV is the figure in the CSV download: digits only, or "<11".
func (f Figure) CSV() string {
	if f.Hidden {
		return "<" + strconv.Itoa(StatsMinCount)
	}
	return strconv.FormatInt(f.N, 10)
}

func groupThousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 && s[0] != '-' {
			b.WriteRune('\u202f')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// PublicCounts are one period's published figures.
type PublicCounts struct {
	Demarches, Personnes, Mandats, EnVigueur, Aidants, Structures Figure
}

// PublicMonth is one month's published figures.
type PublicMonth struct {
	Month time.Time // the month's first day (the year and month are what matters)
	PublicCounts
}

// PublicDemarche is one démarche's published counts.
type PublicDemarche struct {
	Demarche    Demarche
	Year, Total Figure
}

// PublicStats are the figures as published.
type PublicStats struct {
	ComputedAt time.Time
	Months     []PublicMonth
	Totals     PublicCounts
	Demarches  []PublicDemarche
}

// Publish applies the small-count rule: a count from 1 to StatsMinCount-1 is hidden; and in
// each series whose sum is known or published (a column of months, the démarches), when
// exactly one count is hidden, the next smallest one is hidden too, so that no hidden count
// can be recovered by subtraction. Zero is published: it concerns nobody.
func (st Stats) Publish() PublicStats {
	p := PublicStats{ComputedAt: st.ComputedAt, Months: make([]PublicMonth, len(st.Months)), Totals: publicCounts(st.Totals)}
	for i, m := range st.Months {
		t, _ := time.Parse("2006-01", m.Month)
		p.Months[i] = PublicMonth{Month: t, PublicCounts: publicCounts(m.StatsCounts)}
	}
	for col := range len(p.Totals.figures()) {
		series := make([]*Figure, len(p.Months))
		for i := range p.Months {
			series[i] = p.Months[i].figures()[col]
		}
		protect(series)
	}
	var year, total []*Figure
	for _, d := range st.Demarches {
		dm, ok := FindDemarche(d.Key)
		if !ok {
			continue
		}
		p.Demarches = append(p.Demarches, PublicDemarche{Demarche: dm, Year: figure(d.Year), Total: figure(d.Total)})
	}
	for i := range p.Demarches {
		year, total = append(year, &p.Demarches[i].Year), append(total, &p.Demarches[i].Total)
	}
	protect(year)
	protect(total)
	// A hidden figure keeps no value: nothing downstream can print or draw it by mistake.
	for _, f := range append(append(p.figures(), year...), total...) {
		if f.Hidden {
			f.N = 0
		}
	}
	return p
}

// figures are every published figure of the totals and the months.
func (p *PublicStats) figures() []*Figure {
	all := p.Totals.figures()
	for i := range p.Months {
		all = append(all, p.Months[i].figures()...)
	}
	return all
}

func (c *PublicCounts) figures() []*Figure {
	return []*Figure{&c.Demarches, &c.Personnes, &c.Mandats, &c.EnVigueur, &c.Aidants, &c.Structures}
}

func figure(n int64) Figure { return Figure{N: n, Hidden: n > 0 && n < StatsMinCount} }

func publicCounts(c StatsCounts) PublicCounts {
	return PublicCounts{Demarches: figure(c.Demarches), Personnes: figure(c.Personnes), Mandats: figure(c.Mandats),
		EnVigueur: figure(c.EnVigueur), Aidants: figure(c.Aidants), Structures: figure(c.Structures)}
}

// protect hides a second figure of the series when exactly one is hidden: the smallest other
// non-zero one.
func protect(series []*Figure) {
	hidden := 0
	var smallest *Figure
	for _, f := range series {
		switch {
		case f.Hidden:
			hidden++
		case f.N > 0 && (smallest == nil || f.N < smallest.N):
			smallest = f
		}
	}
	if hidden == 1 && smallest != nil {
		smallest.Hidden = true
	}
}
