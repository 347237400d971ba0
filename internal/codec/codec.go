package codec

// Decoder turns RTP payloads of one stream into 16-bit linear PCM.
//
// A Decoder keeps state between payloads, so one value serves one stream,
// fed in sequence order; it is not safe for concurrent use.
type Decoder interface {
	// Decode decodes one RTP payload into pcm, interleaved when Channels()
	// is more than one, and returns the number of samples per channel it
	// wrote. pcm is owned by the caller and is not retained. A payload
	// that does not fit the codec's framing yields ErrBadPayload; a pcm too
	// small for the result yields ErrShortBuffer. Decode never panics,
	// whatever the payload bytes.
	Decode(payload []byte, pcm []int16) (samples int, err error)
	// SampleRate is the rate of the PCM that Decode writes, in Hz. It can
	// differ from the RTP clock rate (G.722: 16000 against 8000).
	SampleRate() int
	// Channels is the number of interleaved channels Decode writes.
	Channels() int
	// MaxSamples is the most samples per channel that Decode can write for
	// a payload of n bytes: size pcm with MaxSamples(n)*Channels().
	MaxSamples(n int) int
	// Reset returns the decoder to its initial state, as for a new stream.
	Reset()
}

// Concealer is implemented by decoders that can fill a gap left by lost
// packets better than with silence (packet loss concealment).
type Concealer interface {
	// Conceal writes samples samples per channel of substitute audio into
	// pcm, continuing from the last decoded payload, and returns how many
	// it wrote (fewer when pcm is shorter, or when the codec conceals in
	// whole frames only, then rounded down; at least one frame if pcm
	// holds one).
	Conceal(pcm []int16, samples int) int
}

// Encoder turns 16-bit linear PCM into RTP payloads of one stream.
//
// An Encoder keeps state between calls; it is not safe for concurrent use.
type Encoder interface {
	// Encode encodes pcm (interleaved when Channels() is more than one)
	// into out and returns the number of bytes written. len(pcm) must be a
	// positive whole multiple of FrameSamples()*Channels(), else it
	// returns ErrFrameSize; an Encoder whose MultiFrame() is false takes
	// exactly one frame per call. out must hold MaxPayload(samples) bytes,
	// else it returns ErrShortBuffer.
	Encode(pcm []int16, out []byte) (int, error)
	// SampleRate is the rate of the PCM that Encode takes, in Hz.
	SampleRate() int
	// Channels is the number of interleaved channels Encode takes.
	Channels() int
	// FrameSamples is the codec frame in samples per channel: 1 for
	// sample-based codecs (G.711, L16), 2 for G.722, 160 for GSM, 80 for
	// G.729, the configured frame (default 960, 20 ms) for Opus.
	FrameSamples() int
	// MultiFrame reports whether Encode accepts several frames in one
	// call (and so one payload); false for Opus.
	MultiFrame() bool
	// MaxPayload is the most bytes Encode writes for samples samples per
	// channel.
	MaxPayload(samples int) int
	// Reset returns the encoder to its initial state, as for a new stream.
	Reset()
}
