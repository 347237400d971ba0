package test

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// TestKamailioMediaNode runs one call from a sipp UAC through a real
// Kamailio (rtpproxy module) to a sipp UAS, with the media anchored on the
// media node under test (`callrec media`, or $CALLREC_INTEROP_RTPPROXY).
// The UAC streams G.711 u-law; the UAS echoes what it receives. UAC
// (127.0.0.2), UAS (127.0.0.3) and the node (127.0.0.1) are on different
// loopback addresses and each sipp learns only the address in the SDP it
// receives, so RTP reaches the UAS, and its echo reaches the node, only if
// Kamailio rewrote the SDP to the node and the node relayed the caller's
// stream. The node's own Q counters must then show packets from both sides
// and more relayed packets than either side sent alone.
func TestKamailioMediaNode(t *testing.T) {
	RequireBinary(t, "kamailio", "kamailio")
	RequireBinary(t, "sipp", "sip-tester")
	for _, kind := range []string{"udp", "unix"} {
		t.Run(kind+"-control", func(t *testing.T) { kamailioCall(t, kind) })
	}
}

func kamailioCall(t *testing.T, controlKind string) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()

	node := StartMediaNode(t, controlKind)
	kam := StartKamailio(t, Testdata(t, "kamailio", "rtpproxy.cfg"),
		fmt.Sprintf("RTPP_SOCK=%q", node.Control.Addr))
	t.Logf("interop: media node %s on %s (control %s, ports %d-%d), kamailio on %s",
		node.Impl, node.IP, node.Control.Addr, node.PortMin, node.PortMax, kam.Addr)

	uas := StartSipp(t, SippConfig{
		Label:    "sipp uas",
		Scenario: Testdata(t, "sipp", "uas_echo.xml"),
		IP:       "127.0.0.3",
		RTPEcho:  true,
	})
	callID := fmt.Sprintf("callrec-interop-%s-%d", controlKind, os.Getpid())
	uac := StartSipp(t, SippConfig{
		Label:    "sipp uac",
		Scenario: Testdata(t, "sipp", "uac_rtp.xml"),
		IP:       "127.0.0.2",
		Remote:   kam.Addr,
		CallID:   callID + "-%u", // %u: call number, 1 for the only call
		Keys:     map[string]string{"target": uas.Addr()},
		Files:    map[string][]byte{"tone.ulaw": MulawTone(8000, 440, 8000)}, // 1 s, looped

	})
	callID += "-1"
	fromTag, toTag := "uactag1;1", "uastag1;1" // as the scenarios set them, with Kamailio's media number

	stats := waitRelayedBothWays(ctx, t, node, callID, fromTag, toTag, uac, uas)
	t.Logf("interop: %q -> %q (ttl %d, from caller side %d, from callee side %d, relayed %d, dropped %d)",
		stats.QueryUsed, stats.RawReply, stats.TTL, stats.PktsA, stats.PktsO, stats.Relayed, stats.Dropped)

	// Release the call: the UAC waits for an INFO on its call before BYE.
	sendInfo(t, uac, uas, callID)
	if err := uac.Proc.Wait(ctx); err != nil {
		t.Fatalf("interop: sipp uac: %v (exit %d)", err, uac.Proc.ExitCode())
	}
	if err := uas.Proc.Wait(ctx); err != nil {
		t.Fatalf("interop: sipp uas: %v (exit %d)", err, uas.Proc.ExitCode())
	}

	// Each side must have been told to send its media to the node.
	uasGot := receivedSDP(t, uas, "INVITE ")
	uacGot := receivedSDP(t, uac, "SIP/2.0 200")
	for _, c := range []struct {
		who string
		got MediaTarget
	}{{"UAS (offer)", uasGot}, {"UAC (answer)", uacGot}} {
		if c.got.IP != node.IP || !node.OwnsPort(c.got.Port) {
			t.Errorf("interop: SDP received by the %s points at %s:%d, want %s:%d-%d (the media node)",
				c.who, c.got.IP, c.got.Port, node.IP, node.PortMin, node.PortMax)
		}
	}
	if uasGot.Port == uacGot.Port {
		t.Errorf("interop: both legs were given port %d; the node must use one port per leg", uasGot.Port)
	}

	// Kamailio's rtpproxy_destroy on BYE ran before the 200 reached the
	// UAC, so the session must be gone now.
	qctx, qcancel := context.WithTimeout(ctx, 3*time.Second)
	defer qcancel()
	if s, err := node.Control.Query(qctx, callID, fromTag, toTag); err == nil {
		t.Errorf("interop: session still present after BYE: %q", s.RawReply)
	} else if !strings.Contains(err.Error(), "answered E") {
		t.Errorf("interop: Q after BYE: %v", err)
	}
	t.Logf("interop: %s call via %s control took %v", node.Impl, controlKind, time.Since(start).Round(time.Millisecond))
}

// waitRelayedBothWays polls the node's Q counters for the call until it has
// received packets from both sides and relayed more packets than either
// side sent (so both directions were relayed), or the deadline passes, or
// a sipp exits early.
func waitRelayedBothWays(ctx context.Context, t *testing.T, node *MediaNode, callID, fromTag, toTag string, peers ...*Sipp) SessionStats {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	var last SessionStats
	var lastErr error
	for {
		qctx, qcancel := context.WithTimeout(ctx, time.Second)
		s, err := node.Control.Query(qctx, callID, fromTag, toTag)
		qcancel()
		if err == nil {
			last, lastErr = s, nil
			if s.PktsA > 0 && s.PktsO > 0 && s.Relayed > max(s.PktsA, s.PktsO) {
				return s
			}
		} else {
			lastErr = err
		}
		for _, p := range peers {
			if ok, err := p.Proc.Exited(); ok {
				t.Fatalf("interop: %s exited during the call (%v); last Q: %q, %v", p.Proc.Name, err, last.RawReply, lastErr)
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("interop: media node did not relay both ways: last Q reply %q, error %v", last.RawReply, lastErr)
		case <-time.After(100 * time.Millisecond): // counters have no change notification; poll
		}
	}
}

// sendInfo sends the in-dialog INFO that the UAC scenario waits for before
// hanging up, straight to the UAC's SIP port (not through Kamailio).
func sendInfo(t *testing.T, uac, uas *Sipp, callID string) {
	t.Helper()
	conn, err := net.Dial("udp4", uac.Addr())
	if err != nil {
		t.Fatalf("interop: %v", err)
	}
	defer conn.Close()
	local := conn.LocalAddr().String()
	msg := fmt.Sprintf("INFO sip:uac@%s SIP/2.0\r\n"+
		"Via: SIP/2.0/UDP %s;branch=z9hG4bK-callrec-release\r\n"+
		"From: <sip:uas@%s>;tag=uastag1\r\n"+
		"To: <sip:uac@%s>;tag=uactag1\r\n"+
		"Call-ID: %s\r\n"+
		"CSeq: 10 INFO\r\n"+
		"Max-Forwards: 70\r\n"+
		"Content-Length: 0\r\n\r\n", uac.Addr(), local, uas.Addr(), uac.Addr(), callID)
	if _, err := conn.Write([]byte(msg)); err != nil {
		t.Fatalf("interop: send INFO to the UAC: %v", err)
	}
}

// receivedSDP returns the audio target of the first message sipp received
// whose start line begins with prefix.
func receivedSDP(t *testing.T, s *Sipp, prefix string) MediaTarget {
	t.Helper()
	msgs, err := s.ReceivedMessages()
	if err != nil {
		t.Fatalf("interop: %s message log: %v", s.Proc.Name, err)
	}
	for _, m := range msgs {
		if strings.HasPrefix(m, prefix) && strings.Contains(m, "\n\nv=0") {
			mt, err := SDPAudioTarget(m)
			if err != nil {
				t.Fatalf("interop: %s: %v in\n%s", s.Proc.Name, err, m)
			}
			return mt
		}
	}
	t.Fatalf("interop: %s received no %q with SDP (%d messages logged)", s.Proc.Name, prefix, len(msgs))
	return MediaTarget{}
}
