package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// pgAdminDSNs are tried in order to reach the test PostgreSQL; the
// CALLREC_TEST_POSTGRES environment variable replaces them.
var pgAdminDSNs = []string{
	"postgres://postgres@127.0.0.1:5432/test?sslmode=disable&connect_timeout=3",
	"postgres://root@127.0.0.1:5432/test?sslmode=disable&connect_timeout=3",
}

var (
	pgOnce  sync.Once
	pgAdmin *sql.DB // nil when PostgreSQL is not reachable
	pgBase  string
	pgErr   error
	schemaN atomic.Int64
)

// postgresAdmin returns a pool on the test database, or fails the test
// under CI (CI=true) and skips it elsewhere when none answers.
func postgresAdmin(t testing.TB) (*sql.DB, string) {
	t.Helper()
	pgOnce.Do(func() {
		dsns := pgAdminDSNs
		if v := os.Getenv("CALLREC_TEST_POSTGRES"); v != "" {
			dsns = []string{v}
		}
		for _, dsn := range dsns {
			db, err := sql.Open("pgx", dsn)
			if err == nil {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				err = db.PingContext(ctx)
				cancel()
			}
			if err == nil {
				pgAdmin, pgBase = db, dsn
				return
			}
			if db != nil {
				db.Close()
			}
			pgErr = err
		}
	})
	if pgAdmin == nil {
		msg := fmt.Sprintf("postgresql at 127.0.0.1:5432 database test not reachable (%v); scripts/deps.sh starts one", pgErr)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return pgAdmin, pgBase
}

// backendDSN returns a DSN for an empty database of the named backend,
// removed when the test ends: a file in t.TempDir() for SQLite, a schema
// of its own (selected with search_path) for PostgreSQL.
func backendDSN(t testing.TB, backend Dialect) string {
	t.Helper()
	if backend == SQLite {
		return "sqlite:" + filepath.Join(t.TempDir(), "store.db")
	}
	admin, base := postgresAdmin(t)
	schema := fmt.Sprintf("store_test_%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9, schemaN.Add(1))
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return base + "&search_path=" + schema
}

// openTest opens a fresh Store of the backend, closed when the test ends.
func openTest(t testing.TB, backend Dialect) *Store {
	t.Helper()
	s, err := Open(context.Background(), backendDSN(t, backend))
	if err != nil {
		t.Fatalf("open %s: %v", backend, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// both runs f as a subtest against each backend.
func both(t *testing.T, f func(t *testing.T, s *Store)) {
	for _, b := range []Dialect{SQLite, Postgres} {
		t.Run(string(b), func(t *testing.T) { f(t, openTest(t, b)) })
	}
}

func TestSQLitePath(t *testing.T) {
	for _, c := range []struct {
		dsn, want string
		bad       bool
	}{
		{dsn: "", want: DefaultSQLitePath},
		{dsn: "sqlite:/var/lib/callrec/db", want: "/var/lib/callrec/db"},
		{dsn: "sqlite:///var/lib/callrec/db", want: "/var/lib/callrec/db"},
		{dsn: "file:rel/db.sqlite", want: "rel/db.sqlite"},
		{dsn: "/abs/path.db", want: "/abs/path.db"},
		{dsn: "data.db", want: "data.db"},
		{dsn: "mysql://x", bad: true},
		{dsn: "sqlite:", bad: true},
		{dsn: "sqlite::memory:", bad: true},
		{dsn: "sqlite:/x.db?mode=ro", bad: true},
	} {
		got, err := sqlitePath(c.dsn)
		if c.bad {
			if err == nil || !strings.Contains(err.Error(), "store: ") {
				t.Errorf("sqlitePath(%q) = %q, want error", c.dsn, got)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("sqlitePath(%q) = %q, %v; want %q", c.dsn, got, err, c.want)
		}
	}
}

func TestRebind(t *testing.T) {
	d := &dialect{name: Postgres}
	if got := d.q("SELECT a FROM t WHERE b = ? AND c IN (?, ?)"); got != "SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)" {
		t.Errorf("rebind = %q", got)
	}
	if got := (&dialect{name: SQLite}).q("x = ?"); got != "x = ?" {
		t.Errorf("sqlite rebind = %q", got)
	}
}

// TestMigrate opens the same database several times, concurrently: every
// Open succeeds and each migration is recorded once.
func TestMigrate(t *testing.T) {
	for _, b := range []Dialect{SQLite, Postgres} {
		t.Run(string(b), func(t *testing.T) {
			dsn := backendDSN(t, b)
			ctx := context.Background()
			var wg sync.WaitGroup
			errs := make(chan error, 4)
			for range 4 {
				wg.Go(func() {
					s, err := Open(ctx, dsn)
					if err == nil {
						err = s.Close()
					}
					errs <- err
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatalf("concurrent open: %v", err)
				}
			}
			s, err := Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if s.Dialect() != b {
				t.Errorf("dialect %s, want %s", s.Dialect(), b)
			}
			steps, _ := loadMigrations(b)
			v, err := s.SchemaVersion(ctx)
			if err != nil || v != steps[len(steps)-1].version {
				t.Errorf("schema version %d, %v; want %d", v, err, steps[len(steps)-1].version)
			}
			var n int
			if err := s.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(steps) {
				t.Errorf("schema_migrations rows %d, %v; want %d", n, err, len(steps))
			}
			if err := s.Ping(ctx); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestMigrationsMatch keeps the two dialects' migration sets in step.
func TestMigrationsMatch(t *testing.T) {
	a, err := loadMigrations(SQLite)
	if err != nil {
		t.Fatal(err)
	}
	b, err := loadMigrations(Postgres)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != len(b) {
		t.Fatalf("sqlite has %d migrations, postgres %d", len(a), len(b))
	}
	for i := range a {
		if a[i].name != b[i].name {
			t.Errorf("migration %d: sqlite %s, postgres %s", i, a[i].name, b[i].name)
		}
	}
}

func TestSQLiteWAL(t *testing.T) {
	s := openTest(t, SQLite)
	var mode string
	if err := s.DB().QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode %q, %v; want wal", mode, err)
	}
	var fk int
	if err := s.DB().QueryRow(`PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 1 {
		t.Errorf("foreign_keys %d, %v; want 1", fk, err)
	}
}
