package codec

import "encoding/binary"

// L16 (RFC 3551 §4.5.11): uncompressed 16-bit signed linear samples in
// network byte order, channels interleaved, at any clock rate.

// l16 is both the L16 decoder and encoder; it has no state.
type l16 struct{ rate, channels int }

// NewL16Decoder returns an L16 decoder for the given rate and channels.
func NewL16Decoder(rate, channels int) Decoder { return l16{rate, channels} }

// NewL16Encoder returns an L16 encoder for the given rate and channels.
func NewL16Encoder(rate, channels int) Encoder { return l16{rate, channels} }

func (c l16) Decode(payload []byte, pcm []int16) (int, error) {
	if len(payload)%(2*c.channels) != 0 {
		return 0, ErrBadPayload
	}
	n := len(payload) / 2
	if len(pcm) < n {
		return 0, ErrShortBuffer
	}
	pcm = pcm[:n]
	for i := range pcm {
		pcm[i] = int16(binary.BigEndian.Uint16(payload[2*i:]))
	}
	return n / c.channels, nil
}

func (c l16) Encode(pcm []int16, out []byte) (int, error) {
	if len(pcm) == 0 || len(pcm)%c.channels != 0 {
		return 0, ErrFrameSize
	}
	if len(out) < 2*len(pcm) {
		return 0, ErrShortBuffer
	}
	for i, s := range pcm {
		binary.BigEndian.PutUint16(out[2*i:], uint16(s))
	}
	return 2 * len(pcm), nil
}

func (c l16) SampleRate() int      { return c.rate }
func (c l16) Channels() int        { return c.channels }
func (c l16) MaxSamples(n int) int { return n / (2 * c.channels) }
func (l16) FrameSamples() int      { return 1 }
func (l16) MultiFrame() bool       { return true }
func (c l16) MaxPayload(n int) int { return 2 * n * c.channels }
func (l16) Reset()                 {}
