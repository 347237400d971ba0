package proxy

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/callrec/callrec/internal/nettest"
)

// streamPeer is a raw SIP endpoint on one TLS connection.
type streamPeer struct {
	t    testing.TB
	conn net.Conn
	r    *textproto.Reader
}

func newStreamPeer(t testing.TB, c net.Conn) *streamPeer {
	t.Cleanup(func() { c.Close() })
	return &streamPeer{t: t, conn: c, r: textproto.NewReader(bufio.NewReader(c))}
}

func (p *streamPeer) addr() string { return p.conn.LocalAddr().String() }

func (p *streamPeer) send(msg string) {
	p.t.Helper()
	if _, err := io.WriteString(p.conn, msg); err != nil {
		p.t.Fatal(err)
	}
}

// expect reads messages until one whose first line starts with prefix,
// failing after 5 s.
func (p *streamPeer) expect(prefix string) sip.Message {
	p.t.Helper()
	p.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		var head strings.Builder
		length := 0
		for {
			line, err := p.r.ReadLine()
			if err != nil {
				p.t.Fatalf("%s: waiting for %q: %v", p.addr(), prefix, err)
			}
			if line == "" && head.Len() == 0 {
				continue // keep-alive CRLF
			}
			if line == "" {
				break
			}
			if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(strings.TrimSpace(k), "Content-Length") {
				length, _ = strconv.Atoi(strings.TrimSpace(v))
			}
			head.WriteString(line + "\r\n")
		}
		body := make([]byte, length)
		if _, err := io.ReadFull(p.r.R, body); err != nil {
			p.t.Fatal(err)
		}
		if !strings.HasPrefix(head.String(), prefix) {
			continue
		}
		m, err := sip.ParseMessage(append([]byte(head.String()+"\r\n"), body...))
		if err != nil {
			p.t.Fatalf("parse %q: %v", head.String(), err)
		}
		return m
	}
}

// reply answers req on the connection.
func (p *streamPeer) reply(req sip.Message, code int, reason, toTag string) {
	p.t.Helper()
	r := req.(*sip.Request)
	res := sip.NewResponseFromRequest(r, code, reason, nil)
	if toTag != "" && tag(r.To().Params) == "" {
		res.To().Params.Remove("tag")
		res.To().Params.Add("tag", toTag)
	}
	p.send(res.String())
}

func headerValues(m sip.Message, name string) []string {
	var out []string
	for _, h := range m.GetHeaders(name) {
		out = append(out, h.Value())
	}
	return out
}

// TestTLSCallerToUDPCallee: a caller on TLS (certificate from a CA made
// here) calls a callee on UDP. The INVITE is record-routed once per
// transport, the 200 comes back on the caller's connection, the ACK
// follows the route set, and the callee's BYE reaches the caller over
// its TLS connection (no listener on the caller's side).
func TestTLSCallerToUDPCallee(t *testing.T) {
	ca := nettest.NewCA(t)
	uas := newPeer(t)
	r, _ := NewStaticRouter([]StaticRule{{Destination: "sip:" + uas.addr()}})
	s := startServer(t, Config{Router: r, TLS: "127.0.0.1:0",
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{ca.Leaf(t, "127.0.0.1")}}})
	px := s.Addr("tls")
	conn, err := tls.Dial("tcp", px, &tls.Config{RootCAs: ca.Pool, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatalf("TLS handshake with the proxy: %v", err)
	}
	uac := newStreamPeer(t, conn)
	local := uac.addr()
	ruri := "sip:bob@" + px + ";transport=tls"
	contact := "<sip:alice@" + local + ";transport=tls>"
	uac.send("INVITE " + ruri + " SIP/2.0\r\n" +
		"Via: SIP/2.0/TLS " + local + ";branch=z9hG4bK-tls1\r\n" +
		"From: <sip:alice@" + local + ">;tag=a1\r\nTo: <" + ruri + ">\r\n" +
		"Call-ID: tls1\r\nCSeq: 1 INVITE\r\nContact: " + contact + "\r\n" +
		"Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n")

	inv := uas.expect("INVITE").(*sip.Request)
	rr := headerValues(inv, "Record-Route")
	if len(rr) != 2 || !strings.Contains(rr[0], "transport=udp") || !strings.Contains(rr[1], s.Addr("tls")+";transport=tls") {
		t.Fatalf("Record-Route %q, want the UDP side then the TLS side", rr)
	}
	if v := inv.Via(); v.Transport != "UDP" || len(inv.GetHeaders("Via")) != 2 {
		t.Errorf("INVITE forwarded with Via %v", headerValues(inv, "Via"))
	}
	ok := sip.NewResponseFromRequest(inv, 200, "OK", nil)
	ok.To().Params.Add("tag", "b1")
	ok.AppendHeader(sip.NewHeader("Contact", "<sip:bob@"+uas.addr()+">"))
	v := inv.Via()
	uas.send(fmt.Sprintf("%s:%d", v.Host, v.Port), ok.String())

	res := uac.expect("SIP/2.0 200").(*sip.Response)
	if got := headerValues(res, "Record-Route"); len(got) != 2 || len(res.GetHeaders("Via")) != 1 {
		t.Fatalf("200 on the TLS connection: Record-Route %q, Via %q", got, headerValues(res, "Via"))
	}
	// The caller's route set is the Record-Route reversed (RFC 3261
	// §12.1.2): the TLS side first.
	uac.send("ACK sip:bob@" + uas.addr() + " SIP/2.0\r\n" +
		"Via: SIP/2.0/TLS " + local + ";branch=z9hG4bK-tls1ack\r\n" +
		"Route: " + rr[1] + "\r\nRoute: " + rr[0] + "\r\n" +
		"From: <sip:alice@" + local + ">;tag=a1\r\nTo: <" + ruri + ">;tag=b1\r\n" +
		"Call-ID: tls1\r\nCSeq: 1 ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n")
	if ack := uas.expect("ACK").(*sip.Request); ack.Route() != nil {
		t.Errorf("ACK reached the callee with Route %q", headerValues(ack, "Route"))
	}

	// The callee hangs up: its route set is the Record-Route as is.
	uas.send(s.Addr("udp"), "BYE sip:alice@"+local+";transport=tls SIP/2.0\r\n"+
		"Via: SIP/2.0/UDP "+uas.addr()+";branch=z9hG4bK-tls1bye\r\n"+
		"Route: "+rr[0]+"\r\nRoute: "+rr[1]+"\r\n"+
		"From: <sip:bob@"+uas.addr()+">;tag=b1\r\nTo: <sip:alice@"+local+">;tag=a1\r\n"+
		"Call-ID: tls1\r\nCSeq: 1 BYE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n")
	bye := uac.expect("BYE").(*sip.Request)
	if bye.Via().Transport != "TLS" {
		t.Errorf("BYE reached the caller with Via %q", headerValues(bye, "Via"))
	}
	uac.reply(bye, 200, "OK", "")
	uas.expect("SIP/2.0 200")
}

// TestTLSCallee: targets with transport=tls are reached over TLS and
// their certificate verified against ClientTLSConfig's roots. A callee
// whose certificate another CA signed is not called (503), and without a
// TLS listener the proxy refuses to downgrade a sips: target (503).
func TestTLSCallee(t *testing.T) {
	ca := nettest.NewCA(t)
	listen := func(ca *nettest.CA) net.Listener {
		l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{ca.Leaf(t, "127.0.0.1")}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		return l
	}
	good, bad := listen(ca), listen(nettest.NewCA(t))
	r, _ := NewStaticRouter([]StaticRule{
		{Prefix: "good", Destination: "sip:" + good.Addr().String() + ";transport=tls"},
		{Prefix: "bad", Destination: "sip:" + bad.Addr().String() + ";transport=tls"},
	})
	s := startServer(t, Config{Router: r, TLS: "127.0.0.1:0",
		TLSConfig:       &tls.Config{Certificates: []tls.Certificate{ca.Leaf(t, "127.0.0.1")}},
		ClientTLSConfig: &tls.Config{RootCAs: ca.Pool}})
	uac := newPeer(t)
	px := s.Addr("udp")

	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := good.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	uac.send(px, inviteFrom(uac, "sip:good@"+px, "tlsout1", "Max-Forwards: 70\r\n"))
	var c net.Conn
	select {
	case c = <-accepted:
	case <-time.After(5 * time.Second):
		t.Fatal("the proxy did not connect to the TLS callee")
	}
	uas := newStreamPeer(t, c)
	inv := uas.expect("INVITE").(*sip.Request)
	rr := headerValues(inv, "Record-Route")
	if inv.Via().Transport != "TLS" || len(rr) != 2 || !strings.Contains(rr[0], s.Addr("tls")+";transport=tls") ||
		!strings.Contains(rr[1], "transport=udp") {
		t.Errorf("INVITE over TLS: Via %q, Record-Route %q", headerValues(inv, "Via"), rr)
	}
	uas.reply(inv, 486, "Busy Here", "b1")
	uac.expect("SIP/2.0 486")
	uas.expect("ACK")

	// The bad callee's handshake fails in the proxy: nothing is sent.
	go func() {
		if c, err := bad.Accept(); err == nil {
			c.(*tls.Conn).Handshake() // answers the proxy, which refuses our certificate
			c.Close()
		}
	}()
	uac.send(px, inviteFrom(uac, "sip:bad@"+px, "tlsout2", "Max-Forwards: 70\r\n"))
	uac.expect("SIP/2.0 503")

	// No TLS listener: a sips: target is not downgraded.
	r2, _ := NewStaticRouter([]StaticRule{{Destination: "sips:" + good.Addr().String()}})
	s2 := startServer(t, Config{Router: r2, ClientTLSConfig: &tls.Config{RootCAs: ca.Pool}})
	uac.send(s2.Addr("udp"), inviteFrom(uac, "sip:good@"+s2.Addr("udp"), "tlsout3", "Max-Forwards: 70\r\n"))
	uac.expect("SIP/2.0 503")
}

// TestTLSHandshakeTimeout: a client that connects to the TLS listener
// and never starts the handshake is disconnected after handshakeTimeout;
// others are served meanwhile.
func TestTLSHandshakeTimeout(t *testing.T) {
	// Restored by a cleanup registered before the server's: cleanups
	// run last first, so the server has stopped reading it by then.
	saved := handshakeTimeout
	t.Cleanup(func() { handshakeTimeout = saved })
	handshakeTimeout = 200 * time.Millisecond
	ca := nettest.NewCA(t)
	r, _ := NewStaticRouter([]StaticRule{{Destination: "sip:127.0.0.1:9"}})
	s := startServer(t, Config{Router: r, TLS: "127.0.0.1:0",
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{ca.Leaf(t, "127.0.0.1")}}})
	silent, err := net.Dial("tcp", s.Addr("tls"))
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	// Another client is served while the silent one waits.
	conn, err := tls.Dial("tcp", s.Addr("tls"), &tls.Config{RootCAs: ca.Pool, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatalf("handshake while another client is silent: %v", err)
	}
	conn.Close()
	silent.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	if _, err := silent.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("silent client: read %v, want the connection closed by the proxy", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("silent client closed after %v, want about %v", d, handshakeTimeout)
	}
}

func TestHopTransport(t *testing.T) {
	for _, c := range []struct {
		uri, tp string
		port    int
	}{
		{"sip:a@h", "UDP", 5060},
		{"sip:a@h:5070;transport=tcp", "TCP", 5070},
		{"sip:a@h;transport=TLS", "TLS", 5061},
		{"sips:a@h", "TLS", 5061},
		{"sips:a@h:5071;transport=tcp", "TLS", 5071},
	} {
		var u sip.Uri
		if err := sip.ParseUri(c.uri, &u); err != nil {
			t.Fatal(err)
		}
		if tp, port := hopTransport(u); tp != c.tp || port != c.port {
			t.Errorf("%s: %s %d, want %s %d", c.uri, tp, port, c.tp, c.port)
		}
	}
}
