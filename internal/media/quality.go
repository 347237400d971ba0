package media

import (
	"math"
	"sync"
)

// Bucket upper bounds of the per-stream quality histograms. Loss is a
// ratio of expected packets (RFC 3550 §6.4.1 cumulative loss over
// expected); jitter is the interarrival jitter in seconds (§6.4.1, A.8).
var (
	lossBuckets   = []float64{0, 0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5}
	jitterBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32}
)

// histogram is a fixed-bucket histogram observed when a stream ends
// (off the relay's hot path) and exported at scrape time as a constant
// Prometheus histogram, so the media package owns no Prometheus state.
// It is safe for concurrent use.
type histogram struct {
	mu     sync.Mutex
	bounds []float64
	counts []uint64 // per bucket, not cumulative
	count  uint64
	sum    float64
}

func newHistogram(bounds []float64) *histogram {
	return &histogram{bounds: bounds, counts: make([]uint64, len(bounds))}
}

func (h *histogram) observe(v float64) {
	if math.IsNaN(v) {
		return
	}
	h.mu.Lock()
	for i, b := range h.bounds {
		if v <= b {
			h.counts[i]++
			break
		}
	}
	h.count++
	h.sum += v
	h.mu.Unlock()
}

// snapshot returns the count, sum and cumulative bucket counts keyed by
// upper bound, as prometheus.MustNewConstHistogram takes them.
func (h *histogram) snapshot() (count uint64, sum float64, buckets map[float64]uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	buckets = make(map[float64]uint64, len(h.bounds))
	var cum uint64
	for i, b := range h.bounds {
		cum += h.counts[i]
		buckets[b] = cum
	}
	return h.count, h.sum, buckets
}

// quality holds the loss and jitter each party's RTP showed over a
// whole stream, observed once per party when the stream ends.
type quality struct {
	loss, jitter *histogram
}

func newQuality() quality {
	return quality{loss: newHistogram(lossBuckets), jitter: newHistogram(jitterBuckets)}
}

// observe records the RTP statistics the relay worker last published for
// each party of s that sent RTP. A party that sent nothing (hold, one-way
// audio) is not counted: its loss is unknown, not zero.
func (q quality) observe(s *stream) {
	for p := range s.ep {
		ep := s.ep[p][kindRTP]
		if ep == nil {
			continue
		}
		r := &ep.c.rtp
		expected := r.expected.Load()
		if expected == 0 {
			continue
		}
		lost := max(r.lost.Load(), 0) // duplicates make it negative
		q.loss.observe(min(float64(lost)/float64(expected), 1))
		if rate := r.clockRate.Load(); rate > 0 {
			q.jitter.observe(float64(r.jitter.Load()) / float64(rate))
		}
	}
}
