package migrations

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"
)

// The two roles of a database. The owner runs the migrations and owns every table: it alone
// may alter them, disable their triggers or truncate them. The serving role is what the app
// serves as: it reads and writes rows, and may only read and append to the journal. In the
// embedded default the app creates both roles itself; in production the DBA does (README).
const (
	OwnerRole   = "ac_owner"
	ServingRole = "ac_app"
)

// appendOnly are the tables the serving role may read and append to, never change: the
// journal and its signed checkpoints.
var appendOnly = []string{"journal", "journal_checkpoints"}

// chainColumns are the journal's columns the serving role may set, once per entry, when it
// chains entries committed unchained (store.ChainJournal); the journal's trigger refuses the
// rest.
var chainColumns = []string{"seq", "prev_hash", "hash"}

// readOnly are the owner's bookkeeping tables the serving role may read: which migrations
// are applied, whether the journal waits to be re-chained.
var readOnly = []string{"bun_migrations", "journal_rechain"}

// roleName keeps role names to plain identifiers: they are written into SQL as they are.
var roleName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// execer is what creating roles needs: a *sql.DB, a *bun.DB or a connection.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// CreateRoles creates the login roles that do not exist yet, without any privilege. db must
// be allowed to create roles (a superuser, or CREATEROLE). Several processes may run it at
// once on one server: a role created meanwhile by another is not an error.
func CreateRoles(ctx context.Context, db execer, roles map[string]string) error {
	for name, password := range roles {
		if !roleName.MatchString(name) {
			return fmt.Errorf("role name %q: expected a plain lower-case identifier", name)
		}
		create := "CREATE ROLE " + name + " LOGIN"
		if password != "" {
			if !roleName.MatchString(password) {
				return fmt.Errorf("role %s: the password must be a plain identifier here", name)
			}
			create += " PASSWORD '" + password + "'"
		}
		q := "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '" + name + "') THEN " + create +
			"; END IF; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("create role %s: %w", name, err)
		}
	}
	return nil
}

// AdoptSchema lets owner create in db's current database and its public schema, keeps
// everyone else (PUBLIC, hence the serving role) from creating there, and hands owner the
// tables, sequences and functions a superuser created there before the roles existed (an
// embedded cluster initialised by an earlier version). db must be a superuser.
func AdoptSchema(ctx context.Context, db *bun.DB, owner string) error {
	if !roleName.MatchString(owner) {
		return fmt.Errorf("role name %q: expected a plain lower-case identifier", owner)
	}
	var database string
	if err := db.NewRaw("SELECT current_database()").Scan(ctx, &database); err != nil {
		return fmt.Errorf("current database: %w", err)
	}
	for _, q := range []string{
		"GRANT CREATE ON DATABASE " + quoteIdent(database) + " TO " + owner,
		"REVOKE CREATE ON SCHEMA public FROM PUBLIC",
		"GRANT CREATE, USAGE ON SCHEMA public TO " + owner,
		`DO $$ DECLARE r record; BEGIN
			FOR r IN SELECT c.oid::regclass AS name FROM pg_class c
				WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm')
				AND c.relowner <> '` + owner + `'::regrole
				AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
			LOOP EXECUTE format('ALTER TABLE %s OWNER TO ` + owner + `', r.name); END LOOP;
			-- Sequences of serial columns moved with their tables; these are the others.
			FOR r IN SELECT c.oid::regclass AS name FROM pg_class c
				WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'S' AND c.relowner <> '` + owner + `'::regrole
				AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i', 'e'))
			LOOP EXECUTE format('ALTER SEQUENCE %s OWNER TO ` + owner + `', r.name); END LOOP;
			FOR r IN SELECT p.oid::regprocedure AS name FROM pg_proc p
				WHERE p.pronamespace = 'public'::regnamespace AND p.proowner <> '` + owner + `'::regrole
				AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
			LOOP EXECUTE format('ALTER ROUTINE %s OWNER TO ` + owner + `', r.name); END LOOP;
		END $$`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("adopt schema for %s: %w", owner, err)
		}
	}
	return nil
}

// GrantServing gives role exactly what serving needs on the tables the owner (db) has
// migrated: rows of every table read and written, the journal and its checkpoints only read
// and appended to, the owner's bookkeeping only read; never TRUNCATE, TRIGGER or ownership.
// It starts from nothing each time, so a table that changed kind loses what it had; it runs
// after every migration, under the migrations' lock.
func GrantServing(ctx context.Context, db *bun.DB, role string) error {
	if !roleName.MatchString(role) {
		return fmt.Errorf("serving role %q: expected a plain lower-case identifier", role)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("grant connection: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?)", lockKey); err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(?)", lockKey) //nolint:errcheck
	return conn.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var tables []string
		if err := tx.NewRaw("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1").Scan(ctx, &tables); err != nil {
			return fmt.Errorf("list tables: %w", err)
		}
		qs := []string{
			"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM " + role,
			"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM " + role,
			"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO " + role,
		}
		for _, t := range tables {
			privileges := "SELECT, INSERT, UPDATE, DELETE"
			switch {
			case t == "journal":
				// The chainer sets an entry's place and hashes once, after commit; a trigger
				// refuses any other change (20261203030000_journal_chained_after_commit).
				privileges = "SELECT, INSERT, UPDATE (" + strings.Join(chainColumns, ", ") + ")"
			case slices.Contains(appendOnly, t):
				privileges = "SELECT, INSERT"
			case slices.Contains(readOnly, t):
				privileges = "SELECT"
			case t == "bun_migration_locks":
				continue
			}
			qs = append(qs, "GRANT "+privileges+" ON "+quoteIdent(t)+" TO "+role)
		}
		for _, q := range qs {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("grant %s: %s: %w", role, q, err)
			}
		}
		return nil
	})
}

func quoteIdent(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// CurrentRole is the role db is connected as.
func CurrentRole(ctx context.Context, db bun.IDB) (string, error) {
	var role string
	if err := db.NewRaw("SELECT current_user").Scan(ctx, &role); err != nil {
		return "", fmt.Errorf("current role: %w", err)
	}
	return role, nil
}

// CanCreate reports whether db may create tables in the public schema: whether it can run
// the migrations itself.
func CanCreate(ctx context.Context, db bun.IDB) (bool, error) {
	var ok bool
	if err := db.NewRaw("SELECT has_schema_privilege('public', 'CREATE')").Scan(ctx, &ok); err != nil {
		return false, fmt.Errorf("schema privilege: %w", err)
	}
	return ok, nil
}

// Pending is how many embedded migrations db's database has not applied yet; it only reads.
func Pending(ctx context.Context, db *bun.DB) (int, error) {
	ms := migrate.NewMigrations()
	if err := ms.Discover(sqlFiles); err != nil {
		return 0, fmt.Errorf("discover migrations: %w", err)
	}
	status, err := migrate.NewMigrator(db, ms).MigrationsWithStatus(ctx)
	if err != nil {
		return 0, fmt.Errorf("migration status: %w", err)
	}
	river, err := riverPending(ctx, db)
	if err != nil {
		return 0, err
	}
	return len(status.Unapplied()) + river, nil
}

// JournalWriters lists what lets db's role rewrite the journal or its checkpoints (a
// superuser, the tables' owner, a privilege beyond SELECT and INSERT); empty is what a
// serving role must be.
func JournalWriters(ctx context.Context, db bun.IDB) ([]string, error) {
	var rows []struct {
		Table  string `bun:"t"`
		Super  bool   `bun:"super"`
		Owner  bool   `bun:"owner"`
		Writes bool   `bun:"writes"`
	}
	err := db.NewRaw(`
		SELECT c.relname AS t, r.rolsuper AS super, pg_has_role(current_user, c.relowner, 'USAGE') AS owner,
		       has_table_privilege(c.oid, 'UPDATE') OR has_table_privilege(c.oid, 'DELETE')
		       OR has_table_privilege(c.oid, 'TRUNCATE') OR has_table_privilege(c.oid, 'TRIGGER')
		       OR EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		                  AND (c.relname <> 'journal' OR a.attname NOT IN (?)) AND has_column_privilege(c.oid, a.attnum, 'UPDATE')) AS writes
		FROM pg_class c, pg_roles r
		WHERE c.relnamespace = 'public'::regnamespace AND c.relname IN (?) AND r.rolname = current_user
		ORDER BY 1`, bun.In(chainColumns), bun.In(appendOnly)).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("journal privileges: %w", err)
	}
	if len(rows) == 0 {
		return nil, errors.New("journal privileges: no journal table")
	}
	var why []string
	for _, r := range rows {
		switch {
		case r.Super:
			return []string{"superuser"}, nil
		case r.Owner:
			why = append(why, "owner of "+r.Table)
		case r.Writes:
			why = append(why, "UPDATE, DELETE, TRUNCATE or TRIGGER on "+r.Table)
		}
	}
	return why, nil
}
