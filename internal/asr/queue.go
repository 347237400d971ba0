package asr

import (
	"sync"
)

// legQueue holds one leg's audio between the recorder's worker (put)
// and one engine's goroutine (get). It is a fixed ring of samples: put
// never blocks; when the ring is full the new samples are dropped and
// counted, and get reports each gap where it was, so that the engine
// keeps its offsets right (spot.Spotter.Skip).
//
// A mutex guards it: it is taken once per tick (20 ms) by the producer
// and once per batch by the consumer, never per packet.
type legQueue struct {
	mu      sync.Mutex
	buf     []int16
	r, n    int   // read index, samples queued
	read    int64 // samples taken by get in all
	written int64 // samples accepted by put in all
	gaps    []gap // where samples were dropped, oldest first
	dropped int64 // samples dropped in all
	closed  bool
	// ready has room for one token: put leaves one when the queue was
	// empty, close leaves one, so a consumer blocked on it wakes.
	ready chan struct{}
}

// gap is size samples dropped after the at-th sample accepted.
type gap struct {
	at   int64
	size int
}

// maxGaps bounds the gaps remembered; further ones are merged into the
// last (their offsets then err by the audio between them).
const maxGaps = 32

func newLegQueue(samples int) *legQueue {
	return &legQueue{buf: make([]int16, samples), ready: make(chan struct{}, 1), gaps: make([]gap, 0, maxGaps)}
}

// put appends pcm, dropping what does not fit. It reports whether the
// queue was empty before (the consumer may need waking).
func (q *legQueue) put(pcm []int16) (wasEmpty bool) {
	q.mu.Lock()
	wasEmpty = q.n == 0 && len(q.gaps) == 0
	if q.closed {
		q.mu.Unlock()
		return false
	}
	take := min(len(q.buf)-q.n, len(pcm))
	w := (q.r + q.n) % len(q.buf)
	c := copy(q.buf[w:], pcm[:take])
	copy(q.buf, pcm[c:take])
	q.n += take
	q.written += int64(take)
	if lost := len(pcm) - take; lost > 0 {
		q.dropped += int64(lost)
		if k := len(q.gaps); k > 0 && (q.gaps[k-1].at == q.written || k == maxGaps) {
			q.gaps[k-1].size += lost
		} else {
			q.gaps = append(q.gaps, gap{at: q.written, size: lost})
		}
	}
	q.mu.Unlock()
	if wasEmpty {
		q.wake()
	}
	return wasEmpty
}

func (q *legQueue) wake() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// get moves up to len(dst) queued samples into dst. lost is how many
// samples were dropped just before them; a get never returns samples
// from both sides of a gap. closed reports that the producer is done
// and nothing is left after these.
func (q *legQueue) get(dst []int16) (n, lost int, closed bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.gaps) > 0 && q.gaps[0].at == q.read {
		lost = q.gaps[0].size
		q.gaps = append(q.gaps[:0], q.gaps[1:]...)
	}
	n = min(len(dst), q.n)
	if len(q.gaps) > 0 {
		n = min(n, int(q.gaps[0].at-q.read))
	}
	c := copy(dst[:n], q.buf[q.r:min(q.r+n, len(q.buf))])
	copy(dst[c:n], q.buf)
	q.r = (q.r + n) % len(q.buf)
	q.n -= n
	q.read += int64(n)
	return n, lost, q.closed && q.n == 0 && len(q.gaps) == 0
}

// pending returns the samples queued.
func (q *legQueue) pending() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}

// close says no more audio will come.
func (q *legQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.wake()
}

// droppedSamples returns the samples dropped in all.
func (q *legQueue) droppedSamples() int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.dropped
}

// isClosed reports whether close was called.
func (q *legQueue) isClosed() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.closed
}
