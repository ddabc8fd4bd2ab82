package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
)

// ReferentScope is a référent acting in one organisation. Every référent query takes one and
// checks it in its own SQL: ReferentID is an active référent of OrganisationID, an active
// organisation, and whatever the query reads or changes belongs to OrganisationID. An id
// outside the scope is ErrNotFound, exactly like an unknown one, however the request was made.
type ReferentScope struct {
	ReferentID     int64
	OrganisationID int64
}

// ErrUnavailable refuses an action the account's state does not offer (the availability
// matrix): linking a second carte, deactivating oneself… The page did not offer it.
var ErrUnavailable = errors.New("action indisponible pour ce compte")

// referentOf is the scope check as a predicate: the first argument is the référent's id, the
// second the organisation's.
const referentOf = `EXISTS (SELECT 1 FROM aidant_organisations AS rm
	JOIN aidants AS ra ON ra.id = rm.aidant_id AND ra.is_active
	JOIN organisations AS ro ON ro.id = rm.organisation_id AND ro.is_active
	WHERE rm.aidant_id = ? AND rm.organisation_id = ? AND rm.is_referent)`

// memberOf is "aidant (by the outer query's a.id) belongs to organisation ?".
const memberOf = `EXISTS (SELECT 1 FROM aidant_organisations AS mm WHERE mm.aidant_id = a.id AND mm.organisation_id = ?)`

// inScope adds the scope check to a query.
func inScope(q *bun.SelectQuery, scope ReferentScope) *bun.SelectQuery {
	return q.Where(referentOf, scope.ReferentID, scope.OrganisationID)
}

// scopeOf returns the scope's organisation and référent, or ErrNotFound when the référent
// does not manage it (any more).
func (s *Store) scopeOf(ctx context.Context, scope ReferentScope) (*Organisation, *Aidant, error) {
	org := new(Organisation)
	if err := inScope(s.db.NewSelect().Model(org).Where("organisation.id = ?", scope.OrganisationID), scope).Scan(ctx); err != nil {
		return nil, nil, notFound(err, "referent scope")
	}
	ref := new(Aidant)
	if err := s.db.NewSelect().Model(ref).Where("id = ?", scope.ReferentID).Scan(ctx); err != nil {
		return nil, nil, notFound(err, "referent")
	}
	return org, ref, nil
}

// managedOrganisations lists the active organisations the aidant is référent of, by name.
func (s *Store) managedOrganisations(ctx context.Context, referentID int64) ([]Organisation, error) {
	var orgs []Organisation
	err := s.db.NewSelect().Model(&orgs).
		Join("JOIN aidant_organisations AS m ON m.organisation_id = organisation.id").
		Join("JOIN aidants AS ra ON ra.id = m.aidant_id AND ra.is_active").
		Where("m.aidant_id = ? AND m.is_referent AND organisation.is_active", referentID).
		OrderExpr("organisation.name, organisation.id").Scan(ctx)
	return orgs, notFound(err, "managed organisations")
}

// SwitchReferentOrganisation makes one of the organisations the aidant is référent of their
// current organisation (journaled as any switch). An organisation they do not manage is
// ErrNotFound, even one they are a plain member of: the espace référent's switch offers only
// theirs.
func (s *Store) SwitchReferentOrganisation(ctx context.Context, referentID, organisationID int64) (*Organisation, error) {
	var org *Organisation
	err := s.InTx(ctx, func(tx *Store) error {
		if _, _, err := tx.scopeOf(ctx, ReferentScope{ReferentID: referentID, OrganisationID: organisationID}); err != nil {
			return err
		}
		var err error
		org, err = tx.SwitchOrganisation(ctx, referentID, organisationID)
		return err
	})
	return org, err
}

// ReferentHome is what the espace référent's home counts.
type ReferentHome struct {
	Organisation    *Organisation
	ActiveAidants   int // members who may log in
	WithoutDevice   int // of which with neither a validated carte nor a confirmed app
	InactiveAidants int
	PendingRequests int // habilitation, structure-change and co-référent requests not yet decided
	// SelfHasDevice tells whether the référent themselves has a confirmed carte or app: when
	// not, the home leads them to enrol one.
	SelfHasDevice bool
}

// GetReferentHome counts the scope's organisation's aidants and open requests.
func (s *Store) GetReferentHome(ctx context.Context, scope ReferentScope) (*ReferentHome, error) {
	org, _, err := s.scopeOf(ctx, scope)
	if err != nil {
		return nil, err
	}
	h := &ReferentHome{Organisation: org}
	err = s.db.NewRaw(`SELECT
		count(*) FILTER (WHERE a.is_active),
		count(*) FILTER (WHERE a.is_active AND NOT EXISTS (SELECT 1 FROM otp_devices AS d WHERE d.aidant_id = a.id AND d.confirmed)),
		count(*) FILTER (WHERE NOT a.is_active)
		FROM aidant_organisations AS m JOIN aidants AS a ON a.id = m.aidant_id
		WHERE m.organisation_id = ?`, org.ID).Scan(ctx, &h.ActiveAidants, &h.WithoutDevice, &h.InactiveAidants)
	if err != nil {
		return nil, fmt.Errorf("count aidants: %w", err)
	}
	err = s.db.NewRaw(`SELECT
		(SELECT count(*) FROM habilitation_requests WHERE organisation_id = ? AND status IN (?)) +
		(SELECT count(*) FROM structure_change_requests WHERE organisation_id = ? AND status = 'new') +
		(SELECT count(*) FROM coreferent_requests WHERE organisation_id = ? AND status = 'new'),
		EXISTS (SELECT 1 FROM otp_devices WHERE aidant_id = ? AND confirmed)`,
		org.ID, bun.In(pendingHabilitationStatuses), org.ID, org.ID, scope.ReferentID).Scan(ctx, &h.PendingRequests, &h.SelfHasDevice)
	if err != nil {
		return nil, fmt.Errorf("count requests: %w", err)
	}
	return h, nil
}

// SetOrganisationDemarches sets the démarches the scope's organisation offers (at least one,
// from the catalogue). It revokes nothing: existing autorisations stay as they are; new
// mandats and FranceConnect logins offer the new set from the next request on.
func (s *Store) SetOrganisationDemarches(ctx context.Context, scope ReferentScope, keys []string) error {
	var clean []string
	for _, k := range DemarcheKeys() {
		for _, want := range keys {
			if want == k {
				clean = append(clean, k)
				break
			}
		}
	}
	if len(clean) == 0 || len(clean) != len(uniqueStrings(keys)) {
		return ErrInvalidDemarches
	}
	return s.InTx(ctx, func(tx *Store) error {
		// Locked first, so that the journal's "before" is what this change replaced.
		if _, err := tx.db.NewRaw("SELECT id FROM organisations WHERE id = ? FOR UPDATE", scope.OrganisationID).Exec(ctx); err != nil {
			return fmt.Errorf("lock organisation: %w", err)
		}
		org, _, err := tx.scopeOf(ctx, scope)
		if err != nil {
			return err
		}
		before := org.AllowedDemarches
		if _, err := tx.db.NewUpdate().Model(org).Set("allowed_demarches = ?", pgdialect.Array(clean)).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("set demarches: %w", err)
		}
		return tx.appendJournal(ctx, &JournalEntry{
			Action: ActionOrganisationDemarches, AidantID: &scope.ReferentID, OrganisationID: &org.ID,
			Demarche: strings.Join(clean, ","),
			Info:     "démarches précédentes : " + strings.Join(before, ","),
		})
	})
}

// ErrInvalidDemarches: no démarche chosen, or one outside the catalogue.
var ErrInvalidDemarches = errors.New("démarches invalides")

func uniqueStrings(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range in {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
