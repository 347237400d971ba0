package record

import (
	"bytes"
	"sync"
	"testing"
)

func TestRingOrderAndWrap(t *testing.T) {
	r := newRing(1024)
	var got [][]byte
	next := 0
	for round := 0; round < 50; round++ {
		for i := 0; i < 3; i++ {
			p := bytes.Repeat([]byte{byte(next)}, 50+next%200)
			if !r.put(int64(next), uint8(next%2), 0, p) {
				t.Fatalf("put %d refused with room", next)
			}
			next++
		}
		r.get(func(at int64, dir, _ uint8, pkt []byte) {
			if int(at) != len(got) || int(dir) != len(got)%2 || pkt[0] != byte(len(got)) || len(pkt) != 50+len(got)%200 {
				t.Fatalf("record %d: at %d dir %d len %d", len(got), at, dir, len(pkt))
			}
			got = append(got, append([]byte(nil), pkt...))
		})
	}
	if len(got) != next {
		t.Fatalf("got %d records, want %d", len(got), next)
	}
}

func TestRingFullDropsAndCounts(t *testing.T) {
	r := newRing(1024)
	p := make([]byte, 200)
	n := 0
	for r.put(0, 0, 0, p) {
		n++
	}
	if n != 4 || r.dropped.Load() != 1 {
		t.Fatalf("fit %d (want 4 of 212-byte records in 1 KiB), dropped %d", n, r.dropped.Load())
	}
	if r.put(0, 0, 0, make([]byte, maxPacket+1)) {
		t.Fatal("oversized packet accepted")
	}
	if got := r.get(func(int64, uint8, uint8, []byte) {}); got != 4 {
		t.Fatalf("drained %d", got)
	}
	if !r.put(0, 0, 0, p) {
		t.Fatal("no room after drain")
	}
}

func TestRingConcurrent(t *testing.T) {
	r := newRing(4096)
	const total = 200000
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		p := make([]byte, 172)
		for i := 0; i < total; {
			p[0], p[1] = byte(i), byte(i>>8)
			if r.put(int64(i), 0, 0, p) {
				i++
			}
		}
	}()
	want := 0
	for want < total {
		r.get(func(at int64, _, _ uint8, pkt []byte) {
			if int(at) != want || pkt[0] != byte(want) || pkt[1] != byte(want>>8) {
				t.Fatalf("record %d: got at %d", want, at)
			}
			want++
		})
	}
	wg.Wait()
}

func BenchmarkRingPutGet(b *testing.B) {
	r := newRing(16 << 10)
	p := make([]byte, 172)
	b.ReportAllocs()
	for b.Loop() {
		r.put(1, 0, 0, p)
		r.get(func(int64, uint8, uint8, []byte) {})
	}
}
