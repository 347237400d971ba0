// Package storetest gives tests an empty database of either dialect:
// a SQLite file in the test's temporary directory, or a PostgreSQL
// schema of its own on the test server (127.0.0.1:5432, database test,
// trust authentication; CALLREC_TEST_POSTGRES overrides the DSN),
// dropped when the test ends. Under CI (CI=true) an unreachable
// PostgreSQL fails the test; elsewhere it skips it.
package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
)

// adminDSNs are tried in order to reach the test PostgreSQL.
var adminDSNs = []string{
	"postgres://postgres@127.0.0.1:5432/test?sslmode=disable&connect_timeout=3",
	"postgres://root@127.0.0.1:5432/test?sslmode=disable&connect_timeout=3",
}

var (
	once    sync.Once
	admin   *sql.DB // nil when PostgreSQL is not reachable
	base    string
	openErr error
	schemaN atomic.Int64
)

// Postgres returns a pool on the test database and its DSN, or fails
// (CI) or skips the test when none answers.
func Postgres(t testing.TB) (*sql.DB, string) {
	t.Helper()
	once.Do(func() {
		dsns := adminDSNs
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
				admin, base = db, dsn
				return
			}
			if db != nil {
				db.Close()
			}
			openErr = err
		}
	})
	if admin == nil {
		msg := fmt.Sprintf("postgresql at 127.0.0.1:5432 database test not reachable (%v); scripts/deps.sh starts one", openErr)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return admin, base
}

// DSN returns a DSN for an empty database of dialect ("sqlite" or
// "postgres"), removed when the test ends.
func DSN(t testing.TB, dialect string) string {
	t.Helper()
	if dialect == "sqlite" {
		return "sqlite:" + filepath.Join(t.TempDir(), "store.db")
	}
	admin, base := Postgres(t)
	schema := fmt.Sprintf("callrec_test_%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9, schemaN.Add(1))
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
