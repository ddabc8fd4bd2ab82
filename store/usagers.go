package store

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/uptrace/bun"
)

// UsagerTab is one tab of the usagers list: the organisation's mandats of one status.
type UsagerTab string

const (
	TabActifs   UsagerTab = "actifs"
	TabExpires  UsagerTab = "expires"
	TabRevoques UsagerTab = "revoques"
)

// UsagerTabs lists the tabs in display order.
func UsagerTabs() []UsagerTab { return []UsagerTab{TabActifs, TabExpires, TabRevoques} }

// ParseUsagerTab reads a tab name; anything else is the first tab.
func ParseUsagerTab(s string) UsagerTab {
	for _, t := range UsagerTabs() {
		if string(t) == s {
			return t
		}
	}
	return TabActifs
}

// TabOf is the tab a mandat of that status is listed in.
func TabOf(st MandatStatus) UsagerTab {
	switch st {
	case StatusRevoked:
		return TabRevoques
	case StatusExpired:
		return TabExpires
	}
	return TabActifs
}

const (
	// UsagersPerPage is the size of one page of the usagers list.
	UsagersPerPage = 20
	// MaxSearchLen bounds the search box (runes): longer is a form error.
	MaxSearchLen = 100
	// ExpiresSoonWithin is when an active mandat gets the "expire bientôt" badge.
	ExpiresSoonWithin = 30 * 24 * time.Hour
)

// UsagerSearch is what the usagers list is asked for.
type UsagerSearch struct {
	Query string
	Tab   UsagerTab
	Page  int // from 1
	// Soon narrows the actifs tab to the usagers with a mandat in force that ends within
	// ExpiresSoonWithin (the home's notice links there); ignored on the other tabs.
	Soon bool
}

// UsagerCounts is how many usagers each tab holds (for the search, if any): those with at
// least one visible mandat of that status. A usager may be in several tabs; Usagers counts
// each once.
type UsagerCounts struct {
	Actifs   int `bun:"actifs"`
	Expires  int `bun:"expires"`
	Revoques int `bun:"revoques"`
	Usagers  int `bun:"usagers"`
	// Soon is how many usagers of the actifs tab have a mandat ending within
	// ExpiresSoonWithin, SoonMandats how many such mandats there are (CountExpiringSoon's
	// figure, for the same search).
	Soon        int `bun:"soon"`
	SoonMandats int `bun:"soon_mandats"`
}

// Of is the count of one tab.
func (c UsagerCounts) Of(t UsagerTab) int {
	switch t {
	case TabExpires:
		return c.Expires
	case TabRevoques:
		return c.Revoques
	}
	return c.Actifs
}

// Total is the number of usagers listed, whatever the tab.
func (c UsagerCounts) Total() int { return c.Usagers }

// UsagerRow is one line of the list: a usager, and their mandats of the tab summarised.
type UsagerRow struct {
	UsagerID          int64     `bun:"usager_id"`
	GivenName         string    `bun:"given_name"`
	FamilyName        string    `bun:"family_name"`
	PreferredUsername string    `bun:"preferred_username"`
	Gender            string    `bun:"gender"`
	Birthdate         time.Time `bun:"birthdate,type:date"`
	Mandats           int       `bun:"mandats"` // the usager's visible mandats of the tab
	// Ends are when each of them ends, soonest first: its end date, or in the revoked tab
	// the date it was revoked.
	Ends []time.Time `bun:"ends,array"`
	// Demarches are the keys shown as tags, in catalogue order, over the tab's mandats: the
	// autorisations still in force for active mandats, all of them otherwise.
	Demarches []string  `bun:"demarches,array"`
	Tab       UsagerTab `bun:"-"`
}

// Usager is the row's person, for names.
func (r UsagerRow) Usager() *Usager {
	return &Usager{ID: r.UsagerID, GivenName: r.GivenName, FamilyName: r.FamilyName, PreferredUsername: r.PreferredUsername,
		Gender: r.Gender, Birthdate: r.Birthdate}
}

// ExpiresSoon is an active mandat of the row ending within ExpiresSoonWithin.
func (r UsagerRow) ExpiresSoon(now time.Time) bool {
	return r.Tab == TabActifs && len(r.Ends) > 0 && r.Ends[0].After(now) && r.Ends[0].Sub(now) <= ExpiresSoonWithin
}

// Renewable: the row's mandats are active or expired (a revoked one is not renewed; the
// usager's page offers the renewal of what they still have).
func (r UsagerRow) Renewable() bool { return r.Tab != TabRevoques }

// UsagerList is one page of one tab, with the counts of every tab.
type UsagerList struct {
	Search UsagerSearch // as served: the page clamped to the pages there are
	Words  []string     // the query's words, each of which matched
	Counts UsagerCounts
	Rows   []UsagerRow
	Pages  int // at least 1
}

// SearchWords splits a query into the words that must each match: spaces, control characters,
// punctuation and bytes that are not UTF-8 separate words; hyphens and apostrophes do not
// ("Jean-François", "N'Diaye" stay whole, and the database drops them on both sides); % and _
// are literal characters of a word, never LIKE wildcards (see unmatchable).
func SearchWords(q string) []string {
	words := strings.FieldsFunc(q, func(r rune) bool {
		if isJoiner(r) || isLiteral(r) {
			return false
		}
		return unicode.IsSpace(r) || unicode.IsControl(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) // U+FFFD, for bad bytes, is a symbol
	})
	out := words[:0]
	for _, w := range words {
		if strings.IndexFunc(w, func(r rune) bool { return !isJoiner(r) }) >= 0 {
			out = append(out, w)
		}
	}
	return out
}

// isLiteral: % and _ mean themselves in a query.
func isLiteral(r rune) bool { return r == '%' || r == '_' }

// unmatchable reports words no name can match: one holding % or _ literally, which the stored
// names never hold (f_search_text turns punctuation into spaces).
func unmatchable(words []string) bool {
	for _, w := range words {
		if strings.IndexFunc(w, isLiteral) >= 0 {
			return true
		}
	}
	return false
}

func isJoiner(r rune) bool { return strings.ContainsRune("-'’ʼ‘`´‐‑", r) }

// usagerFilter is the WHERE clause of the list, over the organisation's usagers (one row per
// usager with a mandat there, see the migration creating organisation_usagers): the
// organisation, a mandat not outdated, and every word of the query a substring of the
// usager's normalised names (the copy of usagers.search_name). Each pattern is an immutable
// expression of a constant, so the planner folds it to '%word%' and filters the entries of
// the organisation's list index with it.
func usagerFilter(orgID int64, now time.Time, words []string) (string, []any) {
	where := "o.organisation_id = ? AND o.visible_until >= ?"
	args := []any{orgID, now.Add(-outdatedAfter)}
	for _, w := range words {
		where += " AND o.usager_search LIKE '%' || public.f_search_text(?) || '%'"
		args = append(args, w)
	}
	return where, args
}

// usagerTabFilter selects the usagers of one tab, those with at least one mandat that
// tabFilter lists there, from the instants their row keeps.
func usagerTabFilter(t UsagerTab, now time.Time) (string, []any) {
	switch t {
	case TabExpires:
		return "o.expiries && tstzrange(?, ?, '[]')", []any{now.Add(-outdatedAfter), now}
	case TabRevoques:
		return "o.revoked_until >= ?", []any{now.Add(-outdatedAfter)}
	}
	return "o.active_until > ?", []any{now}
}

// usagerSoonFilter selects the usagers with a mandat in force ending within
// ExpiresSoonWithin (soonFilter's mandats), from the ends of the unrevoked mandats their row keeps.
func usagerSoonFilter(now time.Time) (string, []any) {
	return "o.expiries && tstzrange(?, ?, '(]')", []any{now, now.Add(ExpiresSoonWithin)}
}

// tabFilter selects one tab's visible mandats: the SQL form of UsagerRow.Status.
func tabFilter(t UsagerTab, now time.Time) (string, []any) {
	visible := "least(m.expires_at, coalesce(m.revoked_at, 'infinity')) >= ?"
	switch t {
	case TabExpires:
		return "m.revoked_at IS NULL AND m.expires_at <= ? AND " + visible, []any{now, now.Add(-outdatedAfter)}
	case TabRevoques:
		return "m.revoked_at IS NOT NULL AND " + visible, []any{now.Add(-outdatedAfter)}
	}
	return "m.revoked_at IS NULL AND m.expires_at > ?", []any{now}
}

// soonFilter selects the mandats in force ending within ExpiresSoonWithin: the range of
// mandats_in_force_end_idx that CountExpiringSoon counts.
func soonFilter(now time.Time) (string, []any) {
	return "m.revoked_at IS NULL AND m.expires_at > ? AND m.expires_at <= ?", []any{now, now.Add(ExpiresSoonWithin)}
}

// listFilter selects the mandats listed: the tab's, narrowed to those ending soon when the
// search asks for it on the actifs tab.
func listFilter(q UsagerSearch, now time.Time) (string, []any) {
	if q.Soon && q.Tab == TabActifs {
		return soonFilter(now)
	}
	return tabFilter(q.Tab, now)
}

// ListUsagers returns one page of the organisation's usagers in one tab (those with a visible
// mandat of that status), by name, with the count of each tab. A query narrows the three tabs
// alike. Both statements read the organisation's entries of organisation_usagers' list index,
// one per person, in order: the counts without sorting them, the page stopping at its last
// usager; then only the page's usagers, mandats and autorisations are read.
func (s *Store) ListUsagers(ctx context.Context, orgID int64, q UsagerSearch) (*UsagerList, error) {
	now := s.Now()
	l := &UsagerList{Search: q, Words: SearchWords(q.Query)}
	l.Search.Tab = ParseUsagerTab(string(q.Tab))
	l.Search.Soon = q.Soon && l.Search.Tab == TabActifs
	if unmatchable(l.Words) {
		l.Pages, l.Search.Page = 1, 1
		return l, nil
	}
	where, args := usagerFilter(orgID, now, l.Words)
	// Each tab is counted with the filter that lists it, so a count always matches its pages.
	var counts []string
	var countArgs []any
	for _, t := range UsagerTabs() {
		tab, tabArgs := usagerTabFilter(t, now)
		counts = append(counts, "count(*) FILTER (WHERE "+tab+") AS "+string(t))
		countArgs = append(countArgs, tabArgs...)
	}
	// The actifs tab narrowed to the mandats ending soon: its usagers from their rows' ends,
	// its mandats (CountExpiringSoon's, under the same words) from mandats_in_force_end_idx.
	usoon, usoonArgs := usagerSoonFilter(now)
	soon, soonArgs := soonFilter(now)
	msoon, msoonArgs := "m.organisation_id = ? AND "+soon, append([]any{orgID}, soonArgs...)
	for _, w := range l.Words {
		msoon += " AND m.usager_search LIKE '%' || public.f_search_text(?) || '%'"
		msoonArgs = append(msoonArgs, w)
	}
	counts = append(counts, "count(*) FILTER (WHERE "+usoon+") AS soon", "(SELECT count(*) FROM mandats AS m WHERE "+msoon+") AS soon_mandats")
	countArgs = append(append(countArgs, usoonArgs...), msoonArgs...)
	err := s.db.NewRaw("SELECT "+strings.Join(counts, ", ")+", count(*) AS usagers FROM organisation_usagers AS o WHERE "+where,
		append(countArgs, args...)...).Scan(ctx, &l.Counts)
	if err != nil {
		return nil, fmt.Errorf("count usagers: %w", err)
	}
	n := l.Counts.Of(l.Search.Tab)
	if l.Search.Soon {
		n = l.Counts.Soon
	}
	l.Pages = max(1, (n+UsagersPerPage-1)/UsagersPerPage)
	l.Search.Page = min(max(1, q.Page), l.Pages)
	if n == 0 {
		return l, nil
	}
	utab, utabArgs := usagerTabFilter(l.Search.Tab, now)
	if l.Search.Soon {
		utab, utabArgs = usoon, usoonArgs
	}
	tab, tabArgs := listFilter(l.Search, now)
	end := "m.expires_at"
	if l.Search.Tab == TabRevoques {
		end = "m.revoked_at"
	}
	args = append(append(args, utabArgs...), UsagersPerPage, (l.Search.Page-1)*UsagersPerPage, now, orgID)
	args = append(args, tabArgs...)
	// The page's usagers first (in index order, stopping after the page), then each one's
	// mandats of the tab, their names and the démarches of those mandats only.
	err = s.db.NewRaw(`WITH page AS (
		SELECT o.usager_sort, o.usager_id FROM organisation_usagers AS o
		WHERE `+where+` AND `+utab+`
		ORDER BY o.usager_sort, o.usager_id
		LIMIT ? OFFSET ?)
		SELECT p.usager_id, cardinality(x.mandat_ids) AS mandats, x.ends,
		u.given_name, u.family_name, u.preferred_username, u.gender, u.birthdate,
		ARRAY(SELECT DISTINCT a.demarche FROM autorisations AS a JOIN mandats AS am ON am.id = a.mandat_id
		      WHERE a.mandat_id = ANY(x.mandat_ids)
		      AND (a.revoked_at IS NULL OR am.revoked_at IS NOT NULL OR am.expires_at <= ?)) AS demarches
		FROM page AS p JOIN usagers AS u ON u.id = p.usager_id
		CROSS JOIN LATERAL (SELECT array_agg(m.id) AS mandat_ids, array_agg(`+end+` ORDER BY `+end+`) AS ends
		      FROM mandats AS m WHERE m.organisation_id = ? AND m.usager_id = p.usager_id AND `+tab+`) AS x
		ORDER BY p.usager_sort, p.usager_id`, args...).Scan(ctx, &l.Rows)
	if err != nil {
		return nil, fmt.Errorf("list usagers: %w", err)
	}
	for i := range l.Rows {
		l.Rows[i].Demarches = orderedDemarches(l.Rows[i].Demarches)
		l.Rows[i].Tab = l.Search.Tab
	}
	return l, nil
}

// UsagerFile is a usager as one organisation sees them: identity and visible mandats.
type UsagerFile struct {
	Usager  *Usager
	Mandats []Mandat // not outdated, newest first, with autorisations (by id) and creator
	// CancelledMandats are the mandats whose revocation was asked as a whole (cancel_mandat
	// journaled): those have a mandat revocation attestation.
	CancelledMandats map[int64]bool
}

// GetUsagerFile returns the usager and their visible mandats with the organisation. A usager
// with none (another organisation's, unknown, or only outdated mandats) is ErrNotFound.
func (s *Store) GetUsagerFile(ctx context.Context, orgID, usagerID int64) (*UsagerFile, error) {
	now := s.Now()
	var ms []Mandat
	err := s.db.NewSelect().Model(&ms).Relation("Usager").Relation("CreatedBy").
		Relation("Autorisations", func(q *bun.SelectQuery) *bun.SelectQuery { return q.OrderExpr("id") }).
		Where("mandat.organisation_id = ? AND mandat.usager_id = ?", orgID, usagerID).
		Where("least(mandat.expires_at, coalesce(mandat.revoked_at, 'infinity')) >= ?", now.Add(-outdatedAfter)).
		OrderExpr("mandat.created_at DESC, mandat.id DESC").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("usager mandats: %w", err)
	}
	if len(ms) == 0 {
		return nil, ErrNotFound
	}
	f := &UsagerFile{Usager: ms[0].Usager, Mandats: ms}
	if f.CancelledMandats, err = s.cancelledMandats(ctx, orgID, ms); err != nil {
		return nil, err
	}
	return f, nil
}

// cancelledMandats says which of these (revoked) mandats were revoked as a whole.
func (s *Store) cancelledMandats(ctx context.Context, orgID int64, ms []Mandat) (map[int64]bool, error) {
	return s.cancelledMandatsIn(ctx, byOrganisation(orgID), ms)
}

// cancelledMandatsIn is cancelledMandats for mandats of the scope (the journal has both
// columns a scope names).
func (s *Store) cancelledMandatsIn(ctx context.Context, scope mandatScope, ms []Mandat) (map[int64]bool, error) {
	out := map[int64]bool{}
	var ids []int64
	now := s.Now()
	for i := range ms {
		if ms[i].Status(now) == StatusRevoked {
			ids = append(ids, ms[i].ID)
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	var found []int64
	err := s.db.NewSelect().Model((*JournalEntry)(nil)).Column("mandat_id").
		Where("mandat_id IN (?) AND action = ?", bun.In(ids), ActionCancelMandat).Where(scope.column+" = ?", scope.id).Scan(ctx, &found)
	if err != nil {
		return nil, fmt.Errorf("cancelled mandats: %w", err)
	}
	for _, id := range found {
		out[id] = true
	}
	return out, nil
}

// CountExpiringSoon is how many of the organisation's mandats in force end within
// ExpiresSoonWithin (the espace aidant's home says so, with a link to the list).
func (s *Store) CountExpiringSoon(ctx context.Context, orgID int64) (int, error) {
	now := s.Now()
	n, err := s.db.NewSelect().Model((*Mandat)(nil)).
		Where("organisation_id = ? AND revoked_at IS NULL AND expires_at > ? AND expires_at <= ?", orgID, now, now.Add(ExpiresSoonWithin)).
		Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("count expiring mandats: %w", err)
	}
	return int(n), nil
}
