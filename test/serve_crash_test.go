package test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/catalog"
	"github.com/callrec/callrec/internal/record"
)

// TestServeKill9Catalogue kills a `callrec serve` process with SIGKILL in
// the middle of a recorded sipp call and starts it again on the same
// data directory: the recording is found, repaired up to the kill and
// marked interrupted, in the file's sidecar and in the catalogue, where
// the call has exactly one row.
func TestServeKill9Catalogue(t *testing.T) {
	RequireBinary(t, "sipp", "sip-tester")
	realtime <- struct{}{}
	defer func() { <-realtime }()
	bin := BuildCallrec(t)
	data := t.TempDir()
	sip := fmt.Sprintf("127.0.0.1:%d", FreeUDPPort(t, "127.0.0.1"))
	min := FreeUDPRange(t, "127.0.0.1", 16)
	args := []string{"serve", "--data-dir", data, "--http-listen", "127.0.0.1:0", "--sip-listen", sip,
		"--port-min", strconv.Itoa(min), "--port-max", strconv.Itoa(min + 15)}
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()

	uas := StartSipp(t, SippConfig{Label: "sipp uas", Scenario: Testdata(t, "sipp", "uas_echo.xml"), IP: "127.0.0.3", RTPEcho: true})
	cfg := filepath.Join(t.TempDir(), "callrec.yaml")
	if err := os.WriteFile(cfg, []byte("serve:\n  routes:\n    - destination: sip:"+uas.Addr()+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	args = append(args, "--config", cfg)
	p := StartProcess(t, "callrec serve", "", bin, args...)
	if err := p.WaitOutput(ctx, "callrec ready"); err != nil {
		t.Fatal(err)
	}
	callID := fmt.Sprintf("callrec-kill9-%d", os.Getpid())
	uac := StartSipp(t, SippConfig{
		Label: "sipp uac", Scenario: Testdata(t, "sipp", "uac_rtp.xml"), IP: "127.0.0.2",
		Remote: sip, CallID: callID + "-%u",
		Keys:  map[string]string{"target": sip},
		Files: map[string][]byte{"tone.ulaw": MulawTone(8000, 440, 8000)},
	})
	callID += "-1"

	// Wait until the recording has three seconds on disk (stereo PCM16
	// at 8 kHz: 32 kB/s).
	rec := filepath.Join(data, "recordings")
	var sidecar string
	for {
		matches, _ := filepath.Glob(filepath.Join(rec, "*", "*.json"))
		for _, m := range matches {
			if meta, err := record.ReadMeta(m); err == nil && meta.CallID == callID && len(meta.Files) > 0 {
				if st, err := os.Stat(filepath.Join(rec, meta.Files[0].Path)); err == nil && st.Size() > 3*32000 {
					sidecar = m
				}
			}
		}
		if sidecar != "" {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no recording of %s growing on disk\n%s", callID, p.Output())
		case <-time.After(50 * time.Millisecond): // files have no change notification here
		}
	}
	p.Kill()
	uac.Proc.Kill()

	// The restarted process recovers the recording and catalogues it.
	p2 := StartProcess(t, "callrec serve (restarted)", "", bin, args...)
	if err := p2.WaitOutput(ctx, "callrec ready"); err != nil {
		t.Fatal(err)
	}
	_, cat := OpenCatalog(t, ctx, "sqlite:"+filepath.Join(data, "callrec.db"))
	var rows []*catalog.Recording
	for len(rows) != 1 || rows[0].Status != catalog.StatusInterrupted {
		page, err := cat.Search(ctx, catalog.Query{CallID: callID})
		if err == nil {
			rows = page.Recordings
		}
		select {
		case <-ctx.Done():
			t.Fatalf("catalogue rows for %s: %+v (%v)\n%s", callID, rows, err, p2.Output())
		case <-time.After(100 * time.Millisecond):
		}
	}
	meta, err := record.ReadMeta(sidecar)
	if err != nil {
		t.Fatal(err)
	}
	r := rows[0]
	if meta.Status != record.StatusInterrupted || r.Duration < 2500*time.Millisecond || r.Reason == "" || r.Checksum == "" || r.Size < 3*32000 {
		t.Errorf("after restart: sidecar %s %.1f s; row %+v", meta.Status, meta.Duration, r)
	}
}
