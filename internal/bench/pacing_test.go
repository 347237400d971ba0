package bench

import (
	"testing"
	"time"
)

func TestWheelSlots(t *testing.T) {
	for _, tt := range []struct {
		ptime, tick time.Duration
		want        int
	}{{20 * time.Millisecond, time.Millisecond, 20}, {20 * time.Millisecond, 20 * time.Millisecond, 1},
		{30 * time.Millisecond, 7 * time.Millisecond, 4}, {20 * time.Millisecond, 0, 1}} {
		if got := wheelSlots(tt.ptime, tt.tick); got != tt.want {
			t.Errorf("wheelSlots(%v,%v) = %d, want %d", tt.ptime, tt.tick, got, tt.want)
		}
	}
}

func TestSlotSpread(t *testing.T) {
	// 500 calls on 2 senders and 20 slots: every slot of every sender
	// holds 12 or 13 calls, and every call has exactly one owner.
	const calls, senders, slots = 500, 2, 20
	var count [senders][slots]int
	for i := 0; i < calls; i++ {
		count[senderOf(i, senders)][slotOf(i, senders, slots)]++
	}
	for s := range count {
		for sl, n := range count[s] {
			if n < 12 || n > 13 {
				t.Errorf("sender %d slot %d has %d calls", s, sl, n)
			}
		}
	}
}

func TestTickSchedule(t *testing.T) {
	tick := time.Millisecond
	if ticksElapsed(-time.Nanosecond, tick) != -1 || ticksElapsed(0, tick) != 0 ||
		ticksElapsed(999*time.Microsecond, tick) != 0 || ticksElapsed(time.Millisecond, tick) != 1 {
		t.Fatal("ticksElapsed boundaries")
	}
	// An absolute schedule: tick k is due at k*tick whatever happened
	// before, so 50 packets/s over 60 s is exactly 3000 packets.
	if got := tickDue(60_000, tick); got != time.Minute {
		t.Fatalf("tickDue = %v", got)
	}
	if n := ticksElapsed(time.Minute, 20*time.Millisecond); n != 3000 {
		t.Fatalf("20ms ticks in a minute = %d", n)
	}
	if rampStart(0, 10, time.Second) != 0 || rampStart(5, 10, time.Second) != 500*time.Millisecond ||
		rampStart(3, 1, time.Second) != 0 || rampStart(9, 10, 0) != 0 {
		t.Fatal("rampStart")
	}
}

func TestRxStream(t *testing.T) {
	var s rxStream
	s.reset()
	seqs := []uint16{65534, 65535, 0, 2, 1, 1, 3, 65535}
	for i, q := range seqs {
		s.add(q, int64(1000+i))
	}
	if s.received != 8 || s.dups != 2 || s.reordered != 1 || s.maxExt != 65536+3 {
		t.Fatalf("got %+v", s)
	}
	// A jump larger than the window clears it without counting dups.
	s.add(500, 0)
	s.add(400, 0)
	if s.dups != 2 || s.reordered != 2 {
		t.Fatalf("after jump: %+v", s)
	}
}

func TestRxJitter(t *testing.T) {
	var s rxStream
	s.reset()
	// Transit alternating 100 and 300 µs: |D| = 200 µs, J converges to it.
	for i := 0; i < 500; i++ {
		s.add(uint16(i), int64(100_000+200_000*(i%2)))
	}
	if s.jitter < 190_000 || s.jitter > 200_000 {
		t.Fatalf("jitter %d ns, want ~200000", s.jitter)
	}
}

func TestSSRCMapping(t *testing.T) {
	for _, c := range []int{0, 1, 499, maxCalls - 1} {
		for d := 0; d < 2; d++ {
			gc, gd, ok := callOfSSRC(ssrcOf(c, d))
			if !ok || gc != c || gd != d {
				t.Errorf("ssrc(%d,%d) -> %d,%d,%v", c, d, gc, gd, ok)
			}
		}
	}
	if _, _, ok := callOfSSRC(0x12345678); ok {
		t.Error("foreign SSRC accepted")
	}
}

func TestParseStatCPU(t *testing.T) {
	stat := []byte("1234 (rtp (proxy)) S 1 1234 1234 0 -1 4194560 500 0 0 0 250 50 0 0 20 0 4 0 100 0 0\n")
	got, err := parseStatCPU(stat)
	if err != nil || got != 3*time.Second {
		t.Fatalf("parseStatCPU = %v, %v; want 3s", got, err)
	}
	if _, err := parseStatCPU([]byte("1 (x) S 1")); err == nil {
		t.Fatal("short stat accepted")
	}
}

func TestParseSNMP(t *testing.T) {
	snmp := "Ip: Forwarding DefaultTTL\nIp: 1 64\nUdp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors\nUdp: 10 2 7 12 5\n"
	if v, err := parseSNMP(snmp, "Udp:", "RcvbufErrors"); err != nil || v != 5 {
		t.Fatalf("RcvbufErrors = %d, %v", v, err)
	}
	if _, err := parseSNMP(snmp, "Udp:", "Nope"); err == nil {
		t.Fatal("missing field found")
	}
	if _, err := udpRcvbufErrors(); err != nil {
		t.Fatal(err)
	}
}
