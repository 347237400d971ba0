package test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/api"
	"github.com/callrec/callrec/internal/app"
	"github.com/callrec/callrec/internal/catalog"
	"github.com/callrec/callrec/internal/config"
	"github.com/callrec/callrec/internal/nettest"
	"github.com/callrec/callrec/internal/record"
	"github.com/callrec/callrec/internal/ship"
	"github.com/callrec/callrec/internal/store/storetest"
)

// TestServeShipsToCollectorKilledMidCall runs a real `callrec collector`
// process (TLS, token from a file) and `callrec serve` (in-process) with
// storage.kind collector. A sipp call is recorded and streamed live; in
// the middle of the call the collector is killed with SIGKILL, the media
// node spools, the collector is restarted on the same data directory and
// port, and the recording resumes from the acknowledged offset while the
// call still runs. At the end the collector holds the recording
// byte for byte (SHA-256 of the media node's own copy), with the tone in
// both channels, and its catalogue holds exactly one row for the call.
//
// The collector's catalogue is SQLite in its data directory, then
// PostgreSQL (--database).
func TestServeShipsToCollectorKilledMidCall(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { collectorKilledMidCall(t, "") })
	t.Run("postgres", func(t *testing.T) { collectorKilledMidCall(t, storetest.DSN(t, "postgres")) })
}

func collectorKilledMidCall(t *testing.T, database string) {
	realtime <- struct{}{}
	defer func() { <-realtime }()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)

	ca := nettest.NewCA(t)
	cert, key := ca.Issue(t, "collector", "127.0.0.1")
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("e2e-collector-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	colAddr := fmt.Sprintf("127.0.0.1:%d", FreeUDPPort(t, "127.0.0.1"))
	colDir := t.TempDir()
	// The collector serves its recordings over the HTTP API to a token.
	colHTTP := fmt.Sprintf("127.0.0.1:%d", FreeUDPPort(t, "127.0.0.1"))
	colConfig := filepath.Join(t.TempDir(), "collector.yaml")
	const colAPIToken = "e2e-collector-api-token"
	if err := os.WriteFile(colConfig, []byte("collector:\n  api_tokens:\n    - {name: e2e, token: "+colAPIToken+", role: viewer}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bin := BuildCallrec(t)
	startCollector := func(label string) *Process {
		args := []string{"collector", "--config", colConfig, "--listen", colAddr, "--tls-cert", cert, "--tls-key", key,
			"--token-file", tokenFile, "--data-dir", colDir, "--metrics", colHTTP}
		if database != "" {
			args = append(args, "--database", database)
		}
		p := StartProcess(t, label, "", bin, args...)
		if err := p.WaitOutput(ctx, "callrec collector ready"); err != nil {
			t.Fatalf("%s: %v", label, err)
		}
		return p
	}
	col := startCollector("collector")

	uas := StartSipp(t, SippConfig{Label: "sipp uas", Scenario: Testdata(t, "sipp", "uas_echo.xml"), IP: "127.0.0.3", RTPEcho: true})
	c := config.Default()
	c.Serve.DataDir = t.TempDir()
	c.Serve.SIPListen = fmt.Sprintf("127.0.0.1:%d", FreeUDPPort(t, "127.0.0.1"))
	c.Serve.HTTPListen = "127.0.0.1:0"
	c.Serve.Routes = []config.Route{{Destination: "sip:" + uas.Addr()}}
	c.Storage = config.Storage{Kind: "collector", KeepLocal: true, Interval: config.Duration(200 * time.Millisecond),
		Collector: config.StorageCollector{Address: colAddr, TokenFile: tokenFile, TLSCA: ca.CAFile(), Node: "e2e-node"}}
	c.Media.PortMin = FreeUDPRange(t, "127.0.0.1", 32)
	c.Media.PortMax = c.Media.PortMin + 31
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	n := StartServe(t, ctx, c)

	callID := fmt.Sprintf("callrec-collector-%d", os.Getpid())
	uac := StartSipp(t, SippConfig{
		Label: "sipp uac", Scenario: Testdata(t, "sipp", "uac_rtp.xml"), IP: "127.0.0.2",
		Remote: c.Serve.SIPListen, CallID: callID + "-%u", Keys: map[string]string{"target": c.Serve.SIPListen},
		Files: map[string][]byte{"tone.ulaw": MulawTone(8000, 440, 8000)},
	})
	callID += "-1"
	relayed := func() uint64 {
		st, err := n.Media.Manager.Query(callID, "uactag1", "uastag1", 1)
		if err != nil {
			return 0
		}
		return min(st.Legs[0].Relayed, st.Legs[1].Relayed)
	}
	// partSize is what the collector holds of the recording so far.
	partSize := func() int64 {
		m, _ := filepath.Glob(filepath.Join(colDir, "recordings", "e2e-node", "*", "*.wav.part"))
		if len(m) != 1 {
			return 0
		}
		st, err := os.Stat(m[0])
		if err != nil {
			return 0
		}
		return st.Size()
	}
	waitUntil := func(what string, cond func() bool) {
		t.Helper()
		for !cond() {
			select {
			case <-ctx.Done():
				t.Fatalf("timed out waiting for %s", what)
			case <-time.After(50 * time.Millisecond): // counters and files have no notification; poll
			}
		}
	}
	// Live: half a second of stereo audio reaches the collector while
	// the call runs.
	waitUntil("audio at the collector during the call", func() bool { return relayed() >= 50 && partSize() > 44+8000 })
	col.Kill()
	atKill, pktsAtKill := partSize(), relayed()
	t.Logf("collector killed holding %d bytes, %d packets relayed each way", atKill, pktsAtKill)
	// The call goes on for a second with the collector gone.
	waitUntil("the call to go on without the collector", func() bool { return relayed() >= pktsAtKill+50 })
	// What the collector has not taken is the spool, in serve's /metrics.
	spool := func() float64 {
		v, _ := ScrapeMetrics(t, "http://"+n.HTTP+"/metrics").Value("callrec_ship_spool_bytes")
		return v
	}
	waitUntil("a spool of the audio recorded since the kill", func() bool { return spool() > 8000 })
	startCollector("collector (restarted)")
	waitUntil("the recording to resume at the restarted collector", func() bool { return partSize() > atKill+16000 })
	if relayed() == 0 {
		t.Fatal("the call ended before the recording resumed: the test shows nothing")
	}
	sendInfo(t, uac, uas, callID)
	if err := uac.Proc.Wait(ctx); err != nil {
		t.Fatalf("sipp uac: %v", err)
	}

	var m *record.Meta
	var side string
	waitUntil("the recording delivered (its marker)", func() bool {
		matches, _ := filepath.Glob(filepath.Join(c.Serve.DataDir, "recordings", "*", "*.json"))
		for _, p := range matches {
			if mm, err := record.ReadMeta(p); err == nil && mm.CallID == callID && mm.Status != record.StatusRecording {
				m, side = mm, p
			}
		}
		if m == nil {
			return false
		}
		_, err := ship.ReadMarker(side)
		return err == nil
	})
	waitUntil("an empty spool once delivered", func() bool { return spool() == 0 })
	local, err := os.ReadFile(filepath.Join(c.Serve.DataDir, "recordings", m.Files[0].Path))
	if err != nil {
		t.Fatal(err)
	}
	stored := filepath.Join(colDir, "recordings", "e2e-node", m.Files[0].Path)
	remote, err := os.ReadFile(stored)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(local)
	if sha256.Sum256(remote) != sum {
		t.Fatalf("collector's copy (%d bytes) differs from the media node's (%d bytes)", len(remote), len(local))
	}
	l, r, fm := readStereo(t, &RecordingNode{Dir: filepath.Join(colDir, "recordings", "e2e-node")}, m)
	if fm.Channels != 2 || len(l) < 2*8000 {
		t.Fatalf("recording %+v with %d samples per channel: want 2 channels, over 2 s", fm, len(l))
	}
	if RMS(l) < 500 || RMS(r) < 500 {
		t.Errorf("channel RMS %.0f / %.0f: want the tone in both", RMS(l), RMS(r))
	}

	// The collector's catalogue (read while it runs) has one row for
	// the call, complete, pointing at the stored file with its
	// checksum.
	if database == "" {
		database = "sqlite:" + filepath.Join(colDir, "catalogue.db")
	}
	_, cat := OpenCatalog(t, ctx, database)
	p, err := cat.Search(ctx, catalog.Query{CallID: callID})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Recordings) != 1 {
		t.Fatalf("%d catalogue rows for %s, want 1", len(p.Recordings), callID)
	}
	row := p.Recordings[0]
	if row.Status != catalog.StatusComplete || row.Checksum != "sha256:"+hex.EncodeToString(sum[:]) ||
		row.Location != "file:"+stored || row.Size != int64(len(remote)) || row.Caller != m.Caller || row.Node != "e2e-node" {
		t.Errorf("collector's catalogue row %+v", row)
	}
	// Its API finds the recording and serves the stored audio: anonymous
	// 401, the token's download equal to the stored file.
	colNode := &app.Node{HTTP: colHTTP}
	if res, b := apiDo(t, colNode, "GET", "/api/recordings?call_id="+url.QueryEscape(callID), ""); res.StatusCode != 401 {
		t.Errorf("collector API anonymous: %d %s", res.StatusCode, b)
	}
	res, b := apiDo(t, colNode, "GET", "/api/recordings?call_id="+url.QueryEscape(callID), colAPIToken)
	var page api.RecordingPage
	if res.StatusCode != 200 || json.Unmarshal(b, &page) != nil || len(page.Items) != 1 || page.Items[0].Checksum != row.Checksum {
		t.Fatalf("collector API search: %d %s", res.StatusCode, b)
	}
	res, audio := apiDo(t, colNode, "GET", page.Items[0].Audio, colAPIToken)
	if res.StatusCode != 200 || sha256.Sum256(audio) != sum || res.Header.Get("Content-Type") != "audio/wav" {
		t.Errorf("collector API audio: %d, %d bytes", res.StatusCode, len(audio))
	}
	res, part := apiDo(t, colNode, "GET", page.Items[0].Audio, colAPIToken, "Range", "bytes=100-199")
	if res.StatusCode != 206 || string(part) != string(remote[100:200]) {
		t.Errorf("collector API range: %d, %d bytes", res.StatusCode, len(part))
	}
	if res, b := apiDo(t, colNode, "DELETE", fmt.Sprintf("/api/recordings/%d", page.Items[0].ID), colAPIToken); res.StatusCode != 403 {
		t.Errorf("collector API delete by a viewer: %d %s", res.StatusCode, b)
	}
	// The media node's own catalogue points at the collector too.
	waitUntil("the serve catalogue to name the collector's location", func() bool {
		p, err := n.Catalog.Search(ctx, catalog.Query{CallID: callID})
		return err == nil && len(p.Recordings) == 1 && p.Recordings[0].Location == row.Location
	})
}
