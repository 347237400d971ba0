package proxy

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/sdp"
	"github.com/emiago/sipgo/sip"
)

// replySDP answers req with 200 carrying body and a Contact of p.
func (p *peer) replySDP(req sip.Message, toTag, body string) {
	p.t.Helper()
	r := req.(*sip.Request)
	res := sip.NewResponseFromRequest(r, 200, "OK", []byte(body))
	if tag(r.To().Params) == "" {
		res.To().Params.Remove("tag")
		res.To().Params.Add("tag", toTag)
	}
	ct := sip.ContentTypeHeader("application/sdp")
	res.AppendHeader(&ct)
	res.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "x", Host: "127.0.0.1", Port: p.conn.LocalAddr().(*net.UDPAddr).Port}})
	v := r.Via()
	p.send(fmt.Sprintf("%s:%d", v.Host, v.Port), res.String())
}

// inDialog builds a request within the dialog, from p to the peer whose
// Contact is ruri, through route.
func inDialog(p *peer, method, ruri, route, fromTag, toTag string, cseq int, body string) string {
	m := fmt.Sprintf("%s %s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-%s%d\r\nRoute: <%s>\r\n"+
		"From: <sip:%s@x>;tag=%s\r\nTo: <sip:%s@x>;tag=%s\r\nCall-ID: dlg\r\nCSeq: %d %s\r\n"+
		"Contact: <sip:p@%s>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
		method, ruri, p.addr(), strings.ToLower(method), cseq, route, fromTag, fromTag, toTag, toTag, cseq, method, p.addr())
	if method == "ACK" {
		m = strings.Replace(m, fmt.Sprintf("z9hG4bK-ack%d", cseq), "z9hG4bK-ack-e2e", 1)
	}
	if body != "" {
		m = withSDP(m, body)
	}
	return m
}

// recAnchor counts Record calls.
type recAnchor struct {
	ManagerAnchor
	recorded chan string
}

func (a recAnchor) Record(_ context.Context, c Call, d Decision) error {
	s := fmt.Sprintf("%s %s %s %s callee-first=%v", c.CallID, c.FromTag, c.ToTag, d.Profile, c.CalleeFirst)
	if d.Keywords != nil {
		s += fmt.Sprintf(" keywords=%s", strings.Join(d.Keywords, ","))
	}
	a.recorded <- s
	return nil
}

func mediaOf(t *testing.T, m sip.Message) (string, int) {
	t.Helper()
	s, err := sdp.Parse(m.Body())
	if err != nil {
		t.Fatalf("body: %v\n%s", err, m.Body())
	}
	return s.Connection(0).Address, s.Media[0].Port
}

// TestDialogHoldResume follows a call through the proxy: the offer and
// answer are anchored, the ACK and in-dialog requests follow the
// Record-Route, a re-INVITE to hold (c=0.0.0.0, RFC 2543) and one to
// resume re-signal the same node ports, and a BYE from the callee ends
// the media.
func TestDialogHoldResume(t *testing.T) {
	m, _ := newManager(t)
	uas, uac := newPeer(t), newPeer(t)
	r, _ := NewStaticRouter([]StaticRule{{Destination: "sip:" + uas.addr()}})
	policy := make(chan Call, 1)
	anchor := recAnchor{ManagerAnchor{M: m}, make(chan string, 1)}
	s := startServer(t, Config{Router: r, Anchor: anchor, Recording: func(_ context.Context, c Call) Decision {
		policy <- c
		return Decision{Record: true, Profile: "p1"}
	}})
	px := s.Addr("udp")

	uac.send(px, withSDP(inviteFrom(uac, "sip:bob@"+px, "dlg", ""), sdpBody("127.0.0.2", 4000, "")))
	inv := uas.expect("INVITE")
	ip, toCallee := mediaOf(t, inv)
	if ip != "127.0.0.1" {
		t.Fatalf("offer to the callee points at %s", ip)
	}
	route := inv.(*sip.Request).RecordRoute().Address.String()
	uas.replySDP(inv, "u1", sdpBody("127.0.0.3", 5000, ""))
	ok := uac.expect("SIP/2.0 200")
	ip, toCaller := mediaOf(t, ok)
	if ip != "127.0.0.1" || toCaller == toCallee {
		t.Fatalf("answer to the caller points at %s:%d (callee got %d)", ip, toCaller, toCallee)
	}
	select {
	case c := <-policy:
		if c.CallID != "dlg" || c.FromTag != "a1" || !strings.HasPrefix(c.Caller, "sip:alice@") || c.Callee != "sip:bob@"+px {
			t.Errorf("recording policy saw %+v", c)
		}
	default:
		t.Errorf("recording policy not consulted at the INVITE")
	}
	select {
	case got := <-anchor.recorded:
		if got != "dlg a1 u1 p1 callee-first=false" {
			t.Errorf("Record(%s)", got)
		}
	default:
		t.Errorf("Record not called for a call the policy chose")
	}
	calleeURI, callerURI := "sip:x@"+uas.addr(), "sip:p@"+uac.addr()
	uac.send(px, inDialog(uac, "ACK", calleeURI, route, "a1", "u1", 1, ""))
	uas.expect("ACK")

	for i, c := range []struct {
		ip, want string
	}{{"0.0.0.0", "0.0.0.0"}, {"127.0.0.2", "127.0.0.1"}} {
		cseq := 2 + i
		uac.send(px, inDialog(uac, "INVITE", calleeURI, route, "a1", "u1", cseq, sdpBody(c.ip, 4000, "a=sendonly\r\n")))
		reinv := uas.expect("INVITE")
		if ip, port := mediaOf(t, reinv); ip != c.want || port != toCallee {
			t.Errorf("re-INVITE %d reached the callee with %s:%d, want %s:%d", i, ip, port, c.want, toCallee)
		}
		uas.replySDP(reinv, "u1", sdpBody("127.0.0.3", 5000, ""))
		if ip, port := mediaOf(t, uac.expect("SIP/2.0 200")); ip != "127.0.0.1" || port != toCaller {
			t.Errorf("re-INVITE %d answer: %s:%d, want 127.0.0.1:%d", i, ip, port, toCaller)
		}
		uac.send(px, inDialog(uac, "ACK", calleeURI, route, "a1", "u1", cseq, ""))
		uas.expect("ACK")
		st, err := m.Query("dlg", "a1", "u1", 1)
		held := !st.Legs[0].Remote.IsValid() || st.Legs[0].Remote.Addr().IsUnspecified()
		if err != nil || held != (c.ip == "0.0.0.0") || !held && st.Legs[0].Remote.Addr().String() != c.ip {
			t.Errorf("node after re-INVITE %d: %+v %v, want caller at %s", i, st.Legs[0].Remote, err, c.ip)
		}
	}

	uas.send(px, inDialog(uas, "BYE", callerURI, route, "u1", "a1", 1, ""))
	bye := uac.expect("BYE")
	uac.reply(bye, 200, "OK", "")
	uas.expect("SIP/2.0 200")
	if _, err := m.Query("dlg", "a1", "u1", 1); err == nil {
		t.Errorf("media left after BYE")
	}
	if n := s.Stats().Dialogs; n != 0 {
		t.Errorf("%d calls still tracked after BYE", n)
	}
}

// TestLateOfferCalleeFirst: an INVITE without SDP is answered with the
// callee's offer, which creates the node's streams callee first; the
// Recorder is told so (the recorder swaps them back, so the caller stays
// on the left).
func TestLateOfferCalleeFirst(t *testing.T) {
	m, _ := newManager(t)
	uas, uac := newPeer(t), newPeer(t)
	r, _ := NewStaticRouter([]StaticRule{{Destination: "sip:" + uas.addr()}})
	anchor := recAnchor{ManagerAnchor{M: m}, make(chan string, 1)}
	s := startServer(t, Config{Router: r, Anchor: anchor, Recording: func(context.Context, Call) Decision {
		return Decision{Record: true}
	}})
	uac.send(s.Addr("udp"), inviteFrom(uac, "sip:bob@"+s.Addr("udp"), "late", ""))
	uas.replySDP(uas.expect("INVITE"), "u1", sdpBody("127.0.0.3", 5000, ""))
	if ip, _ := mediaOf(t, uac.expect("SIP/2.0 200")); ip != "127.0.0.1" {
		t.Errorf("late offer to the caller points at %s", ip)
	}
	select {
	case got := <-anchor.recorded:
		if got != "late a1 u1  callee-first=true" {
			t.Errorf("Record(%s)", got)
		}
	default:
		t.Fatal("Record not called")
	}
	st, err := m.Query("late", "a1", "u1", 1)
	if err != nil || st.Legs[0].Remote.String() != "127.0.0.3:5000" {
		t.Errorf("node's first leg %+v (%v), want the callee's offer", st.Legs[0].Remote, err)
	}
}

// TestTimerC: a callee that rings and never answers is CANCELled when
// InviteTimeout (Timer C) fires; the caller gets 408 and the media is
// deleted.
func TestTimerC(t *testing.T) {
	m, _ := newManager(t)
	uas, uac := newPeer(t), newPeer(t)
	r, _ := NewStaticRouter([]StaticRule{{Destination: "sip:" + uas.addr()}})
	s := startServer(t, Config{Router: r, Anchor: ManagerAnchor{M: m}, InviteTimeout: 300 * time.Millisecond})
	px := s.Addr("udp")
	uac.send(px, withSDP(inviteFrom(uac, "sip:bob@"+px, "timerc", ""), sdpBody("127.0.0.2", 4000, "")))
	inv := uas.expect("INVITE")
	if _, err := m.Query("timerc", "a1", "", 1); err != nil {
		t.Fatalf("no media stream after the offer: %v", err)
	}
	uas.reply(inv, 180, "Ringing", "u1")
	uac.expect("SIP/2.0 180")
	c := uas.expect("CANCEL")
	uas.reply(c, 200, "OK", "")
	uas.reply(inv, 487, "Request Terminated", "u1")
	uas.expect("ACK")
	uac.expect("SIP/2.0 408")
	if _, err := m.Query("timerc", "a1", "u1", 1); err == nil {
		t.Errorf("media left after Timer C")
	}
	if n := s.Stats().Dialogs; n != 0 {
		t.Errorf("%d calls still tracked", n)
	}
}
