package storetest

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/aidantsconnect/ac/migrations"
)

// templateLockKey serialises template builds among test binaries sharing one
// server (go test runs packages in parallel). Advisory locks are scoped to
// the database, so every binary must use the same TEST_DATABASE_URL database
// to meet on it — they do, since they read the same variable.
const templateLockKey = 727_011_002

// ensureTemplate returns the name of a template database migrated with the
// embedded migrations, building it unless another binary already has. The
// name carries the migrations' fingerprint: a server shared by checkouts with
// different migrations holds one template per set, never a stale one.
func ensureTemplate(ctx context.Context, admin *sql.DB, adminDSN string) (string, error) {
	name := "actpl_" + migrations.Fingerprint()[:24]
	conn, err := admin.Conn(ctx)
	if err != nil {
		return "", fmt.Errorf("storetest: connect to PostgreSQL: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", templateLockKey); err != nil {
		return "", fmt.Errorf("storetest: template lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", templateLockKey) //nolint:errcheck

	var exists bool
	if err := conn.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).
		Scan(&exists); err != nil {
		return "", fmt.Errorf("storetest: look for template: %w", err)
	}
	if exists {
		return name, nil
	}

	// Build under another name and rename at the end, so a binary killed
	// mid-migration never leaves a half-migrated template that looks done.
	build := name + "_build"
	for _, q := range []string{
		"DROP DATABASE IF EXISTS " + ident(build) + " WITH (FORCE)",
		// template0: whatever a shared server's template1 holds stays out.
		"CREATE DATABASE " + ident(build) + " TEMPLATE template0 ENCODING 'UTF8'",
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return "", fmt.Errorf("storetest: %s: %w", q, err)
		}
	}
	if err := migrate(ctx, adminDSN, build); err != nil {
		return "", err
	}
	for _, q := range []string{
		// Renaming needs the migration connections gone; the server waits
		// up to 5 s for closing backends to exit.
		"ALTER DATABASE " + ident(build) + " RENAME TO " + ident(name),
		// No connections: CREATE DATABASE … TEMPLATE fails while anyone is
		// connected to the template, so nobody may be.
		"ALTER DATABASE " + ident(name) + " WITH IS_TEMPLATE true ALLOW_CONNECTIONS false",
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return "", fmt.Errorf("storetest: %s: %w", q, err)
		}
	}
	return name, nil
}

func migrate(ctx context.Context, adminDSN, database string) error {
	dsn, err := withDatabase(adminDSN, database)
	if err != nil {
		return fmt.Errorf("storetest: %w", err)
	}
	db, err := openBun(dsn)
	if err != nil {
		return fmt.Errorf("storetest: %w", err)
	}
	defer db.Close()
	if _, err := migrations.Up(ctx, db); err != nil {
		return fmt.Errorf("storetest: migrate template: %w", err)
	}
	return nil
}
