package bench

import (
	"math"
	"testing"
)

func TestHistIndexBounds(t *testing.T) {
	// Every value falls inside the bounds of its bucket, and buckets are
	// contiguous and increasing.
	for _, v := range []int64{0, 1, 31, 32, 33, 63, 64, 65, 127, 128, 1000, 1 << 20, 123456789, math.MaxInt64} {
		i := histIndex(v)
		low, w := histBounds(i)
		if v < low || v-low >= w {
			t.Errorf("v=%d: bucket %d = [%d,+%d)", v, i, low, w)
		}
	}
	prevLow, prevW := histBounds(0)
	for i := 1; i < histBuckets; i++ {
		low, w := histBounds(i)
		if low != prevLow+prevW {
			t.Fatalf("bucket %d starts at %d, previous ends at %d", i, low, prevLow+prevW)
		}
		prevLow, prevW = low, w
	}
}

func TestHistogramQuantiles(t *testing.T) {
	var h Histogram
	if h.Quantile(0.5) != 0 || h.Max() != 0 {
		t.Fatal("empty histogram is not zero")
	}
	// 1..10000 µs in ns: p50 = 5000 µs, p99 = 9900 µs.
	for i := int64(1); i <= 10000; i++ {
		h.Record(i * 1000)
	}
	for _, tt := range []struct {
		q    float64
		want float64
	}{{0.5, 5e6}, {0.9, 9e6}, {0.99, 9.9e6}, {1, 10e6}} {
		got := float64(h.Quantile(tt.q))
		if math.Abs(got-tt.want)/tt.want > 0.035 {
			t.Errorf("q%.2f = %.0f, want %.0f ±3.5%%", tt.q, got, tt.want)
		}
	}
	if h.Max() != 10e6 || h.Count() != 10000 {
		t.Errorf("max %d count %d", h.Max(), h.Count())
	}
	if m := h.Mean(); math.Abs(m-5000.5e3) > 1 {
		t.Errorf("mean %f", m)
	}
	var g Histogram
	g.Record(-5)
	g.Record(20e6)
	h.Merge(&g)
	if h.Count() != 10002 || h.Max() != 20e6 || h.Quantile(0) != 0 {
		t.Errorf("after merge: count %d max %d q0 %d", h.Count(), h.Max(), h.Quantile(0))
	}
}

func TestHistogramRecordAllocs(t *testing.T) {
	var h Histogram
	if a := testing.AllocsPerRun(100, func() { h.Record(12345) }); a != 0 {
		t.Fatalf("Record allocates %v", a)
	}
}
