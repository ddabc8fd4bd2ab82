package store

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
)

// ElsewhereError means that what was asked for (a mandat, a usager) is not the current
// organisation's but belongs to another organisation of the same aidant: the aidant can switch
// and see it. It is ErrNotFound for every rule that does not look closer (errors.Is).
type ElsewhereError struct {
	Organisation *Organisation
	Usager       bool // a usager was asked for, not a mandat
}

func (e *ElsewhereError) Error() string {
	return fmt.Sprintf("belongs to organisation %d of the same aidant", e.Organisation.ID)
}

// Unwrap makes it ErrNotFound: 404, and nothing of the mandat shown.
func (e *ElsewhereError) Unwrap() error { return ErrNotFound }

// MandatElsewhere returns the organisation, among orgIDs (the aidant's other memberships),
// that owns the mandat; ErrNotFound when none does.
func (s *Store) MandatElsewhere(ctx context.Context, orgIDs []int64, mandatID int64) (*Organisation, error) {
	return s.ownerAmong(ctx, orgIDs, "SELECT organisation_id FROM mandats WHERE id = ?", mandatID)
}

// UsagerElsewhere returns the first organisation, among orgIDs, where the usager has a mandat;
// ErrNotFound when none has.
func (s *Store) UsagerElsewhere(ctx context.Context, orgIDs []int64, usagerID int64) (*Organisation, error) {
	return s.ownerAmong(ctx, orgIDs, "SELECT organisation_id FROM mandats WHERE usager_id = ?", usagerID)
}

func (s *Store) ownerAmong(ctx context.Context, orgIDs []int64, owners string, id int64) (*Organisation, error) {
	if len(orgIDs) == 0 {
		return nil, ErrNotFound
	}
	org := new(Organisation)
	err := s.db.NewSelect().Model(org).Where("id IN (?)", bun.In(orgIDs)).
		Where("id IN ("+owners+")", id).OrderExpr("name, id").Limit(1).Scan(ctx)
	return org, notFound(err, "owner among organisations")
}
