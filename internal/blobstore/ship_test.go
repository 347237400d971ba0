package blobstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/record"
	"github.com/callrec/callrec/internal/ship"
	"github.com/callrec/callrec/internal/ship/shiptest"
	"github.com/callrec/callrec/internal/store/storetest"
)

// waitFor polls f until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, f func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); !f(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// blobEquals reports whether key holds want (read through a Blob).
func blobEquals(tg *Target, key string, want []byte) bool {
	b, err := tg.OpenBlob(context.Background(), key)
	if err != nil {
		return false
	}
	defer b.Close()
	var got bytes.Buffer
	if _, err := got.ReadFrom(b); err != nil {
		return false
	}
	return bytes.Equal(got.Bytes(), want)
}

// runShipper starts a Shipper on dir and target; the returned func
// stops it and waits.
func runShipper(t *testing.T, cfg ship.Config) (*ship.Shipper, func()) {
	t.Helper()
	if cfg.Interval == 0 {
		cfg.Interval = 20 * time.Millisecond
	}
	s, err := ship.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()
	stop := func() { cancel(); <-done }
	t.Cleanup(stop)
	return s, stop
}

// TestShipLive: through a ship.Shipper, the blob follows the recording
// while it grows (header current), and at the end holds exactly the
// file, committed with its checksum; the marker names blob:key.
func TestShipLive(t *testing.T) {
	for _, d := range dialects {
		t.Run(d, func(t *testing.T) {
			src := t.TempDir()
			tg, _ := openTarget(t, storetest.DSN(t, d), 16<<10)
			var shipped atomic.Value
			s, _ := runShipper(t, ship.Config{Dir: src, Target: tg, OnShipped: func(p string) { shipped.Store(p) }})
			rec := newRecording(t, src, "2026/11/24/call1")
			s.Notify(rec.Sidecar)
			const key = "2026/11/24/call1.wav"
			for range 3 {
				rec.Grow(40000)
				want := rec.Content()
				waitFor(t, 10*time.Second, "the growing recording in the database", func() bool { return blobEquals(tg, key, want) })
			}
			rec.Grow(777)
			want := rec.Content()
			rec.Meta(record.StatusComplete)
			s.Notify(rec.Sidecar)
			waitFor(t, 10*time.Second, "delivery", func() bool { return shipped.Load() != nil })
			b, err := tg.OpenBlob(context.Background(), key)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(want)
			if !b.Committed() || b.SHA256() != hex.EncodeToString(sum[:]) || !blobEquals(tg, key, want) {
				t.Errorf("blob committed=%v sha256=%s, want the file's %x (%d bytes)", b.Committed(), b.SHA256(), sum, len(want))
			}
			mk, err := ship.ReadMarker(rec.Sidecar)
			if err != nil {
				t.Fatal(err)
			}
			if len(mk.Files) != 1 || mk.Files[0].Location != "blob:"+key || mk.Files[0].SHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("marker %+v", mk)
			}
			if _, err := os.Stat(rec.Path); !os.IsNotExist(err) {
				t.Errorf("local audio kept: %v", err)
			}
		})
	}
}

// TestShipResume: a Shipper stops mid-recording (the process dies); the
// recording goes on and ends; a new process (new Store, new Target)
// resumes from the size the database holds and sends only the rest.
func TestShipResume(t *testing.T) {
	for _, d := range dialects {
		t.Run(d, func(t *testing.T) {
			src, dsn := t.TempDir(), storetest.DSN(t, d)
			tg1, _ := openTarget(t, dsn, 0)
			s1, stop1 := runShipper(t, ship.Config{Dir: src, Target: tg1})
			rec := newRecording(t, src, "r")
			s1.Notify(rec.Sidecar)
			rec.Grow(300000)
			want := rec.Content()
			waitFor(t, 10*time.Second, "the first bytes", func() bool { return blobEquals(tg1, "r.wav", want) })
			stop1()
			rec.Grow(100000)
			rec.Meta(record.StatusComplete)
			want = rec.Content()

			tg2, _ := openTarget(t, dsn, 0)
			s2, _ := runShipper(t, ship.Config{Dir: src, Target: tg2, KeepLocal: true}) // the start scan finds it
			waitFor(t, 10*time.Second, "delivery after restart", func() bool {
				_, err := os.Stat(ship.MarkerPath(rec.Sidecar))
				return err == nil
			})
			if !blobEquals(tg2, "r.wav", want) {
				t.Errorf("the blob differs from the %d-byte file", len(want))
			}
			if sent := s2.Bytes.Load(); sent >= uint64(len(want)) || sent < 100000 {
				t.Errorf("the restarted shipper sent %d of %d bytes: it did not resume", sent, len(want))
			}
		})
	}
}

// TestDatabaseDown: the database stops taking writes mid-recording (the
// chunk table is renamed away; on PostgreSQL the shipper's connections
// are also killed) and the recording ends while it is down; once the
// database is back the Shipper delivers everything, byte for byte.
func TestDatabaseDown(t *testing.T) {
	for _, d := range dialects {
		t.Run(d, func(t *testing.T) {
			src, dsn := t.TempDir(), storetest.DSN(t, d)
			app := ""
			if d == "postgres" {
				app = fmt.Sprintf("callrec_blobdown_%d_%d", os.Getpid(), time.Now().UnixNano())
				dsn += "&application_name=" + app
			}
			tg, st := openTarget(t, dsn, 64<<10)
			s, _ := runShipper(t, ship.Config{Dir: src, Target: tg, KeepLocal: true})
			rec := newRecording(t, src, "down")
			s.Notify(rec.Sidecar)
			rec.Grow(200000)
			want := rec.Content()
			waitFor(t, 10*time.Second, "the first bytes", func() bool { return blobEquals(tg, "down.wav", want) })

			ctx := context.Background()
			exec := func(q string) {
				t.Helper()
				var err error
				for range 3 { // the pool may hand out a connection killed below
					if _, err = st.DB().ExecContext(ctx, q); err == nil {
						return
					}
				}
				t.Fatalf("%s: %v", q, err)
			}
			exec(`ALTER TABLE recording_chunks RENAME TO recording_chunks_away`)
			if d == "postgres" {
				admin, _ := storetest.Postgres(t)
				kill(t, admin, app)
			}
			errs := s.Errors.Load()
			rec.Grow(150000)
			waitFor(t, 10*time.Second, "a failed write", func() bool { return s.Errors.Load() > errs })
			rec.Grow(50000)
			rec.Meta(record.StatusComplete)
			s.Notify(rec.Sidecar)
			waitFor(t, 10*time.Second, "the final delivery failing", func() bool { return s.Errors.Load() > errs+1 })
			if _, err := os.Stat(ship.MarkerPath(rec.Sidecar)); !os.IsNotExist(err) {
				t.Fatal("marked delivered while the database was down")
			}
			exec(`ALTER TABLE recording_chunks_away RENAME TO recording_chunks`)
			want = rec.Content()
			// The Shipper backs off up to 2 s after two failures.
			waitFor(t, 30*time.Second, "delivery once the database is back", func() bool {
				_, err := os.Stat(ship.MarkerPath(rec.Sidecar))
				return err == nil
			})
			if !blobEquals(tg, "down.wav", want) {
				t.Errorf("the blob differs from the %d-byte file", len(want))
			}
		})
	}
}

// kill terminates the PostgreSQL backends of application app (this
// test's own connections only: other tests share the server).
func kill(t *testing.T, admin *sql.DB, app string) {
	t.Helper()
	var n int
	if err := admin.QueryRowContext(context.Background(),
		`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1`, app).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatalf("no backend of %s to kill", app)
	}
	t.Logf("killed %d backends of %s", n, app)
}

// recording is a fake recording on disk (shiptest.Recording).
type recording = shiptest.Recording

func newRecording(t *testing.T, dir, base string) *recording {
	return shiptest.NewRecording(t, dir, base)
}
