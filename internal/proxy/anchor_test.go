package proxy

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/media"
	"github.com/callrec/callrec/internal/nettest"
	"github.com/callrec/callrec/internal/rtpp"
	"github.com/callrec/callrec/internal/sdp"
)

const offerSDP = "v=0\r\n" +
	"o=alice 1 1 IN IP4 192.0.2.10\r\n" +
	"s=-\r\n" +
	"c=IN IP4 192.0.2.10\r\n" +
	"t=0 0\r\n" +
	"m=audio 4000 RTP/AVP 0 8 101\r\n" +
	"a=rtpmap:101 telephone-event/8000\r\n" +
	"a=rtcp:4001\r\n" +
	"a=candidate:1 1 UDP 1 192.0.2.10 4000 typ host\r\n" +
	"m=video 0 RTP/AVP 96\r\n" +
	"m=audio 4002 RTP/AVP 0\r\n" +
	"c=IN IP4 0.0.0.0\r\n"

func TestRewriteSDP(t *testing.T) {
	var got []media.Offer
	node := netip.MustParseAddr("198.51.100.1")
	signal := func(_ context.Context, o media.Offer, offer bool) (netip.AddrPort, error) {
		if !offer {
			t.Errorf("signal: offer false")
		}
		got = append(got, o)
		return netip.AddrPortFrom(node, uint16(30000+2*o.MediaNum)), nil
	}
	out, err := rewriteSDP(context.Background(), []byte(offerSDP), "cid", "ft", "", true, signal)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].MediaNum != 1 || got[1].MediaNum != 3 {
		t.Fatalf("signalled %+v, want media 1 and 3 (2 is rejected)", got)
	}
	if got[0].Addr != netip.MustParseAddrPort("192.0.2.10:4000") || len(got[0].Codecs) != 3 {
		t.Errorf("media 1 signalled %+v", got[0])
	}
	if got[1].Addr != netip.MustParseAddrPort("0.0.0.0:4002") {
		t.Errorf("held media 3 signalled %v, want 0.0.0.0:4002", got[1].Addr)
	}
	s, err := sdp.Parse(out)
	if err != nil {
		t.Fatalf("rewritten SDP does not parse: %v\n%s", err, out)
	}
	if c := s.Connection(0); c.Addr != node || s.Media[0].Port != 30002 || s.Media[0].RTCP.Port != 30003 {
		t.Errorf("media 1: %v port %d rtcp %d\n%s", c.Addr, s.Media[0].Port, s.Media[0].RTCP.Port, out)
	}
	if s.Media[1].Port != 0 {
		t.Errorf("rejected media got port %d", s.Media[1].Port)
	}
	if c := s.Connection(2); !c.IsHold() || s.Media[2].Port != 30006 {
		t.Errorf("held media 3: %v port %d, want hold address kept and node port", c.Addr, s.Media[2].Port)
	}
	if strings.Contains(string(out), "a=candidate") {
		t.Errorf("ICE candidates kept:\n%s", out)
	}
	if !strings.Contains(string(out), "a=rtpmap:101 telephone-event/8000\r\n") {
		t.Errorf("other lines not kept:\n%s", out)
	}
}

func TestRewriteSDPErrors(t *testing.T) {
	fail := func(context.Context, media.Offer, bool) (netip.AddrPort, error) {
		return netip.AddrPort{}, errors.New("node down")
	}
	if _, err := rewriteSDP(context.Background(), []byte("junk"), "c", "f", "", true, fail); !errors.Is(err, ErrBadSDP) {
		t.Errorf("junk body: %v, want ErrBadSDP", err)
	}
	if _, err := rewriteSDP(context.Background(), []byte(offerSDP), "c", "f", "", true, fail); err == nil || !strings.Contains(err.Error(), "node down") {
		t.Errorf("failing node: %v", err)
	}
	named := strings.Replace(offerSDP, "c=IN IP4 192.0.2.10", "c=IN IP4 pbx.example", 1)
	if _, err := rewriteSDP(context.Background(), []byte(named), "c", "f", "", true, fail); !errors.Is(err, ErrBadSDP) {
		t.Errorf("c= with a name: %v, want ErrBadSDP", err)
	}
}

func newManager(t *testing.T) (*media.Manager, int) {
	t.Helper()
	min := nettest.FreeUDPRange(t, "127.0.0.1", 16)
	m, err := media.New(media.Config{Listen: netip.MustParseAddr("127.0.0.1"), PortMin: min, PortMax: min + 15, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		m.Close(ctx)
	})
	return m, min
}

// anchorOfferAnswer runs an offer and an answer through a and checks
// both bodies point at the node's ports, one per leg.
func anchorOfferAnswer(t *testing.T, a Anchor, min int) {
	t.Helper()
	ctx := context.Background()
	offer := strings.Replace(offerSDP, "192.0.2.10", "127.0.0.2", -1)
	out, err := a.Offer(ctx, "call-1", "ft", "", []byte(offer))
	if err != nil {
		t.Fatal(err)
	}
	answer := strings.Replace(strings.Replace(offer, "127.0.0.2", "127.0.0.3", -1), "4000", "5000", 1)
	back, err := a.Answer(ctx, "call-1", "ft", "tt", []byte(answer))
	if err != nil {
		t.Fatal(err)
	}
	so, _ := sdp.Parse(out)
	sa, _ := sdp.Parse(back)
	po, pa := so.Media[0].Port, sa.Media[0].Port
	for _, p := range []int{po, pa} {
		if p < min || p > min+15 {
			t.Errorf("port %d outside the node's range %d-%d", p, min, min+15)
		}
	}
	if po == pa || so.Connection(0).Addr.String() != "127.0.0.1" {
		t.Errorf("offer went to %v:%d, answer to %d: want two node ports", so.Connection(0).Addr, po, pa)
	}
	if err := a.Delete(ctx, "call-1", "ft", "tt"); err != nil {
		t.Errorf("delete: %v", err)
	}
	if err := a.Delete(ctx, "call-1", "ft", "tt"); err != nil {
		t.Errorf("second delete: %v (want nil for an unknown call)", err)
	}
}

func TestManagerAnchor(t *testing.T) {
	m, min := newManager(t)
	anchorOfferAnswer(t, ManagerAnchor{M: m}, min)
	if _, err := m.Query("call-1", "ft", "tt", 1); err == nil {
		t.Errorf("stream left after Delete")
	}
}

func TestRTPPAnchor(t *testing.T) {
	m, min := newManager(t)
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &rtpp.Server{Handler: &media.Control{M: m}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); srv.ServePacket(ctx, pc) }()
	t.Cleanup(func() { cancel(); srv.Close(); pc.Close(); <-done })
	c, err := rtpp.Dial("udp:" + pc.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	anchorOfferAnswer(t, RTPPAnchor{Client: c, Addr: netip.MustParseAddr("127.0.0.1")}, min)
}
