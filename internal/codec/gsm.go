//go:build cgo

package codec

// GSM 06.10 full rate (ETSI EN 300 961, RFC 3551 §4.5.8) through Debian's
// libgsm: 160 samples of 8 kHz audio (20 ms) in 33 bytes, 13 kbit/s. Each
// frame starts with the 4-bit signature 0xD.

/*
#cgo LDFLAGS: -lgsm
#include <gsm.h>
*/
import "C"

import (
	"runtime"
	"unsafe"
)

const (
	gsmFrameBytes   = 33
	gsmFrameSamples = 160
	gsmMagic        = 0xD
)

// gsmState owns one libgsm state and frees it on Close or by cleanup.
type gsmState struct {
	g       C.gsm
	cleanup runtime.Cleanup
}

// gsmOpen creates the libgsm state in s, freed when owner is collected.
func gsmOpen[T any](s *gsmState, owner *T) {
	s.g = C.gsm_create()
	s.cleanup = runtime.AddCleanup(owner, func(g C.gsm) { C.gsm_destroy(g) }, s.g)
}

func (s *gsmState) close() {
	if s.g != nil {
		s.cleanup.Stop()
		C.gsm_destroy(s.g)
		s.g = nil
	}
}

// GSMDecoder decodes GSM 06.10 payloads to 8 kHz mono PCM. It implements
// Decoder and io.Closer.
type GSMDecoder struct{ s gsmState }

// NewGSMDecoder returns a GSM 06.10 decoder in its initial state.
func NewGSMDecoder() *GSMDecoder {
	d := &GSMDecoder{}
	gsmOpen(&d.s, d)
	return d
}

// Decode decodes a payload of whole 33-byte frames, 160 samples each. A
// frame without the 0xD signature makes the whole payload ErrBadPayload,
// checked before any state changes.
func (d *GSMDecoder) Decode(payload []byte, pcm []int16) (int, error) {
	if d.s.g == nil {
		return 0, ErrClosed
	}
	if len(payload) == 0 || len(payload)%gsmFrameBytes != 0 {
		return 0, ErrBadPayload
	}
	frames := len(payload) / gsmFrameBytes
	for i := range frames {
		if payload[i*gsmFrameBytes]>>4 != gsmMagic {
			return 0, ErrBadPayload
		}
	}
	if len(pcm) < frames*gsmFrameSamples {
		return 0, ErrShortBuffer
	}
	for i := range frames {
		if C.gsm_decode(d.s.g, (*C.gsm_byte)(unsafe.Pointer(&payload[i*gsmFrameBytes])),
			(*C.gsm_signal)(unsafe.Pointer(&pcm[i*gsmFrameSamples]))) != 0 {
			return 0, ErrBadPayload
		}
	}
	runtime.KeepAlive(d)
	return frames * gsmFrameSamples, nil
}

// SampleRate is 8000.
func (d *GSMDecoder) SampleRate() int { return 8000 }

// Channels is 1.
func (d *GSMDecoder) Channels() int { return 1 }

// MaxSamples is 160 samples per 33 bytes.
func (d *GSMDecoder) MaxSamples(n int) int { return n / gsmFrameBytes * gsmFrameSamples }

// Reset returns the decoder to its initial state.
func (d *GSMDecoder) Reset() {
	if d.s.g != nil {
		d.s.close()
		gsmOpen(&d.s, d)
	}
}

// Close frees the libgsm state; the decoder is unusable afterwards.
func (d *GSMDecoder) Close() error { d.s.close(); return nil }

// GSMEncoder encodes 8 kHz mono PCM to GSM 06.10 frames. It implements
// Encoder and io.Closer.
type GSMEncoder struct {
	s     gsmState
	wav49 bool
}

// NewGSMEncoderWAV49 returns an encoder in Microsoft's WAV49 packing, the
// one WAV files with format tag 0x31 hold: each pair of frames (320
// samples) is one 65-byte block. Encode then takes whole pairs.
func NewGSMEncoderWAV49() *GSMEncoder {
	e := &GSMEncoder{wav49: true}
	gsmOpen(&e.s, e)
	e.setWAV49()
	return e
}

func (e *GSMEncoder) setWAV49() {
	one := C.int(1)
	C.gsm_option(e.s.g, C.GSM_OPT_WAV49, &one)
}

// NewGSMEncoder returns a GSM 06.10 encoder in its initial state.
func NewGSMEncoder() *GSMEncoder {
	e := &GSMEncoder{}
	gsmOpen(&e.s, e)
	return e
}

// Encode writes 33 bytes per 160 samples.
func (e *GSMEncoder) Encode(pcm []int16, out []byte) (int, error) {
	if e.s.g == nil {
		return 0, ErrClosed
	}
	frame := gsmFrameSamples
	if e.wav49 {
		frame *= 2
	}
	if len(pcm) == 0 || len(pcm)%frame != 0 {
		return 0, ErrFrameSize
	}
	frames := len(pcm) / gsmFrameSamples
	if len(out) < e.MaxPayload(len(pcm)) {
		return 0, ErrShortBuffer
	}
	if e.wav49 {
		// libgsm writes the pair's first frame in 32 bytes and the second
		// in 33: one 65-byte block per pair.
		off := 0
		for i := range frames {
			C.gsm_encode(e.s.g, (*C.gsm_signal)(unsafe.Pointer(&pcm[i*gsmFrameSamples])),
				(*C.gsm_byte)(unsafe.Pointer(&out[off])))
			off += 32 + i%2
		}
		runtime.KeepAlive(e)
		return off, nil
	}
	for i := range frames {
		// libgsm reads the input only, although the prototype is not const.
		C.gsm_encode(e.s.g, (*C.gsm_signal)(unsafe.Pointer(&pcm[i*gsmFrameSamples])),
			(*C.gsm_byte)(unsafe.Pointer(&out[i*gsmFrameBytes])))
	}
	runtime.KeepAlive(e)
	return frames * gsmFrameBytes, nil
}

// SampleRate is 8000.
func (e *GSMEncoder) SampleRate() int { return 8000 }

// Channels is 1.
func (e *GSMEncoder) Channels() int { return 1 }

// FrameSamples is 160 (20 ms), or 320 in WAV49 packing.
func (e *GSMEncoder) FrameSamples() int {
	if e.wav49 {
		return 2 * gsmFrameSamples
	}
	return gsmFrameSamples
}

// MultiFrame is true: frames are concatenated in one payload.
func (e *GSMEncoder) MultiFrame() bool { return true }

// MaxPayload is 33 bytes per 160 samples (65 per 320 in WAV49 packing).
func (e *GSMEncoder) MaxPayload(n int) int {
	if e.wav49 {
		return n / (2 * gsmFrameSamples) * 65
	}
	return n / gsmFrameSamples * gsmFrameBytes
}

// Reset returns the encoder to its initial state.
func (e *GSMEncoder) Reset() {
	if e.s.g != nil {
		e.s.close()
		gsmOpen(&e.s, e)
		if e.wav49 {
			e.setWAV49()
		}
	}
}

// Close frees the libgsm state; the encoder is unusable afterwards.
func (e *GSMEncoder) Close() error { e.s.close(); return nil }

func init() {
	register(codecEntry{"GSM",
		fixed("GSM", 8000, func() Decoder { return NewGSMDecoder() }),
		fixed("GSM", 8000, func() Encoder { return NewGSMEncoder() })})
}
