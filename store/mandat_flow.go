package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// MandatFlowTTL is how long a run of the wizard may take, FranceConnect included.
const MandatFlowTTL = 30 * time.Minute

// FC flows (state → callback) must complete within this.
const fcRoundTripTTL = 10 * time.Minute

var (
	// ErrFlowExpired means the wizard took too long and must start again.
	ErrFlowExpired = errors.New("mandat flow expired")
	// ErrDemarcheNotAllowed means a démarche outside the organisation's list was asked for.
	ErrDemarcheNotAllowed = errors.New("démarche not allowed for this organisation")
	// ErrCodeRefused means the aidant's code did not match at signature.
	ErrCodeRefused = errors.New("code refused")
	// ErrNotRenewable means the usager has no renewable mandat in the organisation.
	ErrNotRenewable = errors.New("no renewable mandat")
	// ErrFlowOtherOrganisation means the aidant switched organisation since the flow began: it
	// cannot go on, lest its usager be recorded or its mandat signed for the wrong one.
	ErrFlowOtherOrganisation = errors.New("mandat flow started in another organisation")
)

// inCurrentOrganisation reads, beside a flow (aliased mandat_flow), whether its organisation is
// still its aidant's current one: a flow is bound to the organisation it started in.
const inCurrentOrganisation = `(SELECT a.current_organisation_id = mandat_flow.organisation_id FROM aidants AS a
	WHERE a.id = mandat_flow.aidant_id) AS in_current_organisation`

// AlreadySignedError means the flow was signed already (a double click, Back then submit
// again): it names the mandat it created, and nothing else was done.
type AlreadySignedError struct{ MandatID int64 }

func (e *AlreadySignedError) Error() string {
	return fmt.Sprintf("mandat flow already signed (mandat %d)", e.MandatID)
}

// MandatFlow is one wizard run, keyed by a random token kept in the aidant's session.
type MandatFlow struct {
	bun.BaseModel `bun:"table:mandat_flows"`

	ID             int64     `bun:"id,pk,autoincrement"`
	TokenHash      []byte    `bun:"token_hash"`
	AidantID       int64     `bun:"aidant_id"`
	OrganisationID int64     `bun:"organisation_id"`
	Demarches      []string  `bun:"demarches,array"`
	Duree          string    `bun:"duree"`
	Renewal        bool      `bun:"renewal"`
	UsagerID       *int64    `bun:"usager_id"`
	FCStateHash    []byte    `bun:"fc_state_hash"`
	FCNonceHash    []byte    `bun:"fc_nonce_hash"`
	MandatID       *int64    `bun:"mandat_id"` // set once signed
	CreatedAt      time.Time `bun:"created_at"`
	ExpiresAt      time.Time `bun:"expires_at"`

	// InCurrentOrganisation is read, never stored: whether the flow's organisation is still the
	// aidant's current one (inCurrentOrganisation).
	InCurrentOrganisation bool `bun:"in_current_organisation,scanonly"`

	Usager       *Usager       `bun:"rel:belongs-to,join:usager_id=id"`
	Organisation *Organisation `bun:"rel:belongs-to,join:organisation_id=id"`
}

// MandatChoice is what step 1 (or the renewal form) chose.
type MandatChoice struct {
	Demarches []string
	Duree     string
}

// checkChoice enforces the organisation's démarches and the duration catalogue, whatever the form said.
func checkChoice(org *Organisation, c MandatChoice) error {
	if _, ok := FindDuree(c.Duree); !ok {
		return fmt.Errorf("duree %q: %w", c.Duree, ErrDemarcheNotAllowed)
	}
	if len(c.Demarches) == 0 {
		return ErrDemarcheNotAllowed
	}
	for _, d := range c.Demarches {
		if !org.Allows(d) {
			return ErrDemarcheNotAllowed
		}
	}
	return nil
}

// StartMandatFlow records step 1's choices and returns the flow token for the session.
// For a renewal, usagerID names a usager who must have a renewable mandat in the organisation;
// init_renew_mandat is journaled.
func (s *Store) StartMandatFlow(ctx context.Context, aidantID, orgID int64, c MandatChoice, renewalUsagerID *int64) (string, error) {
	token, err := NewToken()
	if err != nil {
		return "", err
	}
	err = s.InTx(ctx, func(tx *Store) error {
		org := new(Organisation)
		if err := tx.db.NewSelect().Model(org).Where("id = ? AND is_active", orgID).Scan(ctx); err != nil {
			return notFound(err, "flow organisation")
		}
		if err := checkChoice(org, c); err != nil {
			return err
		}
		now := tx.Now()
		f := &MandatFlow{TokenHash: HashToken(token), AidantID: aidantID, OrganisationID: orgID, Demarches: orderedDemarches(c.Demarches),
			Duree: c.Duree, CreatedAt: now, ExpiresAt: now.Add(MandatFlowTTL)}
		if renewalUsagerID != nil {
			ok, err := tx.hasRenewableMandat(ctx, orgID, *renewalUsagerID)
			if err != nil {
				return err
			}
			if !ok {
				return ErrNotRenewable
			}
			f.Renewal, f.UsagerID = true, renewalUsagerID
		}
		if _, err := tx.db.NewInsert().Model(f).Exec(ctx); err != nil {
			return fmt.Errorf("insert flow: %w", err)
		}
		if f.Renewal {
			d, _ := FindDuree(c.Duree)
			return tx.appendJournal(ctx, &JournalEntry{Action: ActionInitRenewMandat, AidantID: &aidantID, OrganisationID: &orgID,
				UsagerID: f.UsagerID, Demarche: joinKeys(f.Demarches), DureeDays: d.Days})
		}
		return nil
	})
	return token, err
}

func orderedDemarches(keys []string) []string {
	var out []string
	for _, k := range DemarcheKeys() {
		for _, d := range keys {
			if d == k {
				out = append(out, k)
				break
			}
		}
	}
	return out
}

func joinKeys(keys []string) string {
	out := ""
	for i, k := range keys {
		if i > 0 {
			out += ","
		}
		out += k
	}
	return out
}

// GetMandatFlow returns the aidant's live flow for that token, with its usager and organisation.
// A flow begun in another organisation than the aidant's current one comes back with
// ErrFlowOtherOrganisation, so that the aidant can be told which.
// A signed flow (MandatID set) is returned whatever its age, until purged, so that a page can
// say the mandat exists rather than that the run expired.
func (s *Store) GetMandatFlow(ctx context.Context, aidantID int64, token string) (*MandatFlow, error) {
	f := new(MandatFlow)
	err := s.db.NewSelect().Model(f).ColumnExpr("mandat_flow.*").ColumnExpr(inCurrentOrganisation).
		Relation("Usager").Relation("Organisation").
		Where("mandat_flow.token_hash = ? AND mandat_flow.aidant_id = ?", HashToken(token), aidantID).Scan(ctx)
	if err != nil {
		return nil, notFound(err, "get flow")
	}
	if f.MandatID != nil {
		return f, nil
	}
	if !s.Now().Before(f.ExpiresAt) {
		return nil, ErrFlowExpired
	}
	if !f.InCurrentOrganisation {
		return f, ErrFlowOtherOrganisation
	}
	return f, nil
}

// SetFCState records the FranceConnect state and nonce (hashed) of the flow's round trip, for
// a flow of the aidant's current organisation (else ErrFlowExpired).
func (s *Store) SetFCState(ctx context.Context, aidantID int64, token, state, nonce string) error {
	res, err := s.db.NewUpdate().Model((*MandatFlow)(nil)).
		Set("fc_state_hash = ?, fc_nonce_hash = ?", HashToken(state), HashToken(nonce)).
		Set("expires_at = least(expires_at, ?)", s.Now().Add(fcRoundTripTTL)).
		Where("token_hash = ? AND aidant_id = ? AND NOT renewal AND mandat_id IS NULL AND expires_at > ?", HashToken(token), aidantID, s.Now()).
		Where("organisation_id = (SELECT a.current_organisation_id FROM aidants AS a WHERE a.id = mandat_flow.aidant_id)").Exec(ctx)
	if err != nil {
		return fmt.Errorf("set fc state: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrFlowExpired
	}
	return nil
}

// FlowForCallback finds the flow a FranceConnect callback belongs to: the state must match the
// flow held by this very session, and be used once. A flow begun in another organisation than
// the aidant's current one is ErrFlowOtherOrganisation.
func (s *Store) FlowForCallback(ctx context.Context, aidantID int64, token, state string) (*MandatFlow, error) {
	f := new(MandatFlow)
	err := s.db.NewSelect().Model(f).ColumnExpr("mandat_flow.*").ColumnExpr(inCurrentOrganisation).
		Where("token_hash = ? AND aidant_id = ? AND fc_state_hash = ?", HashToken(token), aidantID, HashToken(state)).Scan(ctx)
	if err != nil {
		return nil, notFound(err, "flow for callback")
	}
	if !s.Now().Before(f.ExpiresAt) {
		return nil, ErrFlowExpired
	}
	if !f.InCurrentOrganisation {
		return nil, ErrFlowOtherOrganisation
	}
	return f, nil
}

// FCNonce is the nonce sent with a state: derived from it with a secret key, so nothing more
// needs storing and a nonce cannot be forged for another state.
func (s *Store) FCNonce(state string) string {
	m := hmac.New(sha256.New, s.sealer.Key("fc-nonce"))
	m.Write([]byte(state))
	return hex.EncodeToString(m.Sum(nil))
}

// IdentifyUsager stores the usager FranceConnect identified for the flow (created or updated,
// its fields through CleanText), journals franceconnect_usager (with what was received, when
// cleaning changed it), and burns the state so the callback cannot be replayed. The
// flow's organisation must still be its aidant's current one (checked as the state is
// burnt): nothing is recorded for an organisation the aidant has left meanwhile.
func (s *Store) IdentifyUsager(ctx context.Context, f *MandatFlow, id FCIdentity) (*Usager, error) {
	var u *Usager
	err := s.InTx(ctx, func(tx *Store) error {
		res, err := tx.db.NewUpdate().Model((*MandatFlow)(nil)).Set("fc_state_hash = NULL, fc_nonce_hash = NULL").
			Where("id = ? AND fc_state_hash = ?", f.ID, f.FCStateHash).
			Where("EXISTS (SELECT 1 FROM aidants AS a WHERE a.id = mandat_flow.aidant_id AND a.current_organisation_id = mandat_flow.organisation_id)").
			Exec(ctx)
		if err != nil {
			return fmt.Errorf("burn state: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		if u, err = tx.upsertUsager(ctx, id.Cleaned(), tx.sealer.Key("usager-sub"), f.AidantID, f.OrganisationID); err != nil {
			return err
		}
		if _, err := tx.db.NewUpdate().Model((*MandatFlow)(nil)).Set("usager_id = ?", u.ID).Set("expires_at = ?", tx.Now().Add(MandatFlowTTL)).
			Where("id = ?", f.ID).Exec(ctx); err != nil {
			return fmt.Errorf("flow usager: %w", err)
		}
		return tx.appendJournal(ctx, &JournalEntry{Action: ActionFranceConnectUsager, AidantID: &f.AidantID, OrganisationID: &f.OrganisationID,
			UsagerID: &u.ID, Info: id.received()})
	})
	return u, err
}

// CancelMandatFlow forgets a flow (the aidant started again or gave up).
func (s *Store) CancelMandatFlow(ctx context.Context, aidantID int64, token string) error {
	_, err := s.db.NewDelete().Model((*MandatFlow)(nil)).Where("token_hash = ? AND aidant_id = ?", HashToken(token), aidantID).Exec(ctx)
	return notFound(err, "cancel flow")
}

// CreateMandatInput is the recap form, signed with the aidant's code.
type CreateMandatInput struct {
	AidantID  int64
	FlowToken string
	Code      string
	Verify    VerifyFunc
	AllowDemo bool
}

// CreateMandat signs the flow: in one transaction it checks the aidant's code, creates the
// mandat and one autorisation per démarche, revokes the organisation's older active
// autorisations for the same usager and démarches, journals everything, and marks the flow
// signed. A wrong code is ErrCodeRefused (its failure is recorded for backoff; nothing else is
// saved). Signing a signed flow again is *AlreadySignedError and changes nothing: the flow's
// row lock makes a concurrent second submission wait for the first and then see it signed.
func (s *Store) CreateMandat(ctx context.Context, in CreateMandatInput) (*Mandat, error) {
	refused := false
	var m *Mandat
	err := s.InTx(ctx, func(tx *Store) error {
		f := new(MandatFlow)
		err := tx.db.NewSelect().Model(f).Where("token_hash = ? AND aidant_id = ?", HashToken(in.FlowToken), in.AidantID).For("UPDATE").Scan(ctx)
		if err != nil {
			return notFound(err, "lock flow")
		}
		if f.MandatID != nil {
			return &AlreadySignedError{MandatID: *f.MandatID}
		}
		if !tx.Now().Before(f.ExpiresAt) {
			return ErrFlowExpired
		}
		if f.UsagerID == nil {
			return ErrFlowExpired
		}
		a, err := tx.GetAidant(ctx, in.AidantID)
		if err != nil {
			return err
		}
		if a.CurrentOrganisationID != f.OrganisationID || !a.CanCreateMandats {
			return ErrNotFound
		}
		ok, err := tx.checkCode(ctx, a, in.Code, in.Verify, in.AllowDemo)
		if err != nil {
			return err
		}
		if !ok {
			refused = true
			return nil
		}
		m, err = tx.insertMandat(ctx, a, f)
		if err != nil {
			return err
		}
		// The signed flow stays until purged (its expiry restarts), so that a repeated
		// submission finds it and names this mandat.
		_, err = tx.db.NewUpdate().Model(f).Set("mandat_id = ?, expires_at = ?, fc_state_hash = NULL, fc_nonce_hash = NULL", m.ID, tx.Now().Add(MandatFlowTTL)).
			WherePK().Exec(ctx)
		return notFound(err, "end flow")
	})
	if err != nil {
		return nil, err
	}
	if refused {
		return nil, ErrCodeRefused
	}
	return m, nil
}

func (s *Store) insertMandat(ctx context.Context, a *Aidant, f *MandatFlow) (*Mandat, error) {
	u := new(Usager)
	// Locking the usager serialises two mandats created at once for the same person, so the
	// "revoke the older autorisations" rule cannot miss a concurrent one.
	if err := s.db.NewSelect().Model(u).Where("id = ?", *f.UsagerID).For("UPDATE").Scan(ctx); err != nil {
		return nil, notFound(err, "flow usager")
	}
	duree, ok := FindDuree(f.Duree)
	if !ok {
		return nil, ErrDemarcheNotAllowed
	}
	now := s.Now()
	end, err := MandatEnd(now, duree.Days)
	if err != nil {
		return nil, err
	}
	m := &Mandat{OrganisationID: f.OrganisationID, UsagerID: u.ID, CreatedByAidantID: a.ID, Duree: duree.Key,
		CreatedAt: now, ExpiresAt: end, TemplateVersion: MandatTemplateVersion}
	m.AttestationHash = AttestationHash(s.sealer.Key("attestation"), a.ID, f.OrganisationID, u.Sub, f.Demarches, m.CreatedAt, m.ExpiresAt, MandatTemplateVersion)
	m.VerifyTokenHash = []byte{0} // replaced once the id is known
	if _, err := s.db.NewInsert().Model(m).Returning("id").Exec(ctx); err != nil {
		return nil, fmt.Errorf("insert mandat: %w", err)
	}
	m.VerifyTokenHash = HashToken(s.VerifyToken(m.ID))
	if _, err := s.db.NewUpdate().Model(m).Column("verify_token_hash").WherePK().Exec(ctx); err != nil {
		return nil, fmt.Errorf("mandat verify token: %w", err)
	}
	if err := s.appendJournal(ctx, &JournalEntry{Action: ActionCreateAttestation, AidantID: &a.ID, OrganisationID: &f.OrganisationID,
		UsagerID: &u.ID, MandatID: &m.ID, Demarche: joinKeys(f.Demarches), DureeDays: duree.Days, AttestationHash: m.AttestationHash}); err != nil {
		return nil, err
	}
	for _, d := range f.Demarches {
		// The organisation's older active autorisations for this usager and démarche end now.
		var old []Autorisation
		err := s.db.NewSelect().Model(&old).Apply(activeAutorisations(now)).
			Where("m.organisation_id = ? AND m.usager_id = ? AND autorisation.demarche = ?", f.OrganisationID, u.ID, d).
			Where("m.id <> ?", m.ID).
			For("UPDATE OF autorisation").Scan(ctx)
		if err != nil {
			return nil, fmt.Errorf("find older autorisations: %w", err)
		}
		for i := range old {
			if err := s.revokeAutorisation(ctx, &old[i], a.ID, f.OrganisationID, u.ID, now); err != nil {
				return nil, err
			}
		}
		au := &Autorisation{MandatID: m.ID, Demarche: d}
		if _, err := s.db.NewInsert().Model(au).Returning("id").Exec(ctx); err != nil {
			return nil, fmt.Errorf("insert autorisation: %w", err)
		}
		m.Autorisations = append(m.Autorisations, *au)
		if err := s.appendJournal(ctx, &JournalEntry{Action: ActionCreateAutorisation, AidantID: &a.ID, OrganisationID: &f.OrganisationID,
			UsagerID: &u.ID, MandatID: &m.ID, AutorisationID: &au.ID, Demarche: d, DureeDays: duree.Days}); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (s *Store) revokeAutorisation(ctx context.Context, au *Autorisation, aidantID, orgID, usagerID int64, now time.Time) error {
	if _, err := s.db.NewUpdate().Model(au).Set("revoked_at = ?, revoked_by_aidant_id = ?", now, aidantID).WherePK().Exec(ctx); err != nil {
		return fmt.Errorf("revoke autorisation: %w", err)
	}
	au.RevokedAt, au.RevokedByAidantID = &now, &aidantID
	return s.appendJournal(ctx, &JournalEntry{Action: ActionCancelAutorisation, AidantID: &aidantID, OrganisationID: &orgID,
		UsagerID: &usagerID, MandatID: &au.MandatID, AutorisationID: &au.ID, Demarche: au.Demarche})
}

// hasRenewableMandat reports whether the usager has a renewable mandat in the organisation.
func (s *Store) hasRenewableMandat(ctx context.Context, orgID, usagerID int64) (bool, error) {
	var ms []Mandat
	if err := s.db.NewSelect().Model(&ms).Relation("Autorisations").
		Where("mandat.organisation_id = ? AND mandat.usager_id = ?", orgID, usagerID).Scan(ctx); err != nil {
		return false, fmt.Errorf("renewable mandats: %w", err)
	}
	now := s.Now()
	for i := range ms {
		if ms[i].Renewable(now) {
			return true, nil
		}
	}
	return false, nil
}

// GetUsager returns a usager who has at least one mandat with the organisation.
func (s *Store) GetUsager(ctx context.Context, orgID, usagerID int64) (*Usager, error) {
	u := new(Usager)
	err := s.db.NewSelect().Model(u).Where("id = ?", usagerID).
		Where("EXISTS (SELECT 1 FROM mandats AS m WHERE m.usager_id = usager.id AND m.organisation_id = ?)", orgID).Scan(ctx)
	return u, notFound(err, "get usager")
}

// GetRenewableUsager returns a usager of the organisation who has a renewable mandat there.
func (s *Store) GetRenewableUsager(ctx context.Context, orgID, usagerID int64) (*Usager, error) {
	u, err := s.GetUsager(ctx, orgID, usagerID)
	if err != nil {
		return nil, err
	}
	ok, err := s.hasRenewableMandat(ctx, orgID, usagerID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrNotFound
	}
	return u, nil
}

// AbandonMandatFlow forgets a run that failed (FranceConnect cancelled or refused, expired)
// and returns its step-1 choices, so that step 1 comes back as it was filled; nil for a
// renewal or for a flow already gone.
func (s *Store) AbandonMandatFlow(ctx context.Context, aidantID int64, token string) (*MandatChoice, error) {
	var fs []MandatFlow
	_, err := s.db.NewDelete().Model(&fs).Where("token_hash = ? AND aidant_id = ? AND mandat_id IS NULL", HashToken(token), aidantID).
		Returning("demarches, duree, renewal").Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("abandon flow: %w", err)
	}
	if len(fs) == 0 || fs[0].Renewal {
		return nil, nil
	}
	return &MandatChoice{Demarches: fs[0].Demarches, Duree: fs[0].Duree}, nil
}

// ChangeMandatFlowChoice replaces the démarches and duration of a run the usager was already
// identified in ("Modifier les démarches" on the recap): checked against the organisation
// again, with no new FranceConnect round trip. A signed run is *AlreadySignedError.
func (s *Store) ChangeMandatFlowChoice(ctx context.Context, aidantID int64, token string, c MandatChoice) error {
	return s.InTx(ctx, func(tx *Store) error {
		f := new(MandatFlow)
		err := tx.db.NewSelect().Model(f).Where("token_hash = ? AND aidant_id = ?", HashToken(token), aidantID).For("UPDATE").Scan(ctx)
		if err != nil {
			return notFound(err, "lock flow")
		}
		if f.MandatID != nil {
			return &AlreadySignedError{MandatID: *f.MandatID}
		}
		if f.UsagerID == nil || !tx.Now().Before(f.ExpiresAt) {
			return ErrFlowExpired
		}
		org := new(Organisation)
		if err := tx.db.NewSelect().Model(org).Where("id = ? AND is_active", f.OrganisationID).Scan(ctx); err != nil {
			return notFound(err, "flow organisation")
		}
		if err := checkChoice(org, c); err != nil {
			return err
		}
		f.Demarches, f.Duree = orderedDemarches(c.Demarches), c.Duree
		_, err = tx.db.NewUpdate().Model(f).Column("demarches", "duree").WherePK().Exec(ctx)
		return notFound(err, "change flow")
	})
}
