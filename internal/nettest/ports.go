// Package nettest holds test helpers for callrec's network tests: free
// UDP and TCP ports on loopback, and a certificate authority made at test
// time for the TLS tests (CA). Like net/http/httptest it exists for tests
// only and is imported by no production code.
//
// A port picked here is released before the caller binds it, so another
// process can take it in between. Ports are therefore picked at random
// below the kernel's ephemeral range (net.ipv4.ip_local_port_range): every
// socket bound to port 0 anywhere on the machine (each client socket of
// every test package running in parallel) gets an ephemeral port, and
// picking from that range once made a parallel package's client socket
// take a serve's SIP port between the pick and the bind (seen in CI).
// Below it, only another pick can collide, with a chance of about n in
// 20000 for n ports in use.
package nettest

import (
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
)

// lowPort is the lowest port picked: above the well-known services a test
// machine runs (PostgreSQL 5432, Redis 6379, NATS 4222, SIP 5060).
const lowPort = 10000

// ephemeralLow is the first port of the kernel's ephemeral range, or
// 32768 (Linux's default) when it cannot be read.
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if p, err := strconv.Atoi(f[0]); err == nil && p > lowPort+1000 {
				return p
			}
		}
	}
	return 32768
}

// candidate returns a random port of [lowPort, ephemeralLow-n) for a
// range of n ports starting there.
func candidate(n int) int {
	return lowPort + rand.IntN(ephemeralLow()-lowPort-n)
}

func udpFree(ip string, port int) bool {
	c, err := net.ListenPacket("udp4", net.JoinHostPort(ip, strconv.Itoa(port)))
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// TCPFree reports whether TCP port on ip could be bound a moment ago.
func TCPFree(ip string, port int) bool {
	l, err := net.Listen("tcp4", net.JoinHostPort(ip, strconv.Itoa(port)))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// FreeUDPPort returns a port on ip that was free a moment ago for UDP
// and for TCP (a SIP listen address takes both).
func FreeUDPPort(t testing.TB, ip string) int {
	t.Helper()
	for range 200 {
		if p := candidate(1); udpFree(ip, p) && TCPFree(ip, p) {
			return p
		}
	}
	t.Fatalf("nettest: no port free for both udp and tcp on %s", ip)
	return 0
}

// FreeTCPPort returns a TCP port on ip that was free a moment ago: for a
// listener whose address another process must be told before it starts
// (":0" cannot be).
func FreeTCPPort(t testing.TB, ip string) int {
	t.Helper()
	for range 200 {
		if p := candidate(1); TCPFree(ip, p) {
			return p
		}
	}
	t.Fatalf("nettest: no free tcp port on %s", ip)
	return 0
}

// FreeUDPPortPair returns an even UDP port p on ip such that p and p+2 were
// both free a moment ago (sipp binds its audio socket on -mp and video on
// -mp+2).
func FreeUDPPortPair(t testing.TB, ip string) int {
	t.Helper()
	for range 200 {
		if p := candidate(3) &^ 1; udpFree(ip, p) && udpFree(ip, p+2) {
			return p
		}
	}
	t.Fatalf("nettest: no free even udp port pair on %s", ip)
	return 0
}

// FreeUDPRange returns the first port of n consecutive UDP ports on ip that
// were all free a moment ago. It starts at an even port, so it suits an
// RTP port range.
func FreeUDPRange(t testing.TB, ip string, n int) int {
	t.Helper()
	for range 200 {
		base := candidate(n+1) &^ 1
		if allFree(ip, base, n) {
			return base
		}
	}
	t.Fatalf("nettest: no free range of %d udp ports on %s", n, ip)
	return 0
}

func allFree(ip string, base, n int) bool {
	for p := base; p < base+n; p++ {
		if !udpFree(ip, p) {
			return false
		}
	}
	return true
}
