package timeline

import (
	"testing"
	"time"
)

const (
	testStart = int64(time.Second)                     // recording clock origin
	testT0    = testStart + 50*int64(time.Millisecond) // first packet sent
)

// scenario describes how the test sender and network treat a stream.
type scenario struct {
	name     string
	dur      time.Duration
	loss     float64       // probability a packet is lost
	jitter   time.Duration // arrival delay uniform in [0, jitter)
	fast     float64       // sender clock rate error (0.001 = 0.1% fast)
	holdAt   time.Duration // frames from holdAt for hold are not sent
	hold     time.Duration
	ssrcAt   time.Duration // new SSRC, sequence and timestamp base here
	jumpAt   time.Duration // timestamp jumps 6 s forward here
	window   time.Duration // lag measurement window
	minCorr  float64       // least correlation of any window
	meanCorr float64       // least mean correlation
	maxLag   time.Duration // largest misplacement of any window
}

// build packetises src as 20 ms PCMU packets sent by the scenario.
func (sc scenario) build(t testing.TB, src []int16) []sent {
	r := newRand(42)
	st := newStream(t, "PCMU", 0, 0x1111, 1000, 5000)
	var pkts []sent
	frames := len(src) / 160
	frameAt := func(i int) time.Duration { return time.Duration(i) * 20 * time.Millisecond }
	for i := range frames {
		at := frameAt(i)
		if sc.ssrcAt > 0 && at == sc.ssrcAt {
			st.ssrc, st.seq, st.ts = 0x2222, 60000, 4000000000
		}
		if sc.jumpAt > 0 && at == sc.jumpAt {
			st.ts += 48000
		}
		pkt := st.packet(src[i*160:(i+1)*160], nil, 0, i == 0, 160)
		if sc.hold > 0 && at >= sc.holdAt && at < sc.holdAt+sc.hold {
			continue
		}
		if i > 0 && r.Float64() < sc.loss {
			continue
		}
		send := testT0 + int64(float64(at)/(1+sc.fast))
		arr := send
		if sc.jitter > 0 {
			arr += r.Int64N(int64(sc.jitter))
		}
		pkts = append(pkts, sent{arr, pkt})
	}
	return pkts
}

func TestLegScenarios(t *testing.T) {
	cases := []scenario{
		{name: "perfect", dur: 12 * time.Second, window: 500 * time.Millisecond,
			minCorr: 0.9, meanCorr: 0.98, maxLag: 0},
		{name: "loss-reorder-jitter", dur: 12 * time.Second, loss: 0.05, jitter: 60 * time.Millisecond,
			window: 500 * time.Millisecond, minCorr: 0.5, meanCorr: 0.85, maxLag: 20 * time.Millisecond},
		{name: "ssrc-change-and-jump", dur: 12 * time.Second, ssrcAt: 4 * time.Second, jumpAt: 8 * time.Second,
			window: 500 * time.Millisecond, minCorr: 0.9, meanCorr: 0.98, maxLag: time.Millisecond},
		{name: "sender-0.1%-fast-60s", dur: 60 * time.Second, fast: 0.001,
			window: 250 * time.Millisecond, minCorr: 0.5, meanCorr: 0.9, maxLag: 20 * time.Millisecond},
		{name: "hold-3s", dur: 12 * time.Second, holdAt: 4 * time.Second, hold: 3 * time.Second,
			window: 500 * time.Millisecond, minCorr: 0.9, meanCorr: 0.98, maxLag: 0},
	}
	for _, sc := range cases {
		t.Run(sc.name, func(t *testing.T) {
			src := source(t, sc.dur)
			pkts := sc.build(t, src)
			l, err := NewLeg(LegConfig{Start: testStart})
			if err != nil {
				t.Fatal(err)
			}
			wall := time.Duration(float64(sc.dur)/(1+sc.fast)) + 500*time.Millisecond
			end := testStart + int64(wall)
			out := run(t, l, pkts, end, 200*time.Millisecond)
			if got, want := len(out), int(wall.Seconds()*8000); abs(int64(got-want)) > 160 {
				t.Fatalf("output %d samples, wall time %d", got, want)
			}
			ref := ulaw(t, src)
			win := int(sc.window.Seconds() * 8000)
			base := int((testT0 - testStart) * 8000 / int64(time.Second))
			var sum float64
			var n, worstLag int
			worst := 1.0
			for j := 0; j+win <= len(ref); j += win {
				at := time.Duration(j) * time.Second / 8000
				if sc.hold > 0 && at+sc.window > sc.holdAt && at < sc.holdAt+sc.hold {
					continue
				}
				if rms(ref[j:j+win]) < 500 {
					continue // mostly pause: nothing to correlate
				}
				k := base + int(float64(j)/(1+sc.fast))
				lag, c := bestLag(out, k, ref[j:j+win], 400)
				sum += c
				n++
				worst = min(worst, c)
				if abs(int64(lag)) > abs(int64(worstLag)) {
					worstLag = lag
				}
			}
			mean := sum / float64(n)
			t.Logf("%d windows: mean corr %.3f, worst %.3f, worst lag %.2f ms; stats %+v",
				n, mean, worst, float64(worstLag)/8, l.Stats())
			if mean < sc.meanCorr || worst < sc.minCorr {
				t.Errorf("correlation mean %.3f worst %.3f, want ≥ %.2f and ≥ %.2f", mean, worst, sc.meanCorr, sc.minCorr)
			}
			if lagNs := int64(worstLag) * int64(time.Second) / 8000; abs(lagNs) > int64(sc.maxLag) {
				t.Errorf("audio misplaced by %v, want within %v", time.Duration(lagNs), sc.maxLag)
			}
			if sc.hold > 0 {
				from := base + int((sc.holdAt+100*time.Millisecond).Seconds()*8000)
				to := base + int(((sc.holdAt + sc.hold).Seconds())*8000)
				if r := rms(out[from:to]); r != 0 {
					t.Errorf("hold gap rms %.1f, want silence", r)
				}
			}
			st := l.Stats()
			switch {
			case sc.ssrcAt > 0 && st.Reanchors != 2:
				t.Errorf("reanchors %d, want 2 (SSRC change, timestamp jump)", st.Reanchors)
			case sc.fast > 0 && st.DriftSteps == 0:
				t.Errorf("no drift correction")
			case sc.loss > 0 && (st.Lost == 0 || st.Late != 0):
				t.Errorf("lost %d late %d: want losses and nothing late", st.Lost, st.Late)
			}
		})
	}
}
