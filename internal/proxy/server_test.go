package proxy

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// peer is a raw SIP endpoint on a UDP socket, for driving the proxy
// message by message.
type peer struct {
	t    testing.TB
	conn *net.UDPConn
	from string // source of the last message expect returned
}

func newPeer(t testing.TB) *peer {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &peer{t: t, conn: c}
}

func (p *peer) addr() string { return p.conn.LocalAddr().String() }

func (p *peer) send(to string, msg string) {
	p.t.Helper()
	a, err := net.ResolveUDPAddr("udp", to)
	if err != nil {
		p.t.Fatal(err)
	}
	if _, err := p.conn.WriteToUDP([]byte(msg), a); err != nil {
		p.t.Fatal(err)
	}
}

// expect reads messages until one whose first line starts with prefix
// arrives (others, such as retransmissions and 100 Trying, are skipped),
// failing after 5 s.
func (p *peer) expect(prefix string) sip.Message {
	p.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	buf := make([]byte, 65535)
	for {
		p.conn.SetReadDeadline(deadline)
		n, src, err := p.conn.ReadFromUDP(buf)
		if err != nil {
			p.t.Fatalf("%s: waiting for %q: %v", p.addr(), prefix, err)
		}
		if strings.HasPrefix(string(buf[:n]), prefix) {
			m, err := sip.ParseMessage(append([]byte(nil), buf[:n]...))
			if err != nil {
				p.t.Fatalf("parse %q: %v", buf[:n], err)
			}
			p.from = src.String()
			return m
		}
	}
}

// reply sends a response to req back to its top Via.
func (p *peer) reply(req sip.Message, code int, reason, toTag string) {
	p.t.Helper()
	r := req.(*sip.Request)
	res := sip.NewResponseFromRequest(r, code, reason, nil)
	if toTag != "" && tag(r.To().Params) == "" {
		res.To().Params.Remove("tag")
		res.To().Params.Add("tag", toTag)
	}
	v := r.Via()
	p.send(fmt.Sprintf("%s:%d", v.Host, v.Port), res.String())
}

func startServer(t testing.TB, cfg Config) *Server {
	t.Helper()
	cfg.UDP = "127.0.0.1:0"
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Serve(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return s
}

func inviteFrom(p *peer, ruri, callID string, extra string) string {
	return "INVITE " + ruri + " SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP " + p.addr() + ";branch=z9hG4bK-" + callID + "\r\n" +
		"From: <sip:alice@" + p.addr() + ">;tag=a1\r\nTo: <" + ruri + ">\r\n" +
		"Call-ID: " + callID + "\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@" + p.addr() + ">\r\n" +
		extra + "Content-Length: 0\r\n\r\n"
}

func TestMaxForwardsAndLoop(t *testing.T) {
	uas := newPeer(t)
	r, _ := NewStaticRouter([]StaticRule{{Destination: "sip:" + uas.addr()}})
	s := startServer(t, Config{Router: r})
	uac := newPeer(t)
	uac.send(s.Addr("udp"), inviteFrom(uac, "sip:bob@"+s.Addr("udp"), "mf0", "Max-Forwards: 0\r\n"))
	uac.expect("SIP/2.0 483")
	looped := strings.Replace(inviteFrom(uac, "sip:bob@"+s.Addr("udp"), "loop", "Max-Forwards: 5\r\n"),
		"Via: ", "Via: SIP/2.0/UDP "+s.Addr("udp")+";branch=z9hG4bK-x\r\nVia: ", 1)
	uac.send(s.Addr("udp"), looped)
	uac.expect("SIP/2.0 482")
}

// TestRegisteredForkBusyAndCancel registers two contacts for bob; a call
// to bob forks to both (RFC 3261 §16.6); when one answers 200 the other is
// CANCELled. A second call answered 486 by both comes back 486, and a
// third call cancelled by the caller ends 487 with a CANCEL downstream.
func TestRegisteredForkBusyAndCancel(t *testing.T) {
	reg := NewRegistrar()
	s := startServer(t, Config{Router: LocationRouter{reg}, Locations: reg})
	px := s.Addr("udp")
	uac, b1, b2 := newPeer(t), newPeer(t), newPeer(t)
	for i, b := range []*peer{b1, b2} {
		b.send(px, fmt.Sprintf("REGISTER sip:%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-r%d\r\n"+
			"From: <sip:bob@%s>;tag=r\r\nTo: <sip:bob@%s>\r\nCall-ID: reg%d\r\nCSeq: 1 REGISTER\r\n"+
			"Contact: <sip:bob@%s>\r\nExpires: 60\r\nContent-Length: 0\r\n\r\n", px, b.addr(), i, px, px, i, b.addr()))
		b.expect("SIP/2.0 200")
	}

	// Call 1: fork, b2 answers, b1 is cancelled.
	uac.send(px, inviteFrom(uac, "sip:bob@"+px, "fork1", "Max-Forwards: 70\r\n"))
	inv1, inv2 := b1.expect("INVITE"), b2.expect("INVITE")
	if b1.from != px {
		t.Errorf("INVITE forwarded from %s, want the proxy's socket %s", b1.from, px)
	}
	for _, inv := range []sip.Message{inv1, inv2} {
		r := inv.(*sip.Request)
		if r.RecordRoute() == nil || !strings.Contains(r.RecordRoute().Address.String(), px) {
			t.Errorf("forked INVITE without this proxy's Record-Route:\n%s", r)
		}
		if r.MaxForwards().Val() != 69 {
			t.Errorf("Max-Forwards %d, want 69", r.MaxForwards().Val())
		}
	}
	b1.reply(inv1, 180, "Ringing", "b1")
	uac.expect("SIP/2.0 180")
	b2.reply(inv2, 200, "OK", "b2")
	ok := uac.expect("SIP/2.0 200").(*sip.Response)
	if tag(ok.To().Params) != "b2" || ok.Via().Host != "127.0.0.1" || len(ok.GetHeaders("Via")) != 1 {
		t.Errorf("200 relayed wrong:\n%s", ok)
	}
	cancel := b1.expect("CANCEL")
	b1.reply(cancel, 200, "OK", "")
	b1.reply(inv1, 487, "Request Terminated", "b1")
	b1.expect("ACK") // hop-by-hop ACK for the 487, from the proxy

	// Call 2: both busy.
	uac.send(px, inviteFrom(uac, "sip:bob@"+px, "busy2", ""))
	inv1, inv2 = b1.expect("INVITE"), b2.expect("INVITE")
	b1.reply(inv1, 486, "Busy Here", "b1")
	b2.reply(inv2, 486, "Busy Here", "b2")
	uac.expect("SIP/2.0 486")
	b1.expect("ACK")
	b2.expect("ACK")

	// Call 3: the caller cancels while both ring.
	invite3 := inviteFrom(uac, "sip:bob@"+px, "cancel3", "")
	uac.send(px, invite3)
	inv1, inv2 = b1.expect("INVITE"), b2.expect("INVITE")
	b1.reply(inv1, 180, "Ringing", "b1")
	b2.reply(inv2, 180, "Ringing", "b2")
	uac.expect("SIP/2.0 180")
	cancelReq := strings.Replace(strings.Replace(invite3, "INVITE sip", "CANCEL sip", 1), "CSeq: 1 INVITE", "CSeq: 1 CANCEL", 1)
	uac.send(px, cancelReq)
	uac.expect("SIP/2.0 200")
	uac.expect("SIP/2.0 487")
	for _, p := range []struct {
		b   *peer
		inv sip.Message
	}{{b1, inv1}, {b2, inv2}} {
		c := p.b.expect("CANCEL")
		p.b.reply(c, 200, "OK", "")
		p.b.reply(p.inv, 487, "Request Terminated", "x")
		p.b.expect("ACK")
	}
}
