package timeline

import (
	"strconv"
	"testing"
	"time"
)

// TestG722Leg runs a wideband leg (G.722: 16 kHz audio on an 8000 Hz RTP
// clock) next to a µ-law leg of the same speech, at each recording rate:
// the G.722 leg is decoded, resampled where needed, and lines up with the
// µ-law leg within 1 ms (the QMF delay of G.722 is compensated).
func TestG722Leg(t *testing.T) {
	src := source(t, 5*time.Second)
	wide := resampleRef(t, src, 16000)
	for _, rate := range []int{8000, 16000, 48000} {
		t.Run(strconv.Itoa(rate), func(t *testing.T) {
			var outs [2][]int16
			for i, name := range []string{"PCMU", "G722"} {
				pt := []uint8{0, 9}[i]
				st := newStream(t, name, pt, uint32(i+1), 1, 1)
				var pkts []sent
				for f := range len(src) / 160 {
					frame := src[f*160 : (f+1)*160]
					if name == "G722" {
						frame = wide[f*320 : (f+1)*320]
					}
					pkts = append(pkts, sent{testT0 + int64(f)*20*ms, st.packet(frame, nil, pt, false, 160)})
				}
				l, err := NewLeg(LegConfig{Start: testStart, SampleRate: rate})
				if err != nil {
					t.Fatal(err)
				}
				outs[i] = run(t, l, pkts, testStart+int64(6*time.Second), 200*time.Millisecond)
				if s := l.Stats(); s.Decoded != uint64(len(pkts)) {
					t.Fatalf("%s: stats %+v", name, s)
				}
			}
			at := int(1.2 * float64(rate))
			lag, c := bestLag(outs[1], at, outs[0][at:at+rate/2], rate/200)
			d := time.Duration(lag) * time.Second / time.Duration(rate)
			t.Logf("G.722 after µ-law by %v, corr %.3f", d, c)
			if d < -time.Millisecond || d > time.Millisecond || c < 0.8 {
				t.Errorf("G.722 leg %v from the µ-law leg (corr %.3f)", d, c)
			}
		})
	}
}
