package catalog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/record"
	"github.com/callrec/callrec/internal/store"
)

// writeSidecar writes a sidecar and its audio file as the recorder lays
// them out, and returns the sidecar's path.
func writeSidecar(t *testing.T, dir, base string, m record.Meta, audio []byte) string {
	t.Helper()
	m.Files = []record.File{{Path: base + ".wav", Part: 1, Bytes: int64(len(audio)), Duration: m.Duration}}
	p := filepath.Join(dir, base+".json")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, base+".wav"), audio, 0o644); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(m)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func waitFor(t *testing.T, what string, f func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !f(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestIndexer: recordings already on disk are found by the first scan;
// a notified sidecar is indexed as it changes from recording to
// complete, with size and the audio's checksum; one row per recording.
func TestIndexer(t *testing.T) {
	both(t, func(t *testing.T, c *Catalog) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		dir := t.TempDir()
		old := record.Meta{CallID: "old@h", FromTag: "a", Caller: "sip:alice@h", Callee: "sip:bob@h",
			Started: t0, Ended: t0.Add(time.Minute), Duration: 60, Profile: "default",
			Format: record.Profile{Container: "wav", Encoding: "pcm16", SampleRate: 8000, Layout: "stereo"},
			Status: record.StatusInterrupted, Reason: "process stopped", Label: "vip", Labels: map[string]string{"queue": "sales"},
			Legs: [2]record.Leg{{Codecs: []string{"PCMU"}, Packets: 3000, Lost: 30, JitterMs: 4}, {Codecs: []string{"PCMU"}, Packets: 3000}},
			Events: []record.Event{{Type: "dtmf", At: 1.5, Duration: 0.1, Party: "caller", Value: "7"},
				{Type: "keyword", At: 12.25, Duration: 0.5, Party: "callee", Value: "refund", Confidence: 0.9, Source: "spot"}}}
		writeSidecar(t, dir, "2026/11/24/old", old, []byte("RIFF old audio"))
		ix := NewIndexer(c, dir, "n1", nil)
		go ix.Run(ctx)
		waitFor(t, "the scan", func() bool { return ix.Indexed.Load() >= 1 })
		got, err := c.GetByKey(ctx, "n1/2026/11/24/old")
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte("RIFF old audio"))
		if got.Status != StatusInterrupted || got.Checksum != "sha256:"+hex.EncodeToString(sum[:]) ||
			got.Size != int64(len("RIFF old audio")) || got.Location != "2026/11/24/old.wav" || got.Codecs != "PCMU" ||
			got.Format != "wav/pcm16/8000/stereo" || got.Duration != time.Minute || got.Labels["label"] != "vip" || got.Labels["queue"] != "sales" ||
			len(got.Events) != 2 || got.Events[0].Value != "7" || got.Legs[0].Lost != 30 || got.Legs[0].MOS == 0 {
			t.Errorf("scanned row: %+v", got)
		}
		if len(got.Events) == 2 {
			if k := got.Events[1]; k != (Event{Type: "keyword", At: 12250 * time.Millisecond, Duration: 500 * time.Millisecond, Party: "callee", Value: "refund", Confidence: 0.9, Source: "spot"}) {
				t.Errorf("keyword event %+v", k)
			}
		}

		live := record.Meta{CallID: "live@h", FromTag: "x", Caller: "sip:carol@h", Callee: "sip:dave@h",
			Started: t0.Add(time.Hour), Status: record.StatusRecording}
		p := writeSidecar(t, dir, "2026/11/24/live", live, []byte("RIFF"))
		ix.Notify(p)
		waitFor(t, "the live recording", func() bool { r, err := c.GetByKey(ctx, "n1/2026/11/24/live"); return err == nil && r != nil })
		r, _ := c.GetByKey(ctx, "n1/2026/11/24/live")
		if r.Status != StatusRecording || r.Checksum != "" {
			t.Errorf("live row: status %s checksum %q", r.Status, r.Checksum)
		}
		live.Status, live.Ended, live.Duration = record.StatusComplete, live.Started.Add(30*time.Second), 30
		writeSidecar(t, dir, "2026/11/24/live", live, []byte("RIFF final audio"))
		ix.Notify(p)
		waitFor(t, "the final state", func() bool {
			r, err := c.GetByKey(ctx, "n1/2026/11/24/live")
			return err == nil && r.Status == StatusComplete
		})
		r, _ = c.GetByKey(ctx, "n1/2026/11/24/live")
		if r.ID == 0 || r.Size != int64(len("RIFF final audio")) || r.Checksum == "" || r.Duration != 30*time.Second {
			t.Errorf("final row: %+v", r)
		}
		page, err := c.Search(ctx, Query{})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Recordings) != 2 {
			t.Errorf("%d rows, want 2", len(page.Recordings))
		}
	})
}

// TestIndexerDatabaseDown: while the database is unreachable the
// indexer keeps the notified sidecars and retries; when it comes back
// they are all indexed, once.
func TestIndexerDatabaseDown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dbPath := filepath.Join(t.TempDir(), "cat.db")
	st, err := store.Open(ctx, "sqlite:"+dbPath)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Open(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ix := NewIndexer(c, dir, "n1", nil)
	// Break the database: its table is gone, as when a PostgreSQL
	// server is down every write fails.
	if _, err := st.DB().ExecContext(ctx, `ALTER TABLE recordings RENAME TO recordings_away`); err != nil {
		t.Fatal(err)
	}
	go ix.Run(ctx)
	for i, name := range []string{"a", "b", "c"} {
		m := record.Meta{CallID: name + "@h", FromTag: "f", Started: t0.Add(time.Duration(i) * time.Second), Status: record.StatusComplete}
		ix.Notify(writeSidecar(t, dir, name, m, []byte(name)))
	}
	waitFor(t, "a failed write", func() bool { return ix.Errors.Load() >= 1 })
	if _, err := st.DB().ExecContext(ctx, `ALTER TABLE recordings_away RENAME TO recordings`); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the retry", func() bool {
		p, err := c.Search(ctx, Query{})
		return err == nil && len(p.Recordings) == 3
	})
	st.Close()
}

// TestFileRemover: the purge deletes a recording's files and sidecar,
// and nothing else.
func TestFileRemover(t *testing.T) {
	dir := t.TempDir()
	p := writeSidecar(t, dir, "2026/11/24/a", record.Meta{CallID: "a", Started: t0, Status: record.StatusComplete}, []byte("a"))
	writeSidecar(t, dir, "2026/11/24/b", record.Meta{CallID: "b", Started: t0, Status: record.StatusComplete}, []byte("b"))
	rm := FileRemover(dir, nil)
	r := &Recording{Key: "n1/2026/11/24/a", Location: "2026/11/24/a.wav"}
	if err := rm(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	for _, gone := range []string{p, filepath.Join(dir, "2026/11/24/a.wav")} {
		if _, err := os.Stat(gone); !os.IsNotExist(err) {
			t.Errorf("%s still there (%v)", gone, err)
		}
	}
	for _, kept := range []string{"2026/11/24/b.json", "2026/11/24/b.wav"} {
		if _, err := os.Stat(filepath.Join(dir, kept)); err != nil {
			t.Errorf("%s: %v", kept, err)
		}
	}
	if err := rm(context.Background(), r); err != nil {
		t.Errorf("second removal: %v", err)
	}
	if err := rm(context.Background(), &Recording{Key: "n1/../../etc/x", Location: "../../etc/passwd"}); err == nil {
		t.Error("a key outside the directory was accepted")
	}
}
