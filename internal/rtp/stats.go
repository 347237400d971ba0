package rtp

import "math/bits"

// dupWindow is how many extended sequence numbers behind the highest one
// Stats remembers, to tell duplicates from late packets. It must exceed
// MaxMisorder, beyond which SeqUnwrap does not count packets at all.
const dupWindow = 256

// StreamStats is a snapshot of a Stats value. Counters marked "A.1" restart
// when the source re-synchronises (SeqResync) or changes SSRC; Packets,
// Bytes and SSRCChanges cover the Stats value's whole life.
type StreamStats struct {
	SSRC        uint32 // current source
	SSRCChanges uint64 // times the SSRC changed after the first packet
	Packets     uint64 // every packet given to Update
	Bytes       uint64 // sum of the sizes given to Update

	Valid       bool   // the source passed probation (A.1)
	Received    uint64 // packets counted by A.1, duplicates included
	Expected    uint64 // A.1: highest extended seq - base + 1
	Lost        int64  // Expected - Received; negative with duplicates (RFC 3550 §6.4.1)
	HighestSeq  uint32 // highest extended sequence number (A.1)
	Reordered   uint64 // late packets that were not duplicates
	Duplicates  uint64 // packets whose sequence number was already seen (within 256)
	Jumps       uint64 // packets dropped as a large sequence jump
	Resyncs     uint64 // re-synchronisations after a confirmed jump
	Jitter      uint32 // interarrival jitter, RTP timestamp units (§6.4.1, A.8)
	LastRTPTime uint32 // timestamp of the latest in-order packet
}

// Stats tracks the receive statistics of one RTP stream (one endpoint's
// incoming packets): RFC 3550 A.1 sequence validation and loss, A.8
// interarrival jitter, reordering, duplicates (a 256-packet bitmap) and
// SSRC changes, which restart the per-source statistics.
//
// The zero value is ready to use. Update does not allocate. A Stats belongs
// to the goroutine that reads the stream; publish Snapshot values to
// others.
type Stats struct {
	s StreamStats

	seq     SeqUnwrap
	started bool // an SSRC has been seen
	seen    [dupWindow / 64]uint64
	maxExt  int64 // highest extended seq in the bitmap; meaningful when Valid

	// Jitter state (A.8): transit of the previous packet, in RTP units, the
	// scaled jitter (16x, as in the integer variant of A.8) and the
	// arrival origin the RTP-clock conversion is relative to.
	haveTransit bool
	transit     uint32
	jitter16    uint32
	clockRate   uint32
	origin      int64

	// Interval state for RR fraction lost (A.3).
	expectedPrior uint64
	receivedPrior uint64
}

// Update accounts one received RTP packet: its SSRC, sequence number and
// timestamp (as from Peek), the size to add to Bytes (the relay passes the
// datagram length), the arrival time in nanoseconds on any monotonic clock,
// and the payload's RTP clock rate (ClockRate(pt) if unsure). It returns
// how A.1 classified the packet.
func (st *Stats) Update(ssrc uint32, seq uint16, ts uint32, size int, arrivalNanos int64, clockRate uint32) SeqResult {
	st.s.Packets++
	st.s.Bytes += uint64(size)
	if !st.started || ssrc != st.s.SSRC {
		if st.started {
			st.s.SSRCChanges++
		}
		st.started = true
		st.resetSource(ssrc)
	}

	res, ext := st.seq.Update(seq)
	switch res {
	case SeqProbation:
		return res
	case SeqJump:
		st.s.Jumps++
		return res
	case SeqResync:
		st.s.Resyncs++
		st.restart()
	}
	if !st.s.Valid {
		// First validated packet (or first after a resync).
		st.s.Valid = true
		st.restart()
	}

	st.s.Received++
	if res == SeqLate || ext <= st.maxExt {
		if st.markSeen(ext) {
			st.s.Duplicates++
			return res // a copy says nothing about transit time
		}
		if ext < st.maxExt {
			st.s.Reordered++
		}
	} else {
		st.advance(ext)
		st.s.LastRTPTime = ts
	}
	st.updateJitter(ts, arrivalNanos, clockRate)
	return res
}

// resetSource forgets everything about the previous source.
func (st *Stats) resetSource(ssrc uint32) {
	keep := StreamStats{SSRC: ssrc, SSRCChanges: st.s.SSRCChanges, Packets: st.s.Packets, Bytes: st.s.Bytes}
	*st = Stats{s: keep, started: true}
}

// restart begins A.1 counting at the packet just validated: the loss
// counters, the duplicate window and the jitter estimate start over.
func (st *Stats) restart() {
	st.s.Received, st.s.Reordered, st.s.Duplicates = 0, 0, 0
	st.s.Jitter, st.jitter16, st.haveTransit = 0, 0, false
	st.expectedPrior, st.receivedPrior = 0, 0
	st.seen = [dupWindow / 64]uint64{}
	st.maxExt = int64(st.seq.Base()) - 1
}

// markSeen sets the bit of a sequence number at or behind the highest and
// reports whether it was already set. Numbers older than the window are
// never duplicates as far as Stats can tell.
func (st *Stats) markSeen(ext int64) (dup bool) {
	if st.maxExt-ext >= dupWindow {
		return false
	}
	i := uint64(ext) % dupWindow
	w, bit := i/64, uint64(1)<<(i%64)
	dup = st.seen[w]&bit != 0
	st.seen[w] |= bit
	return dup
}

// advance moves the window's top to ext, clearing the bits of the numbers
// skipped (not received) on the way, and marks ext as seen.
func (st *Stats) advance(ext int64) {
	if ext-st.maxExt >= dupWindow {
		st.seen = [dupWindow / 64]uint64{}
	} else {
		for e := st.maxExt + 1; e < ext; e++ {
			i := uint64(e) % dupWindow
			st.seen[i/64] &^= 1 << (i % 64)
		}
	}
	st.maxExt = ext
	i := uint64(ext) % dupWindow
	st.seen[i/64] |= 1 << (i % 64)
}

// updateJitter is RFC 3550 §6.4.1 / A.8: J += (|D| - J)/16, where D is the
// difference in transit time (arrival minus RTP timestamp, both in RTP
// units) between this packet and the previous one. It keeps J scaled by 16
// in an integer, as A.8's second form does.
func (st *Stats) updateJitter(ts uint32, arrivalNanos int64, clockRate uint32) {
	if clockRate == 0 {
		return
	}
	if !st.haveTransit || clockRate != st.clockRate {
		// A new clock has no comparable previous transit.
		st.clockRate, st.origin, st.haveTransit = clockRate, arrivalNanos, true
		st.transit = -ts
		return
	}
	transit := rtpUnits(arrivalNanos-st.origin, clockRate) - ts
	d := int32(transit - st.transit)
	st.transit = transit
	if d < 0 {
		d = -d
	}
	st.jitter16 += uint32(d) - ((st.jitter16 + 8) >> 4)
	st.s.Jitter = st.jitter16 >> 4
}

// rtpUnits converts a duration in nanoseconds to RTP clock ticks, modulo
// 2^32 like RTP timestamps. The 128-bit product cannot overflow.
func rtpUnits(nanos int64, clockRate uint32) uint32 {
	neg := nanos < 0
	if neg {
		nanos = -nanos
	}
	hi, lo := bits.Mul64(uint64(nanos), uint64(clockRate))
	q, _ := bits.Div64(hi%1e9, lo, 1e9)
	if neg {
		return -uint32(q)
	}
	return uint32(q)
}

// Snapshot returns the current statistics.
func (st *Stats) Snapshot() StreamStats {
	s := st.s
	if s.Valid {
		s.HighestSeq = st.seq.Max()
		s.Expected = uint64(s.HighestSeq) - uint64(st.seq.Base()) + 1
		s.Lost = int64(s.Expected) - int64(s.Received)
	}
	return s
}

// ReportInterval returns the values for an RTCP reception report about
// this stream and starts a new interval (RFC 3550 A.3): the fraction of
// packets lost since the previous call, in 1/256 (0 when there were
// duplicates instead), and the cumulative loss clamped to 24 signed bits.
func (st *Stats) ReportInterval() (fractionLost uint8, totalLost int32) {
	s := st.Snapshot()
	expectedInterval := int64(s.Expected - st.expectedPrior)
	receivedInterval := int64(s.Received - st.receivedPrior)
	st.expectedPrior, st.receivedPrior = s.Expected, s.Received
	if lost := expectedInterval - receivedInterval; expectedInterval > 0 && lost > 0 {
		fractionLost = uint8((lost << 8) / expectedInterval)
	}
	totalLost = int32(max(min(s.Lost, 0x7fffff), -0x800000))
	return fractionLost, totalLost
}
