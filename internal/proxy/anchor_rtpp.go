package proxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/callrec/callrec/internal/media"
	"github.com/callrec/callrec/internal/rtpp"
)

// RTPPAnchor anchors media on a remote media node (callrec media, or any
// rtpproxy) over the rtpproxy control protocol, as Kamailio's rtpproxy
// module does.
type RTPPAnchor struct {
	// Client is the node's control connection (rtpp.Dial).
	Client *rtpp.Client
	// Addr is put into SDP when the node's reply carries no address (an
	// rtpproxy without -A answers with the port only): the node's media
	// address.
	Addr netip.Addr
}

func tagArg(tag string, n int) string {
	if tag == "" {
		return ""
	}
	return fmt.Sprintf(" %s;%d", tag, n)
}

func (a RTPPAnchor) signal(ctx context.Context, o media.Offer, offer bool) (netip.AddrPort, error) {
	var b strings.Builder
	if offer {
		b.WriteString("U")
	} else {
		b.WriteString("L")
	}
	if o.Addr.Addr().Is6() {
		b.WriteString("6")
	}
	if len(o.Codecs) > 0 {
		b.WriteString("c")
		for i, c := range o.Codecs {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprint(&b, c)
		}
	}
	fmt.Fprintf(&b, " %s %s %d%s%s", o.CallID, o.Addr.Addr(), o.Addr.Port(), tagArg(o.FromTag, o.MediaNum), tagArg(o.ToTag, o.MediaNum))
	reply, err := a.Client.Do(ctx, b.String())
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("proxy: rtpp %q: %w", b.String(), err)
	}
	port, addr, err := rtpp.ParsePortReply(reply)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("proxy: rtpp %q: %w", b.String(), err)
	}
	if !addr.IsValid() {
		addr = a.Addr
	}
	if !addr.IsValid() || port <= 0 || port > 65535 {
		return netip.AddrPort{}, fmt.Errorf("proxy: rtpp %q: unusable reply %q", b.String(), reply)
	}
	return netip.AddrPortFrom(addr, uint16(port)), nil
}

// Offer implements Anchor with U.
func (a RTPPAnchor) Offer(ctx context.Context, callID, fromTag, toTag string, body []byte) ([]byte, error) {
	return rewriteSDP(ctx, body, callID, fromTag, toTag, true, a.signal)
}

// Answer implements Anchor with L.
func (a RTPPAnchor) Answer(ctx context.Context, callID, fromTag, toTag string, body []byte) ([]byte, error) {
	return rewriteSDP(ctx, body, callID, fromTag, toTag, false, a.signal)
}

// Delete implements Anchor with D. An E8 reply (no session) is not an
// error.
func (a RTPPAnchor) Delete(ctx context.Context, callID, fromTag, toTag string) error {
	cmd := "D " + callID + " " + fromTag
	if toTag != "" {
		cmd += " " + toTag
	}
	_, err := a.Client.Do(ctx, cmd)
	var re *rtpp.Error
	if errors.As(err, &re) {
		return nil // the node no longer knows the call
	}
	return err
}

// Record implements Recorder with R. The rtpproxy protocol carries no
// profile or labels: the remote node records with its default profile.
func (a RTPPAnchor) Record(ctx context.Context, c Call, _ Decision) error {
	return a.do(ctx, "R", c)
}

// StopRecord implements Recorder with N.
func (a RTPPAnchor) StopRecord(ctx context.Context, c Call) error {
	return a.do(ctx, "N", c)
}

func (a RTPPAnchor) do(ctx context.Context, verb string, c Call) error {
	cmd := verb + " " + c.CallID + " " + c.FromTag
	if c.ToTag != "" {
		cmd += " " + c.ToTag
	}
	_, err := a.Client.Do(ctx, cmd)
	return err
}

// RTPPNode is a remote media node for a NodePool: a few control clients
// used in turn (an rtpp.Client runs one command at a time, so one slow
// reply would hold up every call) and one more for health checks, so a
// check never waits behind call traffic.
type RTPPNode struct {
	addr  netip.Addr
	conns chan *rtpp.Client
	check *rtpp.Client
	all   []*rtpp.Client
}

// DialRTPPNode prepares conns clients (at least 1) plus a checking one
// for spec (rtpp.ParseSpec: "udp:10.0.0.5:22222", "unix:/run/media.sock").
// timeout bounds one attempt and retries counts UDP transmissions (see
// rtpp.Client). When the node's replies carry no address, the spec's IP
// is put into SDP.
func DialRTPPNode(spec string, conns int, timeout time.Duration, retries int) (*RTPPNode, error) {
	sp, err := rtpp.ParseSpec(spec)
	if err != nil {
		return nil, err
	}
	n := &RTPPNode{conns: make(chan *rtpp.Client, max(conns, 1))}
	if host, _, err := net.SplitHostPort(sp.Address); err == nil && !sp.Stream() {
		n.addr, _ = netip.ParseAddr(host)
	}
	for i := 0; i <= max(conns, 1); i++ {
		c, err := rtpp.Dial(spec)
		if err != nil {
			n.Close()
			return nil, err
		}
		c.Timeout, c.Retries = timeout, retries
		n.all = append(n.all, c)
		if i == 0 {
			n.check = c
		} else {
			n.conns <- c
		}
	}
	return n, nil
}

// with runs f with a free client.
func (n *RTPPNode) with(ctx context.Context, f func(a RTPPAnchor) error) error {
	select {
	case c := <-n.conns:
		defer func() { n.conns <- c }()
		return f(RTPPAnchor{Client: c, Addr: n.addr})
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Offer implements Anchor with U.
func (n *RTPPNode) Offer(ctx context.Context, callID, fromTag, toTag string, body []byte) (out []byte, err error) {
	err = n.with(ctx, func(a RTPPAnchor) error { out, err = a.Offer(ctx, callID, fromTag, toTag, body); return err })
	return out, err
}

// Answer implements Anchor with L.
func (n *RTPPNode) Answer(ctx context.Context, callID, fromTag, toTag string, body []byte) (out []byte, err error) {
	err = n.with(ctx, func(a RTPPAnchor) error { out, err = a.Answer(ctx, callID, fromTag, toTag, body); return err })
	return out, err
}

// Delete implements Anchor with D.
func (n *RTPPNode) Delete(ctx context.Context, callID, fromTag, toTag string) error {
	return n.with(ctx, func(a RTPPAnchor) error { return a.Delete(ctx, callID, fromTag, toTag) })
}

// Record implements Recorder with R.
func (n *RTPPNode) Record(ctx context.Context, c Call, d Decision) error {
	return n.with(ctx, func(a RTPPAnchor) error { return a.Record(ctx, c, d) })
}

// StopRecord implements Recorder with N.
func (n *RTPPNode) StopRecord(ctx context.Context, c Call) error {
	return n.with(ctx, func(a RTPPAnchor) error { return a.StopRecord(ctx, c) })
}

// Has implements Locator with Q: false when the node answers an error
// (no such session).
func (n *RTPPNode) Has(ctx context.Context, callID, fromTag, toTag string) (bool, error) {
	cmd := "Q " + callID + " " + fromTag
	if toTag != "" {
		cmd += " " + toTag
	}
	var reply string
	err := n.with(ctx, func(a RTPPAnchor) (err error) { reply, err = a.Client.Do(ctx, cmd); return err })
	var re *rtpp.Error
	if errors.As(err, &re) {
		return false, nil
	}
	return err == nil && reply != "", err
}

// Ping asks the node for its protocol version (V), as Kamailio does
// before it uses an rtpproxy; any number is fine.
func (n *RTPPNode) Ping(ctx context.Context) error {
	reply, err := n.check.Do(ctx, "V")
	if err != nil {
		return err
	}
	if reply == "" || strings.Trim(reply, "0123456789") != "" {
		return fmt.Errorf("%w: version %q", rtpp.ErrBadReply, reply)
	}
	return nil
}

// Close closes the node's clients.
func (n *RTPPNode) Close() error {
	for _, c := range n.all {
		c.Close()
	}
	return nil
}
