package timeline

import (
	"testing"
	"time"
)

// TestDTMF sends speech with two RFC 4733 events in place of audio, the
// end packets repeated (and once duplicated by the network), and checks
// one Event each with the right digit, start and duration, and no audio
// where the tones were.
func TestDTMF(t *testing.T) {
	src := source(t, 8*time.Second)
	st := newStream(t, "PCMU", 0, 0xd7f, 7, 900)
	type ev struct {
		at   time.Duration
		code uint8
		dur  time.Duration
	}
	evs := []ev{{3 * time.Second, 5, 200 * time.Millisecond}, {5 * time.Second, 11, 100 * time.Millisecond}}
	var pkts []sent
	var want []Event
	for f := 0; f < len(src)/160; {
		at := time.Duration(f) * 20 * time.Millisecond
		send := testT0 + int64(at)
		if len(evs) > 0 && at == evs[0].at {
			e := evs[0]
			evs = evs[1:]
			for i, p := range st.dtmf(e.code, e.dur, 101) {
				arr := send + int64(min(i, int(e.dur/(20*time.Millisecond))-1))*20*ms
				pkts = append(pkts, sent{arr, p})
			}
			pkts = append(pkts, sent{pkts[len(pkts)-1].arrival + ms, pkts[len(pkts)-1].pkt}) // network duplicate
			want = append(want, Event{Code: e.code, Digit: digit(e.code), Start: send, Duration: e.dur, Volume: 10, Ended: true})
			f += int(e.dur / (20 * time.Millisecond))
			continue
		}
		pkts = append(pkts, sent{send, st.packet(src[f*160:(f+1)*160], nil, 0, false, 160)})
		f++
	}
	l, err := NewLeg(LegConfig{Start: testStart})
	if err != nil {
		t.Fatal(err)
	}
	out := run(t, l, pkts, testStart+int64(9*time.Second), 200*time.Millisecond)
	got := l.Events(nil)
	if len(got) != len(want) {
		t.Fatalf("events %+v, want %+v", got, want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Code != w.Code || g.Digit != w.Digit || g.Duration != w.Duration || !g.Ended || g.Volume != 10 ||
			abs(g.Start-w.Start) > int64(time.Millisecond) {
			t.Errorf("event %d: %+v, want %+v", i, g, w)
		}
		from := int((g.Start - testStart) * 8000 / int64(time.Second))
		seg := out[from : from+int(g.Duration.Seconds()*8000)]
		for _, f := range []float64{697, 770, 852, 941, 1209, 1336, 1477, 1633} {
			if p := goertzel(seg, f); p > 0.2 {
				t.Errorf("event %d: tone energy %.2f at %v Hz", i, p, f)
			}
		}
		if r := rms(seg[len(seg)/2:]); r > 1 {
			t.Errorf("event %d: audio rms %.1f during the event, want silence", i, r)
		}
	}
	if st := l.Stats(); st.Events != 2 || st.Undecodable != 0 || st.Duplicates == 0 {
		t.Errorf("stats %+v", st)
	}
	if again := l.Events(nil); len(again) != 0 {
		t.Errorf("events drained twice: %+v", again)
	}
}

// TestEventCutShort: an event without an end packet is reported, not
// ended, when Close runs.
func TestEventCutShort(t *testing.T) {
	st := newStream(t, "PCMU", 0, 1, 1, 1)
	l, _ := NewLeg(LegConfig{Start: 0, Payloads: nil})
	pkts := st.dtmf(1, 100*time.Millisecond, 101)
	for i, p := range pkts[:3] {
		if err := l.Push(int64(i)*20*ms, p); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	ev := l.Events(nil)
	if len(ev) != 1 || ev[0].Digit != '1' || ev[0].Ended || ev[0].Duration != 60*time.Millisecond {
		t.Fatalf("events %+v", ev)
	}
}
