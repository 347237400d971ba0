package proxy

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/emiago/sipgo/sip"
)

// Mid-call anchoring, as the seed proposes ("this does not have to
// happen when a call is initiated, but can happen when the call is
// already in progress, through a re-INVITE"): a call answered with media
// flowing directly between the parties is moved through the media node
// when a recording is requested, so node ports are used only while a
// recording is wanted.
//
// The proxy is in the dialog (it Record-Routes), so it can send requests
// of its own to each party, as the other party (RFC 3261 §12.2.1.1):
//
//	caller <- re-INVITE (no SDP)            proxy
//	caller -> 200 (offer O, caller's SDP)   proxy: U → O' (node, callee side)
//	          re-INVITE (O')                proxy -> callee
//	          200 (answer A)                proxy <- callee: L → A' (node, caller side)
//	caller <- ACK (A')    ACK (no body) -> callee
//
// The caller is asked first so that its offer creates the node's
// stream with the caller as the first offerer: the recording keeps the
// caller on the left, as for calls anchored from the start. Each
// injected request takes a CSeq number in its direction (seqSpace), and
// the proxy rewrites that direction's CSeq for the rest of the dialog.
//
// When a re-INVITE is refused (491 glare, any error response) or not
// answered within Config.ReinviteTimeout, the call is left as it was:
// if the caller already sent its offer, it is ACKed with the callee's
// last SDP, and the node's streams are deleted. The failure is counted
// (Stats.MidCallFailures) and logged. Stopping a recording leaves the
// media anchored; the streams end with the call.

// dialogOf builds a call's dialogInfo from its initial INVITE and the
// 2xx; nil when either lacks a Contact.
func (s *Server) dialogOf(req *sip.Request, res *sip.Response, callerSDP, calleeSDP []byte) *dialogInfo {
	rc, sc := req.Contact(), res.Contact()
	if rc == nil || sc == nil {
		return nil
	}
	d := &dialogInfo{from: sip.HeaderClone(req.From()).(*sip.FromHeader), to: sip.HeaderClone(res.To()).(*sip.ToHeader)}
	d.target[partyCaller], d.target[partyCallee] = *rc.Address.Clone(), *sc.Address.Clone()
	var rr []sip.Uri
	for _, h := range res.GetHeaders("Record-Route") {
		if r, ok := h.(*sip.RecordRouteHeader); ok {
			rr = append(rr, *r.Address.Clone())
		}
	}
	first, last := -1, -1
	for i, u := range rr {
		if s.isUs(u) {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first >= 0 {
		// The 2xx lists the proxies nearest the callee first.
		for i := first - 1; i >= 0; i-- {
			d.route[partyCallee] = append(d.route[partyCallee], rr[i])
		}
		d.route[partyCaller] = append(d.route[partyCaller], rr[last+1:]...)
	}
	d.sdp[partyCaller] = append([]byte(nil), callerSDP...)
	d.sdp[partyCallee] = append([]byte(nil), calleeSDP...)
	return d
}

// Calls returns the calls in progress, oldest first.
func (s *Server) Calls() []Call { return s.calls.list() }

// Record starts recording an answered call now, anchoring its media
// first when it was not (mid-call anchoring). o's fields, when set,
// replace those of the policy's decision. It returns
// ErrNoCall, ErrNotAnswered, ErrRecordingRefused, ErrAnchorBusy,
// ErrNoRecorder, or an error wrapping ErrMidCallAnchor. Recording a call
// already recording is not an error.
func (s *Server) Record(ctx context.Context, callID string, o RecordOptions) error {
	if _, ok := s.cfg.Anchor.(Recorder); !ok {
		return ErrNoRecorder
	}
	var err error
	var c Call
	var d Decision
	var anchor bool
	if !s.calls.update(callID, func(k *call) {
		switch {
		case k.answered.IsZero():
			err = ErrNotAnswered
		case !k.decision.Record && !k.decision.OnDemand:
			err = ErrRecordingRefused
		case k.busy:
			err = ErrAnchorBusy
		case !k.anchored:
			k.busy, anchor = true, true
		}
		c, d = k.info(), k.decision
	}) {
		return fmt.Errorf("%w: %q", ErrNoCall, callID)
	}
	if err != nil {
		return fmt.Errorf("%w: %q", err, callID)
	}
	if c.Recording {
		return nil
	}
	if anchor {
		err = s.anchorMidCall(ctx, callID)
		s.calls.update(callID, func(k *call) {
			k.busy = false
			if err == nil {
				k.anchored, k.dlg = true, nil
			}
			c = k.info()
		})
		if err != nil {
			s.midFailures.Add(1)
			s.log.Warn("mid-call anchoring failed, call left unanchored", "call_id", callID, "err", err)
			return err
		}
		s.midAnchored.Add(1)
		s.log.Info("call anchored mid-call", "call_id", callID)
	}
	if o.Profile != "" {
		d.Profile = o.Profile
	}
	if o.Labels != nil {
		d.Labels = o.Labels
	}
	if o.Keywords != nil {
		d.Keywords = o.Keywords
	}
	return s.startRecording(ctx, c, d)
}

// RecordOptions are what an on-demand recording (Server.Record) sets
// instead of the policy's decision.
type RecordOptions struct {
	Profile string
	Labels  map[string]string
	// Keywords are spotted live in the recording (see
	// Decision.Keywords); an empty, non-nil list spots none.
	Keywords []string
}

// StopRecord stops recording a call; its media stays anchored (the
// node's streams end with the call). Stopping a call that is not
// recording is not an error.
func (s *Server) StopRecord(ctx context.Context, callID string) error {
	r, ok := s.cfg.Anchor.(Recorder)
	if !ok {
		return ErrNoRecorder
	}
	var c Call
	if !s.calls.update(callID, func(k *call) { c = k.info() }) {
		return fmt.Errorf("%w: %q", ErrNoCall, callID)
	}
	if !c.Recording {
		return nil
	}
	if err := r.StopRecord(ctx, c); err != nil {
		return err
	}
	s.calls.update(callID, func(k *call) { k.recording = false })
	return nil
}

// anchorMidCall runs the re-INVITE exchange described above.
func (s *Server) anchorMidCall(ctx context.Context, callID string) error {
	var d *dialogInfo
	var fromTag, toTag string
	s.calls.update(callID, func(k *call) { d, fromTag, toTag = k.dlg, k.fromTag, k.toTag })
	if d == nil {
		return fmt.Errorf("%w: no dialog state (no Contact in the INVITE or 2xx)", ErrMidCallAnchor)
	}
	// 1. Ask the caller for an offer.
	req1 := s.dialogRequest(callID, d, partyCaller, nil)
	if req1 == nil {
		return fmt.Errorf("%w: call ended", ErrMidCallAnchor)
	}
	rv1, err := s.transact(ctx, req1)
	if err != nil {
		return fmt.Errorf("%w: re-INVITE to the caller: %w", ErrMidCallAnchor, err)
	}
	if !hasSDP(rv1.res) {
		s.ack(rv1, nil)
		return fmt.Errorf("%w: caller's 200 carries no offer", ErrMidCallAnchor)
	}
	// restore gives the caller back the session it had.
	restore := func() {
		s.ack(rv1, d.sdp[partyCallee])
		if err := s.cfg.Anchor.Delete(context.Background(), callID, fromTag, toTag); err != nil {
			s.log.Warn("media delete failed", "call_id", callID, "err", err)
		}
	}
	offer, err := s.cfg.Anchor.Offer(ctx, callID, fromTag, toTag, rv1.res.Body())
	if err != nil {
		s.anchorFailures.Add(1)
		restore()
		return fmt.Errorf("%w: %w", ErrMidCallAnchor, err)
	}
	// 2. Offer the node to the callee.
	req2 := s.dialogRequest(callID, d, partyCallee, offer)
	if req2 == nil {
		restore()
		return fmt.Errorf("%w: call ended", ErrMidCallAnchor)
	}
	rv2, err := s.transact(ctx, req2)
	if err != nil {
		restore()
		return fmt.Errorf("%w: re-INVITE to the callee: %w", ErrMidCallAnchor, err)
	}
	if !hasSDP(rv2.res) {
		s.ack(rv2, nil)
		restore()
		return fmt.Errorf("%w: callee's 200 carries no answer", ErrMidCallAnchor)
	}
	answer, err := s.cfg.Anchor.Answer(ctx, callID, fromTag, toTag, rv2.res.Body())
	if err != nil {
		// The callee already sends to the node; give the caller the
		// callee's own answer so that at least that direction flows.
		s.anchorFailures.Add(1)
		s.ack(rv2, nil)
		s.ack(rv1, rv2.res.Body())
		return fmt.Errorf("%w: answer: %w", ErrMidCallAnchor, err)
	}
	// 3. ACK both; the caller's carries the answer.
	s.ack(rv2, nil)
	s.ack(rv1, answer)
	return nil
}

// dialogRequest builds a re-INVITE from the proxy to party to (as the
// other party), with body as its offer (nil: none), taking the next
// CSeq of that direction. Nil when the call has ended.
func (s *Server) dialogRequest(callID string, d *dialogInfo, to int, body []byte) *sip.Request {
	var cseq uint32
	if !s.calls.update(callID, func(k *call) { cseq = k.seq[1-to].inject() }) {
		return nil
	}
	r := sip.NewRequest(sip.INVITE, *d.target[to].Clone())
	for _, u := range d.route[to] {
		r.AppendHeader(&sip.RouteHeader{Address: *u.Clone()})
	}
	if to == partyCallee {
		r.AppendHeader(sip.HeaderClone(d.from))
		r.AppendHeader(sip.HeaderClone(d.to))
	} else {
		r.AppendHeader(&sip.FromHeader{DisplayName: d.to.DisplayName, Address: *d.to.Address.Clone(), Params: d.to.Params.Clone()})
		r.AppendHeader(&sip.ToHeader{DisplayName: d.from.DisplayName, Address: *d.from.Address.Clone(), Params: d.from.Params.Clone()})
	}
	cid := sip.CallIDHeader(callID)
	r.AppendHeader(&cid)
	r.AppendHeader(&sip.CSeqHeader{SeqNo: cseq, MethodName: sip.INVITE})
	mf := sip.MaxForwardsHeader(70)
	r.AppendHeader(&mf)
	// A re-INVITE refreshes the receiver's remote target: give it the
	// other party's, which it already has.
	r.AppendHeader(&sip.ContactHeader{Address: *d.target[1-to].Clone()})
	if body != nil {
		ct := sip.ContentTypeHeader("application/sdp")
		r.AppendHeader(&ct)
	}
	r.SetBody(body)
	if err := s.prepare(r, r.Recipient, false); err != nil {
		return nil
	}
	return r
}

// reinvite is one re-INVITE the proxy sent, its 2xx, and the ACK once
// sent (read by the retransmission callback).
type reinvite struct {
	req *sip.Request
	res *sip.Response
	ack atomic.Pointer[sip.Request]
}

// transact sends an in-dialog INVITE and waits for its final response,
// at most Config.ReinviteTimeout; a 2xx is returned, anything else is an
// error (sipgo ACKs non-2xx itself). A 2xx retransmitted because the
// ACK was lost is ACKed again.
func (s *Server) transact(ctx context.Context, req *sip.Request) (*reinvite, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.ReinviteTimeout)
	defer cancel()
	tx, err := s.client.TransactionRequest(context.Background(), req, noBuild)
	if err != nil {
		return nil, err
	}
	for {
		select {
		case res := <-tx.Responses():
			switch {
			case res.StatusCode < 200:
				continue
			case res.StatusCode < 300:
				rv := &reinvite{req: req, res: res}
				tx.OnRetransmission(func(*sip.Response) {
					if a := rv.ack.Load(); a != nil {
						_ = s.client.WriteRequest(a, noBuild)
					}
				})
				return rv, nil
			}
			return nil, fmt.Errorf("%d %s", res.StatusCode, res.Reason)
		case <-tx.Done():
			if err := tx.Err(); err != nil {
				return nil, err
			}
			return nil, fmt.Errorf("transaction ended")
		case <-ctx.Done():
			s.sendCancel(req)
			tx.Terminate()
			return nil, ctx.Err()
		}
	}
}

// ack sends the ACK for the 2xx to the proxy's re-INVITE rv (RFC 3261
// §13.2.2.4: same CSeq number, the 2xx's To and Contact, the dialog's
// route set), with body (nil: none).
func (s *Server) ack(rv *reinvite, body []byte) {
	req, res := rv.req, rv.res
	ruri := req.Recipient
	if c := res.Contact(); c != nil {
		ruri = c.Address
	}
	a := sip.NewRequest(sip.ACK, *ruri.Clone())
	for _, h := range req.GetHeaders("Route") {
		a.AppendHeader(sip.HeaderClone(h))
	}
	a.AppendHeader(sip.HeaderClone(req.From()))
	a.AppendHeader(sip.HeaderClone(res.To()))
	a.AppendHeader(sip.HeaderClone(req.CallID()))
	a.AppendHeader(&sip.CSeqHeader{SeqNo: req.CSeq().SeqNo, MethodName: sip.ACK})
	mf := sip.MaxForwardsHeader(70)
	a.AppendHeader(&mf)
	if body != nil {
		ct := sip.ContentTypeHeader("application/sdp")
		a.AppendHeader(&ct)
	}
	a.SetBody(body)
	if err := s.prepare(a, a.Recipient, false); err != nil {
		return
	}
	rv.ack.Store(a)
	if err := s.client.WriteRequest(a, noBuild); err != nil {
		s.log.Warn("ACK failed", "call_id", req.CallID().Value(), "err", err)
	}
}
