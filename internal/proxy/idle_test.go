package proxy

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"
)

// TestStreamIdleTimeout: a TCP connection that sends nothing is closed
// after StreamIdleTimeout; one that sends CRLF keepalives outlives it
// and is still served.
func TestStreamIdleTimeout(t *testing.T) {
	const idle = 300 * time.Millisecond
	uas := newPeer(t)
	r, _ := NewStaticRouter([]StaticRule{{Destination: "sip:" + uas.addr()}})
	s := startServer(t, Config{Router: r, TCP: "127.0.0.1:0", StreamIdleTimeout: idle})

	quiet, err := net.Dial("tcp", s.Addr("tcp"))
	if err != nil {
		t.Fatal(err)
	}
	defer quiet.Close()
	live, err := net.Dial("tcp", s.Addr("tcp"))
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	start := time.Now()
	for time.Since(start) < 4*idle {
		if _, err := live.Write([]byte("\r\n\r\n")); err != nil {
			t.Fatalf("keepalive: %v", err)
		}
		time.Sleep(idle / 4)
	}
	quiet.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := quiet.Read(make([]byte, 16)); err == nil {
		t.Errorf("quiet connection read %d bytes, want it closed", n)
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Errorf("quiet connection still open after %v (idle timeout %v)", time.Since(start), idle)
	}
	// The kept-alive connection is still served.
	local := live.LocalAddr().String()
	if _, err := live.Write([]byte("OPTIONS sip:" + s.Addr("tcp") + ";transport=tcp SIP/2.0\r\nVia: SIP/2.0/TCP " + local +
		";branch=z9hG4bK-idle\r\nFrom: <sip:probe@" + local + ">;tag=i\r\nTo: <sip:" + s.Addr("tcp") +
		">\r\nCall-ID: idle-probe\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	live.SetReadDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(live)
	line, err := br.ReadString('\n')
	for err == nil && line == "\r\n" { // pongs to the keepalives (RFC 5626 §4.4.1)
		line, err = br.ReadString('\n')
	}
	if err != nil || !strings.HasPrefix(line, "SIP/2.0 200") {
		t.Errorf("kept-alive connection: %q %v", line, err)
	}
}
