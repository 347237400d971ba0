package store

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/callrec/callrec/internal/store/storetest"
)

// backendDSN returns a DSN for an empty database of the named backend,
// removed when the test ends.
func backendDSN(t testing.TB, backend Dialect) string {
	t.Helper()
	return storetest.DSN(t, string(backend))
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
			steps, _ := loadMigrations(migrations, b)
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
	a, err := loadMigrations(migrations, SQLite)
	if err != nil {
		t.Fatal(err)
	}
	b, err := loadMigrations(migrations, Postgres)
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
