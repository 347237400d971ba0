package spot

import (
	"testing"
	"time"
)

// spotSkip runs a fresh Spotter over a, then Skip(k), then b, written
// 20 ms at a time, and returns its detections.
func spotSkip(t *testing.T, a []int16, k int, b []int16, rate int) []Detection {
	t.Helper()
	kws, err := ParseKeywords(testKeywords)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Keywords: kws, SampleRate: rate})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	step := rate / 50
	write := func(pcm []int16) {
		for len(pcm) > 0 {
			n := min(step, len(pcm))
			if err := s.Write(pcm[:n]); err != nil {
				t.Fatal(err)
			}
			pcm = pcm[n:]
		}
	}
	write(a)
	s.Skip(k)
	write(b)
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	return s.Detections()
}

// find returns the first detection of kw starting within tolerance of at.
func find(dets []Detection, kw string, at time.Duration) (Detection, bool) {
	for _, d := range dets {
		if d.Keyword == kw && (d.Start-at).Abs() <= tolerance {
			return d, true
		}
	}
	return Detection{}, false
}

// TestSkip: after Skip(k), a keyword spoken at p in the audio written
// next is reported at len(A)+k+p, within 0.15 s of where the same
// keyword is found in the stream without a gap: at 8 kHz and 16 kHz,
// with the gap before anything is written, during the first seconds
// (held back for priming) and after them. Keywords before the gap keep
// their offsets, and nothing is placed inside the gap.
func TestSkip(t *testing.T) {
	requireModel(t)
	const near = 150 * time.Millisecond
	timings := loadTimings(t)
	spoken := func(w string) time.Duration {
		for _, x := range timings {
			if x.speaker == "caller" && x.word == w {
				return x.start
			}
		}
		t.Fatalf("no %q in timings.txt", w)
		return 0
	}
	for _, file := range []string{"caller-8k.wav", "caller-16k.wav"} {
		pcm, rate := loadWAV(t, file)
		at := func(n int) time.Duration { return time.Duration(n) * time.Second / time.Duration(rate) }
		ref := spotAll(t, testKeywords, pcm, rate, rate/50)
		refund, ok := find(ref, "refund", spoken("refund"))
		if !ok {
			t.Fatalf("%s: no refund without a gap: %+v", file, ref)
		}
		account, ok := find(ref, "account", spoken("account"))
		if !ok {
			t.Fatalf("%s: no account without a gap: %+v", file, ref)
		}
		for _, c := range []struct {
			cut  time.Duration // where the audio is cut, before refund
			lost int           // samples skipped there
		}{
			{0, 5 * rate / 2},
			{time.Second, 5 * rate / 2},
			{5 * time.Second, 5*rate/2 + 1},
			{9 * time.Second, 60 * rate},
		} {
			n := int(c.cut * time.Duration(rate) / time.Second)
			dets := spotSkip(t, pcm[:n], c.lost, pcm[n:], rate)
			want := refund.Start + at(c.lost)
			d, ok := find(dets, "refund", want)
			t.Logf("%s cut at %v, %v lost: refund at %v, %v from the uncut stream's plus the gap", file, c.cut, at(c.lost), d.Start, d.Start-want)
			if !ok || (d.Start-want).Abs() > near {
				t.Errorf("%s cut at %v, %v lost: refund at %v, want %v ± %v; detections %+v", file, c.cut, at(c.lost), d.Start, want, near, dets)
			}
			if c.cut > spoken("account")+time.Second {
				if d, ok := find(dets, "account", account.Start); !ok || (d.Start-account.Start).Abs() > near {
					t.Errorf("%s cut at %v: account before the gap at %v, want %v; detections %+v", file, c.cut, d.Start, account.Start, dets)
				}
			}
			// A word at the cut can be placed a few frames off it.
			for _, d := range dets {
				if d.Start >= at(n)+near && d.Start < at(n+c.lost)-near {
					t.Errorf("%s cut at %v: detection in the %v gap: %+v", file, c.cut, at(c.lost), d)
				}
			}
		}
	}
}
