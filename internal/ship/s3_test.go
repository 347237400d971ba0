package ship

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/callrec/callrec/internal/record"
	"github.com/callrec/callrec/internal/ship/s3test"
)

const testBucket = "recordings"

// newS3 starts versitygw and returns it with a target on its bucket.
func newS3(t *testing.T, prefix string) (*s3test.Server, *S3Target) {
	t.Helper()
	srv := s3test.Start(t, testBucket)
	return srv, s3Target(t, srv, prefix)
}

// s3Target returns a new target on srv (as a new process would make).
func s3Target(t *testing.T, srv *s3test.Server, prefix string) *S3Target {
	t.Helper()
	tg, err := NewS3Target(S3Config{Endpoint: srv.Endpoint, Bucket: testBucket, Prefix: prefix,
		AccessKey: s3test.AccessKey, SecretKey: s3test.SecretKey, PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := tg.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	return tg
}

// getObject returns the content of object k, or nil when absent.
func getObject(t *testing.T, c *minio.Client, k string) []byte {
	t.Helper()
	o, err := c.GetObject(context.Background(), testBucket, k, minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	b, err := io.ReadAll(o)
	if minio.ToErrorResponse(err).Code == "NoSuchKey" {
		return nil
	}
	if err != nil {
		t.Fatalf("get %s: %v", k, err)
	}
	return b
}

// uploadedParts returns the parts of the upload in progress for k.
func uploadedParts(t *testing.T, tg *S3Target, k string) []minio.ObjectPart {
	t.Helper()
	ctx := context.Background()
	ups, err := tg.uploads(ctx, k)
	if err != nil {
		t.Fatal(err)
	}
	var out []minio.ObjectPart
	for _, u := range ups {
		r, err := tg.c.ListObjectParts(ctx, testBucket, k, u.UploadID, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r.ObjectParts...)
	}
	return out
}

func waitLong(t *testing.T, what string, d time.Duration, f func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); !f(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func runShipper(t *testing.T, cfg Config) (*Shipper, func()) {
	t.Helper()
	s, err := New(cfg)
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

// checkDelivered checks that the object of rec holds exactly the local
// file, that the marker names it with its checksum, and that no upload
// or staged part 1 is left.
func checkDelivered(t *testing.T, tg *S3Target, rec *fakeRecording, want []byte) {
	t.Helper()
	k := tg.Key(rec.Base + ".wav")
	got := getObject(t, tg.Client(), k)
	if !bytes.Equal(got, want) {
		t.Fatalf("object %s: %d bytes, want the %d of the local file (identical: %v)", k, len(got), len(want), bytes.Equal(got, want))
	}
	mk, err := ReadMarker(rec.Sidecar)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(want)
	if len(mk.Files) != 1 || mk.Files[0].SHA256 != hex.EncodeToString(sum[:]) || mk.Files[0].Bytes != int64(len(want)) ||
		mk.Files[0].Location != "s3://"+testBucket+"/"+k {
		t.Errorf("marker %+v", mk)
	}
	if p := uploadedParts(t, tg, k); len(p) != 0 {
		t.Errorf("%d parts of an upload left after commit", len(p))
	}
	if b := getObject(t, tg.Client(), k+part1Suffix); b != nil {
		t.Errorf("staged part 1 left after commit (%d bytes)", len(b))
	}
}

// TestS3Live: while a recording grows past two parts, parts 2.. are in
// S3 before the call ends (part 1 staged); at the end the object is the
// local file byte for byte.
func TestS3Live(t *testing.T) {
	_, tg := newS3(t, "calls/")
	src := t.TempDir()
	var shipped atomic.Value
	s, _ := runShipper(t, Config{Dir: src, Target: tg, Interval: 20 * time.Millisecond,
		OnShipped: func(p string) { shipped.Store(p) }})
	rec := newFakeRecording(t, src, "2026/11/24/live")
	s.Notify(rec.Sidecar)
	k := tg.Key("2026/11/24/live.wav")
	for rec.Data < 2*PartSize+PartSize/2 {
		rec.Grow(256 << 10)
		time.Sleep(5 * time.Millisecond)
	}
	waitLong(t, "part 2 uploaded while recording", 20*time.Second, func() bool {
		p := uploadedParts(t, tg, k)
		return len(p) >= 1 && p[0].PartNumber == 2 && p[0].Size == PartSize
	})
	if st, err := tg.Client().StatObject(context.Background(), testBucket, k+part1Suffix, minio.StatObjectOptions{}); err != nil || st.Size != PartSize {
		t.Fatalf("part 1 not staged while recording: %v %d", err, st.Size)
	}
	if _, err := tg.Client().StatObject(context.Background(), testBucket, k, minio.StatObjectOptions{}); err == nil {
		t.Fatal("object complete while still recording")
	}
	rec.Grow(12345)
	want := rec.Content()
	rec.Meta(record.StatusComplete)
	s.Notify(rec.Sidecar)
	waitLong(t, "delivery", 20*time.Second, func() bool { return shipped.Load() != nil })
	checkDelivered(t, tg, rec, want)
	if _, err := os.Stat(filepath.Join(src, "2026/11/24/live.wav")); !os.IsNotExist(err) {
		t.Errorf("local audio kept: %v", err)
	}
	t.Logf("%d bytes shipped in %d parts plus part 1", len(want), len(want)/PartSize)
}

// TestS3Restart: the media node stops mid-call (the Shipper ends, its
// buffers are gone); a new Shipper with a new target resumes from what
// S3 holds, sends only the rest, and the object equals the file.
func TestS3Restart(t *testing.T) {
	srv, tg := newS3(t, "")
	src := t.TempDir()
	s1, stop1 := runShipper(t, Config{Dir: src, Target: tg, Interval: 20 * time.Millisecond})
	rec := newFakeRecording(t, src, "restart")
	s1.Notify(rec.Sidecar)
	for rec.Data < 2*PartSize+100<<10 {
		rec.Grow(512 << 10)
	}
	waitLong(t, "part 2 uploaded", 20*time.Second, func() bool { return len(uploadedParts(t, tg, "restart.wav")) == 1 })
	stop1()
	rec.Grow(PartSize) // recorded while the shipper was down
	want := rec.Content()
	rec.Meta(record.StatusComplete)

	tg2 := s3Target(t, srv, "")
	o, err := tg2.Open(context.Background(), "restart.wav")
	if err != nil {
		t.Fatal(err)
	}
	if o.Size() != 2*PartSize {
		t.Errorf("resumed at %d bytes, want the %d of part 1 staged and part 2", o.Size(), 2*PartSize)
	}
	o.Close()
	s2, _ := runShipper(t, Config{Dir: src, Target: tg2, Interval: 20 * time.Millisecond}) // its start scan finds it
	waitLong(t, "delivery after restart", 20*time.Second, func() bool { _, err := os.Stat(MarkerPath(rec.Sidecar)); return err == nil })
	checkDelivered(t, tg2, rec, want)
	if sent, rest := s2.Bytes.Load(), uint64(len(want)-2*PartSize+HeaderWindow); sent > rest {
		t.Errorf("the restarted shipper sent %d bytes, more than the %d not in S3: it did not resume", sent, rest)
	}
}

// TestS3Outage: S3 goes away mid-recording and the call ends while it
// is away; the Shipper retries, and when S3 is back the object is the
// file, byte for byte.
func TestS3Outage(t *testing.T) {
	srv, tg := newS3(t, "p/")
	src := t.TempDir()
	s, _ := runShipper(t, Config{Dir: src, Target: tg, Interval: 20 * time.Millisecond, KeepLocal: true})
	rec := newFakeRecording(t, src, "outage")
	s.Notify(rec.Sidecar)
	for rec.Data < PartSize+PartSize/2 {
		rec.Grow(512 << 10)
	}
	waitLong(t, "part 1 staged", 20*time.Second, func() bool {
		st, err := tg.Client().StatObject(context.Background(), testBucket, "p/outage.wav"+part1Suffix, minio.StatObjectOptions{})
		return err == nil && st.Size == PartSize
	})
	srv.Stop()
	for rec.Data < 3*PartSize {
		rec.Grow(512 << 10)
	}
	waitLong(t, "a failed delivery", 20*time.Second, func() bool { return s.Errors.Load() > 0 })
	rec.Grow(4321)
	want := rec.Content()
	rec.Meta(record.StatusComplete)
	s.Notify(rec.Sidecar)
	time.Sleep(300 * time.Millisecond) // S3 stays away for a while (not a synchronisation)
	if _, err := os.Stat(MarkerPath(rec.Sidecar)); err == nil {
		t.Fatal("marked delivered while S3 was down")
	}
	srv.Start()
	waitLong(t, "delivery after the outage", 45*time.Second, func() bool { _, err := os.Stat(MarkerPath(rec.Sidecar)); return err == nil })
	checkDelivered(t, tg, rec, want)
	if got, _ := os.ReadFile(filepath.Join(src, "outage.wav")); sha256.Sum256(got) != sha256.Sum256(want) {
		t.Error("the local file changed")
	}
	t.Logf("%d errors during the outage", s.Errors.Load())
}

// pattern returns n bytes that differ at every offset of a part.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>13)
	}
	return b
}

// TestS3TargetContract: appends and header rewrites only; small
// objects, truncation at commit (in the last part and into parts
// already uploaded); re-commit; snapshots; Remove; bad keys.
func TestS3TargetContract(t *testing.T) {
	ctx := context.Background()
	srv, tg := newS3(t, "c/")
	write := func(key string, b []byte) Object {
		t.Helper()
		o, err := tg.Open(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		for off := 0; off < len(b); off += 300 << 10 {
			if err := o.WriteAt(ctx, b[off:min(off+300<<10, len(b))], int64(off)); err != nil {
				t.Fatalf("%s at %d: %v", key, off, err)
			}
		}
		return o
	}
	commit := func(o Object, b []byte) {
		t.Helper()
		if err := o.Commit(ctx, int64(len(b)), sha256.Sum256(b)); err != nil {
			t.Fatal(err)
		}
	}

	small := pattern(1000)
	o := write("a/small.wav", small)
	if err := o.WriteAt(ctx, []byte("x"), 2000); !errors.Is(err, ErrBadWrite) {
		t.Errorf("gap: %v", err)
	}
	if err := o.WriteAt(ctx, []byte("x"), 600); !errors.Is(err, ErrBadWrite) {
		t.Errorf("rewrite past the header window: %v", err)
	}
	if err := o.WriteAt(ctx, []byte("RIFF"), 0); err != nil {
		t.Fatal(err)
	}
	copy(small, "RIFF")
	small = small[:900] // truncated at commit
	commit(o, small)
	if got := getObject(t, tg.Client(), "c/a/small.wav"); !bytes.Equal(got, small) {
		t.Errorf("small object: %d bytes", len(got))
	}
	o2, _ := tg.Open(ctx, "a/small.wav")
	if o2.Size() != 900 {
		t.Errorf("committed object opened at %d", o2.Size())
	}
	commit(o2, small) // the Shipper died before its marker
	if err := o2.Commit(ctx, 900, sha256.Sum256([]byte("other"))); err == nil {
		t.Error("re-commit with another checksum accepted")
	}
	// Died after completing, before deleting the staged part 1: the
	// object counts as committed, and a re-commit cleans up.
	if _, err := tg.Client().PutObject(ctx, testBucket, "c/a/small.wav"+part1Suffix, bytes.NewReader(small), int64(len(small)), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	o3, _ := tg.Open(ctx, "a/small.wav")
	commit(o3, small)
	if getObject(t, tg.Client(), "c/a/small.wav"+part1Suffix) != nil {
		t.Error("staged part 1 left after a re-commit")
	}

	// Truncated in the last part (held in memory), and into part 2
	// (already uploaded), both after a header rewrite with part 1
	// dropped from memory.
	for _, c := range []struct {
		name       string
		size, keep int
	}{{"last", 2*PartSize + 1000, 2*PartSize + 10}, {"into-part2", 2*PartSize + 1000, PartSize + 77}} {
		b := pattern(c.size)
		o := write(c.name+".wav", b)
		if err := o.WriteAt(ctx, []byte("HEAD"), 8); err != nil {
			t.Fatal(err)
		}
		copy(b[8:], "HEAD")
		b = b[:c.keep]
		commit(o, b)
		if got := getObject(t, tg.Client(), "c/"+c.name+".wav"); !bytes.Equal(got, b) {
			t.Errorf("%s: object of %d bytes differs from the %d written", c.name, len(got), len(b))
		}
	}

	// A commit that died after uploading the last part and part 1, before
	// completing: a new open resumes after the whole parts, and the
	// commit again makes the object.
	{
		b := pattern(2*PartSize + 1000)
		o := write("died.wav", b).(*s3Object)
		if _, err := o.uploadPart(ctx, o.cur, 3); err != nil {
			t.Fatal(err)
		}
		p1, _ := o.loadPart1(ctx)
		if _, err := o.uploadPart(ctx, p1, 1); err != nil {
			t.Fatal(err)
		}
		o.Close()
		o2, err := tg.Open(ctx, "died.wav")
		if err != nil {
			t.Fatal(err)
		}
		if o2.Size() != 2*PartSize {
			t.Errorf("resumed at %d, want %d", o2.Size(), 2*PartSize)
		}
		if err := o2.WriteAt(ctx, b[2*PartSize:], 2*PartSize); err != nil {
			t.Fatal(err)
		}
		commit(o2, b)
		if got := getObject(t, tg.Client(), "c/died.wav"); !bytes.Equal(got, b) {
			t.Errorf("object after a commit that died: %d bytes, differs", len(got))
		}
	}

	// Snapshots: part 1 is staged while it fills, so a new process
	// resumes from it.
	snap, err := NewS3Target(S3Config{Endpoint: srv.Endpoint, Bucket: testBucket, Prefix: "c/",
		AccessKey: s3test.AccessKey, SecretKey: s3test.SecretKey, PathStyle: true, SnapshotInterval: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	so, _ := snap.Open(ctx, "snap.wav")
	if err := so.WriteAt(ctx, pattern(3000), 0); err != nil {
		t.Fatal(err)
	}
	so.Close()
	if so, _ = snap.Open(ctx, "snap.wav"); so.Size() != 3000 {
		t.Errorf("after a snapshot a new open resumes at %d, want 3000", so.Size())
	}
	if err := so.WriteAt(ctx, pattern(4000)[3000:], 3000); err != nil {
		t.Fatal(err)
	}
	commit(so, pattern(4000))

	// Remove: committed objects, and uploads in progress with their
	// staged part 1.
	live := write("live.wav", pattern(PartSize*2+5))
	live.Close()
	if len(uploadedParts(t, tg, "c/live.wav")) != 1 {
		t.Fatal("no upload in progress")
	}
	for _, k := range []string{"a/small.wav", "live.wav", "never.wav"} {
		if err := tg.Remove(ctx, k); err != nil {
			t.Errorf("remove %s: %v", k, err)
		}
	}
	if getObject(t, tg.Client(), "c/a/small.wav") != nil || getObject(t, tg.Client(), "c/live.wav"+part1Suffix) != nil {
		t.Error("objects left after Remove")
	}
	if ups, _ := tg.uploads(ctx, "c/live.wav"); len(ups) != 0 {
		t.Errorf("%d uploads left after Remove", len(ups))
	}
	for _, k := range []string{"../x", "/abs", "a/../../b", ""} {
		if _, err := tg.Open(ctx, k); err == nil {
			t.Errorf("key %q accepted", k)
		}
	}
	if got := tg.Location("a/b.wav"); got != "s3://recordings/c/a/b.wav" {
		t.Errorf("location %s", got)
	}

	// Check: a wrong key is refused, a missing bucket named, a server
	// that is away unreachable.
	bad, _ := NewS3Target(S3Config{Endpoint: srv.Endpoint, Bucket: testBucket, AccessKey: s3test.AccessKey, SecretKey: "wrong", PathStyle: true})
	if err := bad.Check(ctx); err == nil || IsUnreachable(err) {
		t.Errorf("wrong secret: %v", err)
	}
	nob, _ := NewS3Target(S3Config{Endpoint: srv.Endpoint, Bucket: "nope", AccessKey: s3test.AccessKey, SecretKey: s3test.SecretKey, PathStyle: true})
	if err := nob.Check(ctx); err == nil || IsUnreachable(err) {
		t.Errorf("missing bucket: %v", err)
	}
	srv.Stop()
	if err := tg.Check(ctx); !IsUnreachable(err) {
		t.Errorf("server stopped: %v", err)
	}
}

// TestS3Memory: a live object holds at most one part in memory: part 1
// while it fills, then the part being filled (part 1 staged in S3).
func TestS3Memory(t *testing.T) {
	ctx := context.Background()
	_, tg := newS3(t, "")
	heap := func() uint64 {
		var ms runtime.MemStats
		runtime.GC()
		runtime.GC() // twice: sync.Pool keeps buffers for one cycle
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	const n = 6
	chunk := pattern(256 << 10)
	var objs []Object
	before := heap()
	for i := range n {
		o, err := tg.Open(ctx, fmt.Sprintf("mem/%d.wav", i))
		if err != nil {
			t.Fatal(err)
		}
		for off := 0; off < PartSize+3<<20; off += len(chunk) { // part 1 staged, 3 MiB of part 2 buffered
			if err := o.WriteAt(ctx, chunk, int64(off)); err != nil {
				t.Fatal(err)
			}
		}
		objs = append(objs, o)
	}
	per := float64(heap()-before) / n
	t.Logf("%.2f MiB of heap per live object (%d objects at %.0f MiB each)", per/(1<<20), n, float64(PartSize+3<<20)/(1<<20))
	if per > PartSize+256<<10 {
		t.Errorf("%.2f MiB per live object: more than one part", per/(1<<20))
	}
	for _, o := range objs {
		o.Close()
	}
}

// BenchmarkS3Object: a 16 MiB recording appended in 256 KiB writes
// (parts 2-3 uploaded as they fill), committed (part 1, the last part,
// complete, read back and hashed), against versitygw on loopback.
func BenchmarkS3Object(b *testing.B) {
	ctx := context.Background()
	srv := s3test.Start(b, testBucket)
	tg, err := NewS3Target(S3Config{Endpoint: srv.Endpoint, Bucket: testBucket,
		AccessKey: s3test.AccessKey, SecretKey: s3test.SecretKey, PathStyle: true})
	if err != nil {
		b.Fatal(err)
	}
	data := pattern(16 << 20)
	sum := sha256.Sum256(data)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		o, err := tg.Open(ctx, fmt.Sprintf("bench/%d.wav", i))
		if err != nil {
			b.Fatal(err)
		}
		for off := 0; off < len(data); off += 256 << 10 {
			if err := o.WriteAt(ctx, data[off:off+256<<10], int64(off)); err != nil {
				b.Fatal(err)
			}
		}
		if err := o.Commit(ctx, int64(len(data)), sum); err != nil {
			b.Fatal(err)
		}
	}
}

// TestS3OpenLocation reads a committed object back by its location,
// seeking as a player does, and refuses locations it does not hold.
func TestS3OpenLocation(t *testing.T) {
	ctx := context.Background()
	_, tg := newS3(t, "r/")
	b := pattern(6 << 20) // two parts
	o, err := tg.Open(ctx, "x/rec.wav")
	if err != nil {
		t.Fatal(err)
	}
	for off := 0; off < len(b); off += 1 << 20 {
		if err := o.WriteAt(ctx, b[off:off+1<<20], int64(off)); err != nil {
			t.Fatal(err)
		}
	}
	if err := o.Commit(ctx, int64(len(b)), sha256.Sum256(b)); err != nil {
		t.Fatal(err)
	}
	rc, err := tg.OpenLocation(ctx, tg.Location("x/rec.wav"))
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if end, err := rc.Seek(0, io.SeekEnd); err != nil || end != int64(len(b)) {
		t.Fatalf("size %d %v, want %d", end, err, len(b))
	}
	off := int64(5<<20 + 123)
	if _, err := rc.Seek(off, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 4096)
	if _, err := io.ReadFull(rc, got); err != nil || !bytes.Equal(got, b[off:off+4096]) {
		t.Errorf("read at %d: %v", off, err)
	}
	for _, loc := range []string{tg.Location("x/none.wav"), "s3://other/r/x/rec.wav", "blob:x/rec.wav"} {
		if _, err := tg.OpenLocation(ctx, loc); !errors.Is(err, ErrNotStored) {
			t.Errorf("%s: %v, want ErrNotStored", loc, err)
		}
	}
}
