// Package migrations holds the SQL schema, embedded so the binary migrates itself.
package migrations

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"
)

//go:embed *.sql
var sqlFiles embed.FS

// lockKey serialises concurrent migrators (several app instances starting at once).
const lockKey = 727_011_001

// Up applies every pending migration under a Postgres advisory lock and returns
// how many were applied.
func Up(ctx context.Context, db *bun.DB) (int, error) {
	ms := migrate.NewMigrations()
	if err := ms.Discover(sqlFiles); err != nil {
		return 0, fmt.Errorf("discover migrations: %w", err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("migration connection: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?)", lockKey); err != nil {
		return 0, fmt.Errorf("migration lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(?)", lockKey) //nolint:errcheck

	m := migrate.NewMigrator(db, ms, migrate.WithMarkAppliedOnSuccess(true))
	if err := m.Init(ctx); err != nil {
		return 0, fmt.Errorf("migration tables: %w", err)
	}
	group, err := m.Migrate(ctx)
	if err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	// Then the job queue's tables, by River's own migrator (still under the lock).
	river, err := riverUp(ctx, db)
	if err != nil {
		return 0, err
	}
	return len(group.Migrations) + river, nil
}

// Fingerprint returns the SHA-256 (hex) of every embedded *.sql file, names
// and contents, in name order: a database migrated by another set of files
// gets another fingerprint, so test harnesses can key migrated templates on it.
func Fingerprint() string {
	h := sha256.New()
	// The pattern is constant and the files are embedded: neither call can
	// fail at run time.
	names, _ := fs.Glob(sqlFiles, "*.sql")
	fmt.Fprintf(h, "%s\x00", RiverVersion)
	for _, name := range names {
		b, _ := sqlFiles.ReadFile(name)
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))
}
