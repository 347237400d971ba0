package bench

// rxStream holds the receive-side statistics of one call direction. It is
// owned by the media worker that owns the call.
type rxStream struct {
	received  uint64 // packets received, duplicates included
	dups      uint64 // packets whose sequence number was already seen
	reordered uint64 // packets older than the highest sequence number seen
	maxExt    int64  // highest extended sequence number (-1: none yet)
	window    uint64 // bit i set: maxExt-i was received
	jitter    int64  // RFC 3550 §6.4.1 interarrival jitter over transit time, ns
	lastTr    int64  // previous transit time, ns
}

func (s *rxStream) reset() { *s = rxStream{maxExt: -1} }

// extend returns the extended sequence number of seq closest to maxExt
// (RFC 3550 appendix A.1 style wrap handling).
func extend(maxExt int64, seq uint16) int64 {
	if maxExt < 0 {
		return int64(seq)
	}
	ext := maxExt&^0xFFFF | int64(seq)
	switch {
	case ext-maxExt > 0x8000:
		ext -= 0x10000
	case maxExt-ext > 0x8000:
		ext += 0x10000
	}
	return ext
}

// add accounts one packet with sequence number seq and one-way transit
// time transit (ns). It reports whether the packet was a duplicate.
func (s *rxStream) add(seq uint16, transit int64) bool {
	s.received++
	ext := extend(s.maxExt, seq)
	switch d := ext - s.maxExt; {
	case s.maxExt < 0:
		s.maxExt, s.window = ext, 1
	case d > 0:
		if d >= 64 {
			s.window = 1
		} else {
			s.window = s.window<<uint(d) | 1
		}
		s.maxExt = ext
	case d == 0:
		s.dups++
		return true
	default:
		back := -d
		if back < 64 {
			bit := uint64(1) << uint(back)
			if s.window&bit != 0 {
				s.dups++
				return true
			}
			s.window |= bit
		}
		s.reordered++
	}
	if s.received > 1 {
		dd := transit - s.lastTr
		if dd < 0 {
			dd = -dd
		}
		s.jitter += (dd - s.jitter) / 16
	}
	s.lastTr = transit
	return false
}
