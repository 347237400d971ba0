package blobstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/callrec/callrec/internal/ship"
)

// object is one blob being written; it implements ship.Object.
type object struct {
	t         *Target
	key       string
	size      int64 // durable size, as the database last said
	committed bool
	sum       string // hex SHA-256 once committed
}

// Size implements ship.Object.
func (o *object) Size() int64 { return o.size }

// WriteAt implements ship.Object. An append at Size inserts chunks of
// at most the chunk size; a write below HeaderWindow (a header rewrite,
// or the first bytes of the file) replaces the header chunks with one.
// Chunks and size change in one transaction.
func (o *object) WriteAt(ctx context.Context, p []byte, off int64) error {
	if o.committed {
		return fmt.Errorf("%w: write to %s", ErrCommitted, o.key)
	}
	end := off + int64(len(p))
	if off > o.size || (off < o.size && end > ship.HeaderWindow) || off < 0 {
		return fmt.Errorf("%w: %s: %d bytes at %d, holds %d", ship.ErrBadWrite, o.key, len(p), off, o.size)
	}
	if len(p) == 0 {
		return nil
	}
	tx, err := o.t.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("blobstore: write %s: %w", o.key, err)
	}
	defer tx.Rollback()
	// The size moves first: it fails fast when the blob changed, and on
	// PostgreSQL locks the row against a second writer.
	size := max(o.size, end)
	if err := o.setSize(ctx, tx, size); err != nil {
		return err
	}
	if off < ship.HeaderWindow {
		n := min(end, ship.HeaderWindow) - off
		if err := o.writeHeader(ctx, tx, p[:n], off); err != nil {
			return err
		}
		p, off = p[n:], off+n
	}
	for len(p) > 0 {
		n := min(len(p), o.t.chunk)
		if _, err := tx.ExecContext(ctx, o.t.q(`INSERT INTO recording_chunks (key, off, data) VALUES (?, ?, ?)`),
			o.key, off, p[:n]); err != nil {
			return fmt.Errorf("blobstore: write %s at %d: %w", o.key, off, err)
		}
		p, off = p[n:], off+int64(n)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("blobstore: write %s: %w", o.key, err)
	}
	o.size = size
	return nil
}

// writeHeader writes p at off within the header window: the chunks
// below HeaderWindow (at most 512 bytes) are read, patched and written
// back as one chunk at offset 0.
func (o *object) writeHeader(ctx context.Context, tx *sql.Tx, p []byte, off int64) error {
	var hdr [ship.HeaderWindow]byte
	have := min(o.size, ship.HeaderWindow)
	rows, err := tx.QueryContext(ctx, o.t.q(`SELECT off, data FROM recording_chunks WHERE key = ? AND off < ? ORDER BY off`),
		o.key, ship.HeaderWindow)
	if err != nil {
		return fmt.Errorf("blobstore: read header of %s: %w", o.key, err)
	}
	var next int64
	for rows.Next() {
		var (
			coff int64
			data sql.RawBytes
		)
		if err := rows.Scan(&coff, &data); err != nil {
			rows.Close()
			return fmt.Errorf("blobstore: read header of %s: %w", o.key, err)
		}
		if coff != next || coff+int64(len(data)) > have {
			rows.Close()
			return fmt.Errorf("blobstore: %s: header chunk at %d (%d bytes) does not follow %d", o.key, coff, len(data), next)
		}
		next += int64(copy(hdr[coff:], data))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("blobstore: read header of %s: %w", o.key, err)
	}
	if next != have {
		return fmt.Errorf("blobstore: %s: header chunks hold %d bytes, want %d", o.key, next, have)
	}
	copy(hdr[off:], p)
	n := max(have, off+int64(len(p)))
	if _, err := tx.ExecContext(ctx, o.t.q(`DELETE FROM recording_chunks WHERE key = ? AND off < ?`), o.key, ship.HeaderWindow); err != nil {
		return fmt.Errorf("blobstore: write header of %s: %w", o.key, err)
	}
	if _, err := tx.ExecContext(ctx, o.t.q(`INSERT INTO recording_chunks (key, off, data) VALUES (?, 0, ?)`), o.key, hdr[:n]); err != nil {
		return fmt.Errorf("blobstore: write header of %s: %w", o.key, err)
	}
	return nil
}

// setSize moves the blob's size from o.size to size, failing with
// ErrChanged when the database no longer holds o.size uncommitted.
func (o *object) setSize(ctx context.Context, tx *sql.Tx, size int64) error {
	res, err := tx.ExecContext(ctx, o.t.q(`UPDATE recording_blobs SET size = ?, updated_at = ? WHERE key = ? AND size = ? AND NOT committed`),
		size, o.t.now().UnixMilli(), o.key, o.size)
	if err != nil {
		return fmt.Errorf("blobstore: write %s: %w", o.key, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("%w: %s at %d bytes", ErrChanged, o.key, o.size)
	}
	return nil
}

// Commit implements ship.Object. The first size bytes are hashed (read
// back chunk by chunk) before anything changes, so a checksum mismatch
// leaves the blob as it was; then the chunks past size are cut and the
// blob marked committed, in one transaction.
func (o *object) Commit(ctx context.Context, size int64, sum [32]byte) error {
	want := hex.EncodeToString(sum[:])
	if o.committed {
		if o.size != size || o.sum != want {
			return fmt.Errorf("%w: %s holds %d bytes sha256 %s, commit asks %d bytes sha256 %s",
				ErrCommitted, o.key, o.size, o.sum, size, want)
		}
		return nil
	}
	if size > o.size || size < 0 {
		return fmt.Errorf("blobstore: commit %s at %d bytes, holds %d", o.key, size, o.size)
	}
	b := &Blob{t: o.t, ctx: ctx, key: o.key, size: size}
	h := sha256.New()
	if _, err := io.Copy(h, b); err != nil {
		return fmt.Errorf("blobstore: commit %s: %w", o.key, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("blobstore: commit %s: checksum mismatch: holds %s, want %s", o.key, got, want)
	}
	tx, err := o.t.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("blobstore: commit %s: %w", o.key, err)
	}
	defer tx.Rollback()
	if size < o.size {
		if err := o.truncate(ctx, tx, size); err != nil {
			return err
		}
	}
	res, err := tx.ExecContext(ctx, o.t.q(`UPDATE recording_blobs SET size = ?, sha256 = ?, committed = TRUE, updated_at = ?
		WHERE key = ? AND size = ? AND NOT committed`), size, want, o.t.now().UnixMilli(), o.key, o.size)
	if err != nil {
		return fmt.Errorf("blobstore: commit %s: %w", o.key, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("%w: %s at %d bytes", ErrChanged, o.key, o.size)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("blobstore: commit %s: %w", o.key, err)
	}
	o.size, o.sum, o.committed = size, want, true
	return nil
}

// truncate cuts the chunks to size bytes.
func (o *object) truncate(ctx context.Context, tx *sql.Tx, size int64) error {
	if _, err := tx.ExecContext(ctx, o.t.q(`DELETE FROM recording_chunks WHERE key = ? AND off >= ?`), o.key, size); err != nil {
		return fmt.Errorf("blobstore: truncate %s: %w", o.key, err)
	}
	var coff, n int64
	err := tx.QueryRowContext(ctx, o.t.q(`SELECT off, length(data) FROM recording_chunks WHERE key = ? AND off < ? ORDER BY off DESC LIMIT 1`),
		o.key, size).Scan(&coff, &n)
	if err == sql.ErrNoRows {
		return nil
	}
	if err != nil {
		return fmt.Errorf("blobstore: truncate %s: %w", o.key, err)
	}
	if coff+n > size {
		if _, err := tx.ExecContext(ctx, o.t.q(`UPDATE recording_chunks SET data = substr(data, 1, ?) WHERE key = ? AND off = ?`),
			size-coff, o.key, coff); err != nil {
			return fmt.Errorf("blobstore: truncate %s: %w", o.key, err)
		}
	}
	return nil
}

// Close implements ship.Object; an object holds nothing between writes.
func (o *object) Close() error { return nil }
