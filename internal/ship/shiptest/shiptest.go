// Package shiptest fakes, for tests of delivery targets, what the
// recorder leaves on disk: a sidecar naming a WAV file that grows, its
// header (the data size) rewritten at each flush. It is imported by
// tests only.
package shiptest

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/record"
)

// Recording is one fake recording below a recordings directory.
type Recording struct {
	t       testing.TB
	f       *os.File
	Base    string // path below the directory, without extension
	Sidecar string // the sidecar's path
	Path    string // the WAV file's path
	Data    int    // bytes of audio after the 44-byte header
}

// NewRecording creates dir/base.wav with an empty WAV header and a
// sidecar saying "recording".
func NewRecording(t testing.TB, dir, base string) *Recording {
	t.Helper()
	r := &Recording{t: t, Base: base, Sidecar: filepath.Join(dir, base+".json"), Path: filepath.Join(dir, base+".wav")}
	if err := os.MkdirAll(filepath.Dir(r.Path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(r.Path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	r.f = f
	r.header()
	r.Meta(record.StatusRecording)
	return r
}

func (r *Recording) header() {
	h := make([]byte, 44)
	copy(h, "RIFF")
	binary.LittleEndian.PutUint32(h[4:], uint32(36+r.Data))
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], uint32(r.Data))
	if _, err := r.f.WriteAt(h, 0); err != nil {
		r.t.Fatal(err)
	}
}

// Pattern returns n bytes of fake audio starting at audio offset off:
// every offset has its own value pattern, so a byte moved or lost shows.
func Pattern(off, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		j := off + i
		b[i] = byte(j*7 + j>>13)
	}
	return b
}

// Grow appends n bytes of audio and rewrites the header.
func (r *Recording) Grow(n int) {
	if _, err := r.f.WriteAt(Pattern(r.Data, n), int64(44+r.Data)); err != nil {
		r.t.Fatal(err)
	}
	r.Data += n
	r.header()
}

// Meta writes the sidecar with status (record.StatusRecording,
// StatusComplete, ...).
func (r *Recording) Meta(status string) {
	m := record.Meta{CallID: r.Base + "@test", Caller: "sip:alice@example.com", Callee: "sip:bob@example.com",
		Started: time.Now().UTC(), Status: status,
		Files: []record.File{{Path: filepath.ToSlash(r.Base) + ".wav", Part: 1, Bytes: int64(44 + r.Data)}}}
	b, _ := json.Marshal(m)
	if err := os.WriteFile(r.Sidecar, b, 0o644); err != nil {
		r.t.Fatal(err)
	}
}

// Content returns the WAV file as it is now.
func (r *Recording) Content() []byte {
	b, err := os.ReadFile(r.Path)
	if err != nil {
		r.t.Fatal(err)
	}
	return b
}

// Sum returns the SHA-256 of the WAV file as it is now.
func (r *Recording) Sum() [32]byte { return sha256.Sum256(r.Content()) }
