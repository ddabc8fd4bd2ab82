package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/aidantsconnect/ac/app/pgembed"
	"github.com/aidantsconnect/ac/migrations"
	"github.com/aidantsconnect/ac/store"
)

// DefaultDBPool is the serving pool's size without AC_DB_POOL: on two cores, 4 connections
// gave 1.3–2× the logins/s of 20 (issue 15: less PostgreSQL CPU per login, no convoy on the
// journal's lock).
const DefaultDBPool = 4

// tuneConn is how the App talks to PostgreSQL. bun writes every value into the SQL text, so
// the statements of a login never share a text with another login's, and pgx's default
// (cache_statement: prepare each new text, keep 512 per connection, deallocate the oldest)
// costs a round trip to prepare and a cache entry for each statement, for nothing. The
// extended protocol with the unnamed statement (exec) runs each statement in one round trip,
// keeps no cache, and, unlike the simple protocol, still refuses several statements in one
// text. Measured: TestFILoginRoundTripsByExecMode, BENCHMARKS.md (Throughput).
//
// The few hot statements (the session's, the FranceConnect login's steps: store.scanHot) ask
// for cache_statement themselves, with their values as parameters: prepared once per
// connection, their plans kept by PostgreSQL. hotStatementCache bounds them per connection.
//
// Those plans are generic (plan_cache_mode): under PostgreSQL's default (auto) a statement
// whose custom plans look cheaper than its generic one is planned anew at every execution,
// and the FI's usagers list did so on a database of real size: 1.5 ms of planning per step 1
// for 0.5 of execution with 20 000 usagers, when its generic plan runs in 1.0 ms for the
// bench's organisation and as fast as the custom one for the largest (BENCHMARKS.md §
// Throughput). Statements written by bun carry no parameters (bun writes the values into
// the text): the setting does not change their plans.
func tuneConn(cfg *pgx.ConnConfig) {
	cfg.DefaultQueryExecMode = pgx.QueryExecModeExec
	cfg.StatementCacheCapacity = hotStatementCache
	cfg.DescriptionCacheCapacity = 0
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["plan_cache_mode"] = "force_generic_plan"
}

// hotStatementCache is how many prepared statements a connection keeps (least recently used
// first out): the hot statements are about ten texts (the FI usagers list has one per number
// of search words).
const hotStatementCache = 32

// The database is used through two roles (README, production): the owner runs the
// migrations, the serving role (DATABASE_URL) serves and may only read and append to the
// journal, so that the process facing the network cannot disable the journal's triggers or
// delete its rows.

// embeddedRoles creates the owner and serving roles on the embedded server (as its superuser)
// and returns the serving and owner DSNs.
func embeddedRoles(ctx context.Context, pg *pgembed.Server) (serving, owner string, err error) {
	super, err := openDB(pg.DSN())
	if err != nil {
		return "", "", err
	}
	defer super.Close()
	if err := migrations.CreateRoles(ctx, super, map[string]string{migrations.OwnerRole: "", migrations.ServingRole: ""}); err != nil {
		return "", "", err
	}
	if err := migrations.AdoptSchema(ctx, super, migrations.OwnerRole); err != nil {
		return "", "", err
	}
	return pg.DSNAs(migrations.ServingRole), pg.DSNAs(migrations.OwnerRole), nil
}

// migrate brings the database up to date as its owner: the migrations, the re-chaining of a
// journal written before its chain was keyed, and the serving role's privileges. Without an
// owner DSN, the serving connection migrates if its role may create tables (one role for
// everything); otherwise it only checks that nothing is pending.
func (a *App) migrate(ctx context.Context, ownerDSN string, sealer *store.Sealer) error {
	serving := a.DB
	owner := serving
	if ownerDSN != "" {
		db, err := openDB(ownerDSN)
		if err != nil {
			return fmt.Errorf("AC_MIGRATE_DATABASE_URL: %w", err)
		}
		defer db.Close()
		owner = db
	} else if can, err := migrations.CanCreate(ctx, serving); err != nil {
		return err
	} else if !can {
		return a.checkMigrated(ctx, store.New(serving, a.Cfg.Now, sealer))
	}
	if n, err := migrations.Up(ctx, owner); err != nil {
		return err
	} else if n > 0 {
		a.Log.Info("migrations applied", "count", n)
	}
	if n, err := store.New(owner, a.Cfg.Now, sealer).RechainJournal(ctx); err != nil {
		return err
	} else if n > 0 {
		a.Log.Warn("journal re-chained with its key", "entries", n)
	}
	if owner != serving {
		role, err := migrations.CurrentRole(ctx, serving)
		if err != nil {
			return err
		}
		ownerRole, err := migrations.CurrentRole(ctx, owner)
		if err != nil {
			return err
		}
		if role != ownerRole {
			if err := migrations.GrantServing(ctx, owner, role); err != nil {
				return err
			}
		}
	}
	return a.guardJournal(ctx)
}

// checkMigrated is what a serving role that cannot migrate does: refuse to serve a schema
// that is behind, or a journal waiting to be re-chained.
func (a *App) checkMigrated(ctx context.Context, st *store.Store) error {
	n, err := migrations.Pending(ctx, a.DB)
	if err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("%d migration(s) pending, and DATABASE_URL's role may not run them: run `ac migrate` with AC_MIGRATE_DATABASE_URL (the owner role)", n)
	}
	if waits, err := st.JournalAwaitsRechain(ctx); err != nil {
		return err
	} else if waits {
		return errors.New("the journal waits to be re-chained with its key: run `ac migrate` with AC_MIGRATE_DATABASE_URL (the owner role)")
	}
	return a.guardJournal(ctx)
}

// guardJournal refuses, in production, to serve as a role that could rewrite the journal;
// elsewhere it says so in the log.
func (a *App) guardJournal(ctx context.Context) error {
	why, err := migrations.JournalWriters(ctx, a.DB)
	if err != nil || len(why) == 0 {
		return err
	}
	msg := "DATABASE_URL's role could rewrite the journal (" + strings.Join(why, ", ") + "): serve as a role with SELECT and INSERT only on it, " +
		"and migrate through AC_MIGRATE_DATABASE_URL (README, production)"
	if a.Cfg.Mode == ModeProduction {
		return errors.New("production mode refuses to start: " + msg)
	}
	a.Log.Warn(msg)
	return nil
}

// OwnerStore is a store on the database as its owner, for maintenance commands that need more
// than rows (`ac seed --scale` ends with VACUUM ANALYZE, which only the owner may run); without
// an owner DSN it is the App's own store. Call release when done.
func (a *App) OwnerStore() (st *store.Store, release func(), err error) {
	if a.ownerDSN == "" {
		return a.Store, func() {}, nil
	}
	db, err := openDB(a.ownerDSN)
	if err != nil {
		return nil, nil, err
	}
	return store.New(db, a.Cfg.Now, a.sealer), func() { db.Close() }, nil
}
