package ship

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/record"
	"github.com/callrec/callrec/internal/ship/shiptest"
)

func waitFor(t *testing.T, what string, f func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !f(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestShipLive: bytes reach the target while the recording grows, with
// the header current; at the end the target holds exactly the file, the
// marker says where and with which checksum, and the local audio is
// deleted.
func TestShipLive(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	var shipped atomic.Value
	s, err := New(Config{Dir: src, Target: DirTarget{Dir: dst}, Interval: 20 * time.Millisecond,
		OnShipped: func(p string) { shipped.Store(p) }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Run(ctx)
	rec := newFakeRecording(t, src, "2026/11/24/call1")
	s.Notify(rec.Sidecar)
	part := filepath.Join(dst, "2026/11/24/call1.wav.part")
	for i := 1; i <= 3; i++ {
		rec.Grow(10000)
		want := rec.Content()
		waitFor(t, "the growing file in the target", func() bool {
			got, _ := os.ReadFile(part)
			return bytes.Equal(got, want)
		})
	}
	rec.Grow(777)
	want := rec.Content()
	rec.Meta(record.StatusComplete)
	s.Notify(rec.Sidecar)
	waitFor(t, "delivery", func() bool { return shipped.Load() != nil })
	got, err := os.ReadFile(filepath.Join(dst, "2026/11/24/call1.wav"))
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("delivered %d bytes (%v), want the %d of the file", len(got), err, len(want))
	}
	mk, err := ReadMarker(rec.Sidecar)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(want)
	if len(mk.Files) != 1 || mk.Files[0].SHA256 != hex.EncodeToString(sum[:]) || mk.Files[0].Bytes != int64(len(want)) ||
		mk.Files[0].Location != "file:"+filepath.Join(dst, "2026/11/24/call1.wav") {
		t.Errorf("marker %+v", mk)
	}
	if _, err := os.Stat(filepath.Join(src, "2026/11/24/call1.wav")); !os.IsNotExist(err) {
		t.Errorf("local audio kept: %v", err)
	}
	if _, err := os.Stat(rec.Sidecar); err != nil {
		t.Errorf("sidecar: %v", err)
	}
}

// flaky fails every write while down is set.
type flaky struct {
	Target
	down atomic.Bool
}

type flakyObject struct {
	Object
	t *flaky
}

var errDown = errors.New("target down")

func (f *flaky) Open(ctx context.Context, key string) (Object, error) {
	if f.down.Load() {
		return nil, errDown
	}
	o, err := f.Target.Open(ctx, key)
	return &flakyObject{Object: o, t: f}, err
}

func (o *flakyObject) WriteAt(ctx context.Context, p []byte, off int64) error {
	if o.t.down.Load() {
		return errDown
	}
	return o.Object.WriteAt(ctx, p, off)
}

// TestShipResume: the target goes down mid-call and the recording ends
// while it is down; a restarted Shipper (a new process) resumes from
// what the target holds and delivers the whole file.
func TestShipResume(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	target := &flaky{Target: DirTarget{Dir: dst}}
	s1, _ := New(Config{Dir: src, Target: target, Interval: 20 * time.Millisecond})
	ctx1, stop1 := context.WithCancel(context.Background())
	done1 := make(chan struct{})
	go func() { defer close(done1); s1.Run(ctx1) }()
	rec := newFakeRecording(t, src, "r")
	s1.Notify(rec.Sidecar)
	rec.Grow(5000)
	waitFor(t, "the first bytes", func() bool {
		st, err := os.Stat(filepath.Join(dst, "r.wav.part"))
		return err == nil && st.Size() > 5000
	})
	target.down.Store(true)
	rec.Grow(5000)
	rec.Meta(record.StatusComplete)
	s1.Notify(rec.Sidecar)
	waitFor(t, "a failed write", func() bool { return s1.Errors.Load() > 0 })
	// The 5000 bytes the target did not take are the spool.
	waitFor(t, "the spool to hold the undelivered bytes", func() bool { return s1.Spool.Load() >= 5000 })
	stop1()
	<-done1
	if _, err := os.Stat(MarkerPath(rec.Sidecar)); !os.IsNotExist(err) {
		t.Fatal("marked delivered while the target was down")
	}
	target.down.Store(false)
	s2, _ := New(Config{Dir: src, Target: target, Interval: 20 * time.Millisecond, KeepLocal: true})
	ctx2, stop2 := context.WithCancel(context.Background())
	defer stop2()
	go s2.Run(ctx2) // no Notify: the start scan finds it
	waitFor(t, "delivery after restart", func() bool { _, err := os.Stat(MarkerPath(rec.Sidecar)); return err == nil })
	waitFor(t, "an empty spool", func() bool { return s2.Spool.Load() == 0 && s2.Active.Load() == 0 })
	got, _ := os.ReadFile(filepath.Join(dst, "r.wav"))
	if want := rec.Content(); !bytes.Equal(got, want) {
		t.Errorf("delivered %d bytes, want %d identical", len(got), len(want))
	}
	if s2.Bytes.Load() >= uint64(len(rec.Content())) {
		t.Errorf("the restarted shipper sent %d bytes: it did not resume", s2.Bytes.Load())
	}
}

// TestDirTargetContract: appends and header rewrites only; a commit
// with the same content again succeeds, with other content fails.
func TestDirTargetContract(t *testing.T) {
	ctx := context.Background()
	tg := DirTarget{Dir: t.TempDir()}
	o, err := tg.Open(ctx, "a/b.wav")
	if err != nil {
		t.Fatal(err)
	}
	if err := o.WriteAt(ctx, make([]byte, 1000), 0); err != nil {
		t.Fatal(err)
	}
	if err := o.WriteAt(ctx, []byte("x"), 2000); !errors.Is(err, ErrBadWrite) {
		t.Errorf("gap: %v", err)
	}
	if err := o.WriteAt(ctx, []byte("x"), 600); !errors.Is(err, ErrBadWrite) {
		t.Errorf("rewrite past the header window: %v", err)
	}
	if err := o.WriteAt(ctx, []byte("RIFF"), 0); err != nil {
		t.Errorf("header rewrite: %v", err)
	}
	want := append([]byte("RIFF"), make([]byte, 896)...)
	if err := o.Commit(ctx, 900, sha256.Sum256(want)); err != nil {
		t.Fatalf("commit truncating to 900: %v", err)
	}
	o2, _ := tg.Open(ctx, "a/b.wav")
	if err := o2.Commit(ctx, 900, sha256.Sum256(want)); err != nil {
		t.Errorf("re-commit: %v", err)
	}
	if err := o2.Commit(ctx, 900, sha256.Sum256([]byte("other"))); err == nil {
		t.Error("re-commit with another checksum accepted")
	}
	if _, err := tg.Open(ctx, "../escape"); err == nil {
		t.Error("a key leaving the directory was accepted")
	}
}

// fakeRecording is a fake recording on disk (shiptest.Recording).
type fakeRecording = shiptest.Recording

func newFakeRecording(t *testing.T, dir, base string) *fakeRecording {
	return shiptest.NewRecording(t, dir, base)
}
