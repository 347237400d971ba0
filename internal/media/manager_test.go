package media

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/nettest"
)

var loopback = netip.MustParseAddr("127.0.0.1")

// freeRange finds a range of pairs RTP/RTCP port pairs that is free.
func freeRange(t *testing.T, pairs int) (int, int) {
	base := nettest.FreeUDPRange(t, "127.0.0.1", 2*pairs)
	return base, base + 2*pairs - 1
}

func newTestManager(t *testing.T, mod func(*Config)) *Manager {
	t.Helper()
	min, max := freeRange(t, 8)
	cfg := Config{Listen: loopback, PortMin: min, PortMax: max, FirstFree: true, RelatchWindow: 200 * time.Millisecond}
	if mod != nil {
		mod(&cfg)
	}
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := m.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return m
}

// party is a UDP socket that plays one side of a call.
type party struct {
	t    *testing.T
	conn *net.UDPConn
	ssrc uint32
	seq  uint16
}

func newParty(t *testing.T, ssrc uint32) *party {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &party{t: t, conn: c, ssrc: ssrc}
}

func (p *party) addr() netip.AddrPort { return p.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

func (p *party) send(to netip.AddrPort) {
	p.t.Helper()
	pkt := make([]byte, 12+160)
	pkt[0] = 0x80
	binary.BigEndian.PutUint16(pkt[2:], p.seq)
	binary.BigEndian.PutUint32(pkt[4:], uint32(p.seq)*160)
	binary.BigEndian.PutUint32(pkt[8:], p.ssrc)
	p.seq++
	if _, err := p.conn.WriteToUDPAddrPort(pkt, to); err != nil {
		p.t.Fatal(err)
	}
}

// recv waits for one packet and returns its SSRC and source.
func (p *party) recv(d time.Duration) (uint32, netip.AddrPort, bool) {
	buf := make([]byte, 2048)
	p.conn.SetReadDeadline(time.Now().Add(d))
	n, from, err := p.conn.ReadFromUDPAddrPort(buf)
	if err != nil || n < 12 {
		return 0, from, false
	}
	return binary.BigEndian.Uint32(buf[8:]), from, true
}

func (p *party) mustRecv(ssrc uint32) netip.AddrPort {
	p.t.Helper()
	got, from, ok := p.recv(2 * time.Second)
	if !ok {
		p.t.Fatalf("no packet for ssrc %x", ssrc)
	}
	if got != ssrc {
		p.t.Fatalf("got ssrc %x, want %x", got, ssrc)
	}
	return from
}

func (p *party) mustNotRecv() {
	p.t.Helper()
	if ssrc, from, ok := p.recv(150 * time.Millisecond); ok {
		p.t.Fatalf("unexpected packet ssrc %x from %v", ssrc, from)
	}
}

// call sets up an offer/answer between two parties.
func call(t *testing.T, m *Manager, id string, a, b *party) (toCallee, toCaller netip.AddrPort) {
	t.Helper()
	var err error
	toCallee, err = m.Update(Offer{CallID: id, FromTag: "ft", Addr: a.addr()})
	if err != nil {
		t.Fatal(err)
	}
	toCaller, err = m.Lookup(Offer{CallID: id, FromTag: "ft", ToTag: "tt", Addr: b.addr()})
	if err != nil {
		t.Fatal(err)
	}
	return
}

func TestOfferAnswerRelaysBothWays(t *testing.T) {
	m := newTestManager(t, nil)
	a, b := newParty(t, 0xa), newParty(t, 0xb)
	toCallee, toCaller := call(t, m, "c1", a, b)
	if toCallee.Port()%2 != 0 || toCaller.Port()%2 != 0 || toCallee == toCaller {
		t.Fatalf("ports %v %v: want two distinct even ports", toCallee, toCaller)
	}
	a.send(toCaller)
	if from := b.mustRecv(0xa); from != toCallee {
		t.Errorf("callee saw source %v, want %v (the port it sends to)", from, toCallee)
	}
	b.send(toCallee)
	if from := a.mustRecv(0xb); from != toCaller {
		t.Errorf("caller saw source %v, want %v", from, toCaller)
	}
	waitFor(t, func() bool {
		st, err := m.Query("c1", "ft", "tt", 1)
		return err == nil && st.Legs[0].Relayed == 1 && st.Legs[1].Relayed == 1
	})
}

func TestRTCPOnOddPort(t *testing.T) {
	m := newTestManager(t, nil)
	a, b := newParty(t, 1), newParty(t, 2)
	// Parties' RTCP sockets: the signalled port +1 is the convention; here
	// the relay latches on what the party sends from instead.
	_, toCaller := call(t, m, "c2", a, b)
	ac, bc := newParty(t, 3), newParty(t, 4)
	rtcpToCaller := netip.AddrPortFrom(toCaller.Addr(), toCaller.Port()+1)
	// callee's RTCP socket sends first so that it latches.
	toCalleeRTCP := netip.AddrPortFrom(toCaller.Addr(), uint16(m.mustStream(t, "c2").port(1)+1))
	bc.send(toCalleeRTCP)
	ac.mustNotRecv() // caller's RTCP address unknown: signalled port+1 is a's RTP port+1, not ac
	ac.send(rtcpToCaller)
	bc.mustRecv(3)
}

func (m *Manager) mustStream(t *testing.T, id string) *stream {
	m.mu.Lock()
	defer m.mu.Unlock()
	ss := m.calls[id]
	if len(ss) == 0 {
		t.Fatalf("no stream for %q", id)
	}
	return ss[0]
}

func TestLatchingBehindChangedSourcePort(t *testing.T) {
	m := newTestManager(t, nil)
	a, b := newParty(t, 0xa), newParty(t, 0xb)
	natted := newParty(t, 0xb) // callee's real source differs from its SDP
	toCallee, toCaller := call(t, m, "c3", a, b)
	natted.send(toCallee)
	a.mustRecv(0xb)
	a.send(toCaller)
	natted.mustRecv(0xa) // sent to the latched source, not the SDP address
	b.mustNotRecv()
}

func TestBleedDropped(t *testing.T) {
	m := newTestManager(t, func(c *Config) { c.RelatchWindow = time.Millisecond })
	a, b := newParty(t, 0xa), newParty(t, 0xb)
	toCallee, toCaller := call(t, m, "c4", a, b)
	time.Sleep(5 * time.Millisecond) // let the relatch window pass
	a.send(toCaller)
	b.mustRecv(0xa)
	attacker := newParty(t, 0xbad)
	attacker.seq = 5000
	attacker.send(toCaller)
	b.mustNotRecv()
	// Same SSRC continuing its sequence from a new port: a NAT rebinding.
	moved := newParty(t, 0xa)
	moved.seq = a.seq
	moved.send(toCaller)
	b.mustRecv(0xa)
	b.send(toCallee)
	moved.mustRecv(0xb)
	if in := m.Info(); in.DropBleed != 1 {
		t.Errorf("bleed drops %d, want 1", in.DropBleed)
	}
}

func TestHoldAndResume(t *testing.T) {
	m := newTestManager(t, nil)
	a, b := newParty(t, 0xa), newParty(t, 0xb)
	toCallee, toCaller := call(t, m, "c5", a, b)
	a.send(toCaller)
	b.mustRecv(0xa)
	// re-INVITE from the caller putting the callee on hold.
	if _, err := m.Update(Offer{CallID: "c5", FromTag: "ft", ToTag: "tt", Addr: a.addr()}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Lookup(Offer{CallID: "c5", FromTag: "ft", ToTag: "tt", Addr: netip.MustParseAddrPort("0.0.0.0:" + "4000")}); err != nil {
		t.Fatal(err)
	}
	a.send(toCaller)
	b.mustNotRecv()
	if _, err := m.Lookup(Offer{CallID: "c5", FromTag: "ft", ToTag: "tt", Addr: b.addr()}); err != nil {
		t.Fatal(err)
	}
	a.send(toCaller)
	b.mustRecv(0xa)
	b.send(toCallee)
	a.mustRecv(0xb)
}

func TestReinviteFromCalleeSwapsTags(t *testing.T) {
	m := newTestManager(t, nil)
	a, b := newParty(t, 0xa), newParty(t, 0xb)
	toCallee, toCaller := call(t, m, "c6", a, b)
	// The callee re-INVITEs: its tag is now the From tag.
	got, err := m.Update(Offer{CallID: "c6", FromTag: "tt", ToTag: "ft", Addr: b.addr()})
	if err != nil {
		t.Fatal(err)
	}
	if got != toCaller {
		t.Errorf("U from callee answered %v, want the caller-facing %v", got, toCaller)
	}
	got, err = m.Lookup(Offer{CallID: "c6", FromTag: "tt", ToTag: "ft", Addr: a.addr()})
	if err != nil {
		t.Fatal(err)
	}
	if got != toCallee {
		t.Errorf("L from caller answered %v, want the callee-facing %v", got, toCallee)
	}
	if n := m.Info().Streams; n != 1 {
		t.Errorf("%d streams, want 1", n)
	}
}

func TestLookupNeverCreates(t *testing.T) {
	m := newTestManager(t, nil)
	_, err := m.Lookup(Offer{CallID: "nope", FromTag: "a", ToTag: "b", Addr: netip.MustParseAddrPort("127.0.0.1:4000")})
	if !errors.Is(err, ErrNoSession) {
		t.Fatalf("err %v, want ErrNoSession", err)
	}
	if m.Info().Streams != 0 {
		t.Fatal("lookup created a stream")
	}
}

func TestDeleteFreesPorts(t *testing.T) {
	m := newTestManager(t, nil)
	a, b := newParty(t, 1), newParty(t, 2)
	_, toCaller := call(t, m, "c7", a, b)
	if _, err := m.Delete("c7", "ft", ""); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { u, _ := m.pool.inUseCount(); return u == 0 })
	// The port is bindable again.
	c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(toCaller))
	if err != nil {
		t.Fatalf("port not freed: %v", err)
	}
	c.Close()
	if _, err := m.Delete("c7", "ft", ""); !errors.Is(err, ErrNoSession) {
		t.Errorf("second delete: %v, want ErrNoSession", err)
	}
}

func TestTimeoutFreesPorts(t *testing.T) {
	m := newTestManager(t, func(c *Config) { c.Timeout = time.Second })
	a, b := newParty(t, 1), newParty(t, 2)
	call(t, m, "c8", a, b)
	waitFor(t, func() bool { u, _ := m.pool.inUseCount(); return u == 0 && m.Info().TimedOut == 1 })
}

func TestPortExhaustion(t *testing.T) {
	min, _ := freeRange(t, 4)
	m := newTestManager(t, func(c *Config) { c.PortMin, c.PortMax = min, min+7 })
	for i := 0; i < 2; i++ {
		if _, err := m.Update(Offer{CallID: string(rune('a' + i)), FromTag: "t", Addr: netip.MustParseAddrPort("127.0.0.1:4000")}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := m.Update(Offer{CallID: "z", FromTag: "t", Addr: netip.MustParseAddrPort("127.0.0.1:4000")})
	if !errors.Is(err, ErrPortsExhausted) {
		t.Fatalf("err %v, want ErrPortsExhausted", err)
	}
	if _, err := m.Delete("a", "t", ""); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		_, err := m.Update(Offer{CallID: "z", FromTag: "t", Addr: netip.MustParseAddrPort("127.0.0.1:4000")})
		return err == nil
	})
}

func TestMultipleMediaStreams(t *testing.T) {
	m := newTestManager(t, nil)
	p1, _ := m.Update(Offer{CallID: "mm", FromTag: "f", MediaNum: 1, Addr: netip.MustParseAddrPort("127.0.0.1:4000")})
	p2, _ := m.Update(Offer{CallID: "mm", FromTag: "f", MediaNum: 2, Addr: netip.MustParseAddrPort("127.0.0.1:4002")})
	if p1 == p2 {
		t.Fatal("two m-lines share a port")
	}
	if n, err := m.Delete("mm", "f", ""); err != nil || n != 2 {
		t.Fatalf("delete: %d %v, want 2 streams", n, err)
	}
}

// recTap counts packets by direction.
type recTap struct {
	mu     sync.Mutex
	n      [2]int
	closed bool
}

func (r *recTap) Packet(d Direction, _ int64, _ bool, _ []byte) { r.mu.Lock(); r.n[d]++; r.mu.Unlock() }
func (r *recTap) Close() error                                  { r.mu.Lock(); r.closed = true; r.mu.Unlock(); return nil }

type recFactory struct{ tap *recTap }

func (f *recFactory) Start(StreamInfo) (Tap, error) { return f.tap, nil }

func TestTapSeesBothDirections(t *testing.T) {
	tap := &recTap{}
	m := newTestManager(t, func(c *Config) { c.Taps = &recFactory{tap} })
	a, b := newParty(t, 1), newParty(t, 2)
	toCallee, toCaller := call(t, m, "tap", a, b)
	if err := m.Record("tap", "ft", "tt"); err != nil {
		t.Fatal(err)
	}
	a.send(toCaller)
	b.mustRecv(1)
	b.send(toCallee)
	a.mustRecv(2)
	if _, err := m.Delete("tap", "ft", "tt"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { tap.mu.Lock(); defer tap.mu.Unlock(); return tap.closed })
	if tap.n != [2]int{1, 1} {
		t.Errorf("tap saw %v, want [1 1]", tap.n)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestQueryCountsLossAndReorder(t *testing.T) {
	m := newTestManager(t, nil)
	a, b := newParty(t, 0xa), newParty(t, 0xb)
	_, toCaller := call(t, m, "loss", a, b)
	// seq 0..19 with 10 and 15 lost, 5 and 6 swapped.
	order := []uint16{0, 1, 2, 3, 4, 6, 5, 7, 8, 9, 11, 12, 13, 14, 16, 17, 18, 19}
	for _, s := range order {
		a.seq = s
		a.send(toCaller)
		b.mustRecv(0xa)
	}
	// Counters are published just after the relay sends: wait for them.
	var st StreamStats
	waitFor(t, func() bool {
		var err error
		st, err = m.Query("loss", "ft", "tt", 1)
		return err == nil && st.Legs[0].Relayed == uint64(len(order))
	})
	l := st.Legs[0]
	if l.Lost != 2 || l.Reordered != 1 || l.Relayed != uint64(len(order)) {
		t.Errorf("lost %d reordered %d relayed %d, want 2 1 %d", l.Lost, l.Reordered, l.Relayed, len(order))
	}
}

// TestManyManagersLeaveProcsForOthers runs several managers in one
// process (as tests and `callrec serve` do): their blocked workers must
// not take every P, or control calls and everything else stall.
func TestManyManagersLeaveProcsForOthers(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	for i := 0; i < 4; i++ {
		newTestManager(t, func(c *Config) { c.Workers = 2 })
	}
	if got := runtime.GOMAXPROCS(0); got < before+8 {
		t.Fatalf("GOMAXPROCS %d with 8 workers waiting, want at least %d", got, before+8)
	}
	// Work that needs a P gets one promptly.
	start := time.Now()
	done := make(chan struct{})
	go func() {
		x := 0
		for i := 0; i < 1e6; i++ {
			x += i
		}
		_ = x
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(50 * time.Millisecond):
		t.Fatalf("a goroutine waited over 50 ms for a P (started %v ago)", time.Since(start))
	}
}
