package bench

import (
	"testing"
	"time"
)

// newPair returns two loopback mmsg sockets and a batch of n packets from
// a to b.
func newPair(tb testing.TB, n int) (a, b *mmsgSocket, sb *sendBatch, rb *recvBatch) {
	var err error
	if a, err = listenMmsg(loopback, 4<<20); err != nil {
		tb.Fatal(err)
	}
	if b, err = listenMmsg(loopback, 4<<20); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { a.Close(); b.Close() })
	return a, b, newSendBatch(a, n), newRecvBatch(b, 64)
}

func TestBatchRoundTrip(t *testing.T) {
	_, b, sb, rb := newPair(t, 16)
	dst := sockaddr4(b.addr)
	tx := txStream{ssrc: ssrcOf(3, dirOut), seq: 65530}
	for i := 0; i < 16; i++ {
		writeRTP(sb.next(&dst), &tx, int64(1000+i))
	}
	if sb.next(&dst) != nil {
		t.Fatal("full batch accepted another packet")
	}
	if err := sb.flush(); err != nil || sb.n != 0 {
		t.Fatalf("flush: %v, n=%d", err, sb.n)
	}
	var rx rxStream
	rx.reset()
	got := 0
	before := time.Now().UnixNano()
	for spins := 0; got < 16; spins++ {
		if _, err := rb.poll(); err != nil || spins > 1e6 {
			t.Fatalf("poll: %v after %d spins", err, spins)
		}
		for i := 0; i < rb.n; i++ {
			if ts := rb.stamp(i); ts < before-int64(time.Second) || ts > time.Now().UnixNano() {
				t.Fatalf("kernel timestamp %d not near %d", ts, before)
			}
			p := rb.pkt(i)
			if len(p) != pktSize {
				t.Fatalf("packet %d: %d bytes", got, len(p))
			}
			c, d, ok := callOfSSRC(uint32(p[8])<<24 | uint32(p[9])<<16 | uint32(p[10])<<8 | uint32(p[11]))
			if !ok || c != 3 || d != dirOut {
				t.Fatalf("ssrc -> %d %d %v", c, d, ok)
			}
			rx.add(uint16(p[2])<<8|uint16(p[3]), 0)
			got++
		}
	}
	if rx.dups != 0 || rx.reordered != 0 || rx.maxExt != 65530+15 {
		t.Fatalf("stream %+v", rx)
	}
}

// BenchmarkBatchPath measures one send batch of 32 packets through
// sendmmsg and reading all of them back with recvmmsg; 0 allocs/op.
func BenchmarkBatchPath(b *testing.B) {
	const n = 32
	_, dstSock, sb, rb := newPair(b, n)
	dst := sockaddr4(dstSock.addr)
	tx := txStream{ssrc: ssrcOf(1, dirOut)}
	r := &runner{calls: make([]call, 2), cfg: Config{Senders: 1}}
	r.calls[1].rx[dirOut].reset()
	b.ReportAllocs()
	for b.Loop() {
		for i := 0; i < n; i++ {
			writeRTP(sb.next(&dst), &tx, 0)
		}
		if err := sb.flush(); err != nil {
			b.Fatal(err)
		}
		// Loopback delivers during sendmmsg, so everything is queued now.
		for got, spins := 0, 0; got < n; spins++ {
			k, err := rb.poll()
			if err != nil || spins > 1e6 {
				b.Fatalf("poll: %v after %d spins", err, spins)
			}
			r.account(rb, dirOut, 1000)
			got += k
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/pkt")
}

func TestRxQueueOverflowCounted(t *testing.T) {
	small, err := listenMmsg(loopback, 4096)
	if err != nil {
		t.Fatal(err)
	}
	defer small.Close()
	from, err := listenMmsg(loopback, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer from.Close()
	sb := newSendBatch(from, 64)
	dst := sockaddr4(small.addr)
	tx := txStream{ssrc: ssrcOf(0, dirOut)}
	for round := 0; round < 4; round++ {
		for sb.next(&dst) != nil {
			writeRTP(sb.bufs[(sb.n-1)*pktSize:sb.n*pktSize], &tx, 0)
		}
		if err := sb.flush(); err != nil {
			t.Fatal(err)
		}
	}
	rb := newRecvBatch(small, 64)
	drain := func() {
		for {
			n, err := rb.poll()
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				return
			}
			for i := 0; i < n; i++ {
				rb.stamp(i)
			}
		}
	}
	drain()
	// The kernel reports the drop counter on packets queued after the
	// drops, so send one more.
	writeRTP(sb.next(&dst), &tx, 0)
	if err := sb.flush(); err != nil {
		t.Fatal(err)
	}
	drain()
	if rb.ovfl == 0 {
		t.Fatal("256 packets into a 4 KiB receive buffer and no drop counted")
	}
	t.Logf("dropped %d of 256", rb.ovfl)
}
