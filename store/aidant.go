package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// Aidant is a trained professional who acts for usagers. Aidants log in with email + TOTP.
type Aidant struct {
	bun.BaseModel `bun:"table:aidants"`

	ID                    int64      `bun:"id,pk,autoincrement"`
	Email                 string     `bun:"email"`
	FirstName             string     `bun:"first_name"`
	LastName              string     `bun:"last_name"`
	Profession            string     `bun:"profession"`
	Phone                 string     `bun:"phone"`
	CurrentOrganisationID int64      `bun:"current_organisation_id"`
	CanCreateMandats      bool       `bun:"can_create_mandats"`
	IsActive              bool       `bun:"is_active"`
	IsStaff               bool       `bun:"is_staff"`
	IsDemo                bool       `bun:"is_demo"`
	LastLoginAt           *time.Time `bun:"last_login_at"`
	CreatedAt             time.Time  `bun:"created_at,nullzero,default:now()"`
}

// FullName is "Prénom Nom".
func (a *Aidant) FullName() string { return strings.TrimSpace(a.FirstName + " " + a.LastName) }

// Membership links an aidant to one organisation, with the référent role or not.
type Membership struct {
	bun.BaseModel `bun:"table:aidant_organisations"`

	AidantID       int64         `bun:"aidant_id,pk"`
	OrganisationID int64         `bun:"organisation_id,pk"`
	IsReferent     bool          `bun:"is_referent"`
	Organisation   *Organisation `bun:"rel:belongs-to,join:organisation_id=id"`
}

// NormaliseEmail is the one form emails are stored and looked up in.
func NormaliseEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// CreateAidant inserts a and makes it a member (référent or not) of its current organisation.
func (s *Store) CreateAidant(ctx context.Context, a *Aidant, referent bool) error {
	a.Email = NormaliseEmail(a.Email)
	return s.InTx(ctx, func(tx *Store) error {
		if _, err := tx.db.NewInsert().Model(a).Returning("*").Exec(ctx); err != nil {
			return fmt.Errorf("create aidant: %w", err)
		}
		return tx.AddMembership(ctx, a.ID, a.CurrentOrganisationID, referent)
	})
}

// AddMembership makes an aidant a member of an organisation (idempotent; the référent flag is updated).
func (s *Store) AddMembership(ctx context.Context, aidantID, organisationID int64, referent bool) error {
	m := &Membership{AidantID: aidantID, OrganisationID: organisationID, IsReferent: referent}
	_, err := s.db.NewInsert().Model(m).
		On("CONFLICT (aidant_id, organisation_id) DO UPDATE").Set("is_referent = EXCLUDED.is_referent").
		Exec(ctx)
	return notFound(err, "add membership")
}

// GetAidant returns an active aidant by id.
func (s *Store) GetAidant(ctx context.Context, id int64) (*Aidant, error) {
	a := new(Aidant)
	err := s.db.NewSelect().Model(a).Where("id = ? AND is_active", id).Scan(ctx)
	return a, notFound(err, "get aidant")
}

// FindAidantByEmail returns the aidant with that email, active or not.
func (s *Store) FindAidantByEmail(ctx context.Context, email string) (*Aidant, error) {
	a := new(Aidant)
	err := s.db.NewSelect().Model(a).Where("email = ?", NormaliseEmail(email)).Scan(ctx)
	return a, notFound(err, "find aidant")
}

// ListMemberships returns the aidant's organisations (active ones), by name.
func (s *Store) ListMemberships(ctx context.Context, aidantID int64) ([]Membership, error) {
	var ms []Membership
	err := s.db.NewSelect().Model(&ms).Relation("Organisation").
		Where("membership.aidant_id = ?", aidantID).
		Where("organisation.is_active").
		OrderExpr("organisation.name, organisation.id").Scan(ctx)
	return ms, notFound(err, "list memberships")
}

// SetAidantActive activates or deactivates an aidant. Deactivation ends every session of theirs.
func (s *Store) SetAidantActive(ctx context.Context, aidantID int64, active bool) error {
	return s.InTx(ctx, func(tx *Store) error {
		res, err := tx.db.NewUpdate().Model((*Aidant)(nil)).Set("is_active = ?", active).Where("id = ?", aidantID).Exec(ctx)
		if err != nil {
			return fmt.Errorf("set aidant active: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		if !active {
			return tx.DeleteAidantSessions(ctx, aidantID)
		}
		return nil
	})
}

// SwitchOrganisation makes organisationID the aidant's current organisation, provided the aidant
// is a member of it, and journals the change. A foreign organisation is ErrNotFound.
func (s *Store) SwitchOrganisation(ctx context.Context, aidantID, organisationID int64) (*Organisation, error) {
	var to Organisation
	err := s.InTx(ctx, func(tx *Store) error {
		a := new(Aidant)
		if err := tx.db.NewSelect().Model(a).Where("id = ? AND is_active", aidantID).For("UPDATE").Scan(ctx); err != nil {
			return notFound(err, "lock aidant")
		}
		err := tx.db.NewSelect().Model(&to).
			Join("JOIN aidant_organisations AS m ON m.organisation_id = organisation.id").
			Where("m.aidant_id = ? AND organisation.id = ? AND organisation.is_active", aidantID, organisationID).
			Scan(ctx)
		if err != nil {
			return notFound(err, "find organisation")
		}
		if a.CurrentOrganisationID == to.ID {
			return nil
		}
		var from Organisation
		if err := tx.db.NewSelect().Model(&from).Where("id = ?", a.CurrentOrganisationID).Scan(ctx); err != nil {
			return notFound(err, "current organisation")
		}
		if _, err := tx.db.NewUpdate().Model(a).Set("current_organisation_id = ?", to.ID).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("switch organisation: %w", err)
		}
		return tx.appendJournal(ctx, &JournalEntry{
			Action: ActionSwitchOrganisation, AidantID: &a.ID, OrganisationID: &to.ID,
			Info: fmt.Sprintf("organisation précédente : %s (#%d) - nouvelle organisation : %s (#%d)", from.Name, from.ID, to.Name, to.ID),
		})
	})
	return &to, err
}
