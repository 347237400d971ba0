package test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/app"
	"github.com/callrec/callrec/internal/config"
	"github.com/callrec/callrec/internal/record"
)

// TestServeRecordsSippCall runs `callrec serve` in-process with embedded
// defaults (SQLite, local directories) and a static route to a sipp UAS;
// a sipp UAC calls through it with a 440 Hz tone that the UAS echoes. The
// call must be anchored, recorded, and the recording must hold the tone
// in both channels.
func TestServeRecordsSippCall(t *testing.T) {
	RequireBinary(t, "sipp", "sip-tester")
	realtime <- struct{}{}
	defer func() { <-realtime }()
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	uas := StartSipp(t, SippConfig{Label: "sipp uas", Scenario: Testdata(t, "sipp", "uas_echo.xml"), IP: "127.0.0.3", RTPEcho: true})

	c := config.Default()
	c.Serve.DataDir = t.TempDir()
	c.Serve.SIPListen = fmt.Sprintf("127.0.0.1:%d", FreeUDPPort(t, "127.0.0.1"))
	c.Serve.HTTPListen = "127.0.0.1:0"
	c.Serve.Routes = []config.Route{{Destination: "sip:" + uas.Addr()}}
	c.Media.PortMin = FreeUDPRange(t, "127.0.0.1", 32)
	c.Media.PortMax = c.Media.PortMin + 31
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	n, err := app.StartServe(ctx, c, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cctx, ccancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer ccancel()
		n.Close(cctx)
	})

	callID := fmt.Sprintf("callrec-serve-%d", os.Getpid())
	uac := StartSipp(t, SippConfig{
		Label: "sipp uac", Scenario: Testdata(t, "sipp", "uac_rtp.xml"), IP: "127.0.0.2",
		Remote: c.Serve.SIPListen, CallID: callID + "-%u",
		Keys:  map[string]string{"target": c.Serve.SIPListen},
		Files: map[string][]byte{"tone.ulaw": MulawTone(8000, 440, 8000)},
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
	l, r, fm := readStereo(t, &RecordingNode{Dir: filepath.Join(c.Serve.DataDir, "recordings")}, m)
	if fm.Channels != 2 || len(l) < 8000 {
		t.Fatalf("recording %+v with %d samples per channel", fm, len(l))
	}
	// Both directions carry the tone (the UAS echoes it): neither channel
	// is silent.
	if RMS(l) < 500 || RMS(r) < 500 {
		t.Errorf("channel RMS %.0f / %.0f: want the tone in both", RMS(l), RMS(r))
	}
	resp, err := http.Get("http://" + n.HTTP + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `callrec_recordings_total{status="complete"} 1`) {
		t.Errorf("/metrics does not count the recording")
	}
}
