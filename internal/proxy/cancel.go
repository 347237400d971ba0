package proxy

import (
	"context"

	"github.com/emiago/sipgo/sip"
)

// sendCancel builds and sends a CANCEL for the forwarded INVITE r (RFC
// 3261 §9.1: same Request-URI, Call-ID, From, To, CSeq number, Route and
// top Via) on a client transaction of its own, drained on a goroutine.
func (s *Server) sendCancel(r *sip.Request) {
	c := sip.NewRequest(sip.CANCEL, r.Recipient)
	c.AppendHeader(r.Via().Clone())
	for _, h := range r.GetHeaders("Route") {
		c.AppendHeader(sip.HeaderClone(h))
	}
	c.AppendHeader(sip.HeaderClone(r.From()))
	c.AppendHeader(sip.HeaderClone(r.To()))
	c.AppendHeader(sip.HeaderClone(r.CallID()))
	c.AppendHeader(&sip.CSeqHeader{SeqNo: r.CSeq().SeqNo, MethodName: sip.CANCEL})
	mf := sip.MaxForwardsHeader(70)
	c.AppendHeader(&mf)
	c.SetBody(nil)
	c.SetTransport(r.Transport())
	c.SetDestination(r.Destination())
	c.Laddr = r.Laddr
	tx, err := s.client.TransactionRequest(context.Background(), c, noBuild)
	if err != nil {
		s.log.Warn("CANCEL failed", "call_id", r.CallID().Value(), "err", err)
		return
	}
	go func() {
		defer tx.Terminate()
		for {
			select {
			case res := <-tx.Responses():
				if res.StatusCode >= 200 {
					return
				}
			case <-tx.Done():
				return
			}
		}
	}()
}
