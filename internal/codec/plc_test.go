package codec

import (
	"math"
	"testing"
)

// TestConceal loses one 20 ms frame of a voiced-like tone and checks that
// the substitute follows the true signal and the recovery has no click.
func TestConceal(t *testing.T) {
	for _, tc := range []struct {
		name string
		rate int
		dec  Decoder
		enc  Encoder
	}{
		{"PCMU", 8000, NewPCMUDecoder(), NewPCMUEncoder()},
		{"G722", 16000, NewG722Decoder(), NewG722Encoder()},
	} {
		frame := tc.rate / 50
		// 200 Hz fundamental with a harmonic, like a vowel.
		in := make([]int16, 10*frame)
		for i := range in {
			x := float64(i) / float64(tc.rate)
			in[i] = int16(6000*math.Sin(2*math.Pi*200*x) + 2000*math.Sin(2*math.Pi*600*x))
		}
		payload := make([]byte, tc.enc.MaxPayload(frame))
		out := make([]int16, len(in))
		c := tc.dec.(Concealer)
		for f := range 10 {
			n, err := tc.enc.Encode(in[f*frame:(f+1)*frame], payload)
			if err != nil {
				t.Fatal(err)
			}
			if f == 6 { // lost
				if got := c.Conceal(out[f*frame:], frame); got != frame {
					t.Fatalf("%s: Conceal = %d", tc.name, got)
				}
				continue
			}
			if _, err := tc.dec.Decode(payload[:n], out[f*frame:]); err != nil {
				t.Fatal(err)
			}
		}
		lost := out[6*frame : 7*frame]
		// The substitute is in phase with what was lost for the first
		// 10 ms (the tone is periodic in the pitch the search finds).
		delay := 0
		if tc.name == "G722" { // the QMF pair delays the signal by 22 samples
			delay = 22
		}
		ref := in[6*frame-delay : 6*frame-delay+frame/2]
		corr, lag := bestCorrelation(ref, lost[:frame/2], 0)
		t.Logf("%s: concealed frame correlates %.3f (lag %d), rms %.0f", tc.name, corr, lag, rms(lost))
		if corr < 0.9 {
			t.Errorf("%s: concealment correlation %.3f", tc.name, corr)
		}
		// No click where the substitute starts or where audio resumes.
		for _, at := range []int{6 * frame, 7 * frame} {
			if d := math.Abs(float64(out[at]) - float64(out[at-1])); d > 3000 {
				t.Errorf("%s: jump of %.0f at sample %d", tc.name, d, at)
			}
		}
	}
}

// TestConcealFadesOut checks that a long gap ends in silence and that a
// decoder with no history conceals with silence.
func TestConcealFadesOut(t *testing.T) {
	d := NewPCMUDecoder()
	c := d.(Concealer)
	pcm := make([]int16, 160)
	for i := range pcm {
		pcm[i] = 1234
	}
	if n := c.Conceal(pcm, 160); n != 160 || rms(pcm) != 0 {
		t.Errorf("fresh decoder: %d samples, rms %.0f", n, rms(pcm))
	}
	payload := make([]byte, 160)
	enc := NewPCMUEncoder()
	s := sine(800, 250, 8000, 8000)
	for off := 0; off < len(s); off += 160 {
		enc.Encode(s[off:off+160], payload)
		d.Decode(payload, pcm)
	}
	for range 4 { // 10 ms held, 50 ms fading, then silence
		c.Conceal(pcm, 160)
	}
	if r := rms(pcm); r != 0 {
		t.Errorf("60 to 80 ms into a loss rms %.0f, want silence", r)
	}
	if n := c.Conceal(pcm, 1000); n != 160 {
		t.Errorf("Conceal past len(pcm) = %d", n)
	}
}
