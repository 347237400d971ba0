package asr

import "testing"

func seq(from, n int) []int16 {
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(from + i)
	}
	return s
}

// TestLegQueueGaps: audio dropped by a full queue is reported as a gap
// exactly where it was, and every sample kept comes out once, in order.
func TestLegQueueGaps(t *testing.T) {
	q := newLegQueue(100)
	if !q.put(seq(0, 60)) {
		t.Fatal("first put: want wasEmpty")
	}
	q.put(seq(60, 60))  // 40 fit (60..99), 20 dropped (100..119)
	q.put(seq(120, 10)) // all dropped: queue full
	dst := make([]int16, 70)
	n, lost, closed := q.get(dst)
	if n != 70 || lost != 0 || closed || dst[0] != 0 || dst[69] != 69 {
		t.Fatalf("get 1: n=%d lost=%d closed=%v first=%d last=%d", n, lost, closed, dst[0], dst[n-1])
	}
	q.put(seq(130, 20))
	n, lost, _ = q.get(dst)
	if n != 30 || lost != 0 || dst[29] != 99 {
		t.Fatalf("get 2 (up to the gap): n=%d lost=%d last=%d", n, lost, dst[n-1])
	}
	q.close()
	n, lost, closed = q.get(dst)
	if lost != 30 || n != 20 || dst[0] != 130 || !closed {
		t.Fatalf("get 3: n=%d lost=%d first=%d closed=%v", n, lost, dst[0], closed)
	}
	if d := q.droppedSamples(); d != 30 {
		t.Fatalf("dropped %d, want 30", d)
	}
	if q.put(seq(0, 5)) {
		t.Fatal("put after close took audio")
	}
}

// TestLegQueueWraps: samples cross the ring's end intact.
func TestLegQueueWraps(t *testing.T) {
	q := newLegQueue(7)
	dst := make([]int16, 5)
	next, want := 0, 0
	for i := 0; i < 50; i++ {
		q.put(seq(next, 3))
		next += 3
		n, lost, _ := q.get(dst)
		if lost != 0 {
			t.Fatalf("lost %d", lost)
		}
		for _, v := range dst[:n] {
			if int(v) != want {
				t.Fatalf("got %d want %d", v, want)
			}
			want++
		}
	}
}

func BenchmarkLegQueue(b *testing.B) {
	q := newLegQueue(8000 * 10)
	in := make([]int16, 160)
	out := make([]int16, 4096)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		q.put(in)
		if i%16 == 15 {
			q.get(out)
		}
	}
}
