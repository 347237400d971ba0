package proxy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/emiago/sipgo/sip"
)

type failingAnchor struct{}

func (failingAnchor) Offer(context.Context, string, string, string, []byte) ([]byte, error) {
	return nil, errors.New("node down")
}
func (failingAnchor) Answer(context.Context, string, string, string, []byte) ([]byte, error) {
	return nil, errors.New("node down")
}
func (failingAnchor) Delete(context.Context, string, string, string) error { return nil }

func sdpBody(ip string, port int, extra string) string {
	return fmt.Sprintf("v=0\r\no=x 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio %d RTP/AVP 0\r\n%s", ip, ip, port, extra)
}

func withSDP(msg, body string) string {
	return strings.Replace(msg, "Content-Length: 0\r\n\r\n",
		fmt.Sprintf("Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s", len(body), body), 1)
}

// TestAnchorFailurePolicy: when the media node fails, the call goes
// through unanchored and is counted (fail-open), or is refused with 503
// (fail-closed).
func TestAnchorFailurePolicy(t *testing.T) {
	for _, closed := range []bool{false, true} {
		t.Run(fmt.Sprintf("failclosed=%v", closed), func(t *testing.T) {
			uas := newPeer(t)
			r, _ := NewStaticRouter([]StaticRule{{Destination: "sip:" + uas.addr()}})
			s := startServer(t, Config{Router: r, Anchor: failingAnchor{}, FailClosed: closed})
			uac := newPeer(t)
			body := sdpBody("127.0.0.2", 4000, "")
			uac.send(s.Addr("udp"), withSDP(inviteFrom(uac, "sip:bob@"+s.Addr("udp"), "fail", ""), body))
			if closed {
				uac.expect("SIP/2.0 503")
			} else {
				inv := uas.expect("INVITE").(*sip.Request)
				if string(inv.Body()) != body {
					t.Errorf("fail-open changed the body:\n%s", inv.Body())
				}
				uas.reply(inv, 480, "Temporarily Unavailable", "u")
				uac.expect("SIP/2.0 480")
			}
			if n := s.Stats().AnchorFailures; n != 1 {
				t.Errorf("AnchorFailures = %d, want 1", n)
			}
		})
	}
}

func TestCollector(t *testing.T) {
	uas := newPeer(t)
	r, _ := NewStaticRouter([]StaticRule{{Destination: "sip:" + uas.addr()}})
	s := startServer(t, Config{Router: r, Anchor: failingAnchor{}, FailClosed: true})
	uac := newPeer(t)
	uac.send(s.Addr("udp"), withSDP(inviteFrom(uac, "sip:bob@"+s.Addr("udp"), "m", ""), sdpBody("127.0.0.2", 4000, "")))
	uac.expect("SIP/2.0 503")
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(NewCollector(s))
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() == "callrec_proxy_anchor_failures_total" {
			if v := f.GetMetric()[0].GetCounter().GetValue(); v != 1 {
				t.Errorf("anchor failures %v, want 1", v)
			}
			return
		}
	}
	t.Errorf("callrec_proxy_anchor_failures_total not gathered (%d families)", len(fams))
}
