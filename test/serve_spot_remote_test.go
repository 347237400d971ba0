package test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/asr"
	"github.com/callrec/callrec/internal/config"
	"github.com/callrec/callrec/internal/spot/spottest"
)

// TestServeSpotsKeywordsRemoteNode is issue 8's live spotting with
// serve.media_nodes: callrec serve anchors a sipp call on a remote
// `callrec media` process (its own config: asr.keywords, and
// asr.webhook posting to serve's POST /api/events, signed with the
// secret serve.events_secret names: no API token on the node), and the
// keywords that node spots arrive on serve's GET
// /api/events while the call is up. The caller plays caller-8k.wav
// (G.711 µ-law); its "account" and "refund" must reach serve's stream
// with the call's Call-ID, and after the call serve must have
// streamed exactly the keyword events of the node's sidecar.
//
// The node must know serve's HTTP address before it starts, and serve
// the node's control address: serve's HTTP listens on a port picked
// beforehand, and the node starts first.
func TestServeSpotsKeywordsRemoteNode(t *testing.T) {
	RequireBinary(t, "sipp", "sip-tester")
	spottest.RequireModel(t)
	realtime <- struct{}{}
	defer func() { <-realtime }()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	httpAddr := fmt.Sprintf("127.0.0.1:%d", FreeTCPPort(t, "127.0.0.1"))
	recDir := t.TempDir()
	cfg := filepath.Join(t.TempDir(), "callrec.yaml")
	const secret = "node-events-secret"
	yaml := fmt.Sprintf("media:\n  record_dir: %q\nasr:\n  keywords: [%s]\n  webhook:\n    url: %q\n    secret: %q\n",
		recDir, strings.Join(liveKeywords, ", "), "http://"+httpAddr+"/api/events", secret)
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	node := StartMediaNodeConfig(t, "udp", cfg)

	agentULaw, _ := fixtureMulaw(t, "agent-8k.wav")
	pcap, packets, callerPCM := callerPcap(t, 0x5909)
	uas := StartSipp(t, SippConfig{Label: "sipp uas", Scenario: Testdata(t, "sipp", "uas_rtp.xml"), IP: "127.0.0.3",
		Files: map[string][]byte{"callee.ulaw": agentULaw}})

	c := config.Default()
	c.Serve.DataDir = t.TempDir()
	c.Serve.SIPListen = fmt.Sprintf("127.0.0.1:%d", FreeUDPPort(t, "127.0.0.1"))
	c.Serve.HTTPListen = httpAddr
	c.Serve.Routes = []config.Route{{Destination: "sip:" + uas.Addr()}}
	c.Serve.MediaNodes = []config.MediaNode{{Address: node.Control.Addr, Weight: 1}}
	c.Serve.APITokens = []config.APIToken{{Name: "ui", Token: e2eViewer, Role: "viewer"}}
	c.Serve.EventsSecret = secret
	n := StartServe(t, ctx, c)
	if n.Media != nil || n.HTTP != httpAddr {
		t.Fatalf("serve: in-process media node %v, HTTP on %s (want none, %s)", n.Media != nil, n.HTTP, httpAddr)
	}
	callID := fmt.Sprintf("callrec-remotespot-%d", os.Getpid())
	pushed := subscribeEvents(ctx, t, "http://"+httpAddr+"/api/events?call_id="+callID+"-1", e2eViewer)

	uac := StartSipp(t, SippConfig{
		Label: "sipp uac", Scenario: Testdata(t, "sipp", "uac_rtp_dtmf.xml"), IP: "127.0.0.2",
		Remote: c.Serve.SIPListen, CallID: callID + "-%u", Keys: map[string]string{"target": c.Serve.SIPListen},
		Files: map[string][]byte{"call.pcap": pcap},
	})
	callID += "-1"
	node.waitReceived(ctx, t, callID, "uactag1", "uastag1", uint64(packets-10), uac, uas)
	if got := n.Pool.NodeOf(callID); got != node.Control.Addr {
		t.Errorf("call on %q, want %s", got, node.Control.Addr)
	}
	// While the call is still up (sipp holds it until the INFO), the
	// caller's "account" (3 s in) and "refund" (11 s in) come from the
	// node through serve.
	spoken := func(w string) (asr.Event, bool) {
		return pushed.first(func(e asr.Event) bool { return e.Leg == "caller" && e.Keyword == w })
	}
	wait, waitCancel := context.WithTimeout(ctx, 10*time.Second)
	for {
		_, a := spoken("account")
		_, r := spoken("refund")
		if a && r {
			break
		}
		select {
		case <-wait.Done():
			t.Fatalf("caller's account and refund not both on serve's /api/events during the call: %+v", pushed.all())
		case <-time.After(50 * time.Millisecond): // the stream reader has no notification; poll
		}
	}
	waitCancel()
	for _, w := range []string{"account", "refund"} {
		if e, _ := spoken(w); e.CallID != callID || e.Recording == "" || e.Source != "spot" || e.Type != "keyword" || e.Confidence <= 0 {
			t.Errorf("pushed event %+v", e)
		}
	}
	time.Sleep(300 * time.Millisecond) // the last packets
	sendInfo(t, uac, uas, callID)
	if err := uac.Proc.Wait(ctx); err != nil {
		t.Fatalf("sipp uac: %v", err)
	}

	// The node's recording holds the same detections, where they were
	// spoken; serve streamed each of them once (the last ones come
	// after the call ends, when the node's spotters finish the legs).
	m, path := waitSpotted(ctx, t, recDir, callID)
	t.Logf("node's sidecar %s", filepath.Base(path))
	kw := checkSpotted(t, recDir, m, MulawRoundTrip(callerPCM[:4000]), 8000, "spot",
		map[string]bool{"refund": true, "account": true})
	for pushed.count() < kw {
		select {
		case <-ctx.Done():
			t.Fatalf("serve's /api/events got %d of the sidecar's %d keyword events", pushed.count(), kw)
		case <-time.After(50 * time.Millisecond): // the stream reader has no notification; poll
		}
	}
	// The same check as the webhook receiver's: serve's events are
	// exactly the sidecar's.
	(&hookServer{got: pushed.all()}).check(t, m, callID)
	s := ScrapeMetrics(t, "http://"+httpAddr+"/metrics")
	if v, _ := s.Value("callrec_asr_broker_events_total"); v != float64(kw) {
		t.Errorf("callrec_asr_broker_events_total %v, want %d", v, kw)
	}
}
