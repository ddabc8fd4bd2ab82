package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/app/apptest"
	"github.com/aidantsconnect/ac/migrations"
	"github.com/aidantsconnect/ac/store/storetest"
)

func productionConfig(dsn, migrateDSN string, secret []byte) app.Config {
	return app.Config{
		Mode: app.ModeProduction, Addr: "127.0.0.1:0", BaseURL: "https://ac.example", DatabaseURL: dsn, MigrateDatabaseURL: migrateDSN,
		SecretKey: secret, SessionTTL: time.Hour, ActivityTimeout: 15 * time.Minute,
		LoginRateLimit: 30, LoginRateWindow: 10 * time.Minute, SkipSeed: true,
		FCIssuer: "https://franceconnect.invalid/api/v2", FCClientID: "id", FCClientSecret: "secret",
		SMTPURL: "smtp://127.0.0.1:9", MailFrom: "a@example.fr",
	}
}

// Production serves only as a role that cannot rewrite the journal: one role for everything
// (it owns the tables it migrated) is refused.
func TestProductionRefusesARoleThatCouldRewriteTheJournal(t *testing.T) {
	t.Parallel()
	a, err := app.New(context.Background(), productionConfig(storetest.NewDSN(t), "", []byte(strings.Repeat("k", 32))), nil)
	if err == nil {
		a.Close()
		t.Fatal("production served as the journal's owner")
	}
	if !strings.Contains(err.Error(), "could rewrite the journal") || !strings.Contains(err.Error(), "AC_MIGRATE_DATABASE_URL") {
		t.Fatalf("err = %v", err)
	}
	owner, serving := storetest.NewDSNs(t)
	a, err = app.New(context.Background(), productionConfig(serving, owner, []byte(strings.Repeat("k", 32))), nil)
	if err != nil {
		t.Fatalf("production with two roles: %v", err)
	}
	defer a.Close()
	if role, err := migrations.CurrentRole(context.Background(), a.DB); err != nil || role != storetest.ServingRole {
		t.Fatalf("serving as %q (%v)", role, err)
	}
}

// Once `ac migrate` has run as the owner, instances serve with DATABASE_URL alone (no owner
// credentials in their environment); if a migration is pending they refuse and say what to run.
func TestServingRoleAloneChecksTheSchema(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t) // migrates as the owner, grants the serving role
	serving := e.App.Cfg.DatabaseURL
	a, err := app.New(context.Background(), productionConfig(serving, "", e.App.Cfg.SecretKey), nil)
	if err != nil {
		t.Fatalf("serving role alone, schema up to date: %v", err)
	}
	a.Close()
	owner, err := app.New(context.Background(), app.Config{Mode: app.ModeDev, BaseURL: "http://127.0.0.1:1", DatabaseURL: e.App.Cfg.MigrateDatabaseURL,
		SecretKey: e.App.Cfg.SecretKey, SkipSeed: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close()
	if _, err := owner.DB.ExecContext(context.Background(), "DELETE FROM bun_migrations WHERE id = (SELECT max(id) FROM bun_migrations)"); err != nil {
		t.Fatal(err)
	}
	if a, err := app.New(context.Background(), productionConfig(serving, "", e.App.Cfg.SecretKey), nil); err == nil {
		a.Close()
		t.Fatal("served with a migration pending")
	} else if !strings.Contains(err.Error(), "1 migration(s) pending") || !strings.Contains(err.Error(), "ac migrate") {
		t.Fatalf("err = %v", err)
	}
}
