package app

import (
	"context"
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/config"
	"github.com/callrec/callrec/internal/nettest"
	"github.com/callrec/callrec/internal/rtpp"
)

// startNode runs a media node on loopback with a UDP and a UNIX control
// socket and a small port range.
func startNode(t *testing.T, mod func(*config.Media)) *MediaNode {
	t.Helper()
	c := config.Default().Media
	c.Control = []string{"udp:127.0.0.1:0", "unix:" + filepath.Join(t.TempDir(), "media.sock")}
	c.PortMin, c.PortMax = freePorts(t, 6)
	c.Allocation = "first-free"
	if mod != nil {
		mod(&c)
	}
	n, err := StartMedia(context.Background(), c, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := n.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	return n
}

func freePorts(t *testing.T, pairs int) (int, int) {
	base := nettest.FreeUDPRange(t, "127.0.0.1", 2*pairs)
	return base, base + 2*pairs - 1
}

// ctl sends a command over the node's UDP control socket.
func ctl(t *testing.T, n *MediaNode, cmd string) string {
	t.Helper()
	c, err := rtpp.Dial(n.Addrs[0])
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	r, err := c.Do(ctx, cmd)
	if err != nil && r == "" {
		t.Fatalf("%s: %v", cmd, err)
	}
	return r
}

func udp(t *testing.T) *net.UDPConn {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func rtpPacket(ssrc uint32, seq uint16) []byte {
	p := make([]byte, 172)
	p[0] = 0x80
	binary.BigEndian.PutUint16(p[2:], seq)
	binary.BigEndian.PutUint32(p[4:], uint32(seq)*160)
	binary.BigEndian.PutUint32(p[8:], ssrc)
	return p
}

func TestControlProtocolCallEndToEnd(t *testing.T) {
	n := startNode(t, nil)
	a, b := udp(t), udp(t)
	ap := a.LocalAddr().(*net.UDPAddr).AddrPort()
	bp := b.LocalAddr().(*net.UDPAddr).AddrPort()

	toCalleePort, _, err := rtpp.ParsePortReply(ctl(t, n, "Uc0 call-1 127.0.0.1 "+itoa(ap.Port())+" from;1"))
	if err != nil {
		t.Fatal(err)
	}
	toCallerPort, addr, err := rtpp.ParsePortReply(ctl(t, n, "Lc0 call-1 127.0.0.1 "+itoa(bp.Port())+" from;1 to;1"))
	if err != nil {
		t.Fatal(err)
	}
	if addr != netip.MustParseAddr("127.0.0.1") {
		t.Errorf("advertised %v", addr)
	}
	buf := make([]byte, 2048)
	for i := 0; i < 10; i++ {
		a.WriteToUDPAddrPort(rtpPacket(1, uint16(i)), netip.AddrPortFrom(addr, uint16(toCallerPort)))
		b.SetReadDeadline(time.Now().Add(2 * time.Second))
		if _, _, err := b.ReadFromUDPAddrPort(buf); err != nil {
			t.Fatalf("callee got nothing: %v", err)
		}
		b.WriteToUDPAddrPort(rtpPacket(2, uint16(i)), netip.AddrPortFrom(addr, uint16(toCalleePort)))
		a.SetReadDeadline(time.Now().Add(2 * time.Second))
		if _, _, err := a.ReadFromUDPAddrPort(buf); err != nil {
			t.Fatalf("caller got nothing: %v", err)
		}
	}
	// Counters are updated just after the relay sends, so the last
	// packet may be seen before it is counted: poll.
	var q []string
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if q = strings.Fields(ctl(t, n, "Q call-1 from to")); len(q) == 5 && q[3] == "20" {
			break
		}
	}
	if len(q) != 5 || q[1] != "10" || q[2] != "10" || q[3] != "20" || q[4] != "0" {
		t.Errorf("Q = %v, want ttl 10 10 20 0", q)
	}
	if r := ctl(t, n, "D call-1 from to"); r != "0" {
		t.Errorf("D = %q", r)
	}
	if r := ctl(t, n, "D call-1 from to"); r != "E50" {
		t.Errorf("second D = %q, want E50", r)
	}
}

func TestUnixControlSocket(t *testing.T) {
	n := startNode(t, nil)
	// Kamailio style: connect, write without newline, read, close.
	for i := 0; i < 3; i++ {
		c, err := net.Dial("unix", strings.TrimPrefix(n.Addrs[1], "unix:"))
		if err != nil {
			t.Fatal(err)
		}
		c.Write([]byte("V"))
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		b := make([]byte, 64)
		k, err := c.Read(b)
		c.Close()
		if err != nil || strings.TrimSpace(string(b[:k])) != "20040107" {
			t.Fatalf("V over unix = %q, %v", b[:k], err)
		}
	}
	// Persistent connection with several commands.
	c, err := net.Dial("unix", strings.TrimPrefix(n.Addrs[1], "unix:"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("U c 127.0.0.1 4000 f\nL c 127.0.0.1 4002 f t\nD c f t\n"))
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	got := ""
	b := make([]byte, 256)
	for strings.Count(got, "\n") < 3 {
		k, err := c.Read(b)
		if err != nil {
			t.Fatalf("after %q: %v", got, err)
		}
		got += string(b[:k])
	}
	lines := strings.Split(strings.TrimSpace(got), "\n")
	if len(lines) != 3 || !strings.HasSuffix(lines[0], " 127.0.0.1") || lines[2] != "0" {
		t.Errorf("replies %q", lines)
	}
}

func TestPortExhaustionAnswersE71(t *testing.T) {
	n := startNode(t, func(c *config.Media) { c.PortMax = c.PortMin + 7 }) // 4 pairs: 2 streams
	for i, want := range []string{"", "", "E71"} {
		r := ctl(t, n, "U ex-"+itoa(uint16(i))+" 127.0.0.1 4000 f")
		if want != "" && r != want {
			t.Errorf("U #%d = %q, want %q", i, r, want)
		}
		if want == "" && strings.HasPrefix(r, "E") {
			t.Errorf("U #%d = %q", i, r)
		}
	}
	if got := n.Control.Counters.Errors.Load(); got != 1 {
		t.Errorf("error counter %d, want 1", got)
	}
	if got := n.Manager.Info().Exhausted; got != 1 {
		t.Errorf("exhaustion counter %d, want 1", got)
	}
}

func TestMalformedCommandsGetErrors(t *testing.T) {
	n := startNode(t, nil)
	for cmd, want := range map[string]string{
		"Y":                           "E0",
		"U call":                      "E1",
		"U call 127.0.0.1 notaport f": "E37",
		"U call not-an-ip 4000 f":     "E37",
		"Ux call 127.0.0.1 4000 f":    "E35",
		"Q nosuch f t":                "E50",
		"U6 call ::1 4000 f":          "E36",
	} {
		if got := ctl(t, n, cmd); got != want {
			t.Errorf("%q = %q, want %q", cmd, got, want)
		}
	}
	if n.Manager.Info().Streams != 0 {
		t.Error("a malformed command created a stream")
	}
}

func itoa(p uint16) string { return strconv.Itoa(int(p)) }

func TestUDPRetransmissionAnsweredFromCache(t *testing.T) {
	n := startNode(t, nil)
	c, err := net.Dial("udp", strings.TrimPrefix(n.Addrs[0], "udp:"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var replies []string
	for i := 0; i < 3; i++ {
		c.Write([]byte("cookie-7 U retx 127.0.0.1 4000 f"))
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		b := make([]byte, 256)
		k, err := c.Read(b)
		if err != nil {
			t.Fatal(err)
		}
		replies = append(replies, string(b[:k]))
	}
	if replies[0] != replies[1] || replies[1] != replies[2] || !strings.HasPrefix(replies[0], "cookie-7 ") {
		t.Errorf("replies differ: %q", replies)
	}
	if got := n.Manager.Info().Created; got != 1 {
		t.Errorf("%d streams created, want 1 (retransmissions must not execute again)", got)
	}
	if got := n.Control.Counters.Duplicates.Load(); got != 2 {
		t.Errorf("duplicates counter %d, want 2", got)
	}
}
