package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"
)

// Lifetimes of the FI flow (FRANCECONNECT.md §1).
const (
	IdPFlowTTL        = 5 * time.Minute  // /authorize → code: the aidant's whole flow
	IdPCodeTTL        = 60 * time.Second // code → token
	idpFlowPurgeAfter = time.Hour        // a flow row (and its tokens) is forgotten after this
)

var (
	// ErrIdPFlowExpired means the flow is past its 5 minutes, or already finished.
	ErrIdPFlowExpired = errors.New("idp flow expired or finished")
	// ErrIdPNoAutorisation means the usager has no active autorisation for what was asked.
	ErrIdPNoAutorisation = errors.New("no active autorisation")
	// Code exchange refusals, all invalid_grant for the client.
	ErrIdPCodeUnknown  = errors.New("unknown code")
	ErrIdPCodeReplayed = errors.New("code already used; its tokens are revoked")
	ErrIdPCodeExpired  = errors.New("code expired")
	ErrIdPCodeMismatch = errors.New("code issued to another client or redirect URI")
	// ErrIdPGrantEnded means what the code stood for no longer holds (idpGrantLive).
	ErrIdPGrantEnded = errors.New("autorisation revoked or expired, or aidant or organisation deactivated")
)

// idpGrantLive is the condition for a flow (aliased f) to still stand for what the aidant
// chose: its autorisation not revoked, its mandat not expired, the aidant active, still
// allowed to act for usagers and still a member of the organisation, the organisation active.
// /token and /userinfo test it in the very statement that spends the code or reads the token,
// so that a revocation or a deactivation takes effect at once. Its one argument is now.
const idpGrantLive = `EXISTS (SELECT 1 FROM autorisations AS a
	JOIN mandats AS m ON m.id = a.mandat_id
	JOIN aidants AS ad ON ad.id = f.aidant_id
	JOIN organisations AS o ON o.id = m.organisation_id
	JOIN aidant_organisations AS ao ON ao.aidant_id = ad.id AND ao.organisation_id = o.id
	WHERE a.id = f.autorisation_id AND m.organisation_id = f.organisation_id
	  AND a.revoked_at IS NULL AND m.expires_at > ?
	  AND ad.is_active AND ad.can_create_mandats AND o.is_active)`

// IdPFlow is one /authorize request, from FranceConnect's redirect to the code exchange.
type IdPFlow struct {
	bun.BaseModel `bun:"table:idp_flows,alias:idp_flow"`

	ID                int64    `bun:"id,pk,autoincrement"`
	TokenHash         []byte   `bun:"token_hash"`
	ClientID          string   `bun:"client_id"`
	RedirectURI       string   `bun:"redirect_uri"`
	State             string   `bun:"state"`
	Nonce             string   `bun:"nonce"`
	Scopes            []string `bun:"scopes,array"`
	RepScopeRequested bool     `bun:"rep_scope_requested"`
	RepScope          []string `bun:"rep_scope,array"`
	// RepScopeSpelling is how the request spelt each démarche of RepScope (key → value), for
	// the ID token to answer in the request's own spelling.
	RepScopeSpelling map[string]string `bun:"rep_scope_spelling,type:jsonb"`
	// RepScopeUnmatched: rep_scope named démarches, none of which is ours. Nothing is offered.
	RepScopeUnmatched   bool       `bun:"rep_scope_unmatched"`
	CodeChallenge       string     `bun:"code_challenge"`
	CodeChallengeMethod string     `bun:"code_challenge_method"`
	AidantID            *int64     `bun:"aidant_id"`
	OrganisationID      *int64     `bun:"organisation_id"`
	UsagerID            *int64     `bun:"usager_id"`
	AutorisationID      *int64     `bun:"autorisation_id"`
	Demarche            string     `bun:"demarche"`
	CodeHash            []byte     `bun:"code_hash"`
	CodeExpiresAt       *time.Time `bun:"code_expires_at"`
	CodeUsedAt          *time.Time `bun:"code_used_at"`
	CompletedAt         *time.Time `bun:"completed_at"`
	CreatedAt           time.Time  `bun:"created_at"`
	ExpiresAt           time.Time  `bun:"expires_at"`

	// covered: the démarches the usager's autorisations in force cover with the
	// organisation, when OpenIdPFlow read them (coveredRead). boundNow: this OpenIdPFlow bound
	// the flow to its aidant.
	covered     []string `bun:"-"`
	coveredRead bool     `bun:"-"`
	boundNow    bool     `bun:"-"`

	Client       *IdPClient    `bun:"rel:belongs-to,join:client_id=id"`
	Usager       *Usager       `bun:"rel:belongs-to,join:usager_id=id"`
	Autorisation *Autorisation `bun:"rel:belongs-to,join:autorisation_id=id"`
}

// Offered lists, in catalogue order, the démarches the aidant may choose: the organisation's,
// restricted to the requested rep_scope when it names any; none when it names only démarches
// that are not ours.
func (f *IdPFlow) Offered(org *Organisation) []string {
	if f.RepScopeUnmatched {
		return nil
	}
	var out []string
	for _, k := range DemarcheKeys() {
		if org.Allows(k) && (len(f.RepScope) == 0 || slices.Contains(f.RepScope, k)) {
			out = append(out, k)
		}
	}
	return out
}

// RepScopeAnswer is the chosen démarche as the ID token's rep_scope says it: in the request's
// spelling, else in the client's vocabulary. The flow's Client must be loaded.
func (f *IdPFlow) RepScopeAnswer() string {
	if v, ok := f.RepScopeSpelling[f.Demarche]; ok {
		return v
	}
	return f.Client.RepScopeValue(f.Demarche)
}

// ResponseURL is the client's redirect URI with params added to its query.
func (f *IdPFlow) ResponseURL(params url.Values) string {
	u, err := url.Parse(f.RedirectURI)
	if err != nil { // registered URIs were parsed at registration
		return f.RedirectURI
	}
	q := u.Query()
	for k, vs := range params {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// IdPFlowInput is an authorize request the provider has validated.
type IdPFlowInput struct {
	ClientID, RedirectURI, State, Nonce string
	Scopes                              []string
	RepScopeRequested                   bool
	RepScope                            []string          // démarche keys
	RepScopeSpelling                    map[string]string // key → the value as the request spelt it
	RepScopeUnmatched                   bool              // rep_scope named démarches, none of them ours
	CodeChallenge, CodeChallengeMethod  string
}

// CreateIdPFlow records an authorize request and returns the random token that names it in
// the aidant's pages (stored hashed). Old flows are purged by the background loop
// (PurgeExpired), not here.
func (s *Store) CreateIdPFlow(ctx context.Context, in IdPFlowInput) (string, error) {
	token, err := NewToken()
	if err != nil {
		return "", err
	}
	now := s.Now()
	f := &IdPFlow{TokenHash: HashToken(token), ClientID: in.ClientID, RedirectURI: in.RedirectURI, State: in.State,
		Nonce: in.Nonce, Scopes: in.Scopes, RepScopeRequested: in.RepScopeRequested, RepScope: orderedDemarches(in.RepScope),
		RepScopeSpelling: map[string]string{}, RepScopeUnmatched: in.RepScopeUnmatched && len(in.RepScope) == 0,
		CodeChallenge: in.CodeChallenge, CodeChallengeMethod: in.CodeChallengeMethod, CreatedAt: now, ExpiresAt: now.Add(IdPFlowTTL)}
	if f.RepScope == nil {
		f.RepScope = []string{}
	}
	for _, k := range f.RepScope {
		if v, ok := in.RepScopeSpelling[k]; ok {
			f.RepScopeSpelling[k] = v
		}
	}
	var async bool // navigation: committed without waiting for the disk (asyncCommit)
	if _, err := s.db.NewInsert().Model(f).Returning(s.navigationCommit()).Exec(ctx, &async); err != nil {
		return "", fmt.Errorf("create idp flow: %w", err)
	}
	return token, nil
}

// purgeIdPFlows forgets the flows (and their tokens) older than idpFlowPurgeAfter.
func (s *Store) purgeIdPFlows(ctx context.Context) error {
	_, err := s.db.NewDelete().Model((*IdPFlow)(nil)).Where("created_at < ?", s.Now().Add(-idpFlowPurgeAfter)).Exec(ctx)
	return notFound(err, "purge idp flows")
}

// idpActive is an autorisation (aliased a) of a mandat (aliased m) in force; its argument is now.
const idpActive = `a.revoked_at IS NULL AND m.expires_at > ?`

// idpFlowRow is a flow read with its usager and autorisation (LEFT JOINs aliased u and au) and,
// for the démarche choice, the démarches its usager's autorisations in force cover with its
// organisation.
type idpFlowRow struct {
	IdPFlow         `bun:",extend"`
	HasUsager       bool         `bun:"has_usager"`
	U               Usager       `bun:"embed:u_"`
	HasAutorisation bool         `bun:"has_autorisation"`
	Au              Autorisation `bun:"embed:au_"`
	Covered         []string     `bun:"covered,array"`
	BoundNow        bool         `bun:"bound_now"`
}

// idpFlowJoins is what idpFlowRow reads besides f.*: put after the flow's columns, with the
// FROM clause's f followed by idpFlowFrom.
var idpFlowColumns = sync.OnceValue(func() string {
	return `, u.id IS NOT NULL AS has_usager` + aliasedColumns("u", "u_", (*Usager)(nil)) +
		`, au.id IS NOT NULL AS has_autorisation` + aliasedColumns("au", "au_", (*Autorisation)(nil))
})

// idpFlowFrom joins the flow's usager (u) and autorisation (au), when it has them.
//
// Each is read by its primary key for the one flow, as a LATERAL subquery kept apart (OFFSET 0:
// PostgreSQL does not flatten it into a join). As plain LEFT JOINs after a data-modifying
// CTE, whose output the planner cannot estimate, the generic plan merge-joined them with the
// whole of the table's primary key, from its first row up to the flow's: with 150 000
// autorisations, /userinfo took 30 ms in PostgreSQL instead of 0.3 (BENCHMARKS.md § Throughput).
const idpFlowFrom = ` LEFT JOIN LATERAL (SELECT * FROM usagers WHERE id = f.usager_id OFFSET 0) AS u ON true` +
	` LEFT JOIN LATERAL (SELECT * FROM autorisations WHERE id = f.autorisation_id OFFSET 0) AS au ON true`

// flow is the row's flow with its usager, autorisation and client.
func (s *Store) flow(ctx context.Context, r *idpFlowRow, covered bool) (*IdPFlow, error) {
	f := &r.IdPFlow
	if r.HasUsager {
		u := r.U
		f.Usager = &u
	}
	if r.HasAutorisation {
		a := r.Au
		f.Autorisation = &a
	}
	f.covered, f.coveredRead, f.boundNow = r.Covered, covered, r.BoundNow
	c, err := s.GetIdPClient(ctx, f.ClientID)
	if err != nil {
		return nil, fmt.Errorf("idp flow client: %w", err)
	}
	f.Client = c
	return f, nil
}

// OpenIdPFlow returns the flow for the aidant's pages, with its client and usager. The first
// aidant to open it owns it, in their current organisation; anyone else gets ErrNotFound. One
// statement: it binds an unbound flow, or reads a bound one (of two aidants opening it at once,
// the second's update waits for the first's and then finds it bound).
func (s *Store) OpenIdPFlow(ctx context.Context, token string, aidantID, orgID int64) (*IdPFlow, error) {
	now := s.Now()
	var r idpFlowRow
	err := s.scanHot(ctx, &r, `WITH bound AS (
	UPDATE idp_flows SET aidant_id = ?0, organisation_id = ?1 WHERE token_hash = ?2 AND aidant_id IS NULL AND `+s.navigationCommit()+` RETURNING *
), f AS (
	SELECT *, true AS bound_now FROM bound UNION ALL SELECT *, false FROM idp_flows WHERE token_hash = ?2 AND aidant_id IS NOT NULL
)
SELECT f.*`+idpFlowColumns()+`, ARRAY(SELECT DISTINCT a.demarche FROM autorisations AS a JOIN mandats AS m ON m.id = a.mandat_id
	WHERE `+strings.ReplaceAll(idpActive, "?", "?3")+` AND m.usager_id = f.usager_id AND m.organisation_id = f.organisation_id) AS covered
FROM f`+idpFlowFrom, aidantID, orgID, HashToken(token), now)
	if err != nil {
		return nil, notFound(err, "open idp flow")
	}
	f, err := s.flow(ctx, &r, true)
	if err != nil {
		return nil, err
	}
	return f, f.checkOwner(now, aidantID, orgID)
}

// IdPUsagerPage is step 1's list: ListIdPUsagers's page and total.
type IdPUsagerPage struct {
	Usagers []Usager
	Total   int
}

// OpenIdPFlowListing is OpenIdPFlow and, when list, ListIdPUsagers for the démarches the flow
// offers in org (IdPFlow.Offered), in one statement: step 1's page. The usagers are read only
// for the flow's owner while it is open; a page past the end counts the total apart.
func (s *Store) OpenIdPFlowListing(ctx context.Context, token string, aidantID int64, org *Organisation, list bool, query string, limit, offset int) (*IdPFlow, IdPUsagerPage, error) {
	now := s.Now()
	words := SearchWords(query)
	list = list && !unmatchable(words)
	allowed := []string{}
	for _, k := range DemarcheKeys() {
		if org.Allows(k) {
			allowed = append(allowed, k)
		}
	}
	args := []any{aidantID, org.ID, HashToken(token), now, allowed, list, limit, offset}
	var match strings.Builder
	for _, w := range words {
		args = append(args, w)
		fmt.Fprintf(&match, " AND usager.search_name LIKE '%%' || public.f_search_text(?%d) || '%%'", len(args)-1)
	}
	var rows []struct {
		idpFlowRow `bun:",extend"`
		Listed     bool   `bun:"listed"`
		L          Usager `bun:"embed:l_"`
		Total      int    `bun:"l_total"`
	}
	err := s.scanHot(ctx, &rows, `WITH bound AS (
	UPDATE idp_flows SET aidant_id = ?0, organisation_id = ?1 WHERE token_hash = ?2 AND aidant_id IS NULL AND `+s.navigationCommit()+` RETURNING *
), f AS (
	SELECT *, true AS bound_now FROM bound UNION ALL SELECT *, false FROM idp_flows WHERE token_hash = ?2 AND aidant_id IS NOT NULL
)
SELECT f.*`+idpFlowColumns()+`, ARRAY[]::text[] AS covered, l.id IS NOT NULL AS listed`+aliasedColumns("l", "l_", (*Usager)(nil))+`, l.total AS l_total
FROM f`+idpFlowFrom+`
LEFT JOIN LATERAL (
	SELECT usager.*, count(*) OVER () AS total FROM usagers AS usager
	WHERE ?5 AND f.aidant_id = ?0 AND f.organisation_id = ?1 AND f.completed_at IS NULL AND f.expires_at > ?3 AND NOT f.rep_scope_unmatched
	  AND EXISTS (SELECT 1 FROM autorisations AS a JOIN mandats AS m ON m.id = a.mandat_id
		WHERE m.usager_id = usager.id AND m.organisation_id = ?1 AND `+strings.ReplaceAll(idpActive, "?", "?3")+`
		  AND a.demarche = ANY(?4) AND (cardinality(f.rep_scope) = 0 OR a.demarche = ANY(f.rep_scope)))`+match.String()+`
	ORDER BY usager.sort_name, usager.id LIMIT ?6 OFFSET ?7
) AS l ON true
ORDER BY l.sort_name, l.id`, args...)
	if err == nil && len(rows) == 0 {
		err = sql.ErrNoRows
	}
	if err != nil {
		return nil, IdPUsagerPage{}, notFound(err, "open idp flow")
	}
	f, err := s.flow(ctx, &rows[0].idpFlowRow, false)
	if err != nil {
		return nil, IdPUsagerPage{}, err
	}
	if err := f.checkOwner(now, aidantID, org.ID); err != nil {
		return nil, IdPUsagerPage{}, err
	}
	var page IdPUsagerPage
	for _, r := range rows {
		if r.Listed {
			page.Usagers, page.Total = append(page.Usagers, r.L), r.Total
		}
	}
	if list && len(page.Usagers) == 0 && offset > 0 { // past the end: the total, apart
		_, page.Total, err = s.ListIdPUsagers(ctx, org.ID, f.Offered(org), query, 1, 0)
	}
	return f, page, err
}

func (f *IdPFlow) checkOwner(now time.Time, aidantID, orgID int64) error {
	switch {
	case f.AidantID == nil || *f.AidantID != aidantID || *f.OrganisationID != orgID:
		return ErrNotFound
	case f.CompletedAt != nil || !now.Before(f.ExpiresAt):
		return ErrIdPFlowExpired
	}
	return nil
}

// ListIdPUsagers lists the organisation's usagers who have an active autorisation for one of
// the démarches, by name, a page at a time, with the total. A query keeps those whose names
// contain every word of it, ignoring case, accents, hyphens and apostrophes: the usagers
// list's normalisation (SearchWords, usagers.search_name and its trigram index). One
// statement: the total comes with each row (count(*) OVER ()), and is counted apart only for
// a page past the end.
func (s *Store) ListIdPUsagers(ctx context.Context, orgID int64, demarches []string, query string, limit, offset int) ([]Usager, int, error) {
	words := SearchWords(query)
	if len(demarches) == 0 || unmatchable(words) {
		return nil, 0, nil
	}
	// The usager (aliased usager) has an autorisation in force for one of the démarches with
	// the organisation.
	active := s.db.NewSelect().Model((*Autorisation)(nil)).ColumnExpr("1").Apply(activeAutorisations(s.Now())).
		Where("m.usager_id = usager.id AND m.organisation_id = ? AND autorisation.demarche IN (?)", orgID, bun.In(demarches))
	var rows []struct {
		Usager `bun:",extend"`
		Total  int `bun:"total,scanonly"`
	}
	q := s.db.NewSelect().Model(&rows).ColumnExpr(strings.TrimPrefix(aliasedColumns("usager", "", (*Usager)(nil)), ", ")).
		ColumnExpr("count(*) OVER () AS total").Where("EXISTS (?)", active)
	for _, w := range words {
		q = q.Where("usager.search_name LIKE '%' || public.f_search_text(?) || '%'", w)
	}
	if err := q.OrderExpr("usager.sort_name, usager.id").Limit(int64(limit)).Offset(int64(offset)).Scan(ctx); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, 0, fmt.Errorf("list idp usagers: %w", err)
	}
	if len(rows) == 0 && offset > 0 {
		n, err := q.Limit(0).Offset(0).Count(ctx)
		return nil, int(n), notFound(err, "count idp usagers")
	}
	us := make([]Usager, len(rows))
	total := 0
	for i, r := range rows {
		us[i], total = r.Usager, r.Total
	}
	return us, total, nil
}

// IdPDemarches lists, in catalogue order, those of the démarches for which the usager has an
// active autorisation with the organisation.
func (s *Store) IdPDemarches(ctx context.Context, orgID, usagerID int64, among []string) ([]string, error) {
	if len(among) == 0 {
		return nil, nil
	}
	var keys []string
	err := s.db.NewSelect().Model((*Autorisation)(nil)).ColumnExpr("DISTINCT autorisation.demarche").
		Apply(activeAutorisations(s.Now())).
		Where("m.usager_id = ? AND m.organisation_id = ?", usagerID, orgID).
		Where("autorisation.demarche IN (?)", bun.In(among)).Scan(ctx, &keys)
	if err != nil {
		return nil, fmt.Errorf("idp demarches: %w", err)
	}
	return orderedDemarches(keys), nil
}

// CoveredDemarches are those of among that the flow's usager's autorisations in force with
// the organisation cover, in catalogue order: as OpenIdPFlow read them, or from the store.
func (s *Store) CoveredDemarches(ctx context.Context, f *IdPFlow, among []string) ([]string, error) {
	if !f.coveredRead || f.UsagerID == nil {
		if f.UsagerID == nil || f.OrganisationID == nil {
			return nil, nil
		}
		return s.IdPDemarches(ctx, *f.OrganisationID, *f.UsagerID, among)
	}
	var keys []string
	for _, k := range f.covered {
		if slices.Contains(among, k) {
			keys = append(keys, k)
		}
	}
	return orderedDemarches(keys), nil
}

// idpOffered is the condition that the démarche expression d is offered by the flow (aliased
// f) in its organisation (aliased o): Offered, in SQL.
func idpOffered(d string) string {
	return `NOT f.rep_scope_unmatched AND o.is_active AND ` + d + ` = ANY(o.allowed_demarches) AND (cardinality(f.rep_scope) = 0 OR ` + d + ` = ANY(f.rep_scope))`
}

// asyncCommit, in a navigation step's statement (the flow created, bound to its aidant, its
// usager chosen), commits that statement without waiting for its WAL to reach the disk: a
// crash may lose it (the aidant starts the login again from FranceConnect), never anything
// the login hands out. The code's issue, its exchange and the token's use stay synchronous: a
// spent code lost in a crash could be spent again. BENCHMARKS.md § Commits per login.
const asyncCommit = `set_config('synchronous_commit', 'off', true) IS NOT NULL`

// navigationCommit is asyncCommit for a statement that is its own transaction, and TRUE inside
// a transaction (InTx): set_config's effect would last to that transaction's commit, whatever
// else it writes.
func (s *Store) navigationCommit() string {
	if _, inTx := s.db.(bun.Tx); inTx {
		return "TRUE"
	}
	return asyncCommit
}

// idpFlowOpen is the condition that the flow (aliased f) named by token_hash ?1 is the
// aidant's (?2) in the organisation (?3) and still open at ?4.
const idpFlowOpen = `f.token_hash = ?1 AND f.aidant_id = ?2 AND f.organisation_id = ?3 AND f.completed_at IS NULL AND f.expires_at > ?4`

// stepRefused tells why a step's statement changed nothing: the flow is not the aidant's, or
// is over (OpenIdPFlow's errors; it binds a flow nobody opened yet), or else what was chosen
// is not covered. bound reports that it has just bound the flow, so the step may be tried
// again.
func (s *Store) stepRefused(ctx context.Context, token string, aidantID, orgID int64) (bound bool, err error) {
	f, err := s.OpenIdPFlow(ctx, token, aidantID, orgID)
	if err != nil {
		return false, err
	}
	return f.boundNow, ErrIdPNoAutorisation
}

// ChooseIdPUsager records step 1. A usager without an active autorisation for an offered
// démarche with the organisation (another organisation's, say) is ErrIdPNoAutorisation. One
// statement: the checks are in its WHERE.
func (s *Store) ChooseIdPUsager(ctx context.Context, token string, aidantID, orgID, usagerID int64) error {
	for try := 0; ; try++ {
		var id int64
		err := s.scanHot(ctx, &id, `UPDATE idp_flows AS f SET usager_id = ?0 WHERE `+idpFlowOpen+`
	AND EXISTS (SELECT 1 FROM organisations AS o JOIN mandats AS m ON m.organisation_id = o.id JOIN autorisations AS a ON a.mandat_id = m.id
		WHERE o.id = f.organisation_id AND m.usager_id = ?0 AND `+strings.ReplaceAll(idpActive, "?", "?4")+` AND `+idpOffered("a.demarche")+`)
	AND `+s.navigationCommit()+`
RETURNING f.id`, usagerID, HashToken(token), aidantID, orgID, s.Now())
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("choose idp usager: %w", err)
		}
		if bound, err := s.stepRefused(ctx, token, aidantID, orgID); !bound || try > 0 {
			return err
		}
	}
}

// CompleteIdPFlow records step 2 and issues the code (returned once, stored hashed). The
// démarche must be offered and covered by an active autorisation of the chosen usager with the
// organisation (any aidant's mandat there will do), else ErrIdPNoAutorisation. One statement:
// it picks the autorisation and completes the flow; a concurrent change of the usager or a
// concurrent completion leaves it with nothing to update.
func (s *Store) CompleteIdPFlow(ctx context.Context, token string, aidantID, orgID int64, demarche string) (string, *IdPFlow, error) {
	code, err := NewToken()
	if err != nil {
		return "", nil, err
	}
	now := s.Now()
	for try := 0; ; try++ {
		var r idpFlowRow
		err := s.scanHot(ctx, &r, `WITH pick AS (
	SELECT f.id, f.usager_id, (SELECT a.id FROM autorisations AS a JOIN mandats AS m ON m.id = a.mandat_id
		WHERE `+strings.ReplaceAll(idpActive, "?", "?4")+` AND m.usager_id = f.usager_id AND m.organisation_id = f.organisation_id AND a.demarche = ?0
		ORDER BY m.expires_at DESC, a.id DESC LIMIT 1) AS autorisation_id
	FROM idp_flows AS f JOIN organisations AS o ON o.id = f.organisation_id
	WHERE `+idpFlowOpen+` AND f.usager_id IS NOT NULL AND `+idpOffered("?0")+`
), f AS (
	UPDATE idp_flows AS f SET autorisation_id = pick.autorisation_id, demarche = ?0, code_hash = ?5, code_expires_at = ?6, completed_at = ?4
	FROM pick WHERE f.id = pick.id AND pick.autorisation_id IS NOT NULL AND f.usager_id = pick.usager_id AND f.completed_at IS NULL AND f.expires_at > ?4
	RETURNING f.*
)
SELECT f.*`+idpFlowColumns()+` FROM f`+idpFlowFrom,
			demarche, HashToken(token), aidantID, orgID, now, HashToken(code), now.Add(IdPCodeTTL))
		if err == nil {
			f, err := s.flow(ctx, &r, false)
			if err != nil {
				return "", nil, err
			}
			return code, f, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return "", nil, fmt.Errorf("complete idp flow: %w", err)
		}
		if bound, err := s.stepRefused(ctx, token, aidantID, orgID); !bound || try > 0 {
			return "", nil, err
		}
	}
}

// CancelIdPFlow forgets the aidant's flow (cancel button, or no démarche to offer) and returns
// it, so that the client can be told. An expired flow can still be cancelled.
func (s *Store) CancelIdPFlow(ctx context.Context, token string, aidantID, orgID int64) (*IdPFlow, error) {
	f := new(IdPFlow)
	err := s.db.NewDelete().Model(f).Where("token_hash = ? AND aidant_id = ? AND organisation_id = ? AND completed_at IS NULL",
		HashToken(token), aidantID, orgID).Returning("*").Scan(ctx)
	return f, notFound(err, "cancel idp flow")
}

// IdPToken is an access token (stored hashed).
type IdPToken struct {
	bun.BaseModel `bun:"table:idp_tokens,alias:idp_token"`

	ID        int64      `bun:"id,pk,autoincrement"`
	TokenHash []byte     `bun:"token_hash"`
	FlowID    int64      `bun:"flow_id"`
	CreatedAt time.Time  `bun:"created_at"`
	ExpiresAt time.Time  `bun:"expires_at"`
	RevokedAt *time.Time `bun:"revoked_at"`
	UsedAt    *time.Time `bun:"used_at"`
}

// IdPGrant is what a code or a token stands for: the flow with its client, usager and
// autorisation, and the access token's row.
type IdPGrant struct {
	Flow  *IdPFlow
	Token IdPToken
}

// IdPExchange is a token request.
type IdPExchange struct {
	ClientID, RedirectURI, Code string
	TokenTTL                    time.Duration
	// SecretHash, when set, is the hash of the secret the client authenticated with: the
	// statement that spends the code checks it against the database.
	SecretHash []byte
	// Check runs on the claimed flow before the token is handed out (PKCE); an error burns
	// the code.
	Check func(*IdPFlow) error
}

// ExchangeIdPCode spends a code and issues an access token (returned once, stored hashed).
// The code is claimed atomically, so two exchanges of one code never both succeed; a second
// exchange revokes the tokens of the first (RFC 6749 §4.1.2). A code that is expired, or
// presented by another client or with another redirect URI, is spent all the same. One
// statement claims the code, checks that the grant still stands (idpGrantLive) and the
// client's secret (SecretHash, when given: the database's word, whatever an instance's cache
// says), issues the token and reads the grant; a refusal by Check revokes the token it issued
// (it was never handed out).
func (s *Store) ExchangeIdPCode(ctx context.Context, in IdPExchange) (*IdPGrant, string, error) {
	hash := HashToken(in.Code)
	now := s.Now()
	token, err := NewToken()
	if err != nil {
		return nil, "", err
	}
	secretOK := "true"
	if in.SecretHash != nil {
		secretOK = "EXISTS (SELECT 1 FROM idp_clients AS k WHERE k.id = ?4 AND k.secret_hash = ?6)"
	}
	var r struct {
		idpFlowRow `bun:",extend"`
		Live       bool       `bun:"live"`
		SecretOK   bool       `bun:"secret_ok"`
		TokenID    *int64     `bun:"token_id"`
		TokenAt    *time.Time `bun:"token_created_at"`
	}
	// The claim reads whether the grant still stands in the same statement: what was revoked
	// or deactivated before it is refused, with nothing in between.
	err = s.scanHot(ctx, &r, `WITH f AS (
	UPDATE idp_flows AS f SET code_used_at = ?0 WHERE code_hash = ?1 AND code_used_at IS NULL
	RETURNING f.*, `+strings.ReplaceAll(idpGrantLive, "?", "?0")+` AS live, `+secretOK+` AS secret_ok
), t AS (
	INSERT INTO idp_tokens (token_hash, flow_id, created_at, expires_at)
	SELECT ?2, f.id, ?0, ?3 FROM f WHERE f.live AND f.secret_ok AND f.code_expires_at > ?0 AND f.client_id = ?4 AND f.redirect_uri = ?5
	RETURNING id, flow_id, created_at
)
SELECT f.*`+idpFlowColumns()+`, t.id AS token_id, t.created_at AS token_created_at
FROM f LEFT JOIN t ON t.flow_id = f.id`+idpFlowFrom,
		now, hash, HashToken(token), now.Add(in.TokenTTL), in.ClientID, in.RedirectURI, in.SecretHash)
	if errors.Is(err, sql.ErrNoRows) {
		refused, err := s.refuseSpentCode(ctx, hash, now)
		if err == nil {
			err = refused
		}
		return nil, "", err
	}
	if err != nil {
		return nil, "", fmt.Errorf("claim code: %w", err)
	}
	f, err := s.flow(ctx, &r.idpFlowRow, false)
	if err != nil {
		return nil, "", err
	}
	var refused error
	switch {
	case !r.SecretOK:
		refused = ErrIdPSecretRefused
	case !now.Before(*f.CodeExpiresAt):
		refused = ErrIdPCodeExpired
	case f.ClientID != in.ClientID || f.RedirectURI != in.RedirectURI:
		refused = ErrIdPCodeMismatch
	case !r.Live:
		refused = ErrIdPGrantEnded
	case r.TokenID == nil:
		return nil, "", errors.New("claim code: no token issued")
	case in.Check != nil:
		refused = in.Check(f)
	}
	if refused != nil { // the code stays spent
		if r.TokenID != nil {
			if _, err := s.db.NewUpdate().Model((*IdPToken)(nil)).Set("revoked_at = ?", now).Where("id = ?", *r.TokenID).Exec(ctx); err != nil {
				return nil, "", fmt.Errorf("revoke a refused token: %w", err)
			}
		}
		return nil, "", refused
	}
	t := IdPToken{ID: *r.TokenID, TokenHash: HashToken(token), FlowID: f.ID, CreatedAt: *r.TokenAt, ExpiresAt: now.Add(in.TokenTTL)}
	return &IdPGrant{Flow: f, Token: t}, token, nil
}

// refuseSpentCode tells an unknown code from a replayed one, and revokes on replay. The
// refusal is for the client; err means the database failed.
func (s *Store) refuseSpentCode(ctx context.Context, hash []byte, now time.Time) (refusal, err error) {
	var ids []int64
	if err := s.db.NewSelect().Model((*IdPFlow)(nil)).Column("id").Where("code_hash = ?", hash).Scan(ctx, &ids); err != nil {
		return nil, fmt.Errorf("find spent code: %w", err)
	}
	if len(ids) == 0 {
		return ErrIdPCodeUnknown, nil
	}
	if _, err := s.db.NewUpdate().Model((*IdPToken)(nil)).Set("revoked_at = ?", now).
		Where("flow_id = ? AND revoked_at IS NULL", ids[0]).Exec(ctx); err != nil {
		return nil, fmt.Errorf("revoke tokens of a replayed code: %w", err)
	}
	return ErrIdPCodeReplayed, nil
}

// UseIdPToken returns the grant of a live access token: unknown, expired or revoked, or whose
// grant no longer stands (idpGrantLive), it is ErrNotFound, and nothing is journaled. Its
// first use journals use_autorisation in the same transaction: one statement (a transaction
// of its own, committed whole or not at all) finds the token, locks it, marks it used, INSERTs
// the journal entry, unchained (the chainer chains it after commit: no lock shared with other
// transactions), and reads the grant. No BEGIN nor COMMIT of its own: one round trip.
func (s *Store) UseIdPToken(ctx context.Context, token string) (*IdPGrant, error) {
	now := s.Now()
	var r struct {
		idpFlowRow `bun:",extend"`
		T          IdPToken `bun:"embed:t_"`
		First      bool     `bun:"first"`
		Journaled  int      `bun:"journaled"`
	}
	err := s.scanHot(ctx, &r, `WITH old AS (
	SELECT t.id, t.used_at FROM idp_tokens AS t JOIN idp_flows AS f ON f.id = t.flow_id
	WHERE t.token_hash = ?1 AND t.revoked_at IS NULL AND t.expires_at > ?0 AND `+strings.ReplaceAll(idpGrantLive, "?", "?0")+`
	FOR UPDATE OF t
), used AS (
	UPDATE idp_tokens AS t SET used_at = ?0 FROM old WHERE t.id = old.id AND old.used_at IS NULL RETURNING t.id, t.flow_id, t.token_hash
), logged AS (
	INSERT INTO journal (created_at, action, aidant_id, organisation_id, usager_id, mandat_id, autorisation_id, demarche, access_token_hash, info)
	SELECT ?0, ?2, f.aidant_id, f.organisation_id, f.usager_id, a.mandat_id, f.autorisation_id, f.demarche, encode(used.token_hash, 'hex'), ?3 || f.client_id
	FROM used JOIN idp_flows AS f ON f.id = used.flow_id JOIN LATERAL (SELECT mandat_id FROM autorisations WHERE id = f.autorisation_id OFFSET 0) AS a ON true
	RETURNING id
)
SELECT f.*`+idpFlowColumns()+aliasedColumns("t", "t_", (*IdPToken)(nil))+`, (SELECT count(*) FROM used) = 1 AS first, (SELECT count(*) FROM logged) AS journaled
FROM old JOIN idp_tokens AS t ON t.id = old.id JOIN idp_flows AS f ON f.id = t.flow_id`+idpFlowFrom,
		now, HashToken(token), ActionUseAutorisation, "client : ")
	if err != nil {
		return nil, notFound(err, "find access token")
	}
	if r.First && r.Journaled != 1 { // idpGrantLive holds an autorisation: cannot happen
		return nil, fmt.Errorf("use access token: %d journal entries", r.Journaled)
	}
	f, err := s.flow(ctx, &r.idpFlowRow, false)
	if err != nil {
		return nil, err
	}
	g := &IdPGrant{Flow: f, Token: r.T}
	if r.First {
		g.Token.UsedAt = &now
		s.journaledOne(ActionUseAutorisation)
	}
	return g, nil
}
