package rtpp

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testHandler answers like a minimal node and counts calls.
type testHandler struct{ calls atomic.Int64 }

func (h *testHandler) ServeRTPP(ctx context.Context, c *Command) string {
	h.calls.Add(1)
	switch c.Op {
	case OpVersion:
		if c.FeatureCheck {
			_, ok := LookupCapability(c.Args[0])
			return FeatureReply(ok)
		}
		return ProtocolVersion
	case OpUpdate:
		return PortReply(35000, netip.MustParseAddr("127.0.0.1"))
	case OpLookup:
		return ErrorReply(ECodeNoSession)
	case OpInfo:
		return string(AppendInfoReply(nil, &Info{SessionsCreated: 1}, false))
	}
	return ReplyOK
}

// startServer runs serve in a goroutine and returns a function that
// closes the server and checks that serve returned ErrServerClosed.
func startServer(t *testing.T, s *Server, serve func() error) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- serve() }()
	t.Cleanup(func() {
		s.Close()
		select {
		case err := <-done:
			if !errors.Is(err, ErrServerClosed) {
				t.Errorf("serve returned %v, want ErrServerClosed", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("serve did not return after Close")
		}
	})
}

func unixServer(t *testing.T) (*Server, *testHandler, string) {
	t.Helper()
	h := &testHandler{}
	s := &Server{Handler: h}
	path := filepath.Join(t.TempDir(), "rtpp.sock")
	ln, err := Spec{"unix", path}.Listen()
	if err != nil {
		t.Fatal(err)
	}
	startServer(t, s, func() error { return s.Serve(context.Background(), ln) })
	return s, h, path
}

func udpServer(t *testing.T) (*Server, *testHandler, string) {
	t.Helper()
	h := &testHandler{}
	s := &Server{Handler: h}
	pc, err := Spec{"udp", "127.0.0.1:0"}.ListenPacket()
	if err != nil {
		t.Fatal(err)
	}
	startServer(t, s, func() error { return s.ServePacket(context.Background(), pc) })
	return s, h, pc.LocalAddr().String()
}

// kamailioUnix does what Kamailio's send_rtpp_command does on a unix
// socket: connect, write the command without newline, one read, close.
func kamailioUnix(t *testing.T, path, cmd string) string {
	t.Helper()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte(cmd)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 256)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	return string(buf[:n])
}

func TestServerUnixKamailioStyle(t *testing.T) {
	s, _, path := unixServer(t)
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o666 {
		t.Fatalf("socket mode %v, %v; want 0666", fi.Mode(), err)
	}
	for cmd, want := range map[string]string{
		"V":                             "20040107\n",
		"VF 20050322":                   "1\n",
		"VF 20000101":                   "0\n",
		"Uc0,8 c 192.0.2.1 4000 ftag;1": "35000 127.0.0.1\n",
		"L c 192.0.2.1 4000 f;1 t;1":    "E50\n",
		"Zzz":                           "E0\n",
		"U c":                           "E1\n",
	} {
		if got := kamailioUnix(t, path, cmd); got != want {
			t.Errorf("%q -> %q, want %q", cmd, got, want)
		}
	}
	if got := s.Counters.Malformed.Load(); got != 2 {
		t.Errorf("Malformed = %d, want 2", got)
	}
	if got := s.Counters.Errors.Load(); got != 3 {
		t.Errorf("Errors = %d, want 3", got)
	}
	if got := s.Counters.Connections.Load(); got != 7 {
		t.Errorf("Connections = %d, want 7", got)
	}
}

func TestServerUnixPersistentLines(t *testing.T) {
	_, h, path := unixServer(t)
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	// Three commands in one write, then one split over two writes.
	if _, err := c.Write([]byte("V\nXa\nD c f\nVF 2008")); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	for _, want := range []string{"20040107", "E2", "0"} {
		line, err := r.ReadString('\n')
		if err != nil || line != want+"\n" {
			t.Fatalf("reply %q, %v; want %q", line, err, want)
		}
	}
	if _, err := c.Write([]byte("0403\n")); err != nil {
		t.Fatal(err)
	}
	if line, err := r.ReadString('\n'); err != nil || line != "1\n" {
		t.Fatalf("split command reply %q, %v", line, err)
	}
	if got := h.calls.Load(); got != 3 {
		t.Errorf("handler calls = %d, want 3", got)
	}
}

func TestServerStaleSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
	ln2, err := Spec{"unix", path}.Listen()
	if err != nil {
		t.Fatalf("stale socket not replaced: %v", err)
	}
	ln2.Close()
	regular := filepath.Join(t.TempDir(), "file")
	os.WriteFile(regular, []byte("x"), 0o600)
	if _, err := (Spec{"unix", regular}).Listen(); err == nil {
		t.Fatal("a regular file was replaced by a socket")
	}
}

func TestServerUnixConcurrent(t *testing.T) {
	s, h, path := unixServer(t)
	const clients, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := Dial("unix:" + path)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			c.Persistent = i%2 == 0
			for j := range each {
				reply, err := c.Do(context.Background(), fmt.Sprintf("U c%d-%d 192.0.2.1 4000 f", i, j))
				if err != nil || reply != "35000 127.0.0.1" {
					errs <- fmt.Errorf("client %d: %q, %v", i, reply, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := h.calls.Load(); got != clients*each {
		t.Errorf("handler calls = %d, want %d", got, clients*each)
	}
	if got := s.Counters.Succeeded.Load(); got != clients*each {
		t.Errorf("Succeeded = %d", got)
	}
}

func TestServerUDPRetransmission(t *testing.T) {
	s, h, addr := udpServer(t)
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	exchange := func(c net.Conn, msg string) string {
		t.Helper()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 512)
		n, err := c.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		return string(buf[:n])
	}
	const u = "8383_1 U call 192.0.2.1 4000 ftag;1"
	first := exchange(c, u)
	if first != "8383_1 35000 127.0.0.1\n" {
		t.Fatalf("reply %q", first)
	}
	if again := exchange(c, u); again != first {
		t.Fatalf("retransmission reply %q, want %q", again, first)
	}
	if got := h.calls.Load(); got != 1 {
		t.Fatalf("handler called %d times, want 1", got)
	}
	if got := s.Counters.Duplicates.Load(); got != 1 {
		t.Fatalf("Duplicates = %d", got)
	}
	// The same cookie from another source is another command.
	c2, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	exchange(c2, u)
	if got := h.calls.Load(); got != 2 {
		t.Fatalf("handler called %d times, want 2", got)
	}
	// Malformed commands get the cookie and an E-code, and are cached too.
	for _, tc := range []struct{ in, want string }{
		{"ck2 Zzz", "ck2 E0\n"},
		{"ck3 U c 1.2.3.4\n", "ck3 E1\n"},
		{"ck4 Ux c 1.2.3.4 1 f", "ck4 E35\n"},
		{"ck5", "ck5 E5\n"},
		{"ck6 I", "ck6 sessions created: 1\nactive sessions: 0\nactive streams: 0\npackets received: 0\npackets transmitted: 0\n"},
	} {
		if got := exchange(c, tc.in); got != tc.want {
			t.Errorf("%q -> %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := s.Counters.Malformed.Load(); got != 4 {
		t.Errorf("Malformed = %d, want 4", got)
	}
}

func TestServerContextStops(t *testing.T) {
	s := &Server{Handler: &testHandler{}}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.ServePacket(ctx, pc) }()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, ErrServerClosed) {
			t.Fatalf("ServePacket = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ServePacket ignored ctx")
	}
	s.Close()
	if err := s.ServePacket(context.Background(), pc); !errors.Is(err, ErrServerClosed) {
		t.Fatalf("ServePacket after Close = %v", err)
	}
}

func TestClientUDP(t *testing.T) {
	_, h, addr := udpServer(t)
	c, err := Dial("udp:" + addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if r, err := c.Do(ctx, "V"); err != nil || r != ProtocolVersion {
		t.Fatalf("V -> %q, %v", r, err)
	}
	if r, err := c.Do(ctx, "I"); err != nil || !strings.HasSuffix(r, "packets transmitted: 0") {
		t.Fatalf("I -> %q, %v", r, err)
	}
	r, err := c.Do(ctx, "L c 1.2.3.4 1 f t")
	if r != "E50" || CodeOf(err) != ECodeNoSession {
		t.Fatalf("L -> %q, %v", r, err)
	}
	if h.calls.Load() != 3 {
		t.Fatalf("calls = %d", h.calls.Load())
	}
}

// TestClientUDPRetransmits drops the first datagram and answers the
// retransmission, first with a stale cookie, then with the right one.
func TestClientUDPRetransmits(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	go func() {
		buf := make([]byte, 512)
		pc.SetDeadline(time.Now().Add(10 * time.Second))
		if _, _, err := pc.ReadFrom(buf); err != nil {
			return
		}
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		cookie, _, _ := strings.Cut(string(buf[:n]), " ")
		pc.WriteTo([]byte("stale_0 0\n"), from)
		pc.WriteTo([]byte(cookie+" 20040107\n"), from)
	}()
	c, err := Dial("udp:" + pc.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Timeout = 100 * time.Millisecond
	if r, err := c.Do(context.Background(), "V"); err != nil || r != "20040107" {
		t.Fatalf("V -> %q, %v", r, err)
	}
	c.Retries = 2
	if _, err := c.Do(context.Background(), "V"); !errors.Is(err, ErrTimeout) {
		t.Fatalf("no server: err = %v, want ErrTimeout", err)
	}
}

func TestClientUnixKamailioStyle(t *testing.T) {
	_, _, path := unixServer(t)
	c, err := Dial("unix:" + path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for range 3 {
		if r, err := c.Do(context.Background(), "VF 20080403"); err != nil || r != "1" {
			t.Fatalf("VF -> %q, %v", r, err)
		}
	}
}

func TestListenAndServeUnix(t *testing.T) {
	s := &Server{Handler: &testHandler{}}
	path := filepath.Join(t.TempDir(), "l.sock")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.ListenAndServe(ctx, "unix:"+path) }()
	c, err := Dial("unix:" + path)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		r, err := c.Do(context.Background(), "V")
		if err == nil && r == ProtocolVersion {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server never answered: %v", err)
		}
		<-tick.C // the listener is not up yet
	}
	cancel()
	if err := <-done; !errors.Is(err, ErrServerClosed) {
		t.Fatalf("ListenAndServe = %v", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("socket file left behind: %v", err)
	}
}

// TestServerStreamTooLong: a line longer than rtpproxy's buffer is
// answered E5 and the connection is dropped.
func TestServerStreamTooLong(t *testing.T) {
	s, h, path := unixServer(t)
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("V\n")); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	if line, err := r.ReadString('\n'); err != nil || line != "20040107\n" {
		t.Fatalf("V -> %q, %v", line, err)
	}
	go c.Write([]byte(strings.Repeat("x", MaxCommandLen+10)))
	if line, err := r.ReadString('\n'); err != nil || line != "E5\n" {
		t.Fatalf("long line -> %q, %v", line, err)
	}
	if _, err := r.ReadString('\n'); err == nil {
		t.Fatal("connection still open after an over-long line")
	}
	if h.calls.Load() != 1 || s.Counters.Malformed.Load() != 1 {
		t.Fatalf("calls %d malformed %d", h.calls.Load(), s.Counters.Malformed.Load())
	}
}

func TestServerUDP6(t *testing.T) {
	pc, err := Spec{"udp6", "[::1]:0"}.ListenPacket()
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	s := &Server{Handler: &testHandler{}}
	startServer(t, s, func() error { return s.ServePacket(context.Background(), pc) })
	c, err := Dial("udp6:" + pc.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if r, err := c.Do(context.Background(), "U6 c 2001:db8::1 4000 f;1"); err != nil || r != "35000 127.0.0.1" {
		t.Fatalf("U6 -> %q, %v", r, err)
	}
}

// TestServerOnCommand: each parsed command reports its letter and
// duration once; malformed commands are not reported.
func TestServerOnCommand(t *testing.T) {
	h := &testHandler{}
	var mu sync.Mutex
	got := map[Op]int{}
	s := &Server{Handler: h, OnCommand: func(op Op, d time.Duration) {
		if d < 0 {
			t.Errorf("%c took %v", op, d)
		}
		mu.Lock()
		got[op]++
		mu.Unlock()
	}}
	path := filepath.Join(t.TempDir(), "rtpp.sock")
	ln, err := Spec{"unix", path}.Listen()
	if err != nil {
		t.Fatal(err)
	}
	startServer(t, s, func() error { return s.Serve(context.Background(), ln) })
	for _, cmd := range []string{"Uc0 c 192.0.2.1 4000 ftag;1", "L c 192.0.2.1 4000 f;1 t;1", "U c", "D c f t"} {
		kamailioUnix(t, path, cmd)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := map[Op]int{OpUpdate: 1, OpLookup: 1, OpDelete: 1}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("reported %v, want %v", got, want)
	}
}
