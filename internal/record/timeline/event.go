package timeline

import "time"

// eventState de-duplicates RFC 4733 telephone events: every packet of an
// event carries the same timestamp (its start, §2.5.1.2), the duration so
// far, and the last three repeat the end bit (§2.5.1.4).
type eventState struct {
	active  bool
	emitted bool
	ssrc    uint32
	ts      uint32
	ev      Event
}

// event handles one telephone-event payload (RFC 4733 §2.3):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|     event     |E|R| volume    |          duration             |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Only the first block is read; further blocks (segments of a long
// event) repeat the code with later timestamps and arrive again alone.
func (l *Leg) event(s *slot, p *ptState) {
	if s.n < 4 {
		l.stats.Malformed++
		return
	}
	b := s.data[:4]
	code, end, vol := b[0], b[1]&0x80 != 0, b[1]&0x3f
	dur := (int64(b[2])<<8 | int64(b[3])) * 1e9 / p.clock
	e := &l.ev
	if e.active && e.ssrc == l.ssrc {
		if s.ts == e.ts {
			e.ev.Duration = max(e.ev.Duration, durationOf(dur))
			if end && !e.emitted {
				e.ev.Ended = true
				l.emit(e.ev)
				e.emitted = true
			}
			return
		}
		if int32(s.ts-e.ts) < 0 { // a stray repeat of an earlier event
			return
		}
	}
	l.endEvent()
	*e = eventState{active: true, ssrc: l.ssrc, ts: s.ts}
	e.ev = Event{Code: code, Digit: digit(code), Start: l.placeNs(s.extTS), Duration: durationOf(dur), Volume: vol}
	if end {
		e.ev.Ended = true
		l.emit(e.ev)
		e.emitted = true
	}
}

// endEvent emits the open event, if any, as cut short.
func (l *Leg) endEvent() {
	if l.ev.active && !l.ev.emitted {
		l.emit(l.ev.ev)
		l.ev.emitted = true
	}
}

func (l *Leg) emit(ev Event) {
	if l.evLen == len(l.events) {
		l.stats.EventsDropped++
		return
	}
	l.events[(l.evHead+l.evLen)%len(l.events)] = ev
	l.evLen++
	l.stats.Events++
}

// digit maps RFC 4733 §3.2 codes 0–15 to their DTMF characters.
func digit(code uint8) byte {
	const digits = "0123456789*#ABCD"
	if int(code) < len(digits) {
		return digits[code]
	}
	return 0
}

func durationOf(ns int64) time.Duration { return time.Duration(ns) }
