package store

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// Organisation is a structure whose aidants act for usagers.
type Organisation struct {
	bun.BaseModel `bun:"table:organisations"`

	ID               int64     `bun:"id,pk,autoincrement"`
	UUID             string    `bun:"uuid,type:uuid,nullzero,default:gen_random_uuid()"`
	Name             string    `bun:"name"`
	TypeName         string    `bun:"type_name"`
	Siret            string    `bun:"siret"`
	Address          string    `bun:"address"`
	Zipcode          string    `bun:"zipcode"`
	City             string    `bun:"city"`
	AllowedDemarches []string  `bun:"allowed_demarches,array"`
	IsActive         bool      `bun:"is_active"`
	CreatedAt        time.Time `bun:"created_at,nullzero,default:now()"`
	// HabilitationNumber is the number the organisation was accredited under (none until the
	// national team assigns one).
	HabilitationNumber *int64 `bun:"habilitation_number"`
	// The bac à sable: a trainee's practice organisation expires (TraineeExpiresAt) and its
	// trainee reads their outbox at a URL whose token hashes to TraineeOutboxHash; IsDemo
	// marks the seed's demo organisations. See store/sandbox.go.
	TraineeExpiresAt  *time.Time `bun:"trainee_expires_at"`
	TraineeOutboxHash []byte     `bun:"trainee_outbox_hash"`
	IsDemo            bool       `bun:"is_demo"`
}

// Allows reports whether the organisation offers that démarche.
func (o *Organisation) Allows(key string) bool {
	for _, k := range o.AllowedDemarches {
		if k == key {
			return true
		}
	}
	return false
}

// CreateOrganisation inserts o; every démarche is allowed unless o says otherwise.
func (s *Store) CreateOrganisation(ctx context.Context, o *Organisation) error {
	if len(o.AllowedDemarches) == 0 {
		o.AllowedDemarches = DemarcheKeys()
	}
	o.IsActive = true
	_, err := s.db.NewInsert().Model(o).Returning("*").Exec(ctx)
	return notFound(err, "create organisation")
}

// FindOrganisationByName returns the organisation with exactly that name (used by the demo seed).
func (s *Store) FindOrganisationByName(ctx context.Context, name string) (*Organisation, error) {
	o := new(Organisation)
	err := s.db.NewSelect().Model(o).Where("name = ?", name).OrderExpr("id").Limit(1).Scan(ctx)
	return o, notFound(err, "find organisation")
}
