package rtp

import "testing"

// pkt is one packet fed to Stats.Update in a test.
type pkt struct {
	ssrc   uint32
	seq    uint16
	ts     uint32
	atMs   int64 // arrival, milliseconds
	result SeqResult
}

// feed runs packets through a Stats at 8000 Hz, 172-byte datagrams.
func feed(t *testing.T, st *Stats, pkts []pkt) {
	t.Helper()
	for i, p := range pkts {
		if res := st.Update(p.ssrc, p.seq, p.ts, 172, p.atMs*1e6, 8000); res != p.result {
			t.Fatalf("packet %d (seq %d): %v, want %v", i, p.seq, res, p.result)
		}
	}
}

// seqs builds evenly timed 20 ms packets of one SSRC from a list of
// sequence numbers; ts and arrival follow the sequence number, so jitter
// stays zero.
func seqs(ssrc uint32, results string, ss ...uint16) []pkt {
	out := make([]pkt, len(ss))
	for i, s := range ss {
		r := map[byte]SeqResult{'p': SeqProbation, 'o': SeqInOrder, 'l': SeqLate, 'j': SeqJump, 'r': SeqResync}[results[i]]
		out[i] = pkt{ssrc: ssrc, seq: s, ts: uint32(s) * 160, atMs: int64(s) * 20, result: r}
	}
	return out
}

func TestStats(t *testing.T) {
	tests := []struct {
		name string
		pkts []pkt
		want StreamStats // Packets and Bytes are checked from len(pkts)
	}{
		{"in order", seqs(7, "poooo", 1, 2, 3, 4, 5),
			StreamStats{SSRC: 7, Valid: true, Received: 4, Expected: 4, HighestSeq: 5, LastRTPTime: 800}},
		{"one lost", seqs(7, "pooooo", 100, 101, 102, 104, 105, 106),
			StreamStats{SSRC: 7, Valid: true, Received: 5, Expected: 6, Lost: 1, HighestSeq: 106, LastRTPTime: 106 * 160}},
		{"reordered", seqs(7, "poooloo", 100, 101, 103, 104, 102, 105, 106),
			StreamStats{SSRC: 7, Valid: true, Received: 6, Expected: 6, HighestSeq: 106, Reordered: 1, LastRTPTime: 106 * 160}},
		{"duplicates make loss negative", seqs(7, "poooolo", 100, 101, 102, 102, 103, 101, 104),
			StreamStats{SSRC: 7, Valid: true, Received: 6, Expected: 4, Lost: -2, HighestSeq: 104, Duplicates: 2, LastRTPTime: 104 * 160}},
		{"duplicate of a late packet", seqs(7, "poooll", 100, 101, 103, 104, 102, 102),
			StreamStats{SSRC: 7, Valid: true, Received: 5, Expected: 4, Lost: -1, HighestSeq: 104, Reordered: 1, Duplicates: 1, LastRTPTime: 104 * 160}},
		{"wrap at 65535 with loss and reordering", seqs(7, "pooolloo", 65532, 65533, 65534, 1, 65535, 0, 3, 4),
			// base 65533, highest 65536+4: expected 8, received 7 (2 lost)
			StreamStats{SSRC: 7, Valid: true, Received: 7, Expected: 8, Lost: 1, HighestSeq: 1<<16 | 4, Reordered: 2, LastRTPTime: 4 * 160}},
		{"jump dropped", seqs(7, "poooojo", 10, 11, 12, 13, 14, 20000, 15),
			StreamStats{SSRC: 7, Valid: true, Received: 5, Expected: 5, HighestSeq: 15, Jumps: 1, LastRTPTime: 15 * 160}},
		{"jump confirmed restarts the counters", seqs(7, "poooojro", 10, 11, 12, 13, 14, 20000, 20001, 20002),
			StreamStats{SSRC: 7, Valid: true, Received: 2, Expected: 2, HighestSeq: 20002, Jumps: 1, Resyncs: 1, LastRTPTime: 20002 * 160}},
		{"ssrc change resets the source", append(seqs(7, "pooo", 1, 2, 3, 4), seqs(9, "pooo", 500, 501, 503, 504)...),
			StreamStats{SSRC: 9, SSRCChanges: 1, Valid: true, Received: 3, Expected: 4, Lost: 1, HighestSeq: 504, LastRTPTime: 504 * 160}},
		{"probation only", seqs(7, "pp", 1, 5),
			StreamStats{SSRC: 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var st Stats
			feed(t, &st, tt.pkts)
			want := tt.want
			want.Packets, want.Bytes = uint64(len(tt.pkts)), 172*uint64(len(tt.pkts))
			if got := st.Snapshot(); got != want {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

// TestStatsJitterByHand checks RFC 3550 A.8 against values worked out on
// paper. 8000 Hz, 20 ms (160-tick) packets; the third valid packet arrives
// 5 ms (40 ticks) late, so the transit times are 0, 0, 40, 0, 0 ticks and
// |D| is 0, 40, 40, 0. With J kept at 16x in an integer:
//
//	J16 = 0  + 0  - (0+8)>>4  = 0
//	J16 = 0  + 40 - (0+8)>>4  = 40  -> J = 2
//	J16 = 40 + 40 - (40+8)>>4 = 77  -> J = 4
//	J16 = 77 + 0  - (77+8)>>4 = 72  -> J = 4   (floating point: 4.54)
func TestStatsJitterByHand(t *testing.T) {
	var st Stats
	steps := []struct {
		seq    uint16
		ts     uint32
		atMs   int64
		jitter uint32
	}{
		{99, 0, -20, 0}, // probation: ignored
		{100, 160, 0, 0},
		{101, 320, 20, 0},
		{102, 480, 45, 2},
		{103, 640, 60, 4},
		{104, 800, 80, 4},
	}
	for _, s := range steps {
		st.Update(1, s.seq, s.ts, 172, 1_700_000_000_000_000_000+s.atMs*1e6, 8000)
		if j := st.Snapshot().Jitter; j != s.jitter {
			t.Fatalf("after seq %d jitter %d, want %d", s.seq, j, s.jitter)
		}
	}
}

func TestStatsJitterTimestampWrap(t *testing.T) {
	// Evenly spaced packets whose RTP timestamp wraps: jitter stays 0.
	var st Stats
	ts := uint32(0xffffffff - 3*160)
	for i := range 10 {
		st.Update(1, uint16(i), ts, 172, int64(i)*20e6, 8000)
		ts += 160
	}
	if j := st.Snapshot().Jitter; j != 0 {
		t.Errorf("jitter %d across timestamp wrap", j)
	}
}

func TestRTPUnits(t *testing.T) {
	tests := []struct {
		nanos int64
		rate  uint32
		want  uint32
	}{
		{0, 8000, 0},
		{20e6, 8000, 160},
		{1e9, 48000, 48000},
		{-20e6, 8000, 0xffffffff - 159},
		{86400 * 365 * 1e9, 90000, uint32(uint64(86400*365) * 90000 % (1 << 32))},
		{1<<63 - 1, 1<<32 - 1, 0xb5111953}, // large: must not overflow (value from Python big ints)
	}
	for _, tt := range tests {
		if got := rtpUnits(tt.nanos, tt.rate); got != tt.want {
			t.Errorf("rtpUnits(%d, %d) = %#x, want %#x", tt.nanos, tt.rate, got, tt.want)
		}
	}
}

func TestStatsReportInterval(t *testing.T) {
	var st Stats
	// 1, 2..11 valid (10 packets), then 12..31 with 5 lost.
	feed(t, &st, seqs(3, "poooooooooo", 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11))
	if f, total := st.ReportInterval(); f != 0 || total != 0 {
		t.Errorf("first interval %d %d", f, total)
	}
	var next []uint16
	for s := uint16(12); s <= 31; s++ {
		if s%4 != 0 {
			next = append(next, s)
		}
	}
	for _, s := range next {
		st.Update(3, s, uint32(s)*160, 172, int64(s)*20e6, 8000)
	}
	// 20 expected, 15 received: 5/20 = 64/256.
	if f, total := st.ReportInterval(); f != 64 || total != 5 {
		t.Errorf("second interval %d %d, want 64 5", f, total)
	}
	// Duplicates only: no fraction, total goes down.
	st.Update(3, 31, 31*160, 172, 640e6, 8000)
	if f, total := st.ReportInterval(); f != 0 || total != 4 {
		t.Errorf("third interval %d %d, want 0 4", f, total)
	}
}

func TestStatsDuplicateWindowAfterGap(t *testing.T) {
	// After a forward gap the skipped numbers must not look seen, even
	// though their bitmap slots were used a window earlier.
	var st Stats
	var s uint16
	for s = 0; s < 300; s++ {
		st.Update(5, s, uint32(s)*160, 172, int64(s)*20e6, 8000)
	}
	st.Update(5, 310, 310*160, 172, 310*20e6, 8000)
	for s = 300; s < 310; s++ {
		st.Update(5, s, uint32(s)*160, 172, int64(s)*20e6, 8000)
	}
	got := st.Snapshot()
	if got.Duplicates != 0 || got.Reordered != 10 || got.Lost != 0 {
		t.Errorf("%+v", got)
	}
}
