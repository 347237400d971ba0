package proxy

import (
	"bufio"
	"net"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// TestTCPToUDP: a caller on TCP reaches a callee on UDP. The proxy
// record-routes twice (RFC 5658 style), once per transport, and the
// callee's 486 comes back on the caller's TCP connection.
func TestTCPToUDP(t *testing.T) {
	uas := newPeer(t)
	r, _ := NewStaticRouter([]StaticRule{{Destination: "sip:" + uas.addr()}})
	cfg := Config{Router: r, TCP: "127.0.0.1:0"}
	s := startServer(t, cfg)
	conn, err := net.Dial("tcp", s.Addr("tcp"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	local := conn.LocalAddr().String()
	ruri := "sip:bob@" + s.Addr("tcp") + ";transport=tcp"
	msg := "INVITE " + ruri + " SIP/2.0\r\n" +
		"Via: SIP/2.0/TCP " + local + ";branch=z9hG4bK-tcp1\r\n" +
		"From: <sip:alice@" + local + ">;tag=t1\r\nTo: <" + ruri + ">\r\n" +
		"Call-ID: tcp1\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@" + local + ";transport=tcp>\r\n" +
		"Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
	if _, err := conn.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	inv := uas.expect("INVITE").(*sip.Request)
	var rr []string
	for _, h := range inv.GetHeaders("Record-Route") {
		rr = append(rr, h.Value())
	}
	if len(rr) != 2 || !strings.Contains(rr[0], "transport=udp") || !strings.Contains(rr[1], "transport=tcp") {
		t.Errorf("Record-Route %q, want the UDP side then the TCP side", rr)
	}
	uas.reply(inv, 486, "Busy Here", "b")
	uas.expect("ACK")

	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	tp := textproto.NewReader(bufio.NewReader(conn))
	for {
		line, err := tp.ReadLine()
		if err != nil {
			t.Fatalf("reading the TCP response: %v", err)
		}
		if strings.HasPrefix(line, "SIP/2.0 ") && !strings.HasPrefix(line, "SIP/2.0 1") {
			if line != "SIP/2.0 486 Busy Here" {
				t.Errorf("got %q, want 486", line)
			}
			return
		}
	}
}
