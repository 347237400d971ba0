package media

import "sync/atomic"

// rtpCounters are per-endpoint RTP statistics published by the relay
// worker (single writer) for Q and metrics.
type rtpCounters struct {
	ssrc        atomic.Uint32
	payloadType atomic.Uint32
	ssrcChanges atomic.Uint64
}

// update records one RTP packet. Called on the relay worker only.
func (r *rtpCounters) update(ssrc uint32, seq uint16, ts uint32, pt uint8, now int64) {
	if r.ssrc.Load() != ssrc {
		r.ssrc.Store(ssrc)
		r.ssrcChanges.Add(1)
	}
	r.payloadType.Store(uint32(pt))
}
