package rtp

// Source-validation parameters of RFC 3550 Appendix A.1.
const (
	// MaxDropout bounds the forward jump in sequence numbers taken as loss:
	// up to MaxDropout-1 ahead; a larger jump may be a restart of the
	// sender.
	MaxDropout = 3000
	// MaxMisorder bounds the backward step taken as a late or duplicate
	// packet: up to MaxMisorder-1 behind the highest sequence number; A.1
	// treats a step of MaxMisorder or more as a restart.
	MaxMisorder = 100
	// MinSequential is how many packets in sequence a new source must send
	// before it is valid (the probation period).
	MinSequential = 2
)

const seqMod = 1 << 16

// SeqResult classifies one sequence number fed to SeqUnwrap.Update.
type SeqResult uint8

// The outcomes of SeqUnwrap.Update. Only SeqInOrder, SeqLate and SeqResync
// packets count as received in the A.1 sense.
const (
	// SeqProbation: the source is not yet validated (fewer than
	// MinSequential packets in sequence); the packet is not counted.
	SeqProbation SeqResult = iota
	// SeqInOrder: the highest sequence number so far, possibly after a gap
	// below MaxDropout, or a repeat of the highest one.
	SeqInOrder
	// SeqLate: less than MaxMisorder behind the highest one: reordered
	// or duplicate.
	SeqLate
	// SeqJump: a jump too large to be loss or reordering; the packet is
	// dropped from the statistics unless the next one follows it.
	SeqJump
	// SeqResync: the packet followed a SeqJump packet, so the sender has
	// restarted its numbering; the unwrapper re-initialised on it and the
	// statistics start over.
	SeqResync
)

// String returns the result's name.
func (r SeqResult) String() string {
	switch r {
	case SeqProbation:
		return "probation"
	case SeqInOrder:
		return "in-order"
	case SeqLate:
		return "late"
	case SeqJump:
		return "jump"
	case SeqResync:
		return "resync"
	}
	return "invalid"
}

// SeqUnwrap extends 16-bit RTP sequence numbers to 32 bits (cycles of
// 65536 in the high half) and validates the source, following the
// update_seq algorithm of RFC 3550 Appendix A.1: a new source is on
// probation until MinSequential packets arrive in sequence, forward jumps
// below MaxDropout are loss, steps back below MaxMisorder are late packets,
// and anything else is a jump that re-synchronises only if the very next
// packet follows it.
//
// The zero value is ready to use and starts on probation. It is a plain
// value owned by one goroutine.
type SeqUnwrap struct {
	started   bool
	probation uint8
	maxSeq    uint16
	cycles    uint32 // wraps seen, shifted left 16
	baseSeq   uint32
	badSeq    uint32 // seqMod+1: no pending jump
}

// Reset forgets the source; the next Update starts probation again.
func (s *SeqUnwrap) Reset() {
	*s = SeqUnwrap{}
}

// init is init_seq of RFC 3550 A.1.
func (s *SeqUnwrap) init(seq uint16) {
	s.baseSeq = uint32(seq)
	s.maxSeq = seq
	s.badSeq = seqMod + 1
	s.cycles = 0
}

// Update feeds the next received sequence number. It returns the packet's
// classification and its extended sequence number, which is negative for
// a late packet from before the first validated one.
func (s *SeqUnwrap) Update(seq uint16) (SeqResult, int64) {
	if !s.started {
		// A.1: init_seq(s, seq); s->max_seq = seq - 1; s->probation = MIN_SEQUENTIAL.
		s.init(seq)
		s.maxSeq = seq - 1
		s.probation = MinSequential
		s.started = true
	}
	udelta := seq - s.maxSeq
	switch {
	case s.probation > 0:
		// Packets must be in sequence during probation.
		if seq == s.maxSeq+1 {
			s.probation--
			s.maxSeq = seq
			if s.probation == 0 {
				s.init(seq)
				return SeqInOrder, int64(seq)
			}
		} else {
			s.probation = MinSequential - 1
			s.maxSeq = seq
		}
		return SeqProbation, int64(seq)
	case udelta < MaxDropout:
		// In order, with a permissible gap.
		if seq < s.maxSeq {
			s.cycles += seqMod
		}
		s.maxSeq = seq
		return SeqInOrder, int64(s.cycles) + int64(seq)
	case int(udelta) <= seqMod-MaxMisorder:
		// A very large jump. If it is followed by its successor, the
		// sender restarted (or we missed a lot): re-sync on it. Otherwise
		// remember it and drop the packet.
		if uint32(seq) == s.badSeq {
			s.init(seq)
			return SeqResync, int64(seq)
		}
		s.badSeq = (uint32(seq) + 1) & (seqMod - 1)
		return SeqJump, int64(s.cycles) + int64(seq)
	default:
		// Duplicate or reordered, less than MaxMisorder behind maxSeq. If
		// maxSeq has wrapped since, seq belongs to the previous cycle.
		ext := int64(s.cycles) + int64(seq)
		if seq > s.maxSeq {
			ext -= seqMod
		}
		return SeqLate, ext
	}
}

// Base returns the extended sequence number of the first packet counted
// since the source was validated or last re-synchronised (base_seq).
func (s *SeqUnwrap) Base() uint32 {
	return s.baseSeq
}

// Max returns the highest extended sequence number received
// (cycles + max_seq).
func (s *SeqUnwrap) Max() uint32 {
	return s.cycles + uint32(s.maxSeq)
}

// Cycles returns the number of times the sequence number has wrapped.
func (s *SeqUnwrap) Cycles() uint32 {
	return s.cycles >> 16
}

// Valid reports whether the source has passed probation.
func (s *SeqUnwrap) Valid() bool {
	return s.started && s.probation == 0
}
