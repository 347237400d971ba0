package codec

// G722Encoder encodes 16 kHz mono PCM to 64 kbit/s G.722 (ITU-T G.722
// encoder blocks 1L-4L and 1H-4H, with the transmit QMF).
type G722Encoder struct{ st g722State }

// NewG722Encoder returns a G.722 encoder in its initial state.
func NewG722Encoder() *G722Encoder {
	e := &G722Encoder{}
	e.st.reset()
	return e
}

// Encode writes one byte per two samples; len(pcm) must be even.
func (e *G722Encoder) Encode(pcm []int16, out []byte) (int, error) {
	if len(pcm) == 0 || len(pcm)%2 != 0 {
		return 0, ErrFrameSize
	}
	n := len(pcm) / 2
	if len(out) < n {
		return 0, ErrShortBuffer
	}
	for i := range n {
		out[i] = e.st.encodePair(int32(pcm[2*i]), int32(pcm[2*i+1]))
	}
	return n, nil
}

// encodePair runs the transmit QMF on two 16 kHz samples and quantises
// the resulting low and high band samples.
func (st *g722State) encodePair(s0, s1 int32) byte {
	copy(st.x[:22], st.x[2:])
	st.x[22] = s0
	st.x[23] = s1
	var odd, even int32
	for i := range 12 {
		odd += st.x[2*i] * g722QMF[i]
		even += st.x[2*i+1] * g722QMF[11-i]
	}
	xlow := (even + odd) >> 14
	xhigh := (even - odd) >> 14

	lo, hi := &st.band[0], &st.band[1]

	// Block 1L, SUBTRA and QUANTL: find the quantiser interval of |el|.
	el := sat16(xlow - lo.s)
	wd := el
	if el < 0 {
		wd = -(el + 1)
	}
	i := 1
	for ; i < 30; i++ {
		if wd < (g722Q6[i]*lo.det)>>12 {
			break
		}
	}
	ilow := g722ILP[i]
	if el < 0 {
		ilow = g722ILN[i]
	}
	// Blocks 2L-4L: as in the decoder, from the 4-bit truncated code.
	ril := ilow >> 2
	dlow := (lo.det * g722QM4[ril]) >> 15
	lo.scale(g722WL[g722RL42[ril]], 18432, 8)
	lo.update(dlow)

	// Block 1H, SUBTRA and QUANTH.
	eh := sat16(xhigh - hi.s)
	wd = eh
	if eh < 0 {
		wd = -(eh + 1)
	}
	mih := 1
	if wd >= (564*hi.det)>>12 {
		mih = 2
	}
	ihigh := g722IHP[mih]
	if eh < 0 {
		ihigh = g722IHN[mih]
	}
	dhigh := (hi.det * g722QM2[ihigh]) >> 15
	hi.scale(g722WH[g722RH2[ihigh]], 22528, 10)
	hi.update(dhigh)

	return ihigh<<6 | ilow
}

// SampleRate is 16000.
func (e *G722Encoder) SampleRate() int { return 16000 }

// Channels is 1.
func (e *G722Encoder) Channels() int { return 1 }

// FrameSamples is 2: one payload byte per sample pair.
func (e *G722Encoder) FrameSamples() int { return 2 }

// MultiFrame is true.
func (e *G722Encoder) MultiFrame() bool { return true }

// MaxPayload is one byte per two samples.
func (e *G722Encoder) MaxPayload(n int) int { return n / 2 }

// Reset returns the encoder to its initial state.
func (e *G722Encoder) Reset() { e.st.reset() }
