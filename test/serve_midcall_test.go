package test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/api"
	"github.com/callrec/callrec/internal/config"
	"github.com/callrec/callrec/internal/record"
)

// TestServeMidCallRecording: callrec serve with serve.anchor: on_record
// and recording on demand. A sipp call starts with its RTP flowing
// directly between the parties (the node has no stream, both SDPs are
// untouched). `callrec calls ls` lists it unanchored; `callrec calls
// record` (POST /api/calls/{id}/record) makes the proxy re-INVITE both
// parties (the sipp scenarios answer them), after which the RTP goes
// through the node in both directions; `callrec calls record --stop`
// (DELETE) ends the recording, which holds the tone in both channels for
// the time between the two requests. The callee sees the caller's BYE
// with its CSeq moved above the proxy's re-INVITE. Both parties on UDP,
// then both on TCP (sipp -t t1).
func TestServeMidCallRecording(t *testing.T) {
	RequireBinary(t, "sipp", "sip-tester")
	t.Run("udp", func(t *testing.T) { midCallRecording(t, false) })
	t.Run("tcp", func(t *testing.T) { midCallRecording(t, true) })
}

func midCallRecording(t *testing.T, tcp bool) {
	bin := BuildCallrec(t)
	realtime <- struct{}{}
	defer func() { <-realtime }()
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	t.Cleanup(cancel)
	uas := StartSipp(t, SippConfig{Label: "sipp uas", Scenario: Testdata(t, "sipp", "uas_midcall.xml"), IP: "127.0.0.3", RTPEcho: true, TCP: tcp})
	dest := "sip:" + uas.Addr()
	if tcp {
		dest += ";transport=tcp"
	}

	c := config.Default()
	c.Serve.DataDir = t.TempDir()
	c.Serve.SIPListen = fmt.Sprintf("127.0.0.1:%d", FreeUDPPort(t, "127.0.0.1"))
	c.Serve.HTTPListen = "127.0.0.1:0"
	c.Serve.Routes = []config.Route{{Destination: dest}}
	c.Serve.Recording.Default = "on_demand"
	c.Serve.Anchor = "on_record"
	c.Serve.APITokens = []config.APIToken{{Name: "test", Token: "midcall-admin-token", Role: "admin"}}
	c.Media.PortMin = FreeUDPRange(t, "127.0.0.1", 32)
	c.Media.PortMax = c.Media.PortMin + 31
	n := StartServe(t, ctx, c)
	server := "http://" + n.HTTP
	cli := func(args ...string) []byte {
		t.Helper()
		out, err := exec.CommandContext(ctx, bin, append(args, "--server", server, "--token", "midcall-admin-token")...).Output()
		if err != nil {
			t.Fatalf("callrec %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}

	callID := fmt.Sprintf("callrec-midcall-%d", os.Getpid())
	uac := StartSipp(t, SippConfig{
		Label: "sipp uac", Scenario: Testdata(t, "sipp", "uac_midcall.xml"), IP: "127.0.0.2", TCP: tcp,
		Remote: c.Serve.SIPListen, CallID: callID + "-%u",
		Keys:  map[string]string{"target": c.Serve.SIPListen},
		Files: map[string][]byte{"tone.ulaw": MulawTone(8000, 440, 8000)},
	})
	callID += "-1"

	// Answered, unanchored: the parties have each other's addresses.
	var list api.CallList
	for len(list.Calls) != 1 || list.Calls[0].Answered.IsZero() {
		select {
		case <-ctx.Done():
			t.Fatalf("call never answered: %+v", list)
		case <-time.After(50 * time.Millisecond): // no notification for "answered"; poll
		}
		list = api.CallList{}
		if err := json.Unmarshal(cli("calls", "ls", "--json"), &list); err != nil {
			t.Fatal(err)
		}
	}
	if cl := list.Calls[0]; cl.CallID != callID || cl.Anchored || cl.Recording {
		t.Fatalf("calls ls: %+v, want %s answered and unanchored", cl, callID)
	}
	if mt := receivedSDP(t, uac, "SIP/2.0 200"); mt.IP != "127.0.0.3" {
		t.Errorf("unanchored call: the caller was told to send to %+v, want the callee", mt)
	}
	if _, err := n.Media.Manager.Query(callID, "uactag1", "uastag1", 1); err == nil {
		t.Errorf("the node has a stream for an unanchored call")
	}

	out := cli("calls", "record", callID)
	if !strings.Contains(string(out), "anchored=true") || !strings.Contains(string(out), "recording=true") {
		t.Fatalf("calls record: %s", out)
	}
	recorded := time.Now()
	// After the re-INVITEs the RTP goes through the node both ways.
	for {
		st, err := n.Media.Manager.Query(callID, "uactag1", "uastag1", 1)
		if err == nil && st.Legs[0].Relayed >= 75 && st.Legs[1].Relayed >= 75 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("media not relayed both ways after mid-call anchoring: %+v %v", st, err)
		case <-time.After(50 * time.Millisecond): // counters have no notification; poll
		}
	}
	// Stop recording (DELETE): the call stays anchored until its BYE.
	out = cli("calls", "record", callID, "--stop")
	if !strings.Contains(string(out), "anchored=true") || !strings.Contains(string(out), "recording=false") {
		t.Fatalf("calls record --stop: %s", out)
	}
	callEnd := time.Now()
	release(t, uac, callID, 1)
	if err := uac.Proc.Wait(ctx); err != nil {
		t.Fatalf("sipp uac: %v", err)
	}
	if err := uas.Proc.Wait(ctx); err != nil {
		t.Fatalf("sipp uas: %v", err)
	}

	// The callee's view: a re-INVITE offering the node, then the BYE
	// (the caller's CSeq 2) as CSeq 3, above the proxy's re-INVITE (2).
	msgs, err := uas.ReceivedMessages()
	if err != nil {
		t.Fatal(err)
	}
	var invites []string
	var bye string
	for _, m := range msgs {
		switch {
		case strings.HasPrefix(m, "INVITE "):
			invites = append(invites, m)
		case strings.HasPrefix(m, "BYE "):
			bye = m
		}
	}
	if len(invites) < 2 {
		t.Fatalf("callee got %d INVITEs, want the initial one and the proxy's", len(invites))
	}
	if mt, err := SDPAudioTarget(invites[len(invites)-1]); err != nil || mt.IP != "127.0.0.1" {
		t.Errorf("proxy's re-INVITE to the callee offers %+v %v, want the node", mt, err)
	}
	if !strings.Contains(bye, "CSeq: 3 BYE") {
		t.Errorf("callee's BYE, want CSeq 3:\n%s", bye)
	}

	var m *record.Meta
	for m == nil || m.Status == record.StatusRecording {
		matches, _ := filepath.Glob(filepath.Join(c.Serve.DataDir, "recordings", "*", "*.json"))
		for _, p := range matches {
			if mm, err := record.ReadMeta(p); err == nil && mm.CallID == callID {
				m = mm
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no finished recording of %s (last %+v)", callID, m)
		case <-time.After(50 * time.Millisecond):
		}
	}
	if m.Status != record.StatusComplete {
		t.Errorf("recording status %s %s", m.Status, m.Reason)
	}
	// The recording covers the time between the requests to start and
	// to stop, not the call before or after.
	if max := callEnd.Sub(recorded).Seconds() + 0.5; m.Duration > max || m.Duration < 1 {
		t.Errorf("recording of %.2f s; %.2f s passed between start and stop", m.Duration, max-0.5)
	}
	l, r, fm := readStereo(t, &RecordingNode{Dir: filepath.Join(c.Serve.DataDir, "recordings")}, m)
	if fm.Channels != 2 || len(l) < 8000 {
		t.Fatalf("recording %+v with %d samples per channel", fm, len(l))
	}
	if RMS(l) < 500 || RMS(r) < 500 {
		t.Errorf("channel RMS %.0f / %.0f: want the tone in both", RMS(l), RMS(r))
	}
	t.Logf("recorded %.2f s, %.2f s between the start and stop requests; RMS %.0f / %.0f", m.Duration, callEnd.Sub(recorded).Seconds(), RMS(l), RMS(r))
	if st := n.Proxy.Stats(); st.MidCallAnchored != 1 || st.MidCallFailures != 0 {
		t.Errorf("proxy stats %+v", st)
	}
}
