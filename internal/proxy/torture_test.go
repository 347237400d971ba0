package proxy

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// tortureCases lists testdata/rfc4475 (RFC 4475 §3, one file per
// message, named after its section) with what the proxy must do with
// each: "fwd" (parsed and forwarded to the next hop), "drop" (nothing
// forwarded, no answer: sipgo's parser refused it, or a response no
// transaction expects), or a status code the proxy answers. Alternatives
// are separated by "|". tcp, when set, overrides want over TCP.
//
// Beyond want, every case checks that the proxy stays up (it answers an
// OPTIONS afterwards) and that what RFC 4475 calls invalid is never
// forwarded nor answered 2xx.
var tortureCases = []struct {
	file      string
	invalid   bool // RFC 4475 §3.1.2 and §3.3.1: a proxy must not forward it
	want, tcp string
}{
	// §3.1.1 valid messages.
	{file: "3.1.1.1-wsinv", want: "fwd|400"}, // sipgo answers 400 (its own torture test skips wsinv)
	{file: "3.1.1.2-intmeth", want: "fwd"},
	{file: "3.1.1.3-esc01", want: "fwd"},
	{file: "3.1.1.4-escnull", want: "fwd"},
	{file: "3.1.1.5-esc02", want: "fwd"},
	{file: "3.1.1.6-lwsdisp", want: "fwd"},
	// longreq: forwarded over UDP it exceeds sipgo's MTU check (1300
	// bytes, no fallback to TCP, RFC 3261 §18.1.1): the proxy answers
	// 503, which over UDP is itself too large to send (dropped).
	{file: "3.1.1.7-longreq", want: "503|drop"},
	{file: "3.1.1.8-dblreq", want: "fwd"},
	{file: "3.1.1.9-semiuri", want: "fwd"},
	{file: "3.1.1.10-transports", want: "fwd"},
	{file: "3.1.1.11-mpart01", want: "fwd"},
	{file: "3.1.1.12-unreason", want: "drop"}, // stray response
	{file: "3.1.1.13-noreason", want: "drop"}, // stray response
	// §3.1.2 invalid messages.
	{file: "3.1.2.1-badinv01", invalid: true, want: "400|drop"},
	{file: "3.1.2.2-clerr", invalid: true, want: "400|drop"},
	{file: "3.1.2.3-ncl", invalid: true, want: "400|drop"},
	{file: "3.1.2.4-scalar02", invalid: true, want: "400|drop"},
	{file: "3.1.2.5-scalarlg", invalid: true, want: "drop"},
	{file: "3.1.2.6-quotbal", invalid: true, want: "400|drop"},
	{file: "3.1.2.7-ltgtruri", invalid: true, want: "400|drop"},
	{file: "3.1.2.8-lwsruri", invalid: true, want: "400|drop"},
	{file: "3.1.2.9-lwsstart", invalid: true, want: "400|drop"},
	{file: "3.1.2.10-trws", invalid: true, want: "400|drop"},
	{file: "3.1.2.11-escruri", invalid: true, want: "400|drop"},
	{file: "3.1.2.12-baddate", want: "fwd"},  // a proxy forwards it (§3.1.2.12)
	{file: "3.1.2.13-regbadct", want: "fwd"}, // a proxy may forward it (§3.1.2.13)
	{file: "3.1.2.14-badaspec", invalid: true, want: "400|drop"},
	{file: "3.1.2.15-baddn", want: "fwd"}, // KNOWN GAP: sipgo accepts an unquoted display name with a comma
	{file: "3.1.2.16-badvers", invalid: true, want: "400|505|drop"},
	{file: "3.1.2.17-mismatch01", invalid: true, want: "400|drop"},
	{file: "3.1.2.18-mismatch02", invalid: true, want: "400|501|drop"},
	{file: "3.1.2.19-bigcode", invalid: true, want: "drop"},
	// §3.2 transaction layer.
	{file: "3.2.1-badbranch", want: "fwd"},
	// §3.3 application layer semantics.
	{file: "3.3.1-insuf", invalid: true, want: "400|drop"},
	{file: "3.3.2-unkscm", want: "416|drop"}, // over UDP sipgo cannot send to its "SIP/2.0/TCP" Via
	{file: "3.3.3-novelsc", want: "416|400|drop"},
	{file: "3.3.4-unksm2", want: "fwd|400|drop"},
	{file: "3.3.5-bext01", want: "420|drop"}, // Proxy-Require: 420 (over UDP sent toward its TLS Via: lost)
	{file: "3.3.6-invut", want: "fwd"},       // Content-Type is the UAS's business
	{file: "3.3.7-regaut01", want: "fwd"},
	{file: "3.3.8-multi01", invalid: true, want: "400|drop"},
	{file: "3.3.9-mcl01", invalid: true, want: "400|drop"},
	{file: "3.3.10-bcast", want: "drop"},
	{file: "3.3.11-zeromf", want: "483"},
	{file: "3.3.12-cparam01", want: "fwd"},
	{file: "3.3.13-cparam02", want: "fwd"},
	{file: "3.3.14-regescrt", want: "fwd|400"},
	{file: "3.3.15-sdp01", want: "fwd"},
	// §3.4 backward compatibility.
	{file: "3.4.1-inv2543", want: "fwd|400", tcp: "drop"}, // no Content-Length: unframable on TCP
}

// hostsRE finds the loopback next hops the corpus names, which the test
// points at its own callee.
var hostsRE = regexp.MustCompile(`services\.example\.com|127\.0\.0\.1:5080`)

// TestRFC4475Torture sends each RFC 4475 message to a proxy over UDP and
// over TCP and checks the outcome against tortureCases. The corpus names
// hosts under example.com: name resolution is switched off so that
// nothing leaves loopback, and the two Route next hops are rewritten to
// the test's callee.
func TestRFC4475Torture(t *testing.T) {
	saved := dnsResolver
	dnsResolver = &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("no DNS in tests")
	}}
	t.Cleanup(func() { dnsResolver = saved })
	files, _ := filepath.Glob("testdata/rfc4475/*.dat")
	if len(files) != len(tortureCases) {
		t.Errorf("%d files in testdata/rfc4475, %d cases", len(files), len(tortureCases))
	}
	// Subtests run from goroutines (t.Run may be called concurrently) so
	// that their waits overlap beyond t.Parallel's GOMAXPROCS limit.
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	defer wg.Wait()
	for _, tc := range tortureCases {
		raw, err := os.ReadFile(filepath.Join("testdata/rfc4475", tc.file+".dat"))
		if err != nil {
			t.Fatal(err)
		}
		for _, network := range []string{"udp", "tcp"} {
			want := tc.want
			if network == "tcp" {
				if tc.file == "3.1.1.8-dblreq" {
					continue // its point is a datagram with trailing octets
				}
				if tc.tcp != "" {
					want = tc.tcp
				}
			}
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				t.Run(network+"/"+tc.file, func(t *testing.T) { checkTorture(t, network, raw, want, tc.invalid) })
			}()
		}
	}
}

// checkTorture runs one case of tortureCases.
func checkTorture(t *testing.T, network string, raw []byte, want string, invalid bool) {
	got := tortureOutcome(t, network, raw, want)
	if !strings.Contains("|"+want+"|", "|"+got+"|") {
		t.Errorf("outcome %s, want %s", got, want)
	}
	if invalid && (got == "fwd" || strings.HasPrefix(got, "2")) {
		t.Errorf("invalid message: outcome %s", got)
	}
}

// tortureOutcome starts a proxy routing everything to a callee socket,
// sends msg over network, checks that the proxy still answers an OPTIONS
// and reports "fwd", "drop" or the final status code answered. It waits
// up to 4 s for the outcome want names; other outcomes are looked for
// during a short window only (their absence cannot be awaited).
func tortureOutcome(t *testing.T, network string, msg []byte, want string) string {
	const window = 150 * time.Millisecond
	wantCode := strings.ContainsAny(want, "0123456789")
	uas := newPeer(t)
	r, _ := NewStaticRouter([]StaticRule{{Destination: "sip:" + uas.addr()}})
	s := startServer(t, Config{Router: r, TCP: "127.0.0.1:0"})
	px := s.Addr("udp")
	msg = hostsRE.ReplaceAll(msg, []byte(uas.addr()))
	uac := newPeer(t)
	var tcp net.Conn
	if network == "tcp" {
		c, err := net.Dial("tcp", s.Addr("tcp"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		tcp = c
	} else {
		uac.send(px, string(msg))
	}
	start := time.Now()
	// Liveness: the proxy answers OPTIONS for itself with 200.
	uac.send(px, "OPTIONS sip:"+px+" SIP/2.0\r\nVia: SIP/2.0/UDP "+uac.addr()+";branch=z9hG4bK-probe\r\n"+
		"From: <sip:probe@"+uac.addr()+">;tag=p\r\nTo: <sip:"+px+">\r\nCall-ID: probe\r\nCSeq: 1 OPTIONS\r\n"+
		"Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n")
	code, probed := "", false
	deadline := start.Add(5 * time.Second)
	buf := make([]byte, 65535)
	for code == "" || !probed {
		uac.conn.SetReadDeadline(deadline)
		n, _, err := uac.conn.ReadFromUDP(buf)
		if err != nil {
			if !probed {
				t.Fatalf("proxy did not answer OPTIONS after the message: %v", err)
			}
			break
		}
		m := buf[:n]
		if !bytes.Contains(m, []byte("\r\nCall-ID: probe\r\n")) {
			code = cmp.Or(code, finalCode(m))
		} else if bytes.HasPrefix(m, []byte("SIP/2.0 200 ")) && !probed {
			probed = true
			deadline = time.Now().Add(window)
			if wantCode && network == "udp" {
				deadline = start.Add(4 * time.Second)
			}
		}
	}
	if tcp != nil && code == "" {
		d := time.Now().Add(window)
		if wantCode {
			d = start.Add(4 * time.Second)
		}
		tcp.SetReadDeadline(d)
		var all []byte
		for code == "" {
			n, err := tcp.Read(buf)
			all = append(all, buf[:n]...)
			for _, line := range strings.Split(string(all), "\r\n") {
				code = cmp.Or(code, finalCode([]byte(line)))
			}
			if err != nil {
				break
			}
		}
	}
	d := time.Now().Add(window)
	if strings.Contains(want, "fwd") {
		// A read with a deadline already past fails even when a
		// datagram waits: give the callee at least the window.
		if end := start.Add(4 * time.Second); end.After(d) {
			d = end
		}
	}
	uas.conn.SetReadDeadline(d)
	for {
		n, _, err := uas.conn.ReadFromUDP(buf)
		if err != nil {
			break
		}
		t.Logf("uas got %q", buf[:min(n, 80)])
		if !bytes.HasPrefix(buf[:n], []byte("SIP/2.0")) {
			return "fwd"
		}
	}
	return cmp.Or(code, "drop")
}

// finalCode returns the status code of a final response's status line.
func finalCode(m []byte) string {
	if !bytes.HasPrefix(m, []byte("SIP/2.0 ")) || len(m) < 11 || m[8] == '1' {
		return ""
	}
	return string(m[8:11])
}

// TestProxyRequire: a request requiring an extension of the proxy is
// answered 420 listing it in Unsupported, and not forwarded.
func TestProxyRequire(t *testing.T) {
	uas := newPeer(t)
	r, _ := NewStaticRouter([]StaticRule{{Destination: "sip:" + uas.addr()}})
	s := startServer(t, Config{Router: r})
	px := s.Addr("udp")
	uac := newPeer(t)
	msg := strings.Replace(options(uac, "bob@"+px, "preq"), "Max-Forwards:", "Proxy-Require: foo\r\nMax-Forwards:", 1)
	uac.send(px, msg)
	res := uac.expect("SIP/2.0 420 ").(*sip.Response)
	if h := res.GetHeader("Unsupported"); h == nil || h.Value() != "foo" {
		t.Errorf("Unsupported = %v, want foo", h)
	}
	uac.send(px, options(uac, "bob@"+px, "nopreq"))
	if m := uas.expect("OPTIONS "); m.CallID().Value() != "nopreq" {
		t.Errorf("callee got %s, want only the request without Proxy-Require", m.CallID().Value())
	}
}
