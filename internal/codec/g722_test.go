package codec

import (
	"encoding/binary"
	"math"
	"os"
	"testing"
)

func readRaw(t testing.TB, name string) []int16 {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	s := make([]int16, len(b)/2)
	for i := range s {
		s[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
	}
	return s
}

// TestG722BitExact checks encoder and decoder against FFmpeg's G.722
// (itself checked against the ITU test vectors).
func TestG722BitExact(t *testing.T) {
	in := readRaw(t, "g722-speech-16k.raw")
	ref, err := os.ReadFile("testdata/g722-speech.g722")
	if err != nil {
		t.Fatal(err)
	}
	want := readRaw(t, "g722-speech-decoded.raw")

	enc := NewG722Encoder()
	got := make([]byte, enc.MaxPayload(len(in)))
	// Feed 20 ms frames to exercise state carried across calls.
	n := 0
	for off := 0; off < len(in); off += 320 {
		k, err := enc.Encode(in[off:min(off+320, len(in))], got[n:])
		if err != nil {
			t.Fatal(err)
		}
		n += k
	}
	if n != len(ref) {
		t.Fatalf("encoded %d bytes, want %d", n, len(ref))
	}
	for i := range ref {
		if got[i] != ref[i] {
			t.Fatalf("encoder differs at byte %d: %#02x, want %#02x", i, got[i], ref[i])
		}
	}

	dec := NewG722Decoder()
	pcm := make([]int16, dec.MaxSamples(len(ref)))
	m := 0
	for off := 0; off < len(ref); off += 160 {
		k, err := dec.Decode(ref[off:min(off+160, len(ref))], pcm[m:])
		if err != nil {
			t.Fatal(err)
		}
		m += k
	}
	if m != len(want) {
		t.Fatalf("decoded %d samples, want %d", m, len(want))
	}
	for i := range want {
		if pcm[i] != want[i] {
			t.Fatalf("decoder differs at sample %d: %d, want %d", i, pcm[i], want[i])
		}
	}
}

// sine returns n samples of a sine of freq Hz at rate Hz and amplitude amp.
func sine(n int, freq, rate, amp float64) []int16 {
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(amp * math.Sin(2*math.Pi*freq*float64(i)/rate))
	}
	return s
}

// bestCorrelation returns the largest normalised cross-correlation of a
// and b over lags 0..maxLag (b delayed against a) and that lag.
func bestCorrelation(a, b []int16, maxLag int) (float64, int) {
	best, bestLag := -2.0, 0
	for lag := 0; lag <= maxLag; lag++ {
		var ab, aa, bb float64
		for i := 0; i+lag < len(b) && i < len(a); i++ {
			x, y := float64(a[i]), float64(b[i+lag])
			ab += x * y
			aa += x * x
			bb += y * y
		}
		if aa == 0 || bb == 0 {
			continue
		}
		if c := ab / math.Sqrt(aa*bb); c > best {
			best, bestLag = c, lag
		}
	}
	return best, bestLag
}

// zeroCrossFreq estimates the frequency of a tone from its zero crossings.
func zeroCrossFreq(s []int16, rate float64) float64 {
	n := 0
	for i := 1; i < len(s); i++ {
		if (s[i-1] < 0) != (s[i] < 0) {
			n++
		}
	}
	return float64(n) / 2 / (float64(len(s)) / rate)
}

func TestG722Sine(t *testing.T) {
	for _, f := range []float64{300, 1000, 3000, 6000} {
		in := sine(16000, f, 16000, 8000)
		enc, dec := NewG722Encoder(), NewG722Decoder()
		payload := make([]byte, 8000)
		if _, err := enc.Encode(in, payload); err != nil {
			t.Fatal(err)
		}
		out := make([]int16, 16000)
		if _, err := dec.Decode(payload, out); err != nil {
			t.Fatal(err)
		}
		// Skip the start-up while the ADPCM scale factors adapt.
		c, lag := bestCorrelation(in[1600:], out[1600:], 64)
		got := zeroCrossFreq(out[1600:], 16000)
		t.Logf("%g Hz: correlation %.4f at lag %d, measured %.1f Hz", f, c, lag, got)
		if c < 0.9 {
			t.Errorf("%g Hz: correlation %.3f < 0.9", f, c)
		}
		if math.Abs(got-f) > f*0.02 {
			t.Errorf("%g Hz: decoded tone is %.1f Hz", f, got)
		}
	}
}

func TestG722Errors(t *testing.T) {
	enc, dec := NewG722Encoder(), NewG722Decoder()
	if _, err := enc.Encode(make([]int16, 3), make([]byte, 2)); err != ErrFrameSize {
		t.Errorf("odd pcm: %v", err)
	}
	if _, err := enc.Encode(make([]int16, 4), make([]byte, 1)); err != ErrShortBuffer {
		t.Errorf("short out: %v", err)
	}
	if _, err := dec.Decode(make([]byte, 4), make([]int16, 7)); err != ErrShortBuffer {
		t.Errorf("short pcm: %v", err)
	}
}

func BenchmarkG722Decode(b *testing.B) {
	payload, _ := os.ReadFile("testdata/g722-speech.g722")
	payload = payload[:160]
	pcm := make([]int16, 320)
	dec := NewG722Decoder()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := dec.Decode(payload, pcm); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkG722Encode(b *testing.B) {
	pcm := sine(320, 440, 16000, 8000)
	out := make([]byte, 160)
	enc := NewG722Encoder()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := enc.Encode(pcm, out); err != nil {
			b.Fatal(err)
		}
	}
}
