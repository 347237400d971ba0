package proxy

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// midCallSetup starts a proxy that leaves calls unanchored
// (AnchorOnRecord, policy: on demand) and runs call "dlg" from uac
// (caller at 127.0.0.2:4000) to uas (callee at 127.0.0.3:5000) through
// it, checking that neither SDP was touched.
func midCallSetup(t *testing.T, timeout time.Duration) (s *Server, a recAnchor, uac, uas *peer, route string) {
	t.Helper()
	m, _ := newManager(t)
	uas, uac = newPeer(t), newPeer(t)
	r, _ := NewStaticRouter([]StaticRule{{Destination: "sip:" + uas.addr()}})
	a = recAnchor{ManagerAnchor{M: m}, make(chan string, 1)}
	s = startServer(t, Config{Router: r, Anchor: a, AnchorOnRecord: true, ReinviteTimeout: timeout,
		Recording: func(context.Context, Call) Decision { return Decision{OnDemand: true, Profile: "p"} }})
	px := s.Addr("udp")
	offer, answer := sdpBody("127.0.0.2", 4000, ""), sdpBody("127.0.0.3", 5000, "")
	uac.send(px, withSDP(inviteFrom(uac, "sip:bob@"+px, "dlg", ""), offer))
	inv := uas.expect("INVITE")
	if string(inv.Body()) != offer {
		t.Fatalf("unanchored call: offer changed:\n%s", inv.Body())
	}
	route = inv.(*sip.Request).RecordRoute().Address.String()
	uas.replySDP(inv, "u1", answer)
	if ok := uac.expect("SIP/2.0 200"); string(ok.Body()) != answer {
		t.Fatalf("unanchored call: answer changed:\n%s", ok.Body())
	}
	uac.send(px, inDialog(uac, "ACK", "sip:x@"+uas.addr(), route, "a1", "u1", 1, ""))
	uas.expect("ACK")
	if cs := s.Calls(); len(cs) != 1 || cs[0].Anchored || cs[0].Recording || cs[0].Answered.IsZero() {
		t.Fatalf("calls %+v, want one answered, unanchored", cs)
	}
	if _, err := m.Query("dlg", "a1", "u1", 1); err == nil {
		t.Fatalf("node has streams for an unanchored call")
	}
	return s, a, uac, uas, route
}

func recordAsync(s *Server) <-chan error {
	done := make(chan error, 1)
	go func() { done <- s.Record(context.Background(), "dlg", RecordOptions{}) }()
	return done
}

func cseqOf(m sip.Message) uint32 {
	switch v := m.(type) {
	case *sip.Request:
		return v.CSeq().SeqNo
	case *sip.Response:
		return v.CSeq().SeqNo
	}
	return 0
}

// TestMidCallAnchor: Record on an unanchored call sends a re-INVITE
// without SDP to the caller (as the callee), offers the node to the
// callee with the caller's SDP rewritten, ACKs the caller with the
// callee's answer rewritten, and starts the recording. Afterwards the
// proxy rewrites CSeq in both directions (a re-INVITE from the caller,
// a BYE from the callee) and back in their responses.
func TestMidCallAnchor(t *testing.T) {
	s, a, uac, uas, route := midCallSetup(t, 5*time.Second)
	m := a.M
	px := s.Addr("udp")
	done := recordAsync(s)

	re1 := uac.expect("INVITE").(*sip.Request)
	if len(re1.Body()) != 0 || tag(re1.From().Params) != "u1" || tag(re1.To().Params) != "a1" ||
		re1.Recipient.String() != "sip:alice@"+uac.addr() || re1.Contact().Address.String() != "sip:x@"+uas.addr() || re1.CSeq().SeqNo != 1 {
		t.Fatalf("re-INVITE to the caller:\n%s", re1)
	}
	uac.replySDP(re1, "", sdpBody("127.0.0.2", 4000, ""))

	re2 := uas.expect("INVITE").(*sip.Request)
	ip, toCallee := mediaOf(t, re2)
	if ip != "127.0.0.1" || tag(re2.From().Params) != "a1" || tag(re2.To().Params) != "u1" || re2.CSeq().SeqNo != 2 ||
		re2.Contact().Address.String() != "sip:alice@"+uac.addr() {
		t.Fatalf("re-INVITE to the callee (want the node's address, CSeq 2):\n%s", re2)
	}
	uas.replySDP(re2, "", sdpBody("127.0.0.3", 5000, ""))
	if ack := uas.expect("ACK"); len(ack.Body()) != 0 || cseqOf(ack) != 2 {
		t.Errorf("callee's ACK:\n%s", ack)
	}
	ack := uac.expect("ACK")
	ip, toCaller := mediaOf(t, ack)
	if ip != "127.0.0.1" || toCaller == toCallee || cseqOf(ack) != 1 {
		t.Errorf("caller's ACK (want the node's other port, CSeq 1):\n%s", ack)
	}
	if err := <-done; err != nil {
		t.Fatalf("Record: %v", err)
	}
	if got := <-a.recorded; got != "dlg a1 u1 p callee-first=false" {
		t.Errorf("Record(%s)", got)
	}
	st, err := m.Query("dlg", "a1", "u1", 1)
	if err != nil || st.Legs[0].Remote.String() != "127.0.0.2:4000" || st.Legs[1].Remote.String() != "127.0.0.3:5000" {
		t.Fatalf("node streams %+v %v", st.Legs, err)
	}
	if cs := s.Calls(); len(cs) != 1 || !cs[0].Anchored || !cs[0].Recording {
		t.Errorf("calls %+v, want anchored and recording", cs)
	}
	if st := s.Stats(); st.MidCallAnchored != 1 || st.MidCallFailures != 0 {
		t.Errorf("stats %+v", st)
	}
	if err := s.Record(context.Background(), "dlg", RecordOptions{}); err != nil {
		t.Errorf("second Record: %v", err)
	}

	// The caller's next re-INVITE (its CSeq 2) reaches the callee as 3,
	// above the proxy's 2; the 200 comes back as 2, the ACK goes as 3.
	calleeURI, callerURI := "sip:x@"+uas.addr(), "sip:alice@"+uac.addr()
	uac.send(px, inDialog(uac, "INVITE", calleeURI, route, "a1", "u1", 2, sdpBody("127.0.0.2", 4000, "a=sendonly\r\n")))
	re := uas.expect("INVITE")
	if cseqOf(re) != 3 {
		t.Errorf("caller's re-INVITE CSeq 2 forwarded as %d, want 3", cseqOf(re))
	}
	if ip, port := mediaOf(t, re); ip != "127.0.0.1" || port != toCallee {
		t.Errorf("caller's re-INVITE reached the callee with %s:%d, want the node's %d", ip, port, toCallee)
	}
	uas.replySDP(re, "", sdpBody("127.0.0.3", 5000, ""))
	if ok := uac.expect("SIP/2.0 200"); cseqOf(ok) != 2 {
		t.Errorf("200 to the caller's re-INVITE has CSeq %d, want 2", cseqOf(ok))
	}
	uac.send(px, inDialog(uac, "ACK", calleeURI, route, "a1", "u1", 2, ""))
	if ack := uas.expect("ACK"); cseqOf(ack) != 3 {
		t.Errorf("ACK CSeq %d, want 3", cseqOf(ack))
	}
	// The callee's first request (CSeq 1) reaches the caller above the
	// proxy's 1 in that direction; its 200 comes back as 1.
	uas.send(px, inDialog(uas, "BYE", callerURI, route, "u1", "a1", 1, ""))
	bye := uac.expect("BYE")
	if cseqOf(bye) <= 1 {
		t.Errorf("callee's BYE CSeq 1 forwarded as %d, want > 1", cseqOf(bye))
	}
	uac.reply(bye, 200, "OK", "")
	if ok := uas.expect("SIP/2.0 200"); cseqOf(ok) != 1 {
		t.Errorf("200 to the callee's BYE has CSeq %d, want 1", cseqOf(ok))
	}
	if _, err := m.Query("dlg", "a1", "u1", 1); err == nil {
		t.Errorf("media left after BYE")
	}
}

// TestMidCallGlare: a 491 from the caller leaves the call as it was;
// a 491 from the callee after the caller's offer gets the caller ACKed
// with the callee's old SDP and the node's streams deleted. Both count a
// failure, and the CSeq numbers the proxy used stay accounted for.
func TestMidCallGlare(t *testing.T) {
	t.Run("caller", func(t *testing.T) {
		s, a, uac, uas, route := midCallSetup(t, 5*time.Second)
		done := recordAsync(s)
		re1 := uac.expect("INVITE")
		uac.reply(re1, 491, "Request Pending", "")
		uac.expect("ACK") // hop-by-hop ACK of the 491
		if err := <-done; !errors.Is(err, ErrMidCallAnchor) {
			t.Fatalf("Record: %v, want ErrMidCallAnchor", err)
		}
		checkUnanchored(t, s, a)
		// The caller's BYE (CSeq 2) needs no rewriting: the proxy sent
		// nothing in that direction.
		uac.send(s.Addr("udp"), inDialog(uac, "BYE", "sip:x@"+uas.addr(), route, "a1", "u1", 2, ""))
		if bye := uas.expect("BYE"); cseqOf(bye) != 2 {
			t.Errorf("BYE CSeq %d, want 2", cseqOf(bye))
		}
	})
	t.Run("callee", func(t *testing.T) {
		s, a, uac, uas, route := midCallSetup(t, 5*time.Second)
		done := recordAsync(s)
		re1 := uac.expect("INVITE")
		uac.replySDP(re1, "", sdpBody("127.0.0.2", 4000, ""))
		re2 := uas.expect("INVITE")
		uas.reply(re2, 491, "Request Pending", "")
		ack := uac.expect("ACK")
		if ip, port := mediaOf(t, ack); ip != "127.0.0.3" || port != 5000 {
			t.Errorf("caller ACKed with %s:%d, want the callee's own 127.0.0.3:5000", ip, port)
		}
		if err := <-done; !errors.Is(err, ErrMidCallAnchor) {
			t.Fatalf("Record: %v, want ErrMidCallAnchor", err)
		}
		checkUnanchored(t, s, a)
		// The caller's next request (CSeq 2) goes above the proxy's 2.
		uac.send(s.Addr("udp"), inDialog(uac, "BYE", "sip:x@"+uas.addr(), route, "a1", "u1", 2, ""))
		bye := uas.expect("BYE")
		if cseqOf(bye) != 3 {
			t.Errorf("BYE CSeq %d, want 3", cseqOf(bye))
		}
		uas.reply(bye, 200, "OK", "")
		if ok := uac.expect("SIP/2.0 200"); cseqOf(ok) != 2 {
			t.Errorf("200 to BYE CSeq %d, want 2", cseqOf(ok))
		}
	})
}

// TestMidCallTimeout: a caller that never answers the re-INVITE makes
// Record fail after ReinviteTimeout (the proxy CANCELs it); the call
// stays unanchored.
func TestMidCallTimeout(t *testing.T) {
	s, a, uac, _, _ := midCallSetup(t, 400*time.Millisecond)
	start := time.Now()
	done := recordAsync(s)
	uac.expect("INVITE")
	if err := <-done; !errors.Is(err, ErrMidCallAnchor) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Record: %v, want ErrMidCallAnchor with a deadline", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Record took %v with a 400ms timeout", d)
	}
	checkUnanchored(t, s, a)
}

func checkUnanchored(t *testing.T, s *Server, a recAnchor) {
	t.Helper()
	if cs := s.Calls(); len(cs) != 1 || cs[0].Anchored || cs[0].Recording {
		t.Errorf("calls %+v, want one unanchored", cs)
	}
	if _, err := a.M.Query("dlg", "a1", "u1", 1); err == nil {
		t.Errorf("node streams left after a failed mid-call anchoring")
	}
	if st := s.Stats(); st.MidCallFailures != 1 || st.MidCallAnchored != 0 {
		t.Errorf("stats %+v", st)
	}
	select {
	case r := <-a.recorded:
		t.Errorf("recording started: %s", r)
	default:
	}
}

// TestRecordOnDemand: with every call anchored (AnchorOnRecord false),
// Record starts the recording without any re-INVITE and StopRecord stops
// it; Record answers ErrNotAnswered while the call rings, ErrNoCall for
// an unknown Call-ID, and ErrRecordingRefused when the policy excludes
// the call.
func TestRecordOnDemand(t *testing.T) {
	for _, refuse := range []bool{false, true} {
		m, _ := newManager(t)
		uas, uac := newPeer(t), newPeer(t)
		r, _ := NewStaticRouter([]StaticRule{{Destination: "sip:" + uas.addr()}})
		a := recAnchor{ManagerAnchor{M: m}, make(chan string, 1)}
		s := startServer(t, Config{Router: r, Anchor: a, Recording: func(context.Context, Call) Decision {
			return Decision{OnDemand: !refuse}
		}})
		ctx := context.Background()
		px := s.Addr("udp")
		uac.send(px, withSDP(inviteFrom(uac, "sip:bob@"+px, "dlg", ""), sdpBody("127.0.0.2", 4000, "")))
		inv := uas.expect("INVITE")
		if err := s.Record(ctx, "dlg", RecordOptions{}); !errors.Is(err, ErrNotAnswered) {
			t.Errorf("Record while ringing: %v", err)
		}
		if err := s.Record(ctx, "other", RecordOptions{}); !errors.Is(err, ErrNoCall) {
			t.Errorf("Record of an unknown call: %v", err)
		}
		uas.replySDP(inv, "u1", sdpBody("127.0.0.3", 5000, ""))
		uac.expect("SIP/2.0 200")
		if cs := s.Calls(); len(cs) != 1 || !cs[0].Anchored || cs[0].Recording {
			t.Fatalf("calls %+v, want one anchored, not recording", cs)
		}
		err := s.Record(ctx, "dlg", RecordOptions{Profile: "adhoc", Labels: map[string]string{"k": "v"}, Keywords: []string{"cancel"}})
		if refuse {
			if !errors.Is(err, ErrRecordingRefused) {
				t.Errorf("Record of an excluded call: %v", err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if got := <-a.recorded; got != "dlg a1 u1 adhoc callee-first=false keywords=cancel" {
			t.Errorf("Record(%s)", got)
		}
		if cs := s.Calls(); !cs[0].Recording {
			t.Errorf("calls %+v, want recording", cs)
		}
		if err := s.StopRecord(ctx, "dlg"); err != nil {
			t.Fatal(err)
		}
		if cs := s.Calls(); !cs[0].Anchored || cs[0].Recording {
			t.Errorf("after StopRecord: %+v, want anchored, not recording", cs)
		}
		if st := s.Stats(); st.MidCallAnchored != 0 {
			t.Errorf("an anchored call was re-INVITEd: %+v", st)
		}
	}
}

// TestUnanchoredReinvite: a party's own re-INVITE in a call left
// unanchored passes untouched (no half-anchored call), and the SDP it
// carries is what a failed mid-call anchoring later restores.
func TestUnanchoredReinvite(t *testing.T) {
	s, a, uac, uas, route := midCallSetup(t, 5*time.Second)
	px := s.Addr("udp")
	offer, answer := sdpBody("127.0.0.2", 4002, "a=sendonly\r\n"), sdpBody("127.0.0.3", 5002, "a=recvonly\r\n")
	uac.send(px, inDialog(uac, "INVITE", "sip:x@"+uas.addr(), route, "a1", "u1", 2, offer))
	re := uas.expect("INVITE")
	if string(re.Body()) != offer || cseqOf(re) != 2 {
		t.Fatalf("re-INVITE of an unanchored call changed:\n%s", re)
	}
	uas.replySDP(re, "", answer)
	if ok := uac.expect("SIP/2.0 200"); string(ok.Body()) != answer {
		t.Fatalf("answer changed:\n%s", ok.Body())
	}
	uac.send(px, inDialog(uac, "ACK", "sip:x@"+uas.addr(), route, "a1", "u1", 2, ""))
	uas.expect("ACK")
	if _, err := a.M.Query("dlg", "a1", "u1", 1); err == nil {
		t.Fatalf("the node has streams after a re-INVITE of an unanchored call")
	}
	// Mid-call anchoring fails at the callee: the caller gets the
	// callee's latest SDP back.
	done := recordAsync(s)
	uac.replySDP(uac.expect("INVITE"), "", sdpBody("127.0.0.2", 4002, ""))
	uas.reply(uas.expect("INVITE"), 488, "Not Acceptable Here", "")
	if ack := uac.expect("ACK"); string(ack.Body()) != answer {
		t.Errorf("caller ACKed with\n%s\nwant the callee's latest SDP", ack.Body())
	}
	if err := <-done; !errors.Is(err, ErrMidCallAnchor) {
		t.Fatalf("Record: %v", err)
	}
	checkUnanchored(t, s, a)
}
