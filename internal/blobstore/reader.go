package blobstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
)

// Blob reads one blob chunk by chunk: an io.ReadSeekCloser for playback
// and download (http.ServeContent takes it as is). It holds at most one
// chunk in memory and a database connection only while it fetches one.
// A Blob reads the Size bytes the blob held when it was opened; a
// recording still being written can be read up to there. A Blob is
// used by one goroutine at a time.
type Blob struct {
	t         *Target
	ctx       context.Context
	key       string
	size      int64
	committed bool
	sum       string

	pos    int64
	buf    []byte // the chunk at bufOff
	bufOff int64
}

var _ io.ReadSeekCloser = (*Blob)(nil)

// OpenBlob opens the blob named key for reading; ctx bounds every read
// made through it. ErrNotFound when the database holds no such blob.
func (t *Target) OpenBlob(ctx context.Context, key string) (*Blob, error) {
	b := &Blob{t: t, ctx: ctx, key: key}
	err := t.db.QueryRowContext(ctx, t.q(`SELECT size, committed, sha256 FROM recording_blobs WHERE key = ?`), key).
		Scan(&b.size, &b.committed, &b.sum)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if err != nil {
		return nil, fmt.Errorf("blobstore: open %s: %w", key, err)
	}
	return b, nil
}

// Size returns the blob's length as it was when opened.
func (b *Blob) Size() int64 { return b.size }

// Committed reports whether the blob was complete when opened.
func (b *Blob) Committed() bool { return b.committed }

// SHA256 returns the hex SHA-256 of a committed blob ("" before).
func (b *Blob) SHA256() string { return b.sum }

// Read implements io.Reader.
func (b *Blob) Read(p []byte) (int, error) {
	if b.pos >= b.size {
		return 0, io.EOF
	}
	if b.pos < b.bufOff || b.pos >= b.bufOff+int64(len(b.buf)) {
		if err := b.fetch(); err != nil {
			return 0, err
		}
	}
	chunk := b.buf[b.pos-b.bufOff:]
	chunk = chunk[:min(int64(len(chunk)), b.size-b.pos)]
	n := copy(p, chunk)
	b.pos += int64(n)
	return n, nil
}

// fetch loads the chunk holding b.pos into b.buf, reusing its memory.
func (b *Blob) fetch() error {
	rows, err := b.t.db.QueryContext(b.ctx, b.t.q(`SELECT off, data FROM recording_chunks WHERE key = ? AND off <= ? ORDER BY off DESC LIMIT 1`),
		b.key, b.pos)
	if err != nil {
		return fmt.Errorf("blobstore: read %s at %d: %w", b.key, b.pos, err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return fmt.Errorf("blobstore: read %s at %d: %w", b.key, b.pos, err)
		}
		return fmt.Errorf("blobstore: read %s at %d: %w", b.key, b.pos, io.ErrUnexpectedEOF)
	}
	var data sql.RawBytes
	if err := rows.Scan(&b.bufOff, &data); err != nil {
		return fmt.Errorf("blobstore: read %s at %d: %w", b.key, b.pos, err)
	}
	b.buf = append(b.buf[:0], data...)
	if b.pos >= b.bufOff+int64(len(b.buf)) {
		// The chunk before pos ends short of it: the blob was cut
		// (removed, or truncated by a commit) after it was opened.
		return fmt.Errorf("blobstore: read %s at %d: %w", b.key, b.pos, io.ErrUnexpectedEOF)
	}
	return rows.Close()
}

// Seek implements io.Seeker.
func (b *Blob) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += b.pos
	case io.SeekEnd:
		offset += b.size
	default:
		return 0, fmt.Errorf("blobstore: seek: whence %d", whence)
	}
	if offset < 0 {
		return 0, fmt.Errorf("blobstore: seek %s to %d: negative position", b.key, offset)
	}
	b.pos = offset
	return offset, nil
}

// Close implements io.Closer; it releases the chunk buffer.
func (b *Blob) Close() error {
	b.buf = nil
	return nil
}
