package container

import "fmt"

// Containers: the value of [Format.Container].
const (
	ContainerWAV = "wav" // RIFF/WAVE
	ContainerOgg = "ogg" // Ogg, with Opus inside (RFC 7845)
	ContainerMP3 = "mp3" // bare MPEG audio frames, no container
	ContainerRaw = "raw" // headerless encoded bytes
)

// Encodings: the value of [Format.Encoding].
const (
	EncodingPCM16 = "pcm16" // signed 16-bit little-endian linear PCM
	EncodingPCM8  = "pcm8"  // unsigned 8-bit linear PCM (WAV convention)
	EncodingPCMU  = "pcmu"  // G.711 µ-law
	EncodingPCMA  = "pcma"  // G.711 A-law
	EncodingGSM   = "gsm"   // GSM 06.10 full rate (WAV49 blocks in wav, 33-byte frames in raw)
	EncodingOpus  = "opus"  // Opus (RFC 6716)
	EncodingMP3   = "mp3"   // MPEG-1/2/2.5 Layer III
)

// GSM 06.10 in WAV (format tag 0x31, Microsoft "WAV49" packing) packs two
// 160-sample frames into one 65-byte block. A raw .gsm file (sox, Asterisk,
// RFC 3551 §4.5.8 payloads) is a sequence of standard 33-byte frames.
const (
	GSMBlockSize       = 65
	GSMSamplesPerBlock = 320
	GSMFrameSize       = 33
	GSMFrameSamples    = 160
)

// Format describes what a recording file holds. The zero value is invalid;
// call [Format.Validate] (every constructor does).
//
// The rules Validate enforces:
//   - SampleRate is 8000, 16000 or 48000 and Channels is 1 or 2; stereo
//     data is interleaved (left, right) per sample frame.
//   - wav and raw carry pcm16, pcm8, pcmu, pcma or gsm; ogg carries only
//     opus; mp3 carries only mp3.
//   - BitsPerSample is 0 (meaning "the encoding's own") or exactly the
//     encoding's: 16 for pcm16, 8 for pcm8, pcmu and pcma, and 0 for gsm,
//     opus and mp3, which have no fixed sample size.
//   - gsm is mono at 8000 Hz only (GSM 06.10 is defined for nothing else).
//   - G.711 is allowed at all three rates (a wideband mix stored as µ-law is
//     odd but playable); opus and mp3 accept all three rates (Opus codes
//     them natively; MP3 uses MPEG-2.5, MPEG-2 and MPEG-1 respectively).
type Format struct {
	Container     string
	Encoding      string
	SampleRate    int
	Channels      int
	BitsPerSample int
}

// Validate reports whether f is a combination this package writes. The
// error wraps [ErrInvalidFormat] and names the offending field.
func (f Format) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidFormat}, a...)...)
	}
	switch f.SampleRate {
	case 8000, 16000, 48000:
	default:
		return bad("sample rate %d, want 8000, 16000 or 48000", f.SampleRate)
	}
	if f.Channels != 1 && f.Channels != 2 {
		return bad("%d channels, want 1 or 2", f.Channels)
	}
	want, ok := naturalBits[f.Encoding]
	if !ok {
		return bad("unknown encoding %q", f.Encoding)
	}
	if f.BitsPerSample != 0 && f.BitsPerSample != want {
		if want == 0 {
			return bad("%s has no fixed sample size, bits per sample %d must be 0", f.Encoding, f.BitsPerSample)
		}
		return bad("%s is %d bits per sample, not %d", f.Encoding, want, f.BitsPerSample)
	}
	switch f.Container {
	case ContainerWAV, ContainerRaw:
		if f.Encoding == EncodingOpus || f.Encoding == EncodingMP3 {
			return bad("%s cannot go in the %s container (use %q)", f.Encoding, f.Container, f.Encoding)
		}
	case ContainerOgg:
		if f.Encoding != EncodingOpus {
			return bad("the ogg container carries opus only, not %s", f.Encoding)
		}
	case ContainerMP3:
		if f.Encoding != EncodingMP3 {
			return bad("the mp3 container carries mp3 only, not %s", f.Encoding)
		}
	default:
		return bad("unknown container %q", f.Container)
	}
	if f.Encoding == EncodingGSM && (f.Channels != 1 || f.SampleRate != 8000) {
		return bad("gsm is mono 8000 Hz only, not %d channels at %d Hz", f.Channels, f.SampleRate)
	}
	return nil
}

var naturalBits = map[string]int{
	EncodingPCM16: 16, EncodingPCM8: 8, EncodingPCMU: 8, EncodingPCMA: 8,
	EncodingGSM: 0, EncodingOpus: 0, EncodingMP3: 0,
}

// Bits returns the encoding's bits per sample: 16, 8, or 0 for gsm, opus
// and mp3.
func (f Format) Bits() int { return naturalBits[f.Encoding] }

// BlockAlign returns the size in bytes of the smallest unit of encoded data:
// one sample frame (all channels) for PCM and G.711, a 65-byte block for
// GSM in WAV (33-byte frame in raw), and 0 for opus and mp3, whose packets
// vary in size.
func (f Format) BlockAlign() int {
	if f.Encoding == EncodingGSM {
		if f.Container == ContainerRaw {
			return GSMFrameSize
		}
		return GSMBlockSize
	}
	return f.Bits() / 8 * f.Channels
}

// SamplesPerBlock returns how many sample frames one [Format.BlockAlign]
// unit holds: 1 for PCM and G.711, 320 for GSM in WAV (160 in raw), 0 for
// opus and mp3.
func (f Format) SamplesPerBlock() int {
	switch f.Encoding {
	case EncodingGSM:
		if f.Container == ContainerRaw {
			return GSMFrameSamples
		}
		return GSMSamplesPerBlock
	case EncodingOpus, EncodingMP3:
		return 0
	}
	return 1
}

// checkFrames verifies that n encoded bytes are whole blocks holding
// samples sample frames. Formats with variable-size packets accept
// anything with samples >= 0.
func (f Format) checkFrames(n, samples int) error {
	if samples < 0 {
		return fmt.Errorf("%w: negative sample count %d", ErrFrameSize, samples)
	}
	ba := f.BlockAlign()
	if ba == 0 {
		return nil
	}
	if n%ba != 0 || n/ba*f.SamplesPerBlock() != samples {
		return fmt.Errorf("%w: %d bytes for %d samples of %s with %d-byte blocks of %d samples",
			ErrFrameSize, n, samples, f.Encoding, ba, f.SamplesPerBlock())
	}
	return nil
}
