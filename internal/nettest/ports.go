// Package nettest holds test helpers for callrec's network tests: free
// UDP and TCP ports on loopback. Like net/http/httptest it exists for tests only
// and is imported by no production code.
package nettest

import (
	"net"
	"strconv"
	"testing"
)

// FreeUDPPort returns a port on ip that was free a moment ago for UDP
// and for TCP (a SIP listen address takes both): it binds ip:0 for UDP,
// reads the port the kernel chose, checks TCP can bind it too and
// releases both. Another process may take the port before the caller
// binds it; on loopback with ports the kernel hands out in sequence that
// window is small enough for tests.
func FreeUDPPort(t testing.TB, ip string) int {
	t.Helper()
	for range 20 {
		c, err := net.ListenPacket("udp4", net.JoinHostPort(ip, "0"))
		if err != nil {
			t.Fatalf("nettest: pick a free udp port on %s: %v", ip, err)
		}
		port := c.LocalAddr().(*net.UDPAddr).Port
		l, err := net.Listen("tcp4", net.JoinHostPort(ip, strconv.Itoa(port)))
		c.Close()
		if err == nil {
			l.Close()
			return port
		}
	}
	t.Fatalf("nettest: no port free for both udp and tcp on %s", ip)
	return 0
}

// FreeTCPPort returns a TCP port on ip that was free a moment ago: for a
// listener whose address another process must be told before it starts
// (":0" cannot be). It binds ip:0 and releases it; the same window as
// FreeUDPPort's applies.
func FreeTCPPort(t testing.TB, ip string) int {
	t.Helper()
	l, err := net.Listen("tcp4", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatalf("nettest: pick a free tcp port on %s: %v", ip, err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// FreeUDPRange returns the first port of n consecutive UDP ports on ip that
// were all free a moment ago. It starts at an even port, so it suits an
// RTP port range.
func FreeUDPRange(t testing.TB, ip string, n int) int {
	t.Helper()
	for range 20 {
		base := FreeUDPPort(t, ip) &^ 1
		if base < 1024 || base+n > 65535 {
			continue
		}
		if allFree(ip, base, n) {
			return base
		}
	}
	t.Fatalf("nettest: no free range of %d udp ports on %s", n, ip)
	return 0
}

func allFree(ip string, base, n int) bool {
	for p := base; p < base+n; p++ {
		c, err := net.ListenPacket("udp4", net.JoinHostPort(ip, strconv.Itoa(p)))
		if err != nil {
			return false
		}
		c.Close()
	}
	return true
}
