package media

import (
	"sync/atomic"

	"github.com/callrec/callrec/internal/rtp"
)

// rtpCounters are one endpoint's RTP statistics (RFC 3550 A.1/A.8). The
// relay worker owns st and publishes a copy of the interesting fields
// into the atomics once per batch, so Q and metrics read them without
// touching the worker's state.
type rtpCounters struct {
	st rtp.Stats // worker-owned

	ssrc        atomic.Uint32
	payloadType atomic.Uint32
	clockRate   atomic.Uint32
	ssrcChanges atomic.Uint64
	expected    atomic.Uint64
	lost        atomic.Int64
	reordered   atomic.Uint64
	duplicates  atomic.Uint64
	jitter      atomic.Uint32 // RTP timestamp units
}

// update records one RTP packet. Called on the relay worker only.
func (r *rtpCounters) update(ssrc uint32, seq uint16, ts uint32, pt uint8, size int, now int64) {
	r.st.Update(ssrc, seq, ts, size, now, rtp.ClockRate(pt))
	r.payloadType.Store(uint32(pt))
}

// publish copies the worker's statistics for readers. Called on the
// relay worker only, once per batch.
func (r *rtpCounters) publish() {
	s := r.st.Snapshot()
	r.ssrc.Store(s.SSRC)
	r.ssrcChanges.Store(s.SSRCChanges)
	r.expected.Store(uint64(s.Expected))
	r.lost.Store(s.Lost)
	r.reordered.Store(s.Reordered)
	r.duplicates.Store(s.Duplicates)
	r.jitter.Store(s.Jitter)
	r.clockRate.Store(rtp.ClockRate(uint8(r.payloadType.Load())))
}
