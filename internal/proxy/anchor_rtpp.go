package proxy

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"

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

// Record implements Recorder with R.
func (a RTPPAnchor) Record(ctx context.Context, callID, fromTag, toTag string) error {
	cmd := "R " + callID + " " + fromTag
	if toTag != "" {
		cmd += " " + toTag
	}
	_, err := a.Client.Do(ctx, cmd)
	return err
}
