package test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/media"
	"github.com/callrec/callrec/internal/proxy"
)

// proxyRig is an in-process proxy anchoring on an in-process media node.
type proxyRig struct {
	proxy            *proxy.Server
	mgr              *media.Manager
	portMin, portMax int
}

// startProxyRig starts a media node and a proxy on 127.0.0.1 that routes
// every initial request to dest (a SIP URI without user part).
func startProxyRig(t *testing.T, dest string, failClosed bool) *proxyRig {
	t.Helper()
	r := &proxyRig{}
	r.portMin = FreeUDPRange(t, "127.0.0.1", 32)
	r.portMax = r.portMin + 31
	var err error
	r.mgr, err = media.New(media.Config{Listen: netip.MustParseAddr("127.0.0.1"), PortMin: r.portMin, PortMax: r.portMax, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		r.mgr.Close(ctx)
	})
	router, err := proxy.NewStaticRouter([]proxy.StaticRule{{Destination: dest}})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	r.proxy, err = proxy.New(proxy.Config{UDP: "127.0.0.1:0", TCP: "127.0.0.1:0", Router: router,
		Anchor: proxy.ManagerAnchor{M: r.mgr}, FailClosed: failClosed, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.proxy.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("proxy: Serve did not return")
		}
	})
	return r
}

func (r *proxyRig) owns(mt MediaTarget) bool {
	return mt.IP == "127.0.0.1" && mt.Port >= r.portMin && mt.Port <= r.portMax
}

// TestProxySippCall: a sipp UAC (127.0.0.2) calls a sipp UAS (127.0.0.3,
// echoing RTP) through the proxy, which anchors the media on the node.
// Each sipp learns only the address in the SDP it receives, so RTP flows
// both ways only through the node.
func TestProxySippCall(t *testing.T) { proxyCall(t, "uac_rtp.xml", "SIP/2.0 200", "INVITE ") }

// TestProxySippLateOffer: the INVITE carries no SDP; the UAS's offer in
// the 200 OK and the UAC's answer in the ACK are both anchored, and RTP
// flows both ways through the node.
func TestProxySippLateOffer(t *testing.T) {
	proxyCall(t, "proxy_uac_late.xml", "SIP/2.0 200", "ACK ")
}

// proxyCall runs an answered call with RTP both ways; uacSDP and uasSDP
// name the start of the message that carried the SDP each side received
// from the proxy.
func proxyCall(t *testing.T, uacScenario, uacSDP, uasSDP string) {
	RequireBinary(t, "sipp", "sip-tester")
	ctx, cancel := context.WithTimeout(context.Background(), 18*time.Second)
	defer cancel()
	uas := StartSipp(t, SippConfig{Label: "sipp uas", Scenario: Testdata(t, "sipp", "uas_echo.xml"), IP: "127.0.0.3", RTPEcho: true})
	rig := startProxyRig(t, "sip:"+uas.Addr(), false)
	callID := fmt.Sprintf("callrec-proxy-%d", os.Getpid())
	uac := StartSipp(t, SippConfig{
		Label: "sipp uac", Scenario: Testdata(t, "sipp", uacScenario), IP: "127.0.0.2",
		Remote: rig.proxy.Addr("udp"), CallID: callID + "-%u",
		Keys:  map[string]string{"target": rig.proxy.Addr("udp")},
		Files: map[string][]byte{"tone.ulaw": MulawTone(8000, 440, 8000)},
	})
	callID += "-1"

	var st media.StreamStats
	for {
		s, err := rig.mgr.Query(callID, "uactag1", "uastag1", 1)
		if err == nil {
			st = s
			if s.Legs[0].Relayed >= 5 && s.Legs[1].Relayed >= 5 {
				break
			}
		}
		for _, p := range []*Sipp{uac, uas} {
			if ok, err := p.Proc.Exited(); ok {
				t.Fatalf("proxy: %s exited during the call: %v", p.Proc.Name, err)
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("proxy: media not relayed both ways: %+v (err %v)", st, err)
		case <-time.After(50 * time.Millisecond): // counters have no notification; poll
		}
	}
	t.Logf("proxy: caller leg %+v, callee leg %+v", st.Legs[0], st.Legs[1])

	sendInfo(t, uac, uas, callID)
	if err := uac.Proc.Wait(ctx); err != nil {
		t.Fatalf("proxy: sipp uac: %v (exit %d)", err, uac.Proc.ExitCode())
	}
	if err := uas.Proc.Wait(ctx); err != nil {
		t.Fatalf("proxy: sipp uas: %v (exit %d)", err, uas.Proc.ExitCode())
	}
	uasGot := receivedSDP(t, uas, uasSDP)
	uacGot := receivedSDP(t, uac, uacSDP)
	if !rig.owns(uasGot) || !rig.owns(uacGot) || uasGot.Port == uacGot.Port {
		t.Errorf("proxy: SDP received by UAS %+v and UAC %+v, want distinct ports of the node 127.0.0.1:%d-%d",
			uasGot, uacGot, rig.portMin, rig.portMax)
	}
	if _, err := rig.mgr.Query(callID, "uactag1", "uastag1", 1); err == nil {
		t.Errorf("proxy: media session still present after BYE")
	}
	msgs, _ := uas.ReceivedMessages()
	for _, m := range msgs {
		if strings.HasPrefix(m, "INVITE ") && !strings.Contains(m, "Record-Route:") {
			t.Errorf("proxy: INVITE without Record-Route:\n%s", m)
		}
	}
}

// proxyFailedCall runs a UAC scenario against a UAS scenario through the
// proxy and checks that both finish, that the UAS was offered the node's
// address, and that the media session is gone afterwards (D on the
// failed or cancelled INVITE).
func proxyFailedCall(t *testing.T, uacScenario, uasScenario string) {
	RequireBinary(t, "sipp", "sip-tester")
	ctx, cancel := context.WithTimeout(context.Background(), 18*time.Second)
	defer cancel()
	uas := StartSipp(t, SippConfig{Label: "sipp uas", Scenario: Testdata(t, "sipp", uasScenario), IP: "127.0.0.3"})
	rig := startProxyRig(t, "sip:"+uas.Addr(), false)
	callID := fmt.Sprintf("callrec-proxy-%s-%d", strings.TrimSuffix(uacScenario, ".xml"), os.Getpid())
	uac := StartSipp(t, SippConfig{
		Label: "sipp uac", Scenario: Testdata(t, "sipp", uacScenario), IP: "127.0.0.2",
		Remote: rig.proxy.Addr("udp"), CallID: callID + "-%u",
		Keys: map[string]string{"target": rig.proxy.Addr("udp")},
	})
	callID += "-1"
	if err := uac.Proc.Wait(ctx); err != nil {
		t.Fatalf("proxy: sipp uac: %v (exit %d)", err, uac.Proc.ExitCode())
	}
	if err := uas.Proc.Wait(ctx); err != nil {
		t.Fatalf("proxy: sipp uas: %v (exit %d)", err, uas.Proc.ExitCode())
	}
	if got := receivedSDP(t, uas, "INVITE "); !rig.owns(got) {
		t.Errorf("proxy: SDP received by the UAS points at %+v, want the node", got)
	}
	// The proxy deletes the streams before it relays the final response,
	// so they are gone by the time the UAC has finished.
	if _, err := rig.mgr.Query(callID, "uactag1", "uastag1", 1); err == nil {
		t.Errorf("proxy: media session still present after the call failed")
	}
	if n := rig.proxy.Stats().Dialogs; n != 0 {
		t.Errorf("proxy: %d calls still tracked", n)
	}
}

// TestProxySippCancel: the caller cancels while the callee rings; the
// proxy answers 200/487, CANCELs downstream and deletes the media.
func TestProxySippCancel(t *testing.T) {
	proxyFailedCall(t, "proxy_uac_cancel.xml", "proxy_uas_ring.xml")
}

// TestProxySippBusy: the callee answers 486; the caller gets 486 and the
// media is deleted.
func TestProxySippBusy(t *testing.T) {
	proxyFailedCall(t, "proxy_uac_busy.xml", "proxy_uas_busy.xml")
}
