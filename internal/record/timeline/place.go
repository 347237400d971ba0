package timeline

import (
	"github.com/callrec/callrec/internal/rtp"
)

// place runs the arrival side of the placement algorithm for one parsed
// packet: stream and sequence tracking, re-anchoring, the drift filter,
// and reordering. See the package documentation.
func (l *Leg) place(arr int64, h *rtp.Header, p *ptState, payload []byte) {
	if !l.started || h.SSRC != l.ssrc {
		l.restart(arr, h, p, l.started)
	}
	d := int64(int16(h.SequenceNumber - l.highSeq))
	if d > 1000 || d < -1000 { // the sender restarted its sequence
		l.restart(arr, h, p, true)
		d = 0
	}
	ext := l.highExt + d
	extTS := l.highExtTS + int64(int32(h.Timestamp-l.highTS))
	if l.stale(ext) {
		return
	}
	newer := ext > l.highExt
	// Only audio packets steer placement: an event's timestamp stays at
	// its start, and CN or undecodable types may run another clock.
	if p.kind == kindAudio {
		off := arr - l.placeNs(extTS)
		switch {
		case newer && extTS < l.highExtTS, // timestamp went backwards
			p.clock != l.clock,          // another clock: nothing to compare
			abs(off) > int64(jumpLimit), // timestamp jump
			h.Marker && newer && arr-l.lastArr > int64(talkspurtGap) && abs(off) > 2*int64(driftTrigger):
			l.reanchor(arr, extTS, p.clock)
			l.stats.Reanchors++
		default:
			l.measure(arr, off)
		}
		if l.stale(ext) {
			return
		}
	}
	if newer {
		l.highSeq, l.highExt = h.SequenceNumber, ext
		l.highTS, l.highExtTS = h.Timestamp, extTS
		l.lastArr = arr
	}
	s := l.jb.insert(ext)
	if s == nil {
		l.stats.Duplicates++
		return
	}
	s.extTS, s.arrival, s.ts, s.pt, s.marker = extTS, arr, h.Timestamp, h.PayloadType, h.Marker
	s.n = 0
	if p.kind == kindRaw {
		l.raw(arr, h.PayloadType, h.Timestamp, payload) // keeps the slot for sequence accounting only
	} else {
		if cap(s.data) < len(payload) {
			s.data = make([]byte, len(payload)) // once per slot and larger payload size
		}
		s.data = s.data[:len(payload)]
		s.n = copy(s.data, payload)
	}
	for l.jb.n > 0 {
		hd := l.jb.head()
		if hd.seq != l.nextSeq && arr-hd.arrival < l.window && !l.jb.full() {
			break
		}
		l.release(l.jb.pop())
	}
}

// stale counts and reports a packet whose sequence number was already
// released: a duplicate if it was received, else late.
func (l *Leg) stale(ext int64) bool {
	if ext >= l.nextSeq {
		return false
	}
	if back := l.nextSeq - 1 - ext; back < 64 && l.history&(1<<back) != 0 {
		l.stats.Duplicates++
	} else {
		l.stats.Late++
	}
	return true
}

// restart begins a new stream (first packet, SSRC change, sequence
// restart) anchored at this packet's arrival.
func (l *Leg) restart(arr int64, h *rtp.Header, p *ptState, counted bool) {
	if l.started {
		l.flush()
		l.endEvent()
		l.resetDecoders()
	}
	l.started = true
	l.ssrc = h.SSRC
	l.highSeq, l.highExt = h.SequenceNumber, int64(h.SequenceNumber)
	l.highTS, l.highExtTS = h.Timestamp, int64(h.Timestamp)
	l.nextSeq, l.history = l.highExt, 0
	l.lastArr = arr
	l.reanchor(arr, l.highExtTS, p.clock)
	if counted {
		l.stats.Reanchors++
	}
}

// reanchor releases what is held under the old mapping, then maps extTS
// to the arrival time arr.
func (l *Leg) reanchor(arr, extTS, clock int64) {
	l.flush()
	l.anchorPos = l.nsToSamples(arr - l.cfg.Start)
	l.anchorTS, l.clock, l.corr = extTS, clock, 0
	l.minCur, l.minPrev, l.bucketStart, l.correcting = 0, 0, arr, false
}

// rawPos is the recording sample of extTS by the anchor, before drift
// correction.
func (l *Leg) rawPos(extTS int64) int64 {
	return l.anchorPos + floorDiv((extTS-l.anchorTS)*l.rate, l.clock)
}

// placeNs is the recording clock instant where extTS is placed now.
func (l *Leg) placeNs(extTS int64) int64 {
	return l.cfg.Start + l.samplesToNs(l.rawPos(extTS)+l.corr)
}

func (l *Leg) slotPos(s *slot) int64 { return l.rawPos(s.extTS) + l.corr }

// measure feeds one offset (arrival minus placement) to the drift
// filter: the minimum over the current and the previous bucket, which
// is the least-delayed packet's offset and so ignores network jitter.
func (l *Leg) measure(arr, off int64) {
	if arr-l.bucketStart >= int64(driftBucket) {
		l.minPrev, l.minCur, l.bucketStart = l.minCur, off, arr
		return
	}
	l.minCur = min(l.minCur, off)
}

// flush releases every held packet in sequence order.
func (l *Leg) flush() {
	for l.jb.n > 0 {
		l.release(l.jb.pop())
	}
}

// release renders one packet, in sequence order, into the timeline.
func (l *Leg) release(s *slot) {
	missing := s.seq - l.nextSeq
	if missing > 0 {
		l.stats.Lost += uint64(missing)
	}
	if sh := s.seq + 1 - l.nextSeq; sh >= 64 {
		l.history = 1
	} else {
		l.history = l.history<<sh | 1
	}
	l.nextSeq = s.seq + 1
	p := l.pts[s.pt&0x7f]
	switch p.kind {
	case kindEvent:
		l.event(s, p)
	case kindCN:
		l.stats.ComfortNoise++
	case kindAudio:
		l.render(s, p, missing)
	}
}

// render decodes an audio packet and writes it at its place, concealing
// a short loss before it and applying a drift step at cut points.
func (l *Leg) render(s *slot, p *ptState, missing int64) {
	pos := l.slotPos(s) - p.rsDelay
	gap := pos - l.lastEnd
	cut := s.marker || !l.haveEnd || gap > l.rate/1000
	if missing > 0 && p.conceal != nil && l.haveEnd && gap > 0 && gap <= l.nsToSamples(int64(maxConceal)) {
		dec := int(gap * int64(p.dec.SampleRate()) / l.rate)
		if pcm := l.concealFor(p, dec); len(pcm) > 0 {
			l.write(l.lastEnd, pcm, false)
			l.stats.Concealed += uint64(missing)
		}
	}
	pcm, ok := l.decode(p, s.data[:s.n])
	if !ok {
		l.raw(s.arrival, s.pt, s.ts, s.data[:s.n])
		return
	}
	l.stats.Decoded++
	pos += l.driftStep(pos, cut, quiet(pcm))
	l.write(pos, pcm, true)
}

// raw counts an undecodable payload and hands it to OnRaw.
func (l *Leg) raw(arr int64, pt uint8, ts uint32, payload []byte) {
	l.stats.Undecodable++
	if l.cfg.OnRaw != nil {
		l.cfg.OnRaw(RawPacket{Arrival: arr, PayloadType: pt, SSRC: l.ssrc, Timestamp: ts, Payload: payload})
	}
}

// write copies pcm into the ring at sample pos, dropping what lies
// before the last Pull (late) or beyond the ring (overrun).
func (l *Leg) write(pos int64, pcm []int16, count bool) {
	end := pos + int64(len(pcm))
	l.lastEnd, l.haveEnd = end, true
	if end <= l.pulled {
		if count {
			l.stats.Late++
		}
		return
	}
	start := max(pos, l.pulled)
	size := int64(len(l.pcm))
	if limit := l.pulled + size; end > limit {
		if count {
			l.stats.Overrun++
		}
		end = limit
		if start >= end {
			return
		}
	}
	for start < end {
		i := start % size
		k := min(end-start, size-i)
		copy(l.pcm[i:i+k], pcm[start-pos:start-pos+k])
		start += k
	}
}

// quiet reports whether pcm is near silence, a good place to insert or
// drop samples unheard.
func quiet(pcm []int16) bool {
	var sum int64
	for _, v := range pcm {
		sum += abs(int64(v))
	}
	return len(pcm) == 0 || sum < quietMeanAbs*int64(len(pcm))
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
