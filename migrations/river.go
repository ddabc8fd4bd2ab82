package migrations

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/uptrace/bun"
)

// RiverVersion names the job queue's schema that Up installs: River's own migrations (its
// "main" line), run by River's migrator after ours, in the same database and schema. Part of
// Fingerprint, so test templates are rebuilt when River moves.
const RiverVersion = "river v0.51.2, main line"

func riverMigrator(db *bun.DB) (*rivermigrate.Migrator[*sql.Tx], error) {
	m, err := rivermigrate.New(riverdatabasesql.New(db.DB), nil)
	if err != nil {
		return nil, fmt.Errorf("river migrator: %w", err)
	}
	return m, nil
}

// riverUp applies River's pending migrations and returns how many ran.
func riverUp(ctx context.Context, db *bun.DB) (int, error) {
	m, err := riverMigrator(db)
	if err != nil {
		return 0, err
	}
	res, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return 0, fmt.Errorf("river migrations: %w", err)
	}
	return len(res.Versions), nil
}

// riverPending is how many of River's migrations the database lacks.
func riverPending(ctx context.Context, db *bun.DB) (int, error) {
	m, err := riverMigrator(db)
	if err != nil {
		return 0, err
	}
	var installed bool
	if err := db.NewRaw("SELECT to_regclass('river_migration') IS NOT NULL").Scan(ctx, &installed); err != nil {
		return 0, fmt.Errorf("river migration table: %w", err)
	}
	if !installed {
		return len(m.AllVersions()), nil
	}
	have, err := m.ExistingVersions(ctx)
	if err != nil {
		return 0, fmt.Errorf("river migration status: %w", err)
	}
	return len(m.AllVersions()) - len(have), nil
}
