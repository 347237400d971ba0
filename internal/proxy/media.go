package proxy

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/emiago/sipgo/sip"
)

// offer anchors the SDP of an INVITE/UPDATE request; false when the
// request was refused (fail-closed). For an initial INVITE it creates
// the call's state and asks the recording policy.
func (s *Server) offer(st *txState) bool {
	req := st.req
	if req.Method != sip.INVITE && req.Method != sip.UPDATE {
		return true
	}
	st.hadOffer = hasSDP(req)
	callID, from, to := req.CallID().Value(), tag(req.From().Params), tag(req.To().Params)
	if s.cfg.Anchor == nil {
		return true
	}
	st.anchorMedia = true
	if st.initial {
		c := &call{id: callID, fromTag: from, created: time.Now(), caller: req.From().Address.String(),
			callee: req.To().Address.String(), ruri: req.Recipient.String()}
		c.seq[partyCaller] = seqSpace{last: req.CSeq().SeqNo, seen: true}
		if s.cfg.Recording != nil {
			c.decision = s.cfg.Recording(st.ctx, c.info())
		} else {
			c.decision = Decision{OnDemand: true, Rule: -1}
		}
		st.anchorMedia = !s.cfg.AnchorOnRecord || c.decision.Record
		if !st.anchorMedia && st.hadOffer {
			st.callerSDP = req.Body()
		}
		s.calls.put(c)
	} else {
		s.calls.update(callID, func(c *call) {
			if !c.anchored && !c.answered.IsZero() {
				st.anchorMedia = false
			}
		})
		if !st.anchorMedia && st.hadOffer {
			s.calls.noteSDP(callID, from, req.Body(), false)
		}
	}
	if !st.anchorMedia || !st.hadOffer {
		return true
	}
	body, err := s.cfg.Anchor.Offer(st.ctx, callID, from, to, req.Body())
	if err != nil {
		s.anchorFailures.Add(1)
		// With no media node at all, the NodePool raises a rate-limited
		// alarm; one line per call would flood the log.
		lvl := slog.LevelWarn
		if errors.Is(err, ErrNoMediaNode) {
			lvl = slog.LevelDebug
		}
		if s.cfg.FailClosed && st.initial {
			s.log.Log(st.ctx, lvl, "anchoring failed, call refused (fail-closed)", "call_id", callID, "err", err)
			s.calls.remove(callID)
			s.respond(st.tx, req, 503, "Service Unavailable")
			return false
		}
		s.log.Log(st.ctx, lvl, "anchoring failed, forwarding unanchored (fail-open)", "call_id", callID, "err", err)
		return true
	}
	st.out.SetBody(body)
	st.offered, st.anchored = true, true
	return true
}

// answer anchors the SDP of a response to an INVITE/UPDATE: the answer to
// the request's offer, or a late offer in a 2xx to an INVITE without SDP.
func (s *Server) answer(st *txState, res *sip.Response) {
	if s.cfg.Anchor == nil || !hasSDP(res) {
		return
	}
	m := st.req.Method
	if m != sip.INVITE && m != sip.UPDATE {
		return
	}
	callID, from, to := st.req.CallID().Value(), tag(st.req.From().Params), tag(res.To().Params)
	if !st.anchorMedia {
		if st.initial {
			st.calleeSDP = res.Body()
		} else {
			s.calls.noteSDP(callID, from, res.Body(), true)
		}
		return
	}
	var body []byte
	var err error
	switch {
	case st.offered:
		body, err = s.cfg.Anchor.Answer(st.ctx, callID, from, to, res.Body())
	case !st.hadOffer && m == sip.INVITE && res.StatusCode >= 200:
		body, err = s.cfg.Anchor.Offer(st.ctx, callID, to, from, res.Body())
		if err == nil {
			st.anchored = true
			if !s.calls.update(callID, func(c *call) { c.lateOfferer, c.calleeFirst = to, true }) {
				s.calls.put(&call{id: callID, fromTag: from, toTag: to, created: time.Now(), lateOfferer: to, calleeFirst: true})
			}
		}
	case st.hadOffer:
		return // the offer was not anchored (fail-open): leave the answer alone
	default:
		return
	}
	if err != nil {
		s.anchorFailures.Add(1)
		s.log.Warn("anchoring the answer failed, forwarding unanchored", "call_id", callID, "status", res.StatusCode, "err", err)
		return
	}
	res.SetBody(body)
}

// handleAck forwards an ACK for a 2xx end to end (ACKs for non-2xx are
// absorbed by the transaction layer), completing a late offer.
func (s *Server) handleAck(req *sip.Request, _ sip.ServerTransaction) {
	s.requests.Add(1)
	if req.CallID() == nil || req.From() == nil || req.To() == nil {
		return
	}
	out := req.Clone()
	for r := out.Route(); r != nil && s.isUs(r.Address); r = out.Route() {
		out.RemoveHeader("Route")
	}
	if mf := out.MaxForwards(); mf != nil {
		if mf.Val() == 0 {
			return
		}
		mf.Dec()
	}
	callID := req.CallID().Value()
	s.calls.seqAck(callID, tag(req.From().Params), out.CSeq())
	if hasSDP(req) {
		s.calls.noteSDP(callID, tag(req.From().Params), req.Body(), false)
	}
	if c := s.calls.get(callID); c != nil && c.lateOfferer != "" && hasSDP(req) && s.cfg.Anchor != nil {
		body, err := s.cfg.Anchor.Answer(context.Background(), callID, c.lateOfferer, tag(req.From().Params), req.Body())
		if err != nil {
			s.anchorFailures.Add(1)
			s.log.Warn("anchoring the ACK answer failed", "call_id", callID, "err", err)
		} else {
			out.SetBody(body)
		}
		s.calls.update(callID, func(c *call) { c.lateOfferer = "" })
	}
	if err := s.prepare(out, out.Recipient, false); err != nil {
		s.log.Warn("forwarding ACK failed", "call_id", callID, "err", err)
		return
	}
	if err := s.client.WriteRequest(out, noBuild); err != nil {
		s.log.Warn("forwarding ACK failed", "call_id", callID, "err", err)
	}
}

func (s *Server) deleteMedia(callID, fromTag, toTag string) {
	s.calls.remove(callID)
	if s.cfg.Anchor == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := s.cfg.Anchor.Delete(ctx, callID, fromTag, toTag); err != nil {
		s.log.Warn("media delete failed", "call_id", callID, "err", err)
	}
}

// answered2xx counts an answered initial INVITE, completes the call's
// state (what mid-call anchoring needs when it is not anchored) and
// starts recording when the policy said so.
func (s *Server) answered2xx(st *txState, res *sip.Response) {
	if !st.initial {
		return
	}
	s.answered.Add(1)
	callID, to := st.req.CallID().Value(), tag(res.To().Params)
	var c Call
	var d Decision
	if !s.calls.update(callID, func(k *call) {
		k.toTag, k.answered, k.anchored = to, time.Now(), st.anchored
		if !k.anchored {
			k.dlg = s.dialogOf(st.req, res, st.callerSDP, st.calleeSDP)
		}
		c, d = k.info(), k.decision
	}) {
		return
	}
	if !d.Record {
		return
	}
	if !c.Anchored {
		s.log.Warn("call to be recorded is not anchored", "call_id", callID)
		return
	}
	s.startRecording(st.ctx, c, d)
}

// startRecording starts the Anchor's recording of an anchored call.
func (s *Server) startRecording(ctx context.Context, c Call, d Decision) error {
	r, ok := s.cfg.Anchor.(Recorder)
	if !ok {
		return ErrNoRecorder
	}
	if err := r.Record(ctx, c, d); err != nil {
		s.log.Warn("start recording failed", "call_id", c.CallID, "err", err)
		return err
	}
	s.calls.update(c.CallID, func(k *call) { k.recording = true })
	return nil
}
