package storetest

import (
	"fmt"
	"testing"

	"github.com/uptrace/bun"
)

func TestMain(m *testing.M) { Main(m) }

// Two parallel tests get separate databases: both create the same table
// (which would fail in a shared database), and both see the migrated
// extensions. Afterwards the copies are gone.
func TestNewGivesEachTestItsOwnDatabase(t *testing.T) {
	names := make([]string, 2)
	t.Run("group", func(t *testing.T) {
		for i := range names {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				db := New(t)
				ctx := t.Context()
				if _, err := db.ExecContext(ctx, "CREATE TABLE widget (id int PRIMARY KEY, owner text)"); err != nil {
					t.Fatal(err)
				}
				if _, err := db.ExecContext(ctx, "INSERT INTO widget VALUES (1, ?)", t.Name()); err != nil {
					t.Fatal(err)
				}
				var owners []string
				if err := db.NewSelect().Table("widget").Column("owner").Scan(ctx, &owners); err != nil {
					t.Fatal(err)
				}
				if len(owners) != 1 || owners[0] != t.Name() {
					t.Errorf("widget owners = %v, want only %s", owners, t.Name())
				}
				var exts []string
				if err := db.NewSelect().Table("pg_extension").Column("extname").
					Where("extname IN (?)", bun.In([]string{"unaccent", "pg_trgm", "citext"})).Order("extname").
					Scan(ctx, &exts); err != nil {
					t.Fatal(err)
				}
				if fmt.Sprint(exts) != "[citext pg_trgm unaccent]" {
					t.Errorf("extensions = %v, want [citext pg_trgm unaccent]", exts)
				}
				if err := db.QueryRowContext(ctx, "SELECT current_database()").Scan(&names[i]); err != nil {
					t.Fatal(err)
				}
			})
		}
	})
	if names[0] == "" || names[0] == names[1] {
		t.Fatalf("database names %q: want two distinct names", names)
	}
	for _, n := range names {
		var exists bool
		if err := current.admin.QueryRowContext(t.Context(),
			"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", n).Scan(&exists); err != nil {
			t.Fatal(err)
		}
		if exists {
			t.Errorf("database %s still exists after its test ended", n)
		}
	}
}

// NewDSN's database is dropped even when the test leaves a connection open
// (an App that was never closed).
func TestNewDSNIsMigratedAndDroppedWithOpenConnections(t *testing.T) {
	var name string
	t.Run("leaky", func(t *testing.T) {
		db, err := openBun(NewDSN(t))
		if err != nil {
			t.Fatal(err)
		}
		// Deliberately never closed.
		var applied int
		if err := db.QueryRowContext(t.Context(), "SELECT count(*) FROM bun_migrations").Scan(&applied); err != nil {
			t.Fatalf("bun_migrations in the copy: %v", err)
		}
		if applied == 0 {
			t.Error("the copy has no applied migrations")
		}
		if err := db.QueryRowContext(t.Context(), "SELECT current_database()").Scan(&name); err != nil {
			t.Fatal(err)
		}
	})
	var exists bool
	if err := current.admin.QueryRowContext(t.Context(),
		"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Errorf("database %s survived its test despite WITH (FORCE)", name)
	}
}

func TestWithDatabase(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"postgres://postgres@/postgres?host=%2Ftmp%2Fx&port=5432&sslmode=disable",
			"postgres://postgres@/actest_1?host=%2Ftmp%2Fx&port=5432&sslmode=disable"},
		{"postgresql://u:p@db:5433/ci?dbname=ci&sslmode=disable", "postgresql://u:p@db:5433/actest_1?sslmode=disable"},
		{"host=/tmp/x user=postgres dbname=postgres", "host=/tmp/x user=postgres dbname=postgres dbname=actest_1"},
	} {
		got, err := withDatabase(tc.in, "actest_1")
		if err != nil || got != tc.want {
			t.Errorf("withDatabase(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// BenchmarkCopy measures what each test pays: one template copy and its drop.
func BenchmarkCopy(b *testing.B) {
	for b.Loop() {
		name, err := current.copy(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		if err := current.drop(b.Context(), name); err != nil {
			b.Fatal(err)
		}
	}
}
