package codec

// G.722 (ITU-T G.722, RFC 3551 §4.5.2): 7 kHz wideband audio by sub-band
// ADPCM at 64 kbit/s. A quadrature mirror filter splits 16 kHz PCM into a
// low band coded with 6 bits and a high band coded with 2 bits per 8 kHz
// sample pair; each payload byte is one pair (high band in the top two
// bits) and decodes to two 16 kHz samples. The RTP clock rate is 8000 for
// historical reasons (RFC 3551 §4.5.2), while the audio is 16000 Hz.
// Only the 64 kbit/s mode (mode 1) is implemented: it is the only one RTP
// uses.

// g722Band is the adaptive predictor and scale state of one sub-band
// (blocks 3L/3H and 4L/4H of the Recommendation).
type g722Band struct {
	s, sp, sz int32    // predicted signal, pole and zero parts
	r, a, ap  [3]int32 // reconstructed signal, pole coefficients (+ new)
	p         [3]int32 // partial reconstructed signal
	d, b, bp  [7]int32 // quantised difference, zero coefficients (+ new)
	nb, det   int32    // log scale factor and scale factor
}

// g722State is the state shared by the encoder and decoder: both bands
// and the 24-sample QMF history.
type g722State struct {
	band [2]g722Band
	x    [24]int32
}

func (st *g722State) reset() {
	*st = g722State{}
	st.band[0].det = 32
	st.band[1].det = 8
}

func sat16(v int32) int32 {
	return min(max(v, -32768), 32767)
}

// sign15 is the sign of a 16-bit quantity: 0 for positive, -1 for negative.
func sign15(v int32) int32 { return v >> 15 }

// update runs block 4 (RECONS, PARREC, UPPOL2, UPPOL1, UPZERO, DELAYA,
// FILTEP, FILTEZ, PREDIC) for quantised difference d.
func (b *g722Band) update(d int32) {
	b.d[0] = d
	b.r[0] = sat16(b.s + d)
	b.p[0] = sat16(b.sz + d)

	// UPPOL2: second pole coefficient.
	var sg [7]int32
	for i := range 3 {
		sg[i] = sign15(b.p[i])
	}
	wd1 := sat16(b.a[1] << 2)
	wd2 := wd1
	if sg[0] == sg[1] {
		wd2 = -wd1
	}
	wd2 = min(wd2, 32767)
	wd3 := int32(-128)
	if sg[0] == sg[2] {
		wd3 = 128
	}
	wd3 += wd2 >> 7
	wd3 += (b.a[2] * 32512) >> 15
	b.ap[2] = min(max(wd3, -12288), 12288)

	// UPPOL1: first pole coefficient, limited by the second.
	wd1 = -192
	if sg[0] == sg[1] {
		wd1 = 192
	}
	wd2 = (b.a[1] * 32640) >> 15
	b.ap[1] = sat16(wd1 + wd2)
	lim := sat16(15360 - b.ap[2])
	b.ap[1] = min(max(b.ap[1], -lim), lim)

	// UPZERO: six zero coefficients.
	wd1 = 0
	if d != 0 {
		wd1 = 128
	}
	sg[0] = sign15(d)
	for i := 1; i < 7; i++ {
		sg[i] = sign15(b.d[i])
		wd2 = -wd1
		if sg[i] == sg[0] {
			wd2 = wd1
		}
		b.bp[i] = sat16(wd2 + (b.b[i]*32640)>>15)
	}

	// DELAYA: shift the delay lines.
	for i := 6; i > 0; i-- {
		b.d[i] = b.d[i-1]
		b.b[i] = b.bp[i]
	}
	for i := 2; i > 0; i-- {
		b.r[i] = b.r[i-1]
		b.p[i] = b.p[i-1]
		b.a[i] = b.ap[i]
	}

	// FILTEP, FILTEZ, PREDIC.
	wd1 = (b.a[1] * sat16(b.r[1]+b.r[1])) >> 15
	wd2 = (b.a[2] * sat16(b.r[2]+b.r[2])) >> 15
	b.sp = sat16(wd1 + wd2)
	var sz int32
	for i := 6; i > 0; i-- {
		sz += (b.b[i] * sat16(b.d[i]+b.d[i])) >> 15
	}
	b.sz = sat16(sz)
	b.s = sat16(b.sp + b.sz)
}

// scale runs LOGSCL/SCALEL (low, shift 8, limit 18432) or LOGSCH/SCALEH
// (high, shift 10, limit 22528): adapt the log scale factor by w and derive
// the linear scale factor det.
func (b *g722Band) scale(w, limit, shift int32) {
	b.nb = min(max((b.nb*127)>>7+w, 0), limit)
	m := g722ILB[(b.nb>>6)&31]
	if e := shift - b.nb>>11; e < 0 {
		m <<= -e
	} else {
		m >>= e
	}
	b.det = m << 2
}

// decodePair decodes one 8-bit G.722 code into the low and high band
// reconstructed signals.
func (st *g722State) decodePair(code byte) (rlow, rhigh int32) {
	lo, hi := &st.band[0], &st.band[1]
	ilow := code & 0x3F
	ihigh := code >> 6

	// Low band: INVQBL for the output, INVQAL for the predictor.
	rlow = min(max(lo.s+(lo.det*g722QM6[ilow])>>15, -16384), 16383)
	dlow := (lo.det * g722QM4[ilow>>2]) >> 15
	lo.scale(g722WL[g722RL42[ilow>>2]], 18432, 8)
	lo.update(dlow)

	// High band.
	dhigh := (hi.det * g722QM2[ihigh]) >> 15
	rhigh = min(max(dhigh+hi.s, -16384), 16383)
	hi.scale(g722WH[g722RH2[ihigh]], 22528, 10)
	hi.update(dhigh)
	return rlow, rhigh
}

// synth runs the receive QMF on one band pair and returns two 16 kHz
// samples in time order.
func (st *g722State) synth(rlow, rhigh int32) (int16, int16) {
	copy(st.x[:22], st.x[2:])
	st.x[22] = rlow + rhigh
	st.x[23] = rlow - rhigh
	var out1, out2 int32
	for i := range 12 {
		out2 += st.x[2*i] * g722QMF[i]
		out1 += st.x[2*i+1] * g722QMF[11-i]
	}
	return int16(sat16(out1 >> 11)), int16(sat16(out2 >> 11))
}

// G722Decoder decodes 64 kbit/s G.722 payloads to 16 kHz mono PCM. It
// implements Decoder and Concealer.
type G722Decoder struct {
	st  g722State
	plc plc
}

// NewG722Decoder returns a G.722 decoder in its initial state.
func NewG722Decoder() *G722Decoder {
	d := &G722Decoder{}
	d.Reset()
	return d
}

// Decode writes two 16 kHz samples per payload byte.
func (d *G722Decoder) Decode(payload []byte, pcm []int16) (int, error) {
	if len(pcm) < 2*len(payload) {
		return 0, ErrShortBuffer
	}
	for i, c := range payload {
		pcm[2*i], pcm[2*i+1] = d.st.synth(d.st.decodePair(c))
	}
	d.plc.good(pcm[:2*len(payload)])
	return 2 * len(payload), nil
}

// Conceal repeats the last pitch period, fading out after 10 ms. The
// ADPCM state is left as it was; the next payload decodes from it.
func (d *G722Decoder) Conceal(pcm []int16, samples int) int {
	return d.plc.conceal(pcm[:min(samples, len(pcm))])
}

// SampleRate is 16000: G.722 audio is wideband whatever the RTP clock says.
func (d *G722Decoder) SampleRate() int { return 16000 }

// Channels is 1.
func (d *G722Decoder) Channels() int { return 1 }

// MaxSamples is two samples per payload byte.
func (d *G722Decoder) MaxSamples(n int) int { return 2 * n }

// Reset returns the decoder to its initial state.
func (d *G722Decoder) Reset() {
	d.st.reset()
	d.plc.init(16000)
}
