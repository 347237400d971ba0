package timeline

import (
	"fmt"
	"io"
	"time"

	"github.com/callrec/callrec/internal/rtp"
)

// Leg places one direction of a call on the recording clock: Push takes
// its RTP packets as they arrive, Pull returns its PCM tile by tile.
//
// A Leg is not safe for concurrent use: one goroutine (the recorder's
// per-recording goroutine) calls Push, Pull, Events and Stats.
type Leg struct {
	cfg    LegConfig
	rate   int64 // recording sample rate
	window int64 // ns

	// Output ring: pcm[p%len] is sample p for pulled <= p < pulled+len.
	pcm    []int16
	pulled int64 // next sample Pull returns

	jb jitter

	// Stream identity and unwrapping (valid once started).
	started   bool
	ssrc      uint32
	highSeq   uint16
	highExt   int64 // extended sequence number of highSeq
	highTS    uint32
	highExtTS int64
	lastArr   int64
	nextSeq   int64  // next sequence number to release
	history   uint64 // bit i: nextSeq-1-i was released

	// Placement: sample = anchorPos + (extTS-anchorTS)*rate/clock + corr.
	anchorPos int64
	anchorTS  int64
	clock     int64
	corr      int64

	// Drift filter: min of arrival-minus-placement over 1–2 buckets.
	minCur, minPrev int64
	bucketStart     int64
	correcting      bool
	lastStep        int64 // sample position of the last forced step
	lastEnd         int64 // end of the last audio written, samples
	haveEnd         bool

	pts     [128]*ptState
	scratch []int16 // decoder output
	mono    []int16 // resampler output

	ev     eventState
	events [eventQueueSize]Event
	evHead int
	evLen  int

	stats  Stats
	closed bool
}

// NewLeg returns a Leg with all its buffers allocated: the PCM ring
// (Buffer at SampleRate) and the 32 reorder slots, whose storage grows to
// the payload sizes the leg meets (at most MaxPayload each).
func NewLeg(cfg LegConfig) (*Leg, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	l := &Leg{cfg: c, rate: int64(c.SampleRate), window: int64(c.Window)}
	l.pcm = make([]int16, l.nsToSamples(int64(c.Buffer)))
	l.jb.init()
	l.scratch = make([]int16, 2048)
	l.mono = make([]int16, 2048)
	return l, nil
}

// SampleRate is the rate of the PCM Pull writes.
func (l *Leg) SampleRate() int { return int(l.rate) }

// Window is the configured reorder window: the least delay behind the
// newest arrival at which Pull gets every packet that was in time.
func (l *Leg) Window() time.Duration { return time.Duration(l.window) }

// Stats returns the leg's counters.
func (l *Leg) Stats() Stats { return l.stats }

// Push hands the leg one RTP packet that arrived at arrivalNanos (on the
// clock of LegConfig.Start). The leg copies what it keeps; pkt may be
// reused as soon as Push returns. A packet that does not parse as RTP is
// counted and dropped with an error wrapping ErrMalformed (ErrRTCP for
// RTCP); late,
// duplicate and undecodable packets are counted and return nil.
func (l *Leg) Push(arrivalNanos int64, pkt []byte) error {
	if l.closed {
		return ErrClosed
	}
	l.stats.Packets++
	if rtp.IsRTCP(pkt) {
		l.stats.RTCP++
		return fmt.Errorf("%w: packet type %d", ErrRTCP, pkt[1])
	}
	var h rtp.Header
	off, err := h.Unmarshal(pkt)
	if err != nil {
		l.stats.Malformed++
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	payload := pkt[off : len(pkt)-int(h.PaddingSize)]
	if len(payload) > MaxPayload {
		l.stats.Malformed++
		return fmt.Errorf("%w: payload %d bytes > %d", ErrMalformed, len(payload), MaxPayload)
	}
	pt := l.payloadType(h.PayloadType)
	l.place(arrivalNanos, &h, pt, payload)
	return nil
}

// Pull writes the leg's mono PCM for the recording clock from where the
// previous Pull ended up to upTo (nanoseconds, same clock as Push), at
// most len(out) samples, and returns how many it wrote. Successive calls
// tile the timeline: sample k of the concatenated output is the instant
// Start + k/SampleRate. Spans without audio (loss, hold, silence
// suppression, undecodable payloads) are zeros.
func (l *Leg) Pull(upTo int64, out []int16) int {
	target := l.nsToSamples(upTo - l.cfg.Start)
	if target <= l.pulled {
		return 0
	}
	n := min(target-l.pulled, int64(len(out)))
	end := l.pulled + n
	// Everything due in this span is released now, missing or not.
	for l.jb.n > 0 && l.slotPos(l.jb.head()) < end {
		l.release(l.jb.pop())
	}
	size := int64(len(l.pcm))
	for done := int64(0); done < n; {
		i := (l.pulled + done) % size
		k := min(n-done, size-i)
		copy(out[done:done+k], l.pcm[i:i+k])
		clear(l.pcm[i : i+k])
		done += k
	}
	l.pulled = end
	return int(n)
}

// Events appends the telephone events completed since the last call to
// dst and returns it; with enough capacity in dst it allocates nothing.
func (l *Leg) Events(dst []Event) []Event {
	for l.evLen > 0 {
		dst = append(dst, l.events[l.evHead])
		l.evHead = (l.evHead + 1) % len(l.events)
		l.evLen--
	}
	return dst
}

// Close releases the packets still held, ends an open telephone event
// (drain it with Events) and closes decoders that are io.Closers (the
// cgo codecs). Pull still works afterwards; Push returns ErrClosed.
func (l *Leg) Close() error {
	if l.closed {
		return nil
	}
	l.flush()
	l.endEvent()
	l.closed = true
	var first error
	for _, p := range l.pts {
		if p == nil || p.dec == nil {
			continue
		}
		if c, ok := p.dec.(io.Closer); ok {
			if err := c.Close(); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}

// nsToSamples converts a span of nanoseconds to recording samples,
// rounding towards minus infinity, without overflow for any int64 span.
func (l *Leg) nsToSamples(ns int64) int64 {
	s, r := ns/1e9, ns%1e9
	if r < 0 {
		s, r = s-1, r+1e9
	}
	return s*l.rate + r*l.rate/1e9
}

// samplesToNs converts recording samples to nanoseconds (rounded down).
func (l *Leg) samplesToNs(n int64) int64 {
	s, r := n/l.rate, n%l.rate
	if r < 0 {
		s, r = s-1, r+l.rate
	}
	return s*1e9 + r*1e9/l.rate
}

// floorDiv is a/b rounded towards minus infinity (b > 0).
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}
