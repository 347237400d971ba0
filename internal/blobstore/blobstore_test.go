package blobstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/ship"
	"github.com/callrec/callrec/internal/store"
	"github.com/callrec/callrec/internal/store/storetest"
)

var dialects = []string{"sqlite", "postgres"}

// openTarget opens a Store on dsn and a Target with chunk bytes per row.
func openTarget(t testing.TB, dsn string, chunk int) (*Target, *store.Store) {
	t.Helper()
	st, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	tg, err := New(context.Background(), st, Options{ChunkSize: chunk})
	if err != nil {
		t.Fatal(err)
	}
	return tg, st
}

// readAll reads key back through a Blob.
func readAll(t testing.TB, tg *Target, key string) []byte {
	t.Helper()
	b, err := tg.OpenBlob(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	got, err := io.ReadAll(b)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return got
}

// pattern returns n bytes that differ from offset to offset.
func pattern(off, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte((off + i) * 7 / 3)
	}
	return b
}

// TestContract holds the Target to the ship.Object contract on both
// databases, with a small chunk size so that objects span many chunks:
// appends (crossing the header window and chunk sizes), header
// rewrites, gaps and late rewrites refused, a commit that truncates and
// checks the checksum, re-commit, reads with seeks, remove.
func TestContract(t *testing.T) {
	for _, d := range dialects {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			tg, _ := openTarget(t, storetest.DSN(t, d), 1000)
			o, err := tg.Open(ctx, "2026/11/24/a.wav")
			if err != nil {
				t.Fatal(err)
			}
			var want []byte
			for _, n := range []int{44, 300, 2500, 1, 999, 4000} { // crosses 512 and several chunks
				p := pattern(len(want), n)
				if err := o.WriteAt(ctx, p, int64(len(want))); err != nil {
					t.Fatalf("append %d at %d: %v", n, len(want), err)
				}
				want = append(want, p...)
				if o.Size() != int64(len(want)) {
					t.Fatalf("size %d after append, want %d", o.Size(), len(want))
				}
			}
			if err := o.WriteAt(ctx, []byte("x"), int64(len(want))+1); !errors.Is(err, ship.ErrBadWrite) {
				t.Errorf("gap: %v", err)
			}
			if err := o.WriteAt(ctx, []byte("x"), 600); !errors.Is(err, ship.ErrBadWrite) {
				t.Errorf("rewrite past the header window: %v", err)
			}
			if err := o.WriteAt(ctx, []byte("RIFF"), 0); err != nil {
				t.Errorf("header rewrite: %v", err)
			}
			copy(want, "RIFF")
			if err := o.WriteAt(ctx, []byte("data1234"), 504); err != nil {
				t.Errorf("header rewrite at the window's end: %v", err)
			}
			copy(want[504:], "data1234")
			if got := readAll(t, tg, "2026/11/24/a.wav"); !bytes.Equal(got, want) {
				t.Fatalf("read back %d bytes, differ from the %d written", len(got), len(want))
			}

			// Seeks land inside chunks, across them, and at the end.
			b, err := tg.OpenBlob(ctx, "2026/11/24/a.wav")
			if err != nil {
				t.Fatal(err)
			}
			for _, off := range []int64{5000, 7, 1999, 511, 512, 3000} {
				if _, err := b.Seek(off, io.SeekStart); err != nil {
					t.Fatal(err)
				}
				buf := make([]byte, 1700)
				n, err := io.ReadFull(b, buf)
				if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("read at %d: %v", off, err)
				}
				if !bytes.Equal(buf[:n], want[off:min(int(off)+1700, len(want))]) {
					t.Errorf("read at %d: wrong bytes", off)
				}
			}
			if pos, _ := b.Seek(-10, io.SeekEnd); pos != int64(len(want))-10 {
				t.Errorf("seek from the end: %d", pos)
			}
			if rest, _ := io.ReadAll(b); !bytes.Equal(rest, want[len(want)-10:]) {
				t.Errorf("last 10 bytes %x", rest)
			}
			b.Close()

			// A wrong checksum changes nothing; a right one truncates
			// inside a chunk and commits.
			cut := 3333
			if err := o.Commit(ctx, int64(cut), sha256.Sum256([]byte("other"))); err == nil {
				t.Fatal("commit with a wrong checksum accepted")
			}
			if got := readAll(t, tg, "2026/11/24/a.wav"); len(got) != len(want) {
				t.Fatalf("a failed commit left %d bytes of %d", len(got), len(want))
			}
			want = want[:cut]
			sum := sha256.Sum256(want)
			if err := o.Commit(ctx, int64(cut), sum); err != nil {
				t.Fatalf("commit truncating to %d: %v", cut, err)
			}
			if got := readAll(t, tg, "2026/11/24/a.wav"); !bytes.Equal(got, want) {
				t.Fatalf("after commit read %d bytes, want the first %d", len(got), cut)
			}
			if err := o.WriteAt(ctx, []byte("x"), int64(cut)); !errors.Is(err, ErrCommitted) {
				t.Errorf("write after commit: %v", err)
			}
			o2, err := tg.Open(ctx, "2026/11/24/a.wav")
			if err != nil {
				t.Fatal(err)
			}
			if o2.Size() != int64(cut) {
				t.Errorf("reopened size %d", o2.Size())
			}
			if err := o2.Commit(ctx, int64(cut), sum); err != nil {
				t.Errorf("re-commit: %v", err)
			}
			if err := o2.Commit(ctx, int64(cut), sha256.Sum256([]byte("other"))); !errors.Is(err, ErrCommitted) {
				t.Errorf("re-commit with another checksum: %v", err)
			}
			bl, err := tg.OpenBlob(ctx, "2026/11/24/a.wav")
			if err != nil || !bl.Committed() || bl.SHA256() == "" || bl.Size() != int64(cut) {
				t.Errorf("blob %+v, %v", bl, err)
			}
			if tg.Location("k/x.wav") != "blob:k/x.wav" {
				t.Errorf("location %s", tg.Location("k/x.wav"))
			}
			if k, ok := KeyOf(tg.Location("k/x.wav")); !ok || k != "k/x.wav" {
				t.Errorf("KeyOf: %q %v", k, ok)
			}

			if err := tg.Remove(ctx, "2026/11/24/a.wav"); err != nil {
				t.Fatal(err)
			}
			if _, err := tg.OpenBlob(ctx, "2026/11/24/a.wav"); !errors.Is(err, ErrNotFound) {
				t.Errorf("open after remove: %v", err)
			}
			if err := tg.Remove(ctx, "never/was"); err != nil {
				t.Errorf("remove of a missing key: %v", err)
			}
			// An object whose blob was removed under it fails instead
			// of writing chunks nobody owns.
			o3, _ := tg.Open(ctx, "c.wav")
			if err := o3.WriteAt(ctx, []byte("abc"), 0); err != nil {
				t.Fatal(err)
			}
			if err := tg.Remove(ctx, "c.wav"); err != nil {
				t.Fatal(err)
			}
			if err := o3.WriteAt(ctx, []byte("def"), 3); !errors.Is(err, ErrChanged) {
				t.Errorf("write to a removed blob: %v", err)
			}
		})
	}
}

// TestSmallFile: a file that never reaches the header window, grown by
// header rewrites that extend it, commits whole.
func TestSmallFile(t *testing.T) {
	ctx := context.Background()
	tg, _ := openTarget(t, storetest.DSN(t, "sqlite"), 0)
	o, _ := tg.Open(ctx, "s.wav")
	if err := o.WriteAt(ctx, pattern(0, 44), 0); err != nil {
		t.Fatal(err)
	}
	if err := o.WriteAt(ctx, pattern(0, 100), 0); err != nil { // rewrite that grows
		t.Fatal(err)
	}
	want := pattern(0, 100)
	if err := o.Commit(ctx, 100, sha256.Sum256(want)); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, tg, "s.wav"); !bytes.Equal(got, want) {
		t.Errorf("got %d bytes", len(got))
	}
	if _, err := New(ctx, tg.st, Options{ChunkSize: 100}); err == nil {
		t.Error("a chunk size below the header window accepted")
	}
}

// TestServeContent: a Blob is what http.ServeContent needs for playback
// and download: a range request gets the bytes it asks for, streamed
// from the chunks it spans.
func TestServeContent(t *testing.T) {
	ctx := context.Background()
	tg, _ := openTarget(t, storetest.DSN(t, "sqlite"), 1000)
	want := pattern(0, 10000)
	o, _ := tg.Open(ctx, "p.wav")
	if err := o.WriteAt(ctx, want, 0); err != nil {
		t.Fatal(err)
	}
	if err := o.Commit(ctx, int64(len(want)), sha256.Sum256(want)); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := tg.OpenBlob(r.Context(), strings.TrimPrefix(r.URL.Path, "/"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		defer b.Close()
		http.ServeContent(w, r, "p.wav", time.Time{}, b)
	}))
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/p.wav", nil)
	req.Header.Set("Range", "bytes=1500-4499")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(got, want[1500:4500]) {
		t.Errorf("range: %s, %d bytes (equal %v)", resp.Status, len(got), bytes.Equal(got, want[1500:4500]))
	}
	resp, err = srv.Client().Get(srv.URL + "/p.wav")
	if err != nil {
		t.Fatal(err)
	}
	got, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, want) || resp.ContentLength != int64(len(want)) {
		t.Errorf("whole: %s, length %d, %d bytes", resp.Status, resp.ContentLength, len(got))
	}
}
