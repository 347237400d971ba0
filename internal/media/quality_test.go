package media

import "testing"

func TestHistogramBuckets(t *testing.T) {
	h := newHistogram([]float64{0, 0.01, 0.1})
	for _, v := range []float64{0, 0, 0.005, 0.05, 0.5} {
		h.observe(v)
	}
	count, sum, b := h.snapshot()
	if count != 5 || sum != 0.555 {
		t.Errorf("count %d sum %v, want 5 0.555", count, sum)
	}
	want := map[float64]uint64{0: 2, 0.01: 3, 0.1: 4}
	for k, v := range want {
		if b[k] != v {
			t.Errorf("bucket le=%v: %d, want %d", k, b[k], v)
		}
	}
}
