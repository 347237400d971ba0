package collect

import (
	"bufio"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/record"
	"github.com/callrec/callrec/internal/ship"
)

// TestShipToCollector streams a growing recording through a Shipper
// over TLS and checks the stored object, its checksum and the row.
func TestShipToCollector(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			srvTLS, cliTLS := testTLS(t)
			c := startCollector(t, "127.0.0.1:0", t.TempDir(), openStore(t, dialect), srvTLS)
			spool := t.TempDir()
			sh := startShipper(t, spool, newTarget(t, c, cliTLS, testToken))
			r := newRecording(t, spool, "2026/11/24/call1")
			for i := 0; i < 5; i++ {
				r.Grow(3000)
				sh.Notify(r.Sidecar)
				want := int64(44 + r.Data)
				waitFor(t, 5*time.Second, "bytes at the collector", func() bool {
					st, err := os.Stat(filepath.Join(c.dir, "node-a/2026/11/24/call1.wav.part"))
					return err == nil && st.Size() == want
				})
			}
			r.Meta(record.StatusComplete)
			sh.Notify(r.Sidecar)
			waitFor(t, 5*time.Second, "the marker", func() bool { _, err := ship.ReadMarker(r.Sidecar); return err == nil })
			got, err := os.ReadFile(filepath.Join(c.dir, "node-a/2026/11/24/call1.wav"))
			if err != nil {
				t.Fatal(err)
			}
			if sha256.Sum256(got) != r.Sum() {
				t.Fatalf("stored object differs from the recording (%d bytes, want %d)", len(got), 44+r.Data)
			}
			row, err := c.cat.GetByKey(context.Background(), "node-a/2026/11/24/call1")
			if err != nil {
				t.Fatal(err)
			}
			sum := r.Sum()
			if row.Checksum != "sha256:"+hexSum(sum) || row.Size != int64(len(got)) || row.Caller != "sip:alice@example.com" ||
				row.Status != "complete" || row.Location != "file:"+filepath.Join(c.dir, "node-a/2026/11/24/call1.wav") || row.Node != "node-a" {
				t.Fatalf("row %+v", row)
			}
			mk, _ := ship.ReadMarker(r.Sidecar)
			if mk.Files[0].Location != row.Location {
				t.Fatalf("marker location %s, row %s", mk.Files[0].Location, row.Location)
			}
			if n := rows(t, c.st); n != 1 {
				t.Fatalf("%d rows", n)
			}
		})
	}
}

// TestCollectorKilledMidStream closes the collector abruptly (its
// connections cut, nothing flushed: what SIGKILL does to the peer) in
// the middle of a recording and restarts it on the same storage and
// catalogue: the media node resumes from the acknowledged offset, and
// the object arrives whole, with one row.
func TestCollectorKilledMidStream(t *testing.T) {
	srvTLS, cliTLS := testTLS(t)
	dir, st := t.TempDir(), openStore(t, "sqlite")
	c := startCollector(t, "127.0.0.1:0", dir, st, srvTLS)
	spool := t.TempDir()
	tg := newTarget(t, c, cliTLS, testToken)
	sh := startShipper(t, spool, tg)
	r := newRecording(t, spool, "call2")
	part := filepath.Join(dir, "node-a/call2.wav.part")
	for i := 0; i < 20; i++ {
		r.Grow(16000)
	}
	sh.Notify(r.Sidecar)
	first := int64(44 + r.Data)
	waitFor(t, 5*time.Second, "the first 320 kB at the collector", func() bool {
		s, err := os.Stat(part)
		return err == nil && s.Size() == first
	})
	c.srv.Close()
	<-c.done
	// While the collector is down the media node spools.
	for i := 0; i < 20; i++ {
		r.Grow(16000)
	}
	r.Meta(record.StatusComplete)
	sh.Notify(r.Sidecar)
	time.Sleep(100 * time.Millisecond) // let the Shipper fail against the dead collector
	if _, err := ship.ReadMarker(r.Sidecar); err == nil {
		t.Fatal("delivered while the collector was down")
	}
	if sh.Errors.Load() == 0 {
		t.Fatal("no delivery error counted while the collector was down")
	}
	c2 := startCollector(t, c.addr, dir, st, srvTLS)
	waitFor(t, 20*time.Second, "delivery after the restart", func() bool { _, err := ship.ReadMarker(r.Sidecar); return err == nil })
	got, err := os.ReadFile(filepath.Join(dir, "node-a/call2.wav"))
	if err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(got) != r.Sum() {
		t.Fatalf("stored object differs from the recording (%d bytes, want %d)", len(got), 44+r.Data)
	}
	// Resumed: the second collector received the rest, not all of it.
	if b := c2.srv.Bytes.Load(); b > uint64(len(got))-uint64(first)+ship.HeaderWindow {
		t.Fatalf("second collector received %d bytes of %d: not resumed from %d", b, len(got), first)
	}
	if n := rows(t, st); n != 1 {
		t.Fatalf("%d catalogue rows, want 1", n)
	}
	row, err := c2.cat.GetByKey(context.Background(), "node-a/call2")
	if err != nil || row.Checksum != "sha256:"+hexSum(r.Sum()) {
		t.Fatalf("row %+v, %v", row, err)
	}
}

// TestCommitRepeated: a media node that died between the commit and its
// marker commits again after its restart; the collector answers with
// the same object and still one row.
func TestCommitRepeated(t *testing.T) {
	srvTLS, cliTLS := testTLS(t)
	c := startCollector(t, "127.0.0.1:0", t.TempDir(), openStore(t, "sqlite"), srvTLS)
	spool := t.TempDir()
	r := newRecording(t, spool, "call3")
	r.Grow(5000)
	r.Meta(record.StatusComplete)
	sh := startShipper(t, spool, newTarget(t, c, cliTLS, testToken))
	sh.Notify(r.Sidecar)
	waitFor(t, 5*time.Second, "the marker", func() bool { _, err := ship.ReadMarker(r.Sidecar); return err == nil })
	os.Remove(ship.MarkerPath(r.Sidecar))
	sh2 := startShipper(t, spool, newTarget(t, c, cliTLS, testToken))
	waitFor(t, 5*time.Second, "the marker again", func() bool { _, err := ship.ReadMarker(r.Sidecar); return err == nil })
	if sh2.Errors.Load() != 0 {
		t.Fatalf("%d errors on the repeated commit", sh2.Errors.Load())
	}
	if n := rows(t, c.st); n != 1 || c.srv.Rows.Load() != 2 {
		t.Fatalf("%d rows after %d puts, want 1 after 2", n, c.srv.Rows.Load())
	}
}

func TestWrongTokenRefused(t *testing.T) {
	srvTLS, cliTLS := testTLS(t)
	c := startCollector(t, "127.0.0.1:0", t.TempDir(), openStore(t, "sqlite"), srvTLS)
	tg := newTarget(t, c, cliTLS, "wrong")
	if _, err := tg.Open(context.Background(), "x.wav"); !errors.Is(err, ErrAuth) {
		t.Fatalf("Open with a wrong token: %v, want ErrAuth", err)
	}
	if c.srv.AuthFailures.Load() != 1 {
		t.Fatalf("auth failures %d", c.srv.AuthFailures.Load())
	}
	// A client that does not trust the collector's CA never gets to
	// send its token.
	tg2 := newTarget(t, c, &tls.Config{}, testToken)
	if _, err := tg2.Open(context.Background(), "x.wav"); err == nil {
		t.Fatal("Open without trusting the CA succeeded")
	}
	entries, _ := os.ReadDir(c.dir)
	if len(entries) != 0 {
		t.Fatalf("refused clients created %d entries", len(entries))
	}
}

// rawConn speaks the protocol frame by frame.
type rawConn struct {
	t *testing.T
	c *tls.Conn
	r *bufio.Reader
}

func dialRaw(t *testing.T, c *collector, cliTLS *tls.Config) *rawConn {
	t.Helper()
	conn, err := tls.Dial("tcp", c.addr, cliTLS)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	rc := &rawConn{t: t, c: conn, r: bufio.NewReader(conn)}
	rc.write(AppendHello(nil, testToken, "raw"))
	if ty, _, _ := rc.read(); ty != TypeWelcome {
		t.Fatalf("type %d instead of WELCOME", ty)
	}
	return rc
}

func (rc *rawConn) write(b []byte) {
	if _, err := rc.c.Write(b); err != nil {
		rc.t.Fatal(err)
	}
}

func (rc *rawConn) read() (Type, uint32, []byte) {
	var hdr [HeaderLen]byte
	ty, id, b, err := readFrame(rc.r, &hdr)
	if err != nil {
		rc.t.Fatal(err)
	}
	return ty, id, *b
}

// TestBadChecksumRefused corrupts a DATA frame: the stream gets an
// ERROR and is counted; the connection and the collector carry on.
func TestBadChecksumRefused(t *testing.T) {
	srvTLS, cliTLS := testTLS(t)
	c := startCollector(t, "127.0.0.1:0", t.TempDir(), openStore(t, "sqlite"), srvTLS)
	rc := dialRaw(t, c, cliTLS)
	rc.write(AppendFrame(nil, TypeOpen, 1, []byte("bad.wav")))
	if ty, id, b := rc.read(); ty != TypeOpened || id != 1 {
		t.Fatalf("type %d stream %d %q, want OPENED 1", ty, id, b)
	}
	good := AppendData(nil, TypeData, 1, 0, []byte("hello"))
	rc.write(good)
	if ty, _, b := rc.read(); ty != TypeAck {
		t.Fatalf("type %d %q, want ACK", ty, b)
	}
	bad := AppendData(nil, TypeData, 1, 5, []byte("world"))
	bad[len(bad)-1] ^= 0x20 // one bit flipped after the CRC was computed
	rc.write(bad)
	ty, id, b := rc.read()
	if ty != TypeError || id != 1 {
		t.Fatalf("type %d stream %d %q, want ERROR on stream 1", ty, id, b)
	}
	if c.srv.BadChecksums.Load() != 1 {
		t.Fatalf("bad checksums %d", c.srv.BadChecksums.Load())
	}
	// The stored object holds the good bytes only, and the connection
	// serves a new stream that resumes it.
	rc.write(AppendFrame(nil, TypeClose, 1, nil))
	rc.write(AppendFrame(nil, TypeOpen, 2, []byte("bad.wav")))
	ty, id, b = rc.read()
	if off, _ := ParseOffset(b); ty != TypeOpened || id != 2 || off != 5 {
		t.Fatalf("type %d stream %d offset %d, want OPENED 2 at 5", ty, id, off)
	}
	// A malformed frame (a length beyond MaxBody) ends the connection
	// with an ERROR on stream 0, and is counted.
	rc.write([]byte{0xff, 0xff, 0xff, 0xff, byte(TypeData), 0, 0, 0, 2})
	if ty, id, b := rc.read(); ty != TypeError || id != 0 {
		t.Fatalf("type %d stream %d %q, want connection ERROR", ty, id, b)
	}
	if c.srv.Malformed.Load() != 1 {
		t.Fatalf("malformed %d", c.srv.Malformed.Load())
	}
	// The collector still takes recordings.
	tg := newTarget(t, c, cliTLS, testToken)
	o, err := tg.Open(context.Background(), "after.wav")
	if err != nil {
		t.Fatal(err)
	}
	p := []byte("after the bad frames")
	if err := o.WriteAt(context.Background(), p, 0); err != nil {
		t.Fatal(err)
	}
	if err := o.Commit(context.Background(), int64(len(p)), sha256.Sum256(p)); err != nil {
		t.Fatal(err)
	}
}

// TestTargetObject drives the Object contract directly: pipelined
// appends, Size lagging until acks, a header rewrite, a re-send of bytes
// in flight, truncation on commit, a commit with the wrong sum refused.
func TestTargetObject(t *testing.T) {
	srvTLS, cliTLS := testTLS(t)
	c := startCollector(t, "127.0.0.1:0", t.TempDir(), openStore(t, "sqlite"), srvTLS)
	tg := newTarget(t, c, cliTLS, testToken)
	ctx := context.Background()
	o, err := tg.Open(ctx, "obj.wav")
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 600<<10)
	for i := range data {
		data[i] = byte(i * 13)
	}
	if err := o.WriteAt(ctx, data[:300<<10], 0); err != nil {
		t.Fatal(err)
	}
	// Sent again from an offset Size may still report: not duplicated.
	if err := o.WriteAt(ctx, data[o.Size():], o.Size()); err != nil {
		t.Fatal(err)
	}
	copy(data, "NEWHEADER")
	if err := o.WriteAt(ctx, data[:100], 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "all acknowledged", func() bool { return o.Size() == int64(len(data)) })
	if err := o.WriteAt(ctx, data[:10], 5000); !errors.Is(err, ship.ErrBadWrite) {
		t.Fatalf("rewrite of acknowledged bytes beyond the header: %v", err)
	}
	if err := o.WriteAt(ctx, data[:10], int64(len(data))+1); !errors.Is(err, ship.ErrBadWrite) {
		t.Fatalf("write leaving a gap: %v", err)
	}
	if err := o.Commit(ctx, 1000, sha256.Sum256(data[:999])); err == nil {
		t.Fatal("commit with a wrong sum succeeded")
	}
	o.Close()
	o, err = tg.Open(ctx, "obj.wav")
	if err != nil {
		t.Fatal(err)
	}
	if o.Size() < 1000 {
		t.Fatalf("reopened at %d, want at least 1000", o.Size())
	}
	if err := o.Commit(ctx, 1000, sha256.Sum256(data[:1000])); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(c.dir, "node-a/obj.wav"))
	if string(got) != string(data[:1000]) {
		t.Fatalf("stored %d bytes, not the first 1000 with the new header", len(got))
	}
	if err := tg.Remove(ctx, "obj.wav"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(c.dir, "node-a/obj.wav")); err == nil {
		t.Fatal("removed object still there")
	}
}

// TestOversizeHelloRefused: before authenticating, a client cannot make
// the collector read a large frame.
func TestOversizeHelloRefused(t *testing.T) {
	srvTLS, cliTLS := testTLS(t)
	c := startCollector(t, "127.0.0.1:0", t.TempDir(), openStore(t, "sqlite"), srvTLS)
	conn, err := tls.Dial("tcp", c.addr, cliTLS)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write([]byte{0, 0x0f, 0, 0, byte(TypeHello), 0, 0, 0, 0}); err != nil {
		t.Fatal(err)
	}
	if _, err := bufio.NewReader(conn).ReadByte(); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("connection still open after a 1 MB HELLO: %v", err)
	}
	waitFor(t, 5*time.Second, "the malformed counter", func() bool { return c.srv.Malformed.Load() == 1 })
}
