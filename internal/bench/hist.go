package bench

import (
	"math/bits"
	"sync/atomic"
)

// Histogram is a log-linear histogram of non-negative int64 values
// (nanoseconds here): 32 linear sub-buckets per power of two, so a
// percentile is within about 3% of the true value. Record is safe for
// concurrent use and does not allocate; the zero value is ready.
type Histogram struct {
	counts [histBuckets]atomic.Uint64
	n      atomic.Uint64
	sum    atomic.Uint64
	max    atomic.Int64
}

const (
	histSubBits = 5
	histSub     = 1 << histSubBits
	histBuckets = (64 - histSubBits + 1) * histSub
)

// histIndex maps v >= 0 to its bucket.
func histIndex(v int64) int {
	if v < histSub {
		return int(v)
	}
	e := bits.Len64(uint64(v)) - histSubBits // >= 1
	mant := int(uint64(v) >> (e - 1))        // in [histSub, 2*histSub)
	return (e-1)*histSub + mant
}

// histBounds returns the smallest value of bucket i and the bucket width.
func histBounds(i int) (low, width int64) {
	if i < 2*histSub {
		return int64(i), 1
	}
	e := i / histSub
	mant := int64(i - (e-1)*histSub)
	return mant << (e - 1), 1 << (e - 1)
}

// Record adds one value; negative values count as 0.
func (h *Histogram) Record(v int64) {
	if v < 0 {
		v = 0
	}
	h.counts[histIndex(v)].Add(1)
	h.n.Add(1)
	h.sum.Add(uint64(v))
	for {
		m := h.max.Load()
		if v <= m || h.max.CompareAndSwap(m, v) {
			break
		}
	}
}

// Count returns the number of recorded values.
func (h *Histogram) Count() uint64 { return h.n.Load() }

// Max returns the largest recorded value (0 if none).
func (h *Histogram) Max() int64 { return h.max.Load() }

// Mean returns the mean of the recorded values (0 if none).
func (h *Histogram) Mean() float64 {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	return float64(h.sum.Load()) / float64(n)
}

// Quantile returns the value below which a fraction q (0..1) of the
// recorded values fall: the midpoint of the bucket holding the
// ceil(q*n)-th value, capped at Max. It returns 0 when nothing was
// recorded.
func (h *Histogram) Quantile(q float64) int64 {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	target := uint64(q*float64(n) + 0.999999)
	if target < 1 {
		target = 1
	}
	var cum uint64
	for i := range h.counts {
		cum += h.counts[i].Load()
		if cum >= target {
			low, w := histBounds(i)
			v := low + w/2
			if m := h.max.Load(); v > m {
				v = m
			}
			return v
		}
	}
	return h.max.Load()
}

// Merge adds the contents of o to h.
func (h *Histogram) Merge(o *Histogram) {
	for i := range o.counts {
		if c := o.counts[i].Load(); c != 0 {
			h.counts[i].Add(c)
		}
	}
	h.n.Add(o.n.Load())
	h.sum.Add(o.sum.Load())
	for {
		m, v := h.max.Load(), o.max.Load()
		if v <= m || h.max.CompareAndSwap(m, v) {
			break
		}
	}
}
