package proxy

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"github.com/callrec/callrec/internal/media"
	"github.com/callrec/callrec/internal/sdp"
)

// Anchor moves a call's media through a media node by rewriting its SDP
// (rtpproxy offer/answer semantics). fromTag is always the tag of the
// party that made the offer being answered, toTag the other party's (""
// while unknown): for an INVITE offer the From tag; for a late offer
// carried in a 200 OK the To tag. Implementations must be safe for
// concurrent use.
type Anchor interface {
	// Offer signals the offerer's SDP (rtpproxy U, one per RTP m= line)
	// and returns the SDP to forward to the answerer, pointing at the
	// node.
	Offer(ctx context.Context, callID, fromTag, toTag string, sdp []byte) ([]byte, error)
	// Answer signals the answerer's SDP (rtpproxy L) and returns the SDP
	// to forward to the offerer.
	Answer(ctx context.Context, callID, fromTag, toTag string, sdp []byte) ([]byte, error)
	// Delete ends the call's media streams (rtpproxy D). Deleting an
	// unknown call is not an error.
	Delete(ctx context.Context, callID, fromTag, toTag string) error
}

// Recorder is implemented by anchors that can record an anchored call
// (rtpproxy R and N).
type Recorder interface {
	// Record starts recording c with the policy's profile and labels.
	Record(ctx context.Context, c Call, d Decision) error
	// StopRecord stops recording c; its media stays anchored.
	StopRecord(ctx context.Context, c Call) error
}

// signalFunc sends one U (offer true) or L for one stream and returns the
// node's address for the other party.
type signalFunc func(ctx context.Context, o media.Offer, offer bool) (netip.AddrPort, error)

// rewriteSDP signals every RTP m= line of body (media number = m= index+1;
// rejected lines are left alone) and rewrites the c=/m=/a=rtcp lines to
// the node's addresses with sdp.Rewrite, keeping every other byte. ICE
// and rtcp-mux attributes are removed: they describe the endpoint, not
// the node. A party on hold (c=0.0.0.0 or a=sendonly) is signalled as it
// is; the hold address is kept.
func rewriteSDP(ctx context.Context, body []byte, callID, fromTag, toTag string, offer bool, signal signalFunc) ([]byte, error) {
	s, err := sdp.Parse(body)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadSDP, err)
	}
	edits := make([]sdp.MediaEdit, len(s.Media))
	var sessAddr netip.Addr
	var pts []uint8
	for i := range s.Media {
		m := &s.Media[i]
		if !m.IsRTP() || m.Rejected() {
			continue
		}
		c := s.Connection(i)
		if !c.Addr.IsValid() {
			return nil, fmt.Errorf("%w: media %d has no IP address in c=", ErrBadSDP, i+1)
		}
		pts = m.PayloadTypes(pts[:0])
		codecs := make([]int, len(pts))
		for j, pt := range pts {
			codecs[j] = int(pt)
		}
		ap, err := signal(ctx, media.Offer{
			CallID: callID, FromTag: fromTag, ToTag: toTag, MediaNum: i + 1,
			Addr: netip.AddrPortFrom(c.Addr, uint16(m.Port)), Codecs: codecs,
		}, offer)
		if err != nil {
			return nil, err
		}
		edits[i] = sdp.MediaEdit{Addr: ap.Addr(), Port: int(ap.Port())}
		if !sessAddr.IsValid() {
			sessAddr = ap.Addr()
		}
	}
	if !sessAddr.IsValid() {
		return body, nil
	}
	return s.AppendRewrite(make([]byte, 0, len(body)+64), sdp.Edit{Addr: sessAddr, Media: edits, DropICE: true, DropRTCPMux: true})
}

// ManagerAnchor anchors media on an in-process media node (callrec serve).
type ManagerAnchor struct {
	M *media.Manager
	// Prepare, when set, is called before a recording starts, to hand
	// the recorder the call's parties, profile and labels.
	Prepare func(c Call, d Decision) error
}

func (a ManagerAnchor) signal(_ context.Context, o media.Offer, offer bool) (netip.AddrPort, error) {
	if offer {
		return a.M.Update(o)
	}
	return a.M.Lookup(o)
}

// Offer implements Anchor with Manager.Update.
func (a ManagerAnchor) Offer(ctx context.Context, callID, fromTag, toTag string, body []byte) ([]byte, error) {
	return rewriteSDP(ctx, body, callID, fromTag, toTag, true, a.signal)
}

// Answer implements Anchor with Manager.Lookup.
func (a ManagerAnchor) Answer(ctx context.Context, callID, fromTag, toTag string, body []byte) ([]byte, error) {
	return rewriteSDP(ctx, body, callID, fromTag, toTag, false, a.signal)
}

// Delete implements Anchor with Manager.Delete.
func (a ManagerAnchor) Delete(_ context.Context, callID, fromTag, toTag string) error {
	if _, err := a.M.Delete(callID, fromTag, toTag); err != nil && !errors.Is(err, media.ErrNoSession) {
		return err
	}
	return nil
}

// Has implements Locator with Manager.Query (first media stream).
func (a ManagerAnchor) Has(_ context.Context, callID, fromTag, toTag string) (bool, error) {
	_, err := a.M.Query(callID, fromTag, toTag, 1)
	return err == nil, nil
}

// Record implements Recorder with Prepare and Manager.Record.
func (a ManagerAnchor) Record(_ context.Context, c Call, d Decision) error {
	if a.Prepare != nil {
		if err := a.Prepare(c, d); err != nil {
			return err
		}
	}
	return a.M.Record(c.CallID, c.FromTag, c.ToTag)
}

// StopRecord implements Recorder with Manager.StopRecord.
func (a ManagerAnchor) StopRecord(_ context.Context, c Call) error {
	return a.M.StopRecord(c.CallID)
}
