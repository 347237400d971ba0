package timeline

import "testing"

func TestMix(t *testing.T) {
	cases := []struct {
		a, b, want int16
	}{
		{0, 0, 0},
		{1000, -300, 700},
		{12000, 12000, 24000},
		{mixKnee, 0, mixKnee},
		{32767, 32767, 31401},
		{-32768, -32768, -31401},
		{20000, 10000, 27839},
	}
	for _, c := range cases {
		out := make([]int16, 1)
		if n := Mix([]int16{c.a}, []int16{c.b}, out); n != 1 || out[0] != c.want {
			t.Errorf("Mix(%d, %d) = %d, want %d", c.a, c.b, out[0], c.want)
		}
	}
	// Monotonic and never clipping over the whole range of sums.
	prev := int16(-32768)
	for s := int32(-65536); s <= 65534; s++ {
		v := softLimit(s)
		if v < prev || v == 32767 || v == -32768 {
			t.Fatalf("softLimit(%d) = %d after %d", s, v, prev)
		}
		prev = v
	}
}

func TestInterleave(t *testing.T) {
	out := make([]int16, 7)
	if n := Interleave([]int16{1, 2, 3, 4}, []int16{-1, -2, -3}, out); n != 3 ||
		out[0] != 1 || out[1] != -1 || out[4] != 3 || out[5] != -3 || out[6] != 0 {
		t.Fatalf("n %d out %v", n, out)
	}
}
