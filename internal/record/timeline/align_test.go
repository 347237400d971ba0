package timeline

import (
	"errors"
	"strconv"
	"testing"
	"time"
)

// TestTwoLegsAligned feeds the same speech to two legs with different
// codecs, SSRCs, sequence and timestamp bases, the second arriving 0.3 ms
// later, and checks the legs line up within 1 ms at each recording rate.
func TestTwoLegsAligned(t *testing.T) {
	src := source(t, 6*time.Second)
	for _, rate := range []int{8000, 16000, 48000} {
		t.Run(strconv.Itoa(rate), func(t *testing.T) {
			legs := [2]struct {
				name  string
				pt    uint8
				delay int64
			}{{"PCMU", 0, 0}, {"PCMA", 8, 300_000}}
			var outs [2][]int16
			for i, lg := range legs {
				st := newStream(t, lg.name, lg.pt, uint32(0xa000+i), uint16(100+i*30000), uint32(i)*123456789)
				var pkts []sent
				for f := range len(src) / 160 {
					pkt := st.packet(src[f*160:(f+1)*160], nil, lg.pt, f == 0, 160)
					pkts = append(pkts, sent{testT0 + int64(f)*20*ms + lg.delay, pkt})
				}
				l, err := NewLeg(LegConfig{Start: testStart, SampleRate: rate})
				if err != nil {
					t.Fatal(err)
				}
				outs[i] = run(t, l, pkts, testStart+int64(7*time.Second), time.Duration(150+40*i)*time.Millisecond)
			}
			if len(outs[0]) != len(outs[1]) || len(outs[0]) != 7*rate {
				t.Fatalf("lengths %d and %d, want %d", len(outs[0]), len(outs[1]), 7*rate)
			}
			// A speech stretch of the first leg, searched for in the second.
			at := int(1.2 * float64(rate))
			ref := outs[0][at : at+rate/2]
			lag, c := bestLag(outs[1], at, ref, rate/500)
			lagNs := time.Duration(lag) * time.Second / time.Duration(rate)
			t.Logf("rate %d: lag %v corr %.3f", rate, lagNs, c)
			if lagNs < -time.Millisecond || lagNs > time.Millisecond || c < 0.9 {
				t.Errorf("legs misaligned by %v (corr %.3f), want within 1 ms", lagNs, c)
			}
			// And the first leg sits where it arrived.
			want := int((testT0 - testStart) * int64(rate) / int64(time.Second))
			srcAt := int(1.2 * 8000)
			up := resampleRef(t, ulaw(t, src[srcAt:srcAt+4000]), rate)
			lag, c = bestLag(outs[0], want+srcAt*rate/8000, up, rate/100)
			if d := time.Duration(lag) * time.Second / time.Duration(rate); d < -time.Millisecond || d > time.Millisecond || c < 0.9 {
				t.Errorf("leg placed %v from its arrival (corr %.3f)", d, c)
			}
		})
	}
}

func TestNewLegConfig(t *testing.T) {
	for _, c := range []LegConfig{{SampleRate: 44100}, {Window: -1}, {Window: time.Second, Buffer: time.Second}} {
		if _, err := NewLeg(c); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: err %v, want ErrConfig", c, err)
		}
	}
	l, err := NewLeg(LegConfig{})
	if err != nil || l.SampleRate() != 8000 || l.Window() != DefaultWindow {
		t.Fatalf("zero config: %v %d %v", err, l.SampleRate(), l.Window())
	}
}
