package codec

import (
	"errors"
	"math"
	"slices"
	"testing"
)

// tone returns the amplitude of frequency f in s (sampled at rate), by
// correlation with a sine and cosine over the whole slice.
func tone(s []int16, f, rate float64) float64 {
	var re, im float64
	for i, v := range s {
		ph := 2 * math.Pi * f * float64(i) / rate
		re += float64(v) * math.Cos(ph)
		im += float64(v) * math.Sin(ph)
	}
	return 2 * math.Hypot(re, im) / float64(len(s))
}

func resampleAll(t testing.TB, r *Resampler, in []int16, chunk int) []int16 {
	t.Helper()
	var out []int16
	buf := make([]int16, r.MaxOut(chunk))
	for off := 0; off < len(in); off += chunk {
		n, err := r.Process(in[off:min(off+chunk, len(in))], buf)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, buf[:n]...)
	}
	return out
}

var ratePairs = [][2]int{
	{8000, 16000}, {16000, 8000}, {8000, 48000}, {48000, 8000},
	{16000, 48000}, {48000, 16000}, {44100, 48000}, {48000, 44100},
}

// TestResamplerQuality measures gain in the pass band (0.8 of the lower
// Nyquist frequency) and rejection of what would alias or image from 1.2
// of it, and checks that the stream length follows the ratio.
func TestResamplerQuality(t *testing.T) {
	for _, p := range ratePairs {
		in, out := p[0], p[1]
		r, err := NewResampler(in, out)
		if err != nil {
			t.Fatal(err)
		}
		fn := float64(min(in, out)) / 2
		const amp = 10000
		pass, stop := 0.8*fn, 1.2*fn
		skip := out / 50 // filter start-up

		// Pass band: the tone keeps its level.
		got := resampleAll(t, r, sine(in, pass, float64(in), amp), in/50)
		if d := len(got) - out; d < -1 || d > 1 {
			t.Errorf("%d→%d: %d samples out for 1 s", in, out, len(got))
		}
		gain := 20 * math.Log10(tone(got[skip:], pass, float64(out))/amp)

		// Stop band: for downsampling the tone above the new Nyquist must
		// not alias back; for upsampling, the image of the pass-band tone
		// mirrored about the old Nyquist must be absent.
		var rej float64
		if out < in {
			r.Reset()
			got = resampleAll(t, r, sine(in, stop, float64(in), amp), in/50)
			alias := float64(out) - stop
			rej = 20 * math.Log10(tone(got[skip:], alias, float64(out))/amp)
		} else {
			image := float64(in) - pass
			rej = 20 * math.Log10(tone(got[skip:], image, float64(out))/amp)
		}
		t.Logf("%d→%d: %d taps/phase, pass-band gain %+.3f dB, stop band %.1f dB, delay %.1f",
			in, out, r.taps, gain, rej, r.Delay())
		if math.Abs(gain) > 0.1 {
			t.Errorf("%d→%d: pass-band gain %.3f dB", in, out, gain)
		}
		if rej > -70 {
			t.Errorf("%d→%d: stop band only %.1f dB", in, out, rej)
		}
	}
}

// TestResamplerChunking checks that state carries across calls: any
// split of the input gives the same output as one call.
func TestResamplerChunking(t *testing.T) {
	in := readWAV(t, "caller-8k.wav")[:8000]
	for _, p := range ratePairs[:4] {
		r, _ := NewResampler(p[0], p[1])
		whole := resampleAll(t, r, in, len(in))
		for _, chunk := range []int{1, 7, 160, 333} {
			r.Reset()
			if got := resampleAll(t, r, in, chunk); !slices.Equal(got, whole) {
				t.Errorf("%d→%d: chunks of %d differ from one call", p[0], p[1], chunk)
			}
		}
	}
}

// TestResamplerDelay checks Delay against where an impulse comes out.
func TestResamplerDelay(t *testing.T) {
	for _, p := range ratePairs[:6] {
		r, _ := NewResampler(p[0], p[1])
		in := make([]int16, p[0]/10)
		in[0] = 30000
		got := resampleAll(t, r, in, len(in))
		peak := 0
		for i, v := range got {
			if v > got[peak] {
				peak = i
			}
		}
		if math.Abs(float64(peak)-r.Delay()) > 1 {
			t.Errorf("%d→%d: impulse at %d, Delay %.1f", p[0], p[1], peak, r.Delay())
		}
	}
}

func TestResamplerEdges(t *testing.T) {
	r, err := NewResampler(8000, 8000)
	if err != nil {
		t.Fatal(err)
	}
	in := []int16{1, 2, 3}
	out := make([]int16, r.MaxOut(3))
	if n, _ := r.Process(in, out); n != 3 || !slices.Equal(out[:3], in) {
		t.Errorf("pass-through: %v", out[:n])
	}
	if _, err := NewResampler(0, 8000); err == nil {
		t.Error("zero rate accepted")
	}
	if _, err := NewResampler(8000, 8001); err == nil {
		t.Error("8000→8001 accepted")
	}
	r, _ = NewResampler(8000, 48000)
	if _, err := r.Process(make([]int16, 160), make([]int16, 960)); !errors.Is(err, ErrShortBuffer) {
		t.Errorf("short out: %v", err)
	}
	// Full-scale square waves overshoot; the output clips, not wraps.
	sq := make([]int16, 800)
	for i := range sq {
		sq[i] = 32767
		if i/20%2 == 1 {
			sq[i] = -32768
		}
	}
	got := resampleAll(t, r, sq, 160)
	for i := 1; i < len(got); i++ {
		if d := int(got[i]) - int(got[i-1]); d > 30000 || d < -30000 {
			t.Fatalf("wrap-around at %d: %d → %d", i, got[i-1], got[i])
		}
	}
}

func TestResamplerAllocs(t *testing.T) {
	r, _ := NewResampler(8000, 48000)
	in, out := sine(160, 440, 8000, 8000), make([]int16, r.MaxOut(160))
	if a := testing.AllocsPerRun(100, func() { r.Process(in, out) }); a != 0 {
		t.Errorf("%v allocs per Process", a)
	}
}

func BenchmarkResample(b *testing.B) {
	for _, p := range ratePairs[:6] {
		b.Run(rateName(p), func(b *testing.B) {
			r, _ := NewResampler(p[0], p[1])
			in := sine(p[0]/50, 440, float64(p[0]), 8000)
			out := make([]int16, r.MaxOut(len(in)))
			b.ReportAllocs()
			for b.Loop() {
				r.Process(in, out)
			}
		})
	}
}

func rateName(p [2]int) string {
	return itoa(p[0]/1000) + "k-" + itoa(p[1]/1000) + "k"
}

func itoa(v int) string {
	if v < 10 {
		return string(rune('0' + v))
	}
	return itoa(v/10) + string(rune('0'+v%10))
}
