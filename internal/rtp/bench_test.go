package rtp

import "testing"

var (
	benchRTP  = []byte{0x80, 0x00, 0x1f, 0x40, 0, 0, 0xa0, 0, 0x4a, 0x1b, 0x2c, 0x3d, 0xff, 0xff, 0xff, 0xff}
	sinkU32   uint32
	sinkInt   int
	sinkBool  bool
	benchHdrs = Header{Version: 2, PayloadType: 0, SequenceNumber: 1, Timestamp: 160, SSRC: 7, CSRCCount: 1}
)

func BenchmarkPeek(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		ssrc, _, _, _, ok := Peek(benchRTP)
		sinkU32, sinkBool = ssrc, ok
	}
}

func BenchmarkHeaderUnmarshal(b *testing.B) {
	pkt := readHex(b, "rtp/ext_onebyte.hex")
	var h Header
	b.ReportAllocs()
	for b.Loop() {
		n, err := h.Unmarshal(pkt)
		if err != nil {
			b.Fatal(err)
		}
		sinkInt = n
	}
}

func BenchmarkHeaderMarshalTo(b *testing.B) {
	buf := make([]byte, 64)
	b.ReportAllocs()
	for b.Loop() {
		n, err := benchHdrs.MarshalTo(buf)
		if err != nil {
			b.Fatal(err)
		}
		sinkInt = n
	}
}

func BenchmarkStatsUpdate(b *testing.B) {
	var st Stats
	var seq uint16
	var now int64
	b.ReportAllocs()
	for b.Loop() {
		// Every 50th packet is late by one, to exercise the bitmap.
		s := seq
		if seq%50 == 0 && seq > 0 {
			s = seq - 1
		}
		st.Update(7, s, uint32(s)*160, 172, now, 8000)
		seq++
		now += 20e6
	}
}

func BenchmarkRTCPReceptionReports(b *testing.B) {
	pkt := readHex(b, "rtcp/sr_sdes.hex")
	var blocks [4]ReceptionReport
	b.ReportAllocs()
	for b.Loop() {
		n, _, err := ReceptionReports(pkt, blocks[:])
		if err != nil {
			b.Fatal(err)
		}
		sinkInt = n
	}
}

// TestZeroAllocs asserts what the benchmarks show, so a regression fails
// the ordinary test run and not only a benchmark someone has to read.
func TestZeroAllocs(t *testing.T) {
	rtpPkt := readHex(t, "rtp/pcma_csrc.hex")
	rtcpPkt := readHex(t, "rtcp/rr_bye.hex")
	var h Header
	var st Stats
	var seq uint16
	var blocks [4]ReceptionReport
	out := make([]byte, 64)
	cases := map[string]func(){
		"Peek": func() { _, _, _, _, sinkBool = Peek(rtpPkt) },
		"Unmarshal": func() {
			if _, err := h.Unmarshal(rtpPkt); err != nil {
				t.Fatal(err)
			}
		},
		"MarshalTo": func() { sinkInt, _ = h.MarshalTo(out) },
		"Stats.Update": func() {
			st.Update(1, seq, uint32(seq)*160, 172, int64(seq)*20e6, 8000)
			seq++
		},
		"ReceptionReports": func() { sinkInt, _, _ = ReceptionReports(rtcpPkt, blocks[:]) },
		"RTCPReader+SDES": func() {
			r := NewRTCPReader(rtcpPkt)
			var p RTCPPacket
			var it SDESItem
			for r.Next(&p) {
				if p.Type != TypeSDES {
					continue
				}
				if sd, err := NewSDESReader(&p); err == nil {
					for sd.Next(&it) {
					}
				}
			}
		},
	}
	for name, fn := range cases {
		if n := testing.AllocsPerRun(200, fn); n != 0 {
			t.Errorf("%s: %v allocs per run", name, n)
		}
	}
}
