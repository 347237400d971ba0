package timeline

import (
	"testing"
	"time"
)

// BenchmarkPushPull is the steady state of one leg: push one 20 ms µ-law
// packet and pull the 20 ms that became due.
func BenchmarkPushPull(b *testing.B) {
	for _, rate := range []int{8000, 48000} {
		b.Run(map[int]string{8000: "pcmu-8k", 48000: "pcmu-48k"}[rate], func(b *testing.B) {
			src := source(b, 2*time.Second)
			st := newStream(b, "PCMU", 0, 7, 0, 0)
			pkts := make([][]byte, 100)
			for i := range pkts {
				pkts[i] = st.packet(src[i*160:(i+1)*160], nil, 0, false, 160)
			}
			l, err := NewLeg(LegConfig{SampleRate: rate})
			if err != nil {
				b.Fatal(err)
			}
			out := make([]int16, rate/50+16)
			var seq uint16
			var ts uint32
			var now int64
			delay := int64(200 * time.Millisecond)
			b.ReportAllocs()
			for b.Loop() {
				p := pkts[seq%100]
				p[2], p[3] = byte(seq>>8), byte(seq)
				p[4], p[5], p[6], p[7] = byte(ts>>24), byte(ts>>16), byte(ts>>8), byte(ts)
				if err := l.Push(now, p); err != nil {
					b.Fatal(err)
				}
				l.Pull(now-delay, out)
				seq++
				ts += 160
				now += 20 * int64(time.Millisecond)
			}
		})
	}
}

func BenchmarkMix(b *testing.B) {
	a, c, out := make([]int16, 160), make([]int16, 160), make([]int16, 160)
	for i := range a {
		a[i], c[i] = int16(i*200), int16(-i*100)
	}
	b.ReportAllocs()
	for b.Loop() {
		Mix(a, c, out)
	}
}
