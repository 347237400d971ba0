package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

// migrations holds the schema, one directory per dialect, each with files
// named NNNN_name.sql applied in order of NNNN.
//
//go:embed migrations
var migrations embed.FS

// migration is one numbered schema step.
type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations returns the dialect's migrations from fsys in order.
func loadMigrations(fsys fs.FS, d Dialect) ([]migration, error) {
	dir := "migrations/" + string(d)
	ents, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	var ms []migration
	for _, e := range ents {
		n := e.Name()
		if !strings.HasSuffix(n, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(n, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("store: migration %s: name must be NNNN_name.sql", n)
		}
		b, err := fs.ReadFile(fsys, dir+"/"+n)
		if err != nil {
			return nil, fmt.Errorf("store: migration %s: %w", n, err)
		}
		ms = append(ms, migration{version: v, name: strings.TrimSuffix(n, ".sql"), sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("store: migrations %s and %s share a number", ms[i-1].name, ms[i].name)
		}
	}
	return ms, nil
}

// migrate applies this package's migrations.
func (s *Store) migrate(ctx context.Context) error { return s.Migrate(ctx, migrations) }

// Migrate applies every migration of fsys (files
// migrations/<dialect>/NNNN_name.sql) not yet recorded in
// schema_migrations, all in one transaction, so a failed step leaves the
// schema as it was. Packages keeping their own tables in this database
// (the recordings catalogue) call it with their own embedded files;
// version numbers are shared, so each package owns a range (this
// package 1-999, the catalogue 1000-1999, internal/blobstore 2000-2999).
// Concurrent calls are serialised: on PostgreSQL by a transaction-scoped
// advisory lock keyed by the current schema, on SQLite by BEGIN
// IMMEDIATE (the DSN's _txlock), which takes the write lock up front.
func (s *Store) Migrate(ctx context.Context, fsys fs.FS) error {
	steps, err := loadMigrations(fsys, s.d.name)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: migrate: begin: %w", err)
	}
	defer tx.Rollback()
	if s.d.name == Postgres {
		// 0x63616c6c is "call"; the second key separates schemas so
		// parallel test runs in their own schemas do not wait on each other.
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(1667329132, hashtext(current_schema()))`); err != nil {
			return fmt.Errorf("store: migrate: lock: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	name       TEXT    NOT NULL,
	applied_at BIGINT  NOT NULL)`); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	applied, err := appliedVersions(ctx, tx)
	if err != nil {
		return err
	}
	for _, m := range steps {
		if applied[m.version] {
			continue
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("store: migration %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, s.d.q(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`),
			m.version, m.name, ms(s.now())); err != nil {
			return fmt.Errorf("store: migration %s: record: %w", m.name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: migrate: commit: %w", err)
	}
	return nil
}

// appliedVersions reads schema_migrations.
func appliedVersions(ctx context.Context, tx *sql.Tx) (map[int]bool, error) {
	rows, err := tx.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("store: migrate: %w", err)
	}
	defer rows.Close()
	got := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("store: migrate: %w", err)
		}
		got[v] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: migrate: %w", err)
	}
	return got, nil
}

// SchemaVersion returns the highest applied migration number.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("store: schema version: %w", err)
	}
	return int(v.Int64), nil
}
