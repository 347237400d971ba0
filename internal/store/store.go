package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // registers the "sqlite" database/sql driver
)

// DefaultSQLitePath is the database file Open uses for an empty DSN.
const DefaultSQLitePath = "callrec.db"

// sqliteBusyTimeout is how long a SQLite connection waits for another
// writer's lock before failing with SQLITE_BUSY.
const sqliteBusyTimeout = 5 * time.Second

// Store is the proxy's database: registrar locations, routes, users and
// trunks, in SQLite or PostgreSQL. A Store is safe for concurrent use by
// many goroutines; it owns a database/sql pool and starts no goroutines
// of its own besides the pool's. Close it when done.
type Store struct {
	db  *sql.DB
	d   *dialect
	now func() time.Time // clock for Lookup; time.Now outside tests

	regexps sync.Map // route regex pattern -> *regexp.Regexp
}

// Open connects to the database named by dsn, applies the embedded schema
// migrations and returns the Store.
//
//   - "" opens the SQLite file DefaultSQLitePath in the working directory;
//   - "sqlite:/path/db", "sqlite:///path/db", "file:/path/db" or a plain
//     path opens that SQLite file (created if missing) in WAL mode with a
//     busy timeout and foreign keys on;
//   - "postgres://..." or "postgresql://..." connects to PostgreSQL with
//     pgx; any libpq-style URL parameter pgx knows is honoured, and unknown
//     ones such as search_path=myschema are sent as run-time parameters.
func Open(ctx context.Context, dsn string) (*Store, error) {
	var (
		driver, src string
		d           Dialect
	)
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		driver, src, d = "pgx", dsn, Postgres
	default:
		path, err := sqlitePath(dsn)
		if err != nil {
			return nil, err
		}
		driver, src, d = "sqlite", sqliteDSN(path), SQLite
	}
	db, err := sql.Open(driver, src)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", d, err)
	}
	if d == SQLite {
		// WAL lets readers run beside the one writer; more connections
		// than that only queue on the file lock.
		db.SetMaxOpenConns(8)
		db.SetMaxIdleConns(8)
	} else {
		db.SetMaxOpenConns(16)
		db.SetMaxIdleConns(8)
		db.SetConnMaxIdleTime(5 * time.Minute)
	}
	s := &Store{db: db, d: &dialect{name: d}, now: time.Now}
	if err := s.migrateRetry(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// migrateRetry runs migrate, retrying while SQLite reports the file busy:
// connections that open a new file at the same moment can see
// SQLITE_BUSY while it is switched to WAL, without the busy handler
// being consulted.
func (s *Store) migrateRetry(ctx context.Context) error {
	deadline := time.Now().Add(sqliteBusyTimeout)
	for wait := 5 * time.Millisecond; ; wait = min(2*wait, 200*time.Millisecond) {
		err := s.migrate(ctx)
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("store: migrate: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// sqlitePath extracts the file path from a SQLite DSN.
func sqlitePath(dsn string) (string, error) {
	p := dsn
	switch {
	case p == "":
		return DefaultSQLitePath, nil
	case strings.HasPrefix(p, "sqlite://"):
		p = strings.TrimPrefix(p, "sqlite://")
	case strings.HasPrefix(p, "sqlite:"):
		p = strings.TrimPrefix(p, "sqlite:")
	case strings.HasPrefix(p, "file:"):
		p = strings.TrimPrefix(p, "file:")
	case strings.Contains(p, "://"):
		return "", fmt.Errorf("%w: %q", ErrDSN, dsn)
	}
	if p == "" || strings.ContainsAny(p, "?#") || p == ":memory:" {
		return "", fmt.Errorf("%w: sqlite needs a file path without ? or #: %q", ErrDSN, dsn)
	}
	return p, nil
}

// sqliteDSN builds the modernc.org/sqlite DSN for path: WAL, a busy
// timeout, foreign keys, synchronous=NORMAL (durable enough in WAL mode,
// and the registrar rewrites its rows on every REGISTER) and BEGIN
// IMMEDIATE for transactions, so two writers never deadlock upgrading a
// read lock.
func sqliteDSN(path string) string {
	v := url.Values{}
	v.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", sqliteBusyTimeout.Milliseconds()))
	v.Add("_pragma", "journal_mode(WAL)")
	v.Add("_pragma", "foreign_keys(1)")
	v.Add("_pragma", "synchronous(NORMAL)")
	v.Set("_txlock", "immediate")
	return "file:" + path + "?" + v.Encode()
}

// Dialect reports which database the Store talks to.
func (s *Store) Dialect() Dialect { return s.d.name }

// DB returns the underlying pool, for packages (the recordings catalogue
// of issue 6) that keep their own tables in the same database. They must
// not touch this package's tables.
func (s *Store) DB() *sql.DB { return s.db }

// Rebind returns query, written with ? placeholders (none inside string
// literals), in the dialect's syntax: unchanged for SQLite, $1..$n for
// PostgreSQL. Rewrites are cached.
func (s *Store) Rebind(query string) string { return s.d.q(query) }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// Close closes the pool. Calls in flight finish; later calls fail.
func (s *Store) Close() error { return s.db.Close() }

// ms converts a time to the unix milliseconds stored in the database.
func ms(t time.Time) int64 { return t.UnixMilli() }
