package test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/spot/spottest"
)

// TestKamailioMediaNodeSpotsKeywords is issue 8's live spotting on the
// standalone media node: a real Kamailio (rtpproxy module, built with
// -A RECORD) anchors a call on `callrec media` and records it with
// start_recording() (an R command) when the 200 OK goes back. The node's
// config file turns on the spotter (asr.keywords) and its webhook. The
// sipp UAC (Kamailio's offerer, so the recording's "caller") plays
// caller-8k.wav once as G.711 µ-law; the sipp UAS streams agent-8k.wav.
// The recording's sidecar must hold "refund" and "account" on the
// caller's leg within 0.5 s of where they are spoken (located by
// correlating the recording's left channel with the fixture), no
// "cancel" on the agent's leg, and the webhook must have got the same
// events. Narrowband "cancel" is a known miss and not required.
func TestKamailioMediaNodeSpotsKeywords(t *testing.T) {
	RequireBinary(t, "kamailio", "kamailio")
	RequireBinary(t, "sipp", "sip-tester")
	spottest.RequireModel(t)
	realtime <- struct{}{}
	defer func() { <-realtime }()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	recDir := t.TempDir()
	hook := startHookServer(t, "s3cret")
	cfg := filepath.Join(t.TempDir(), "callrec.yaml")
	yaml := fmt.Sprintf("media:\n  record_dir: %q\nasr:\n  keywords: [%s]\n  webhook:\n    url: %q\n    secret: s3cret\n",
		recDir, strings.Join(liveKeywords, ", "), hook.url)
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	node := StartMediaNodeConfig(t, "udp", cfg)
	kam := StartKamailio(t, Testdata(t, "kamailio", "rtpproxy.cfg"),
		fmt.Sprintf("RTPP_SOCK=%q", node.Control.Addr), "RECORD")

	agentULaw, _ := fixtureMulaw(t, "agent-8k.wav")
	pcap, packets, callerPCM := callerPcap(t, 0x5908)
	uas := StartSipp(t, SippConfig{Label: "sipp uas", Scenario: Testdata(t, "sipp", "uas_rtp.xml"), IP: "127.0.0.3",
		Files: map[string][]byte{"callee.ulaw": agentULaw}})
	callID := fmt.Sprintf("callrec-kamspot-%d", os.Getpid())
	uac := StartSipp(t, SippConfig{
		Label: "sipp uac", Scenario: Testdata(t, "sipp", "uac_rtp_dtmf.xml"), IP: "127.0.0.2",
		Remote: kam.Addr, CallID: callID + "-%u", Keys: map[string]string{"target": uas.Addr()},
		Files: map[string][]byte{"call.pcap": pcap},
	})
	callID += "-1"
	fromTag, toTag := "uactag1;1", "uastag1;1" // with Kamailio's media number

	// The caller's pcap plays for packets×20 ms from the answer;
	// release the call once the node has received that much from it
	// (Q's first count is the first tag's, the caller's).
	node.waitReceived(ctx, t, callID, fromTag, toTag, uint64(packets-10), uac, uas)
	time.Sleep(300 * time.Millisecond) // the last packets
	sendInfo(t, uac, uas, callID)
	if err := uac.Proc.Wait(ctx); err != nil {
		t.Fatalf("interop: sipp uac: %v (exit %d)", err, uac.Proc.ExitCode())
	}

	// Kamailio's rtpproxy_destroy on BYE ends the session and so the
	// recording; its spotters store their last detections a moment later.
	m, path := waitSpotted(ctx, t, recDir, callID)
	t.Logf("sidecar %s: status %s, caller %q, callee %q, from tag %q, to tag %q",
		filepath.Base(path), m.Status, m.Caller, m.Callee, m.FromTag, m.ToTag)
	checkSpotted(t, recDir, m, MulawRoundTrip(callerPCM[:4000]), 8000, "spot",
		map[string]bool{"refund": true, "account": true})
	hook.check(t, m, callID)
}
