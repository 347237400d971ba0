package proxy

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"testing"

	"github.com/callrec/callrec/internal/media"
	"github.com/emiago/sipgo/sip"
)

// fixedAnchor rewrites SDP as a media node would, without one: the cost
// of anchoring in the proxy alone.
type fixedAnchor struct{}

func (fixedAnchor) signal(_ context.Context, o media.Offer, _ bool) (netip.AddrPort, error) {
	return netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(20000+2*o.MediaNum)), nil
}
func (a fixedAnchor) Offer(ctx context.Context, c, f, t string, b []byte) ([]byte, error) {
	return rewriteSDP(ctx, b, c, f, t, true, a.signal)
}
func (a fixedAnchor) Answer(ctx context.Context, c, f, t string, b []byte) ([]byte, error) {
	return rewriteSDP(ctx, b, c, f, t, false, a.signal)
}
func (fixedAnchor) Delete(context.Context, string, string, string) error { return nil }

// autoAnswer answers every INVITE 200 with SDP and every BYE 200 until
// the socket closes; it runs on a goroutine of its own.
func autoAnswer(p *peer) {
	buf := make([]byte, 65535)
	body := sdpBody("127.0.0.3", 5000, "")
	for {
		n, err := p.conn.Read(buf)
		if err != nil {
			return
		}
		m, err := sip.ParseMessage(append([]byte(nil), buf[:n]...))
		if err != nil {
			continue
		}
		r, ok := m.(*sip.Request)
		if !ok || r.IsAck() {
			continue
		}
		var res *sip.Response
		if r.IsInvite() {
			res = sip.NewResponseFromRequest(r, 200, "OK", []byte(body))
			ct := sip.ContentTypeHeader("application/sdp")
			res.AppendHeader(&ct)
			res.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "x", Host: "127.0.0.1", Port: p.conn.LocalAddr().(*net.UDPAddr).Port}})
		} else {
			res = sip.NewResponseFromRequest(r, 200, "OK", nil)
		}
		v := r.Via()
		a, _ := net.ResolveUDPAddr("udp", fmt.Sprintf("%s:%d", v.Host, v.Port))
		p.conn.WriteToUDP([]byte(res.String()), a)
	}
}

// setupCall sends an INVITE with SDP through the proxy, waits for the
// 200 and ACKs it; it returns what a BYE needs.
func setupCall(tb testing.TB, uac *peer, px, callID string) (route, contact, toTag string) {
	inv := fmt.Sprintf("INVITE sip:bob@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-%s\r\n"+
		"From: <sip:alice@x>;tag=a1\r\nTo: <sip:bob@x>\r\nCall-ID: %s\r\nCSeq: 1 INVITE\r\n"+
		"Contact: <sip:alice@%s>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n", px, uac.addr(), callID, callID, uac.addr())
	uac.send(px, withSDP(inv, sdpBody("127.0.0.2", 4000, "")))
	for {
		res := uac.expect("SIP/2.0 200").(*sip.Response)
		if res.CallID().Value() != callID {
			continue
		}
		route = res.RecordRoute().Address.String()
		contact = res.Contact().Address.String()
		toTag = tag(res.To().Params)
		break
	}
	uac.send(px, fmt.Sprintf("ACK %s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-ack-%s\r\nRoute: <%s>\r\n"+
		"From: <sip:alice@x>;tag=a1\r\nTo: <sip:bob@x>;tag=%s\r\nCall-ID: %s\r\nCSeq: 1 ACK\r\n"+
		"Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n", contact, uac.addr(), callID, route, toTag, callID))
	return route, contact, toTag
}

func endCall(tb testing.TB, uac *peer, px, callID, route, contact, toTag string) {
	uac.send(px, fmt.Sprintf("BYE %s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-bye-%s\r\nRoute: <%s>\r\n"+
		"From: <sip:alice@x>;tag=a1\r\nTo: <sip:bob@x>;tag=%s\r\nCall-ID: %s\r\nCSeq: 2 BYE\r\n"+
		"Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n", contact, uac.addr(), callID, route, toTag, callID))
	for {
		res := uac.expect("SIP/2.0 200").(*sip.Response)
		if res.CallID().Value() == callID && res.CSeq().MethodName == sip.BYE {
			return
		}
	}
}

func benchRig(tb testing.TB) (*Server, *peer) {
	uas := newPeer(tb)
	go autoAnswer(uas)
	r, _ := NewStaticRouter([]StaticRule{{Destination: "sip:" + uas.addr()}})
	return startServer(tb, Config{Router: r, Anchor: fixedAnchor{}}), newPeer(tb)
}

// BenchmarkCall is one complete anchored call through the proxy
// (INVITE, 200, ACK, BYE, 200), client and server on loopback UDP.
func BenchmarkCall(b *testing.B) {
	s, uac := benchRig(b)
	px := s.Addr("udp")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		id := fmt.Sprintf("bench-%d", i)
		route, contact, toTag := setupCall(b, uac, px, id)
		endCall(b, uac, px, id, route, contact, toTag)
	}
}

// TestMemoryPerCall holds 200 answered calls open through the proxy and
// reports the heap they take, transactions included (sipgo keeps an
// answered INVITE's transactions for 64*T1 = 32 s). The target is
// 50 KB per concurrent call.
func TestMemoryPerCall(t *testing.T) {
	if testing.Short() {
		t.Skip("memory measurement: skipped with -short")
	}
	s, uac := benchRig(t)
	px := s.Addr("udp")
	setupCall(t, uac, px, "warmup")
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	const n = 200
	for i := range n {
		setupCall(t, uac, px, fmt.Sprintf("mem-%d", i))
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / n
	t.Logf("proxy: %d B of heap per concurrent answered call (%d calls tracked), goroutines %d",
		per, s.Stats().Dialogs, runtime.NumGoroutine())
	if per > 50<<10 {
		t.Errorf("proxy: %d B per call, over the 50 KB target", per)
	}
}
