package test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/callrec/callrec/internal/app"
	"github.com/callrec/callrec/internal/blobstore"
	"github.com/callrec/callrec/internal/catalog"
	"github.com/callrec/callrec/internal/config"
	"github.com/callrec/callrec/internal/record"
	"github.com/callrec/callrec/internal/ship"
	"github.com/callrec/callrec/internal/ship/s3test"
	"github.com/callrec/callrec/internal/store"
	"github.com/callrec/callrec/internal/store/storetest"
)

// TestServeRecordsSippCall runs `callrec serve` in-process with embedded
// defaults (SQLite, local directories); a sipp UAC calls a sipp UAS
// through it with a 440 Hz tone that the UAS echoes. The UAS is found
// three ways: a static route in the config, a route in the database, and
// a registration (stored in the database by the registrar). The call
// must be anchored, recorded, and the recording must hold the tone in
// both channels.
func TestServeRecordsSippCall(t *testing.T) {
	RequireBinary(t, "sipp", "sip-tester")
	t.Run("static-route", func(t *testing.T) {
		serveCall(t, func(c *config.Config, uas string) { c.Serve.Routes = []config.Route{{Destination: "sip:" + uas}} }, nil)
	})
	t.Run("database-route", func(t *testing.T) {
		serveCall(t, nil, func(t *testing.T, n *app.Node, uas string) {
			if _, err := n.Store.AddRoute(context.Background(), store.Route{Pattern: "ua", Destination: "sip:" + uas, Enabled: true}); err != nil {
				t.Fatal(err)
			}
		})
	})
	t.Run("retention", func(t *testing.T) {
		// Recordings are kept 5 s: after the checks the purge deletes
		// the file and sidecar and marks the row deleted.
		serveCall(t, func(c *config.Config, uas string) {
			c.Serve.Routes = []config.Route{{Destination: "sip:" + uas}}
			c.Retention.Rules = []config.RetentionRule{{MaxAge: config.Duration(5 * time.Second)}}
			c.Retention.Interval = config.Duration(200 * time.Millisecond)
		}, nil)
	})
	t.Run("archive", func(t *testing.T) {
		// storage.kind dir: the recording is delivered to an archive
		// directory while the call runs; the catalogue points there.
		serveCall(t, func(c *config.Config, uas string) {
			c.Serve.Routes = []config.Route{{Destination: "sip:" + uas}}
			c.Storage = config.Storage{Kind: "dir", Dir: t.TempDir(), Interval: config.Duration(200 * time.Millisecond)}
		}, nil)
	})
	t.Run("blob", func(t *testing.T) {
		// storage.kind blob: the recording is delivered into the
		// serve's own database (SQLite here) in 4 KiB chunks while the
		// call runs; read back through blobstore's reader. Kept 5 s:
		// then retention removes the blob.
		serveCall(t, func(c *config.Config, uas string) {
			c.Serve.Routes = []config.Route{{Destination: "sip:" + uas}}
			c.Storage = config.Storage{Kind: "blob", ChunkSize: 4096, Interval: config.Duration(200 * time.Millisecond)}
			c.Retention.Rules = []config.RetentionRule{{MaxAge: config.Duration(5 * time.Second)}}
			c.Retention.Interval = config.Duration(200 * time.Millisecond)
		}, nil)
	})
	t.Run("blob-postgres", func(t *testing.T) {
		// The same with the serve database (registrar, catalogue,
		// blobs) on PostgreSQL, in a schema of the test's own.
		dsn := storetest.DSN(t, "postgres")
		serveCall(t, func(c *config.Config, uas string) {
			c.Serve.Database = dsn
			c.Serve.Routes = []config.Route{{Destination: "sip:" + uas}}
			c.Storage = config.Storage{Kind: "blob", ChunkSize: 4096, Interval: config.Duration(200 * time.Millisecond)}
		}, nil)
	})
	t.Run("s3", func(t *testing.T) {
		// storage.kind s3: the recording is uploaded to a real S3 server
		// (versitygw) while the call runs; the catalogue points there and
		// the object downloaded from it is the recording.
		srv := s3test.Start(t, "recordings")
		serveCall(t, func(c *config.Config, uas string) {
			c.Serve.Routes = []config.Route{{Destination: "sip:" + uas}}
			c.Storage = config.Storage{Kind: "s3", Interval: config.Duration(200 * time.Millisecond),
				S3: config.S3{Bucket: "recordings", Prefix: "callrec/", Endpoint: srv.Endpoint, PathStyle: true,
					AccessKey: s3test.AccessKey, SecretKey: s3test.SecretKey, SnapshotInterval: config.Duration(500 * time.Millisecond)}}
		}, nil)
	})
	t.Run("registered-user", func(t *testing.T) {
		serveCall(t, nil, func(t *testing.T, n *app.Node, uas string) { register(t, n.Config.Serve.SIPListen, "uas", uas) })
	})
	// Recording policy: nothing is recorded by default, but a rule
	// matching this caller and callee records it with its profile
	// (16 kHz) and labels, which reach the recording's sidecar.
	t.Run("policy-rule", func(t *testing.T) {
		m := serveCall(t, func(c *config.Config, uas string) {
			c.Serve.Routes = []config.Route{{Destination: "sip:" + uas}}
			c.Serve.Record = "none"
			c.Serve.Recording.Rules = []config.RecordingRule{
				{Caller: "nobody", Record: new(bool)},
				{Caller: "uac", Callee: `/^sip:uas@127\.0\.0\.1:/`, Profile: "wide", Labels: map[string]string{"team": "support", "site": "lab"}},
			}
			c.Media.RecordProfiles = map[string]record.Profile{"wide": {SampleRate: 16000}}
		}, nil)
		if m.Profile != "wide" || m.Format.SampleRate != 16000 || m.Labels["team"] != "support" || m.Labels["site"] != "lab" {
			t.Errorf("sidecar profile %q rate %d labels %v: want the rule's", m.Profile, m.Format.SampleRate, m.Labels)
		}
	})
}

// downloadS3 saves the object of recording file rel to dst.
func downloadS3(t *testing.T, c config.S3, rel, dst string) {
	t.Helper()
	tg, err := ship.NewS3Target(ship.S3Config{Endpoint: c.Endpoint, Bucket: c.Bucket, Prefix: c.Prefix,
		AccessKey: c.AccessKey, SecretKey: c.SecretKey, PathStyle: c.PathStyle})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := tg.Client().FGetObject(context.Background(), c.Bucket, tg.Key(rel), dst, minio.GetObjectOptions{}); err != nil {
		t.Fatalf("download %s from s3: %v", tg.Key(rel), err)
	}
}

// register sends a REGISTER for user at the proxy with contact as its
// Contact (a third-party registration) and waits for the 200.
func register(t *testing.T, proxyAddr, user, contact string) {
	t.Helper()
	conn, err := net.Dial("udp4", proxyAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	local := conn.LocalAddr().String()
	msg := "REGISTER sip:" + proxyAddr + " SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP " + local + ";branch=z9hG4bK-reg-1;rport\r\n" +
		"Max-Forwards: 70\r\n" +
		"From: <sip:" + user + "@" + proxyAddr + ">;tag=reg1\r\n" +
		"To: <sip:" + user + "@" + proxyAddr + ">\r\n" +
		"Call-ID: reg-" + user + "@test\r\n" +
		"CSeq: 1 REGISTER\r\n" +
		"Contact: <sip:" + user + "@" + contact + ">\r\n" +
		"Expires: 60\r\n" +
		"Content-Length: 0\r\n\r\n"
	if _, err := conn.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	b := make([]byte, 4096)
	k, err := conn.Read(b)
	if err != nil || !strings.HasPrefix(string(b[:k]), "SIP/2.0 200") {
		t.Fatalf("REGISTER answered %q, %v", b[:k], err)
	}
}

func serveCall(t *testing.T, conf func(c *config.Config, uas string), setup func(t *testing.T, n *app.Node, uas string)) *record.Meta {
	return serveCallAs(t, serveUAC{scenario: "uac_rtp.xml"}, conf, setup)
}

// serveUAC is the calling sipp of serveCallAs: its scenario (a variant
// of uac_rtp.xml, the same call), more -key keywords and flags ("[target]"
// in a flag becomes the proxy's address).
type serveUAC struct {
	scenario string
	keys     map[string]string
	extra    []string
	files    map[string][]byte // more files in its working directory
	// during, if set, runs while the call is up (media relayed both
	// ways), before the test hangs it up.
	during func(n *app.Node, callID string)
}

// serveCallAs is serveCall with the caller u.
func serveCallAs(t *testing.T, u serveUAC, conf func(c *config.Config, uas string), setup func(t *testing.T, n *app.Node, uas string)) *record.Meta {
	realtime <- struct{}{}
	defer func() { <-realtime }()
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	// Cancelled by a cleanup, not a defer: cleanups run after the test
	// function returns, and the proxy must outlive the peers' shutdown.
	t.Cleanup(cancel)
	uas := StartSipp(t, SippConfig{Label: "sipp uas", Scenario: Testdata(t, "sipp", "uas_echo.xml"), IP: "127.0.0.3", RTPEcho: true})

	c := config.Default()
	c.Serve.DataDir = t.TempDir()
	c.Serve.SIPListen = fmt.Sprintf("127.0.0.1:%d", FreeUDPPort(t, "127.0.0.1"))
	c.Serve.HTTPListen = "127.0.0.1:0"
	if conf != nil {
		conf(&c, uas.Addr())
	}
	c.Media.PortMin = FreeUDPRange(t, "127.0.0.1", 32)
	c.Media.PortMax = c.Media.PortMin + 31
	n := StartServe(t, ctx, c)
	if setup != nil {
		setup(t, n, uas.Addr())
	}

	callID := fmt.Sprintf("callrec-serve-%d", os.Getpid())
	keys := map[string]string{"target": c.Serve.SIPListen}
	for k, v := range u.keys {
		keys[k] = v
	}
	var extra []string
	for _, a := range u.extra {
		extra = append(extra, strings.ReplaceAll(a, "[target]", c.Serve.SIPListen))
	}
	files := map[string][]byte{"tone.ulaw": MulawTone(8000, 440, 8000)}
	for k, v := range u.files {
		files[k] = v
	}
	uac := StartSipp(t, SippConfig{
		Label: "sipp uac", Scenario: Testdata(t, "sipp", u.scenario), IP: "127.0.0.2",
		Remote: c.Serve.SIPListen, CallID: callID + "-%u", Keys: keys, Extra: extra,
		Files: files,
	})
	callID += "-1"
	// Let audio flow both ways for a while, then hang up.
	for {
		st, err := n.Media.Manager.Query(callID, "uactag1", "uastag1", 1)
		if err == nil && st.Legs[0].Relayed >= 75 && st.Legs[1].Relayed >= 75 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("media not relayed both ways: %+v %v", st, err)
		case <-time.After(50 * time.Millisecond): // counters have no notification; poll
		}
	}
	if u.during != nil {
		u.during(n, callID)
	}
	sendInfo(t, uac, uas, callID)
	if err := uac.Proc.Wait(ctx); err != nil {
		t.Fatalf("sipp uac: %v", err)
	}

	var m *record.Meta
	var path string
	for m == nil || m.Status == record.StatusRecording {
		matches, _ := filepath.Glob(filepath.Join(c.Serve.DataDir, "recordings", "*", "*.json"))
		for _, p := range matches {
			if mm, err := record.ReadMeta(p); err == nil && mm.CallID == callID {
				m, path = mm, p
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no finished recording of %s (last %+v)", callID, m)
		case <-time.After(50 * time.Millisecond):
		}
	}
	// The proxy hands the parties to the recorder (rtpproxy's R could not).
	if m.Status != record.StatusComplete || !strings.HasPrefix(m.Caller, "sip:") || !strings.HasPrefix(m.Callee, "sip:") {
		t.Errorf("recording %s: status %s caller %q callee %q", path, m.Status, m.Caller, m.Callee)
	}
	audioDir, location := filepath.Join(c.Serve.DataDir, "recordings"), m.Files[0].Path
	if c.Storage.Kind != "local" {
		// Delivered to the archive or bucket: the marker appears, the
		// local audio goes, the target holds it.
		var mk *ship.Marker
		for mk == nil {
			mk, _ = ship.ReadMarker(path)
			select {
			case <-ctx.Done():
				t.Fatalf("recording %s not delivered", path)
			case <-time.After(50 * time.Millisecond):
			}
		}
		if _, err := os.Stat(filepath.Join(audioDir, m.Files[0].Path)); !os.IsNotExist(err) {
			t.Errorf("local audio kept after delivery: %v", err)
		}
		switch c.Storage.Kind {
		case "dir":
			audioDir, location = c.Storage.Dir, "file:"+filepath.Join(c.Storage.Dir, m.Files[0].Path)
		case "blob":
			audioDir, location = readBlob(ctx, t, n, m.Files[0].Path), "blob:"+m.Files[0].Path
		case "s3":
			audioDir, location = t.TempDir(), "s3://"+c.Storage.S3.Bucket+"/"+c.Storage.S3.Prefix+m.Files[0].Path
			downloadS3(t, c.Storage.S3, m.Files[0].Path, filepath.Join(audioDir, m.Files[0].Path))
		}
		if mk.Files[0].Location != location {
			t.Errorf("marker location %s, want %s", mk.Files[0].Location, location)
		}
	}
	l, r, fm := readStereo(t, &RecordingNode{Dir: audioDir}, m)
	if fm.Channels != 2 || len(l) < 8000 {
		t.Fatalf("recording %+v with %d samples per channel", fm, len(l))
	}
	// Both directions carry the tone (the UAS echoes it): neither channel
	// is silent.
	if RMS(l) < 500 || RMS(r) < 500 {
		t.Errorf("channel RMS %.0f / %.0f: want the tone in both", RMS(l), RMS(r))
	}
	// The catalogue has the call, complete, with the audio's checksum.
	var row *catalog.Recording
	for row == nil || row.Status != catalog.StatusComplete || row.Location != location {
		if p, err := n.Catalog.Search(ctx, catalog.Query{CallID: callID}); err == nil && len(p.Recordings) == 1 {
			row = p.Recordings[0]
		}
		select {
		case <-ctx.Done():
			t.Fatalf("catalogue: no complete row for %s (last %+v)", callID, row)
		case <-time.After(50 * time.Millisecond):
		}
	}
	audio, err := os.ReadFile(filepath.Join(audioDir, m.Files[0].Path))
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(audio); row.Checksum != "sha256:"+hex.EncodeToString(sum[:]) || row.Size != int64(len(audio)) ||
		row.Location != location || row.Caller != m.Caller || row.Duration < time.Second {
		t.Errorf("catalogue row %+v for file of %d bytes", row, len(audio))
	}
	if len(c.Retention.Rules) > 0 {
		for row.Status != catalog.StatusDeleted {
			select {
			case <-ctx.Done():
				t.Fatalf("retention: row still %s", row.Status)
			case <-time.After(100 * time.Millisecond):
			}
			if row, err = n.Catalog.Get(ctx, row.ID); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := os.Stat(filepath.Join(c.Serve.DataDir, "recordings", m.Files[0].Path)); !os.IsNotExist(err) {
			t.Errorf("retention: audio still there (%v)", err)
		}
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("retention: sidecar still there (%v)", err)
		}
		if c.Storage.Kind == "blob" {
			tg, err := blobstore.New(ctx, n.Store, blobstore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tg.OpenBlob(ctx, m.Files[0].Path); !errors.Is(err, blobstore.ErrNotFound) {
				t.Errorf("retention: blob still in the database (%v)", err)
			}
		}
	}
	checkCallMetrics(t, ScrapeMetrics(t, "http://"+n.HTTP+"/metrics"))
	return m
}

// checkCallMetrics checks what /metrics of a serve says after one
// recorded call that has ended: every series of issue 7's list, with
// values one call gives.
func checkCallMetrics(t *testing.T, s Scrape) {
	t.Helper()
	atLeast := func(min float64, name string, labels ...string) {
		t.Helper()
		v, ok := s.Value(name, labels...)
		if !ok || v < min {
			t.Errorf("/metrics: %s%v = %v (present %v), want >= %v", name, labels, v, ok, min)
		}
	}
	equal := func(want float64, name string, labels ...string) {
		t.Helper()
		if v, ok := s.Value(name, labels...); !ok || v != want {
			t.Errorf("/metrics: %s%v = %v (present %v), want %v", name, labels, v, ok, want)
		}
	}
	equal(1, "callrec_recordings_total", "status", "complete")
	equal(0, "callrec_recordings_total", "status", "failed")
	equal(0, "callrec_recordings_active")
	atLeast(8000, "callrec_recording_bytes_written_total")
	atLeast(1, "callrec_proxy_calls_answered_total")
	atLeast(1, "callrec_proxy_invites_total")
	equal(0, "callrec_proxy_calls")
	equal(0, "callrec_media_streams")
	equal(0, "callrec_media_port_pairs", "state", "used")
	atLeast(1, "callrec_media_port_pairs", "state", "free")
	atLeast(100, "callrec_media_packets_relayed_total") // seconds of 20 ms packets each way
	atLeast(0, "callrec_media_packets_dropped_total", "reason", "bleed")
	atLeast(0, "callrec_ship_spool_bytes")
	// Both parties sent RTP: two loss and jitter observations when the
	// stream ended, loss a ratio and jitter under a second.
	if sum, n := s.HistogramSum("callrec_media_stream_loss_ratio"); n < 2 || sum < 0 || sum > float64(n) {
		t.Errorf("/metrics: loss histogram count %d sum %v, want 2 ratios", n, sum)
	}
	if sum, n := s.HistogramSum("callrec_media_stream_jitter_seconds"); n < 2 || sum < 0 || sum/float64(n) > 1 {
		t.Errorf("/metrics: jitter histogram count %d sum %v s, want 2 observations under a second", n, sum)
	}
	// The proxy waited for an offer, an answer and a delete, each well
	// under the INVITE timeout; the indexer wrote the catalogue.
	for _, cmd := range []string{"offer", "answer", "delete"} {
		if sum, n := s.HistogramSum("callrec_proxy_media_command_duration_seconds", "command", cmd); n < 1 || sum <= 0 || sum/float64(n) > 5 {
			t.Errorf("/metrics: %s command latency count %d sum %v s", cmd, n, sum)
		}
	}
	if sum, n := s.HistogramSum("callrec_database_query_duration_seconds", "query", "catalog_put_batch"); n < 1 || sum <= 0 {
		t.Errorf("/metrics: catalog_put_batch latency count %d sum %v s", n, sum)
	}
	for _, name := range []string{"callrec_media_control_command_duration_seconds", "callrec_database_query_duration_seconds"} {
		if _, ok := s[name]; !ok {
			t.Errorf("/metrics: no %s", name)
		}
	}
	checkDashboard(t, s)
}

// readBlob reads the recording file rel out of the serve's database
// with blobstore's reader (in reads of 1000 bytes, so the reader crosses
// chunk boundaries mid-read) into a new directory, which it returns. The
// blob must be committed with the checksum of what was read.
func readBlob(ctx context.Context, t *testing.T, n *app.Node, rel string) string {
	t.Helper()
	tg, err := blobstore.New(ctx, n.Store, blobstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := tg.OpenBlob(ctx, rel)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	dir := t.TempDir()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.CopyBuffer(io.MultiWriter(f, h), b, make([]byte, 1000)); err != nil {
		t.Fatalf("read blob %s: %v", rel, err)
	}
	if !b.Committed() || b.SHA256() != hex.EncodeToString(h.Sum(nil)) || b.Size() < 44 {
		t.Errorf("blob %s: committed %v, sha256 %s, %d bytes; read sha256 %x", rel, b.Committed(), b.SHA256(), b.Size(), h.Sum(nil))
	}
	return dir
}
