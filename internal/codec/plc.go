package codec

import "math"

// Packet loss concealment for the waveform codecs (G.711, G.722): pitch
// waveform substitution in the spirit of ITU-T G.711 Appendix I, much
// simplified. On a loss the last pitch period of good audio is repeated,
// full level for 10 ms, then faded to silence over the next 50 ms; the
// first good frame after a loss is cross-faded from the substitute over
// 4 ms so the joint does not click.

const (
	plcMaxRate     = 16000
	plcMaxPitchMs  = 15 // longest pitch period searched, 66 Hz
	plcMinPitchMs  = 2  // shortest, 500 Hz
	plcHoldMs      = 10
	plcFadeMs      = 50
	plcCrossFadeMs = 4
	plcHistMax     = 3 * plcMaxPitchMs * plcMaxRate / 1000
)

// plc keeps the recent decoded audio of one mono stream and makes up
// audio for gaps. Its zero value is unusable; use init.
type plc struct {
	rate     int
	hist     [plcHistMax]int16 // most recent good samples, oldest first
	histLen  int               // used length of hist for rate
	filled   int               // how many of hist are real audio
	pitch    int               // period being repeated, 0 before a loss
	lost     int               // samples made up in the current gap
	min, max int               // pitch search range in samples
}

func (p *plc) init(rate int) {
	*p = plc{rate: rate}
	p.max = plcMaxPitchMs * rate / 1000
	p.min = plcMinPitchMs * rate / 1000
	p.histLen = 3 * p.max
}

// good records decoded audio, cross-fading its start after a loss.
func (p *plc) good(pcm []int16) {
	if p.lost > 0 {
		fade := min(plcCrossFadeMs*p.rate/1000, len(pcm))
		for i := range fade {
			w := float32(i+1) / float32(fade+1)
			s := float32(p.substitute(p.lost + i))
			pcm[i] = int16(float32(pcm[i])*w + s*(1-w))
		}
		p.lost, p.pitch = 0, 0
	}
	h := p.hist[:p.histLen]
	if len(pcm) >= len(h) {
		copy(h, pcm[len(pcm)-len(h):])
	} else {
		copy(h, h[len(pcm):])
		copy(h[len(h)-len(pcm):], pcm)
	}
	p.filled = min(p.filled+len(pcm), len(h))
}

// conceal writes substitute audio into out and returns len(out).
func (p *plc) conceal(out []int16) int {
	if p.filled < 2*p.max {
		// Too little history to find a pitch: silence.
		clear(out)
		p.lost += len(out)
		return len(out)
	}
	if p.lost == 0 {
		p.pitch = p.findPitch()
	}
	for i := range out {
		out[i] = p.substitute(p.lost + i)
	}
	p.lost += len(out)
	return len(out)
}

// substitute is sample k of the gap: the last pitch period repeated,
// with the hold-then-fade envelope.
func (p *plc) substitute(k int) int16 {
	if p.pitch == 0 {
		return 0
	}
	hold := plcHoldMs * p.rate / 1000
	fade := plcFadeMs * p.rate / 1000
	if k >= hold+fade {
		return 0
	}
	s := float32(p.hist[p.histLen-p.pitch+k%p.pitch])
	if k > hold {
		s *= 1 - float32(k-hold)/float32(fade)
	}
	return int16(s)
}

// findPitch returns the lag in [min, max] whose shifted copy best matches
// the last max samples (normalised cross-correlation).
func (p *plc) findPitch() int {
	h := p.hist[:p.histLen]
	ref := h[len(h)-p.max:]
	best, bestLag := float32(-1), p.max
	for lag := p.min; lag <= p.max; lag++ {
		cand := h[len(h)-p.max-lag : len(h)-lag]
		var xy, yy float32
		for i, x := range ref {
			y := float32(cand[i])
			xy += float32(x) * y
			yy += y * y
		}
		if yy == 0 {
			continue
		}
		if c := xy / float32(math.Sqrt(float64(yy))); c > best {
			best, bestLag = c, lag
		}
	}
	return bestLag
}
