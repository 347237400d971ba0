package proxy

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// branch is one client transaction of a proxied request. Only the fork
// loop touches done; the branch's own goroutine owns everything else.
type branch struct {
	req        *sip.Request
	tx         sip.ClientTransaction
	cancel     chan struct{} // closed to CANCEL the branch
	cancelOnce sync.Once
	done       bool
}

func (b *branch) requestCancel() { b.cancelOnce.Do(func() { close(b.cancel) }) }

type branchEvent struct {
	b   *branch
	res *sip.Response
	err error // set, with res nil, when the transaction ended
}

// failover reports whether a group's best final response lets the next
// priority group be tried (408, 5xx, or no response at all).
func failover(code int) bool { return code == 408 || (code >= 500 && code < 600) }

// rank orders final responses for RFC 3261 §16.7 step 6: lower is better.
func rank(code int) int {
	switch {
	case code >= 200 && code < 300:
		return 0
	case code >= 600:
		return 1
	case code >= 300 && code < 400:
		return 2
	case code == 408:
		return 4
	case code >= 400 && code < 500:
		return 3
	default:
		return 5
	}
}

// forward runs the priority groups of targets in turn, forking within a
// group, and sends the final response upstream.
func (s *Server) forward(st *txState, targets []Target) {
	var best *sip.Response
	bestCode := 0
	for _, group := range sortGroups(targets) {
		res, code, won, canceled := s.fork(st, group)
		if won || canceled {
			return
		}
		if res != nil || code != 0 {
			if bestCode == 0 || rank(code) <= rank(bestCode) {
				best, bestCode = res, code
			}
		}
		if st.timedOut || !failover(code) {
			break
		}
	}
	if st.initial {
		callID := st.req.CallID().Value()
		to := ""
		if best != nil {
			to = tag(best.To().Params)
		}
		s.deleteMedia(callID, tag(st.req.From().Params), to)
	}
	if best != nil {
		s.upstream(st, best)
		_ = st.tx.Respond(best)
		return
	}
	switch bestCode {
	case 0, 503:
		s.respond(st.tx, st.req, 503, "Service Unavailable")
	default:
		s.respond(st.tx, st.req, bestCode, "Request Timeout")
	}
}

// fork sends st.out to every target of one group in parallel and relays
// responses upstream: provisional ones as they come, the first 2xx (then
// CANCELs the other branches). It returns the best final non-2xx (res nil
// with code 408/503 for a timeout/transport error), whether a 2xx won,
// and whether the upstream request was cancelled.
func (s *Server) fork(st *txState, group []Target) (best *sip.Response, bestCode int, won, canceled bool) {
	ctx, cancelAll := context.WithCancel(st.ctx)
	defer cancelAll()
	events := make(chan branchEvent, 16)
	var branches []*branch
	for _, t := range group {
		var u sip.Uri
		if err := sip.ParseUri(t.URI, &u); err != nil {
			s.log.Warn("bad target", "uri", t.URI, "err", err)
			continue
		}
		r := st.out.Clone()
		r.Recipient = u
		if err := s.prepare(r, u, st.initial); err != nil {
			s.log.Warn("forward failed", "uri", t.URI, "err", err)
			if bestCode == 0 {
				bestCode = 503
			}
			continue
		}
		tx, err := s.client.TransactionRequest(st.ctx, r, noBuild)
		if err != nil {
			s.log.Warn("forward failed", "uri", t.URI, "err", err)
			if bestCode == 0 {
				bestCode = 503
			}
			continue
		}
		b := &branch{req: r, tx: tx, cancel: make(chan struct{})}
		branches = append(branches, b)
		if r.IsInvite() {
			// sipgo absorbs 2xx retransmissions after the first (RFC
			// 6026 Accepted state); a proxy must forward them, with
			// the SDP anchored again (L is idempotent).
			tx.OnRetransmission(func(res *sip.Response) {
				if res.IsSuccess() {
					res = res.Clone()
					s.answer(st, res)
					if h := res.CSeq(); h != nil && st.cseqOff != 0 {
						h.SeqNo -= st.cseqOff
					}
					s.strayResponse(res)
				}
			})
		}
		go s.runBranch(ctx, b, events)
	}
	if len(branches) == 0 {
		return nil, bestCode, false, false
	}
	upCancel := make(chan struct{})
	if st.req.IsInvite() {
		var once sync.Once
		st.tx.OnCancel(func(*sip.Request) {
			once.Do(func() {
				// Runs before sipgo sends the 487: the media is gone
				// by the time the caller learns the call ended.
				if st.initial {
					s.deleteMedia(st.req.CallID().Value(), tag(st.req.From().Params), "")
				}
				close(upCancel)
			})
		})
	}
	cancelRest := func(except *branch) {
		for _, b := range branches {
			if b != except && !b.done {
				b.requestCancel()
			}
		}
	}
	var timerC <-chan time.Time
	if st.req.IsInvite() {
		t := time.NewTimer(time.Until(st.deadline))
		defer t.Stop()
		timerC = t.C
	}
	pending := len(branches)
	for pending > 0 {
		select {
		case <-timerC:
			// Timer C: give up on the branches still pending.
			st.timedOut = true
			cancelRest(nil)
			if best == nil {
				bestCode = 408
			}
			return best, bestCode, false, canceled
		case <-upCancel:
			upCancel = nil
			canceled = true
			st.final = true // sipgo answered 487
			cancelRest(nil)
		case ev := <-events:
			b := ev.b
			if ev.res == nil {
				if !b.done {
					b.done = true
					pending--
					code := 503
					if errors.Is(ev.err, sip.ErrTransactionTimeout) {
						code = 408
					}
					if ev.err != nil && (bestCode == 0 || rank(code) < rank(bestCode)) && best == nil {
						bestCode = code
					}
				}
				continue
			}
			res := ev.res
			switch {
			case res.StatusCode < 200:
				if res.StatusCode == 100 || st.final || canceled {
					continue
				}
				s.answer(st, res)
				s.upstream(st, res)
				_ = st.tx.Respond(res)
			case res.StatusCode < 300:
				if !b.done {
					b.done = true
					pending--
				}
				s.answer(st, res)
				s.upstream(st, res)
				if st.final {
					// A second 2xx from another fork: forward it
					// statelessly so the caller can ACK and BYE it.
					_ = s.srv.WriteResponse(res)
					continue
				}
				st.final, won = true, true
				// Recording starts before the caller learns of the
				// answer, so the first packets are recorded.
				s.answered2xx(st, res)
				_ = st.tx.Respond(res)
				cancelRest(b)
			default:
				if !b.done {
					b.done = true
					pending--
				}
				if best == nil || rank(res.StatusCode) < rank(best.StatusCode) {
					best, bestCode = res, res.StatusCode
				}
				if res.StatusCode >= 600 && !st.final {
					cancelRest(b) // RFC 3261 §16.7 step 5
				}
			}
		}
	}
	return best, bestCode, won, canceled
}

// runBranch relays one branch's responses to the fork loop until its
// final response or the end of its transaction (Timer B, 64*T1), and
// sends CANCEL when asked, once a provisional response has come (RFC 3261
// §9.1). When the fork loop is gone (ctx done) it keeps draining so that
// sipgo's state machine, which hands responses over unbuffered, can
// finish (ACK the non-2xx, run Timer D).
func (s *Server) runBranch(ctx context.Context, b *branch, events chan<- branchEvent) {
	var gotProv, wantCancel, sent bool
	cancelCh, done := (<-chan struct{})(b.cancel), ctx.Done()
	send := func(ev branchEvent) {
		if done == nil {
			return
		}
		select {
		case events <- ev:
		case <-done:
			done = nil
		}
	}
	for {
		select {
		case <-cancelCh:
			cancelCh, wantCancel = nil, true
		case <-done:
			done = nil
		case res := <-b.tx.Responses():
			if res.StatusCode < 200 {
				gotProv = true
			}
			send(branchEvent{b: b, res: res})
			if res.StatusCode >= 200 {
				return
			}
		case <-b.tx.Done():
			send(branchEvent{b: b, err: b.tx.Err()})
			return
		}
		if wantCancel && gotProv && !sent && b.req.IsInvite() {
			sent = true
			s.sendCancel(b.req)
		}
	}
}
