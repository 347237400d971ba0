package codec

import (
	"fmt"
	"math"
)

// Resampler quality: the low-pass filter passes up to resamplePass of the
// lower rate's Nyquist frequency within a fraction of a dB, attenuates by
// at least resampleAtten dB from resampleStop of it, and is linear phase.
// Between pass and stop edges it rolls off; what aliases there folds back
// above the pass edge only, outside the telephone band for 8000 Hz.
const (
	resamplePass  = 0.85
	resampleStop  = 1.15
	resampleAtten = 75.0 // dB
	resampleMaxL  = 1000 // largest up or down factor after reduction
)

// Resampler converts mono 16-bit PCM from one sample rate to another by
// rational polyphase filtering with a Kaiser-windowed sinc low-pass
// (linear phase, ≥75 dB stop band, pass band to 0.85 of the lower rate's
// Nyquist frequency). It is stateful across calls, so consecutive frames
// of one stream join without clicks; one Resampler serves one stream and
// is not safe for concurrent use. Process allocates nothing.
type Resampler struct {
	inRate, outRate int
	l, m            int       // up and down factors, inRate*l/m = outRate
	taps            int       // filter taps per phase
	coef            []float32 // l phases of taps coefficients, time-reversed
	hist            []float32 // last taps inputs, stored twice (2*taps)
	w               int       // ring write index in [0, taps)
	t               int       // phase of the next output relative to the newest input
}

// NewResampler returns a resampler from inRate to outRate Hz. The ratio,
// reduced, must have terms no larger than 1000 (so 8000, 16000, 44100 and
// 48000 Hz all convert to one another). Equal rates give a pass-through.
func NewResampler(inRate, outRate int) (*Resampler, error) {
	if inRate <= 0 || outRate <= 0 {
		return nil, fmt.Errorf("codec: resample rate %d→%d not positive", inRate, outRate)
	}
	g := gcd(inRate, outRate)
	l, m := outRate/g, inRate/g
	if l > resampleMaxL || m > resampleMaxL {
		return nil, fmt.Errorf("codec: resample ratio %d/%d too complex", l, m)
	}
	r := &Resampler{inRate: inRate, outRate: outRate, l: l, m: m}
	if l == 1 && m == 1 {
		return r, nil
	}
	// Kaiser's estimate of the length for the attenuation and the
	// transition width, at the upsampled rate inRate*l.
	fn := float64(min(inRate, outRate)) / 2
	fsUp := float64(inRate) * float64(l)
	df := (resampleStop - resamplePass) * fn / fsUp
	n := int(math.Ceil((resampleAtten - 7.95) / (14.36 * df)))
	r.taps = (n + l - 1) / l
	k := r.taps * l
	beta := 0.1102 * (resampleAtten - 8.7)
	fc := fn / fsUp // cut-off, cycles per upsampled sample
	h := make([]float64, k)
	var sum float64
	centre := float64(k-1) / 2
	for j := range h {
		x := float64(j) - centre
		h[j] = 2 * fc * sinc(2*fc*x) * kaiser(x/centre, beta)
		sum += h[j]
	}
	r.coef = make([]float32, k)
	for p := range l {
		for q := range r.taps {
			// Reversed so that the oldest input meets the last tap.
			r.coef[p*r.taps+r.taps-1-q] = float32(h[p+q*l] * float64(l) / sum)
		}
	}
	r.hist = make([]float32, 2*r.taps)
	return r, nil
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}

// kaiser is the Kaiser window at x in [-1, 1].
func kaiser(x, beta float64) float64 {
	return bessel0(beta*math.Sqrt(max(0, 1-x*x))) / bessel0(beta)
}

// bessel0 is the zeroth-order modified Bessel function of the first kind.
func bessel0(x float64) float64 {
	sum, term := 1.0, 1.0
	for k := 1; k < 50; k++ {
		term *= (x / 2) / float64(k)
		sum += term * term
		if term*term < sum*1e-16 {
			break
		}
	}
	return sum
}

// InRate is the input sample rate in Hz.
func (r *Resampler) InRate() int { return r.inRate }

// OutRate is the output sample rate in Hz.
func (r *Resampler) OutRate() int { return r.outRate }

// MaxOut is the most samples Process writes for n input samples.
func (r *Resampler) MaxOut(n int) int { return (n*r.l+r.m-1)/r.m + 1 }

// Delay is the filter's group delay in output samples: an input event
// appears this much later in the output.
func (r *Resampler) Delay() float64 {
	if r.taps == 0 {
		return 0
	}
	return float64(r.taps*r.l-1) / 2 / float64(r.m)
}

// Process resamples in into out and returns the number of samples written,
// which over a stream averages len(in)*outRate/inRate. out must hold
// MaxOut(len(in)) samples, else it returns ErrShortBuffer and consumes
// nothing.
func (r *Resampler) Process(in, out []int16) (int, error) {
	if len(out) < r.MaxOut(len(in)) {
		return 0, ErrShortBuffer
	}
	if r.taps == 0 {
		return copy(out, in), nil
	}
	taps, n := r.taps, 0
	for _, s := range in {
		v := float32(s)
		r.hist[r.w] = v
		r.hist[r.w+taps] = v
		r.w++
		if r.w == taps {
			r.w = 0
		}
		win := r.hist[r.w : r.w+taps]
		for ; r.t < r.l; r.t += r.m {
			c := r.coef[r.t*taps : r.t*taps+taps]
			c = c[:len(win)]
			var acc float32
			for i, x := range win {
				acc += x * c[i]
			}
			out[n] = clamp16(acc)
			n++
		}
		r.t -= r.l
	}
	return n, nil
}

func clamp16(v float32) int16 {
	if v >= 32767 {
		return 32767
	}
	if v <= -32768 {
		return -32768
	}
	return int16(math.Round(float64(v)))
}

// Reset clears the filter history, as for a new stream.
func (r *Resampler) Reset() {
	clear(r.hist)
	r.w, r.t = 0, 0
}
