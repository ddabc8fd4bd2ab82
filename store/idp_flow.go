package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
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
// the aidant's pages (stored hashed). Old flows are purged on the way.
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
	if _, err := s.db.NewInsert().Model(f).Exec(ctx); err != nil {
		return "", fmt.Errorf("create idp flow: %w", err)
	}
	// Bounded, so that no request pays for a backlog.
	_, err = s.db.NewDelete().Model((*IdPFlow)(nil)).
		Where("id IN (SELECT id FROM idp_flows WHERE created_at < ? ORDER BY created_at LIMIT 100)", now.Add(-idpFlowPurgeAfter)).Exec(ctx)
	return token, notFound(err, "purge idp flows")
}

// OpenIdPFlow returns the flow for the aidant's pages, with its client and usager. The first
// aidant to open it owns it, in their current organisation; anyone else gets ErrNotFound.
func (s *Store) OpenIdPFlow(ctx context.Context, token string, aidantID, orgID int64) (*IdPFlow, error) {
	f := new(IdPFlow)
	err := s.db.NewSelect().Model(f).Relation("Client").Relation("Usager").
		Where("idp_flow.token_hash = ?", HashToken(token)).Scan(ctx)
	if err != nil {
		return nil, notFound(err, "open idp flow")
	}
	if f.AidantID == nil {
		res, err := s.db.NewUpdate().Model((*IdPFlow)(nil)).Set("aidant_id = ?, organisation_id = ?", aidantID, orgID).
			Where("id = ? AND aidant_id IS NULL", f.ID).Exec(ctx)
		if err != nil {
			return nil, fmt.Errorf("bind idp flow: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 { // someone else was first
			return nil, ErrNotFound
		}
		f.AidantID, f.OrganisationID = &aidantID, &orgID
	}
	return f, f.checkOwner(s.Now(), aidantID, orgID)
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

// lockIdPFlow locks the aidant's live flow for an update, with its organisation.
func (s *Store) lockIdPFlow(ctx context.Context, token string, aidantID, orgID int64) (*IdPFlow, *Organisation, error) {
	f := new(IdPFlow)
	err := s.db.NewSelect().Model(f).Where("token_hash = ?", HashToken(token)).For("UPDATE").Scan(ctx)
	if err != nil {
		return nil, nil, notFound(err, "lock idp flow")
	}
	if err := f.checkOwner(s.Now(), aidantID, orgID); err != nil {
		return nil, nil, err
	}
	org := new(Organisation)
	if err := s.db.NewSelect().Model(org).Where("id = ? AND is_active", orgID).Scan(ctx); err != nil {
		return nil, nil, notFound(err, "idp flow organisation")
	}
	return f, org, nil
}

// ListIdPUsagers lists the organisation's usagers who have an active autorisation for one of
// the démarches, by name, a page at a time, with the total. A query keeps those whose names
// contain every word of it, ignoring case, accents, hyphens and apostrophes: the usagers
// list's normalisation (SearchWords, usagers.search_name and its trigram index).
func (s *Store) ListIdPUsagers(ctx context.Context, orgID int64, demarches []string, query string, limit, offset int) ([]Usager, int, error) {
	words := SearchWords(query)
	if len(demarches) == 0 || unmatchable(words) {
		return nil, 0, nil
	}
	// The usager (aliased usager) has an autorisation in force for one of the démarches with
	// the organisation.
	active := s.db.NewSelect().Model((*Autorisation)(nil)).ColumnExpr("1").Apply(activeAutorisations(s.Now())).
		Where("m.usager_id = usager.id AND m.organisation_id = ? AND autorisation.demarche IN (?)", orgID, bun.In(demarches))
	var us []Usager
	q := s.db.NewSelect().Model(&us).Where("EXISTS (?)", active)
	for _, w := range words {
		q = q.Where("usager.search_name LIKE '%' || public.f_search_text(?) || '%'", w)
	}
	n, err := q.OrderExpr("usager.sort_name, usager.id").Limit(int64(limit)).Offset(int64(offset)).ScanAndCount(ctx)
	return us, int(n), notFound(err, "list idp usagers")
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

// ChooseIdPUsager records step 1. A usager without an active autorisation for an offered
// démarche with the organisation (another organisation's, say) is ErrIdPNoAutorisation.
func (s *Store) ChooseIdPUsager(ctx context.Context, token string, aidantID, orgID, usagerID int64) error {
	return s.InTx(ctx, func(tx *Store) error {
		f, org, err := tx.lockIdPFlow(ctx, token, aidantID, orgID)
		if err != nil {
			return err
		}
		keys, err := tx.IdPDemarches(ctx, orgID, usagerID, f.Offered(org))
		if err != nil {
			return err
		}
		if len(keys) == 0 {
			return ErrIdPNoAutorisation
		}
		_, err = tx.db.NewUpdate().Model(f).Set("usager_id = ?", usagerID).WherePK().Exec(ctx)
		return notFound(err, "choose idp usager")
	})
}

// CompleteIdPFlow records step 2 and issues the code (returned once, stored hashed). The
// démarche must be offered and covered by an active autorisation of the chosen usager with the
// organisation (any aidant's mandat there will do), else ErrIdPNoAutorisation.
func (s *Store) CompleteIdPFlow(ctx context.Context, token string, aidantID, orgID int64, demarche string) (string, *IdPFlow, error) {
	code, err := NewToken()
	if err != nil {
		return "", nil, err
	}
	var f *IdPFlow
	err = s.InTx(ctx, func(tx *Store) error {
		var org *Organisation
		if f, org, err = tx.lockIdPFlow(ctx, token, aidantID, orgID); err != nil {
			return err
		}
		if f.UsagerID == nil || !slices.Contains(f.Offered(org), demarche) {
			return ErrIdPNoAutorisation
		}
		now := tx.Now()
		au := new(Autorisation)
		err := tx.db.NewSelect().Model(au).Apply(activeAutorisations(now)).
			Where("m.usager_id = ? AND m.organisation_id = ? AND autorisation.demarche = ?", *f.UsagerID, orgID, demarche).
			OrderExpr("m.expires_at DESC, autorisation.id DESC").Limit(1).Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrIdPNoAutorisation
		}
		if err != nil {
			return fmt.Errorf("find autorisation: %w", err)
		}
		expires := now.Add(IdPCodeTTL)
		f.AutorisationID, f.Demarche, f.CodeHash, f.CodeExpiresAt, f.CompletedAt = &au.ID, demarche, HashToken(code), &expires, &now
		_, err = tx.db.NewUpdate().Model(f).Column("autorisation_id", "demarche", "code_hash", "code_expires_at", "completed_at").
			WherePK().Exec(ctx)
		return notFound(err, "complete idp flow")
	})
	if err != nil {
		return "", nil, err
	}
	return code, f, nil
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
	// Check runs on the claimed flow before a token is issued (PKCE); an error burns the code.
	Check func(*IdPFlow) error
}

// ExchangeIdPCode spends a code and issues an access token (returned once, stored hashed).
// The code is claimed atomically, so two exchanges of one code never both succeed; a second
// exchange revokes the tokens of the first (RFC 6749 §4.1.2). A code that is expired, or
// presented by another client or with another redirect URI, is spent all the same.
func (s *Store) ExchangeIdPCode(ctx context.Context, in IdPExchange) (*IdPGrant, string, error) {
	hash := HashToken(in.Code)
	var refused error
	var g *IdPGrant
	var token string
	err := s.InTx(ctx, func(tx *Store) error {
		now := tx.Now()
		// The claim also reads whether the grant still stands, in the same statement: what
		// was revoked or deactivated before it is refused, with nothing in between.
		var claimed struct {
			IdPFlow `bun:",extend"`
			Live    bool `bun:"live"`
		}
		err := tx.db.NewRaw("UPDATE idp_flows AS f SET code_used_at = ? WHERE code_hash = ? AND code_used_at IS NULL RETURNING f.*, "+
			idpGrantLive+" AS live", now, hash, now).Scan(ctx, &claimed)
		if errors.Is(err, sql.ErrNoRows) {
			refused, err = tx.refuseSpentCode(ctx, hash, now)
			return err
		}
		if err != nil {
			return fmt.Errorf("claim code: %w", err)
		}
		f := &claimed.IdPFlow
		switch {
		case !now.Before(*f.CodeExpiresAt):
			refused = ErrIdPCodeExpired
		case f.ClientID != in.ClientID || f.RedirectURI != in.RedirectURI:
			refused = ErrIdPCodeMismatch
		case !claimed.Live:
			refused = ErrIdPGrantEnded
		case in.Check != nil:
			refused = in.Check(f)
		}
		if refused != nil {
			return nil // the code stays spent
		}
		if token, err = NewToken(); err != nil {
			return err
		}
		t := IdPToken{TokenHash: HashToken(token), FlowID: f.ID, CreatedAt: now, ExpiresAt: now.Add(in.TokenTTL)}
		if _, err := tx.db.NewInsert().Model(&t).Returning("id").Exec(ctx); err != nil {
			return fmt.Errorf("insert access token: %w", err)
		}
		g, err = tx.idpGrant(ctx, t)
		return err
	})
	if err == nil && refused != nil {
		err = refused
	}
	if err != nil {
		return nil, "", err
	}
	return g, token, nil
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

func (s *Store) idpGrant(ctx context.Context, t IdPToken) (*IdPGrant, error) {
	f := new(IdPFlow)
	err := s.db.NewSelect().Model(f).Relation("Client").Relation("Usager").Relation("Autorisation").
		Where("idp_flow.id = ?", t.FlowID).Scan(ctx)
	if err != nil {
		return nil, notFound(err, "idp grant")
	}
	return &IdPGrant{Flow: f, Token: t}, nil
}

// UseIdPToken returns the grant of a live access token: unknown, expired or revoked, or whose
// grant no longer stands (idpGrantLive), it is ErrNotFound, and nothing is journaled. Its
// first use journals use_autorisation, in the same transaction.
func (s *Store) UseIdPToken(ctx context.Context, token string) (*IdPGrant, error) {
	var g *IdPGrant
	err := s.InTx(ctx, func(tx *Store) error {
		now := tx.Now()
		var t IdPToken
		err := tx.db.NewSelect().Model(&t).Join("JOIN idp_flows AS f ON f.id = idp_token.flow_id").
			Where("idp_token.token_hash = ? AND idp_token.revoked_at IS NULL AND idp_token.expires_at > ?", HashToken(token), now).
			Where(idpGrantLive, now).
			For("UPDATE OF idp_token").Scan(ctx)
		if err != nil {
			return notFound(err, "find access token")
		}
		if g, err = tx.idpGrant(ctx, t); err != nil {
			return err
		}
		if t.UsedAt != nil {
			return nil
		}
		if _, err := tx.db.NewUpdate().Model(&t).Set("used_at = ?", now).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("mark access token used: %w", err)
		}
		f := g.Flow
		return tx.appendJournal(ctx, &JournalEntry{Action: ActionUseAutorisation, AidantID: f.AidantID, OrganisationID: f.OrganisationID,
			UsagerID: f.UsagerID, MandatID: &f.Autorisation.MandatID, AutorisationID: f.AutorisationID, Demarche: f.Demarche,
			AccessTokenHash: hex.EncodeToString(t.TokenHash), Info: "client : " + f.ClientID})
	})
	return g, err
}
