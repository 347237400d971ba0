// Package blobstore keeps recordings as BLOBs in the catalogue's own
// database (SQLite or PostgreSQL, internal/store): a ship.Target that
// the Shipper fills while the call runs, and a Blob reader
// (io.ReadSeeker) for playback and download.
//
// # Layout
//
// An object is a row of recording_blobs (key, durable size, committed,
// SHA-256) and the rows of recording_chunks holding its bytes, keyed by
// (key, offset). Chunks are contiguous and never larger than
// Options.ChunkSize, so neither a writer nor a reader ever holds more
// than one chunk of an object in memory, however long the recording.
// An append inserts new chunks; it never rewrites the ones already
// there, so a live recording shipped every second costs one INSERT of
// one second of audio, not a rewrite of a growing value. The first
// ship.HeaderWindow bytes are chunks of their own (no chunk straddles
// offset 512): a header rewrite replaces at most 512 bytes. Each write
// is one transaction that adds the chunks and moves the size on, so
// Size is always what the database holds.
//
// # Why chunk rows and not PostgreSQL large objects
//
// Large objects (lo_*) would give PostgreSQL random-access writes, but
// they exist only there (SQLite would need a second design), they live
// outside the rows that name them (a deleted row leaves an orphan unless
// every path calls lo_unlink), and they need their own permissions and
// dump options. Chunk rows are one schema and one code path on both
// databases, are deleted with DELETE, and replicate like any row.
// PostgreSQL stores each chunk out of line (TOAST, storage EXTERNAL:
// audio barely compresses, so no compression is tried).
//
// # Concurrency
//
// A Target is safe for concurrent use and starts no goroutines; it uses
// the Store's pool. An Object, like every ship.Object, is used by one
// goroutine at a time, and a key has one writer at a time (each write
// checks that the size it started from is still the database's). A Blob
// is used by one goroutine at a time; any number may read one key.
package blobstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/callrec/callrec/internal/ship"
	"github.com/callrec/callrec/internal/store"
)

//go:embed migrations
var migrations embed.FS

// DefaultChunkSize is the chunk size of a zero Options.ChunkSize.
const DefaultChunkSize = 256 << 10

// MaxChunkSize bounds Options.ChunkSize (SQLite's default blob limit
// is 1e9 bytes; rows far below that keep memory per read small).
const MaxChunkSize = 64 << 20

// LocationPrefix starts the catalogue location of a blob: "blob:" + key.
const LocationPrefix = "blob:"

// Errors.
var (
	// ErrNotFound is returned by OpenBlob for a key the database does
	// not hold.
	ErrNotFound = errors.New("blobstore: no such blob")
	// ErrCommitted is returned for a write to a committed object, or a
	// commit of one with another size or checksum.
	ErrCommitted = errors.New("blobstore: blob is committed")
	// ErrChanged is returned when a blob's size in the database is not
	// the one the writer started from (another writer, or a Remove).
	ErrChanged = errors.New("blobstore: blob changed underneath")
)

// Options configures a Target.
type Options struct {
	// ChunkSize is the largest chunk in bytes (one row). Zero:
	// DefaultChunkSize.
	ChunkSize int
}

// Target stores recordings in the database of a Store. It implements
// ship.Target.
type Target struct {
	st    *store.Store
	db    *sql.DB
	chunk int
	now   func() time.Time
}

var _ ship.Target = (*Target)(nil)

// New applies the blob tables' migrations (2000-2999) to st's database
// and returns a Target on it. The Store must outlive the Target.
func New(ctx context.Context, st *store.Store, o Options) (*Target, error) {
	if o.ChunkSize == 0 {
		o.ChunkSize = DefaultChunkSize
	}
	if o.ChunkSize < ship.HeaderWindow || o.ChunkSize > MaxChunkSize {
		return nil, fmt.Errorf("blobstore: chunk size %d outside [%d, %d]", o.ChunkSize, ship.HeaderWindow, MaxChunkSize)
	}
	if err := st.Migrate(ctx, migrations); err != nil {
		return nil, err
	}
	return &Target{st: st, db: st.DB(), chunk: o.ChunkSize, now: time.Now}, nil
}

// q rebinds a query for the Store's dialect.
func (t *Target) q(query string) string { return t.st.Rebind(query) }

// Location implements ship.Target: "blob:" + key.
func (t *Target) Location(key string) string { return LocationPrefix + key }

// KeyOf returns the key of a blob location, and false for a location
// that does not name a blob.
func KeyOf(location string) (string, bool) {
	k, ok := strings.CutPrefix(location, LocationPrefix)
	return k, ok && k != ""
}

// Open implements ship.Target: the object named key, created empty or
// resumed at the size the database holds.
func (t *Target) Open(ctx context.Context, key string) (ship.Object, error) {
	if key == "" {
		return nil, errors.New("blobstore: empty key")
	}
	if _, err := t.db.ExecContext(ctx, t.q(`INSERT INTO recording_blobs (key, updated_at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`),
		key, t.now().UnixMilli()); err != nil {
		return nil, fmt.Errorf("blobstore: open %s: %w", key, err)
	}
	o := &object{t: t, key: key}
	if err := t.db.QueryRowContext(ctx, t.q(`SELECT size, committed, sha256 FROM recording_blobs WHERE key = ?`), key).
		Scan(&o.size, &o.committed, &o.sum); err != nil {
		return nil, fmt.Errorf("blobstore: open %s: %w", key, err)
	}
	return o, nil
}

// Remove implements ship.Target: the blob and its chunks go in one
// transaction.
func (t *Target) Remove(ctx context.Context, key string) error {
	tx, err := t.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("blobstore: remove %s: %w", key, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, t.q(`DELETE FROM recording_chunks WHERE key = ?`), key); err != nil {
		return fmt.Errorf("blobstore: remove %s: %w", key, err)
	}
	if _, err := tx.ExecContext(ctx, t.q(`DELETE FROM recording_blobs WHERE key = ?`), key); err != nil {
		return fmt.Errorf("blobstore: remove %s: %w", key, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("blobstore: remove %s: %w", key, err)
	}
	return nil
}
