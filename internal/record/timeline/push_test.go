package timeline

import (
	"errors"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/codec"
)

func TestPushMalformed(t *testing.T) {
	big := make([]byte, 12+MaxPayload+1)
	big[0] = 0x80
	cases := []struct {
		name string
		pkt  []byte
	}{
		{"empty", nil},
		{"short", []byte{0x80, 0, 0, 1}},
		{"version 1", []byte{0x40, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xff}},
		{"csrc beyond end", []byte{0x8f, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1}},
		{"padding count zero", []byte{0xa0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xff, 0}},
		{"payload too large", big},
	}
	l, _ := NewLeg(LegConfig{})
	for _, c := range cases {
		if err := l.Push(0, c.pkt); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err %v, want ErrMalformed", c.name, err)
		}
	}
	if st := l.Stats(); st.Malformed != uint64(len(cases)) || st.Packets != uint64(len(cases)) {
		t.Errorf("stats %+v", st)
	}
	if err := l.Push(0, []byte{0x80, 200, 0, 6, 0, 0, 0, 1, 0, 0, 0, 0}); !errors.Is(err, ErrRTCP) || l.Stats().RTCP != 1 {
		t.Errorf("rtcp sender report: err %v, stats %+v", err, l.Stats())
	}
	l.Close()
	if err := l.Push(0, []byte{0x80, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1}); !errors.Is(err, ErrClosed) {
		t.Errorf("push after close: %v", err)
	}
}

// TestUndecodable: a payload type with no decoder is counted, handed to
// OnRaw with its payload and rendered as silence; mapping it decodes it.
func TestUndecodable(t *testing.T) {
	src := source(t, time.Second)
	for _, mapped := range []bool{false, true} {
		var raws []RawPacket
		cfg := LegConfig{OnRaw: func(r RawPacket) {
			r.Payload = append([]byte(nil), r.Payload...)
			raws = append(raws, r)
		}}
		if mapped {
			cfg.Payloads = map[uint8]codec.Format{96: {Name: "PCMU", ClockRate: 8000, Channels: 1}}
		}
		l, _ := NewLeg(cfg)
		st := newStream(t, "PCMU", 96, 5, 1, 1)
		var pkts []sent
		for f := range 50 {
			pkts = append(pkts, sent{int64(f) * 20 * ms, st.packet(src[f*160:(f+1)*160], nil, 96, false, 160)})
		}
		pkts = append(pkts, sent{50 * 20 * ms, st.packet(nil, []byte{40}, 13, false, 160)}) // CN
		out := run(t, l, pkts, int64(1200*time.Millisecond), 200*time.Millisecond)
		s := l.Stats()
		if mapped {
			if s.Decoded != 50 || s.Undecodable != 0 || len(raws) != 0 || rms(out) < 100 {
				t.Errorf("mapped: stats %+v raws %d rms %.0f", s, len(raws), rms(out))
			}
		} else if s.Undecodable != 50 || len(raws) != 50 || rms(out) != 0 ||
			raws[3].Timestamp != 1+3*160 || raws[3].PayloadType != 96 || len(raws[3].Payload) != 160 || raws[3].Arrival != 60*ms {
			t.Errorf("unmapped: stats %+v raws %d rms %.0f", s, len(raws), rms(out))
		}
		if s.ComfortNoise != 1 || s.Lost != 0 {
			t.Errorf("stats %+v", s)
		}
	}
}

// TestDuplicatesAndLate: duplicates count once whether still held or
// already released; a packet arriving after its slot was pulled is late.
func TestDuplicatesAndLate(t *testing.T) {
	src := source(t, time.Second)
	st := newStream(t, "PCMU", 0, 9, 65530, 4294967000) // both wrap
	var p [][]byte
	for f := range 10 {
		p = append(p, st.packet(src[f*160:(f+1)*160], nil, 0, false, 160))
	}
	l, _ := NewLeg(LegConfig{})
	out := make([]int16, 8000)
	push := func(at int64, i int) {
		if err := l.Push(at*ms, p[i]); err != nil {
			t.Fatal(err)
		}
	}
	push(0, 0)
	push(1, 0) // released duplicate
	push(40, 2)
	push(41, 2) // held duplicate
	push(60, 3)
	push(80, 4) // held behind 2 and 3; due at 80 ms, so not in this Pull
	if n := l.Pull(80*ms, out); n != 640 {
		t.Fatalf("pulled %d", n)
	}
	push(81, 1) // its slot (20–40 ms) was pulled: late
	s := l.Stats()
	if s.Duplicates != 2 || s.Late != 1 || s.Lost != 1 || s.Decoded != 3 {
		t.Errorf("stats %+v", s)
	}
}
