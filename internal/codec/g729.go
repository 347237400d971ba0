//go:build cgo

package codec

// G.729 (ITU-T G.729 / Annex A, RFC 3551 §4.5.6) through Debian's bcg729.
// A payload holds zero or more 10-byte frames of 10 ms each, optionally
// followed by one 2-byte Annex B SID (comfort noise) frame.

/*
#cgo LDFLAGS: -lbcg729
#include <stdint.h>
#include <bcg729/decoder.h>
#include <bcg729/encoder.h>
*/
import "C"

import (
	"runtime"
	"unsafe"
)

const (
	g729FrameBytes   = 10
	g729SIDBytes     = 2
	g729FrameSamples = 80
)

// G729Decoder decodes G.729 payloads to 8 kHz mono PCM. It implements
// Decoder, Concealer and io.Closer.
type G729Decoder struct {
	ctx     *C.bcg729DecoderChannelContextStruct
	cleanup runtime.Cleanup
}

// NewG729Decoder returns a G.729 decoder in its initial state.
func NewG729Decoder() *G729Decoder {
	d := &G729Decoder{}
	d.open()
	return d
}

func (d *G729Decoder) open() {
	d.ctx = C.initBcg729DecoderChannel()
	d.cleanup = runtime.AddCleanup(d, func(c *C.bcg729DecoderChannelContextStruct) {
		C.closeBcg729DecoderChannel(c)
	}, d.ctx)
}

// Decode decodes every frame of payload: 80 samples per 10-byte frame and
// 80 samples of comfort noise for a trailing SID frame.
func (d *G729Decoder) Decode(payload []byte, pcm []int16) (int, error) {
	if d.ctx == nil {
		return 0, ErrClosed
	}
	frames, sid := len(payload)/g729FrameBytes, len(payload)%g729FrameBytes
	if len(payload) == 0 || (sid != 0 && sid != g729SIDBytes) {
		return 0, ErrBadPayload
	}
	if sid != 0 {
		frames++
	}
	if len(pcm) < frames*g729FrameSamples {
		return 0, ErrShortBuffer
	}
	for i := range frames {
		p := payload[i*g729FrameBytes:]
		n, sidFlag := g729FrameBytes, 0
		if len(p) < g729FrameBytes {
			n, sidFlag = len(p), 1
		}
		C.bcg729Decoder(d.ctx, (*C.uint8_t)(unsafe.Pointer(&p[0])), C.uint8_t(n), 0,
			C.uint8_t(sidFlag), 0, (*C.int16_t)(unsafe.Pointer(&pcm[i*g729FrameSamples])))
	}
	runtime.KeepAlive(d)
	return frames * g729FrameSamples, nil
}

// Conceal runs bcg729's frame erasure concealment for whole 10 ms frames.
func (d *G729Decoder) Conceal(pcm []int16, samples int) int {
	if d.ctx == nil {
		return 0
	}
	frames := min(samples, len(pcm)) / g729FrameSamples
	for i := range frames {
		C.bcg729Decoder(d.ctx, nil, 0, 1, 0, 0,
			(*C.int16_t)(unsafe.Pointer(&pcm[i*g729FrameSamples])))
	}
	runtime.KeepAlive(d)
	return frames * g729FrameSamples
}

// SampleRate is 8000.
func (d *G729Decoder) SampleRate() int { return 8000 }

// Channels is 1.
func (d *G729Decoder) Channels() int { return 1 }

// MaxSamples is 80 samples per started 10 bytes.
func (d *G729Decoder) MaxSamples(n int) int {
	return (n + g729FrameBytes - 1) / g729FrameBytes * g729FrameSamples
}

// Reset returns the decoder to its initial state.
func (d *G729Decoder) Reset() {
	if d.ctx != nil {
		d.Close()
		d.open()
	}
}

// Close frees the bcg729 state; the decoder is unusable afterwards.
func (d *G729Decoder) Close() error {
	if d.ctx != nil {
		d.cleanup.Stop()
		C.closeBcg729DecoderChannel(d.ctx)
		d.ctx = nil
	}
	return nil
}

// G729Encoder encodes 8 kHz mono PCM to G.729 Annex A frames (VAD off, so
// never SID frames). It implements Encoder and io.Closer.
type G729Encoder struct {
	ctx     *C.bcg729EncoderChannelContextStruct
	cleanup runtime.Cleanup
}

// NewG729Encoder returns a G.729 encoder in its initial state.
func NewG729Encoder() *G729Encoder {
	e := &G729Encoder{}
	e.open()
	return e
}

func (e *G729Encoder) open() {
	e.ctx = C.initBcg729EncoderChannel(0)
	e.cleanup = runtime.AddCleanup(e, func(c *C.bcg729EncoderChannelContextStruct) {
		C.closeBcg729EncoderChannel(c)
	}, e.ctx)
}

// Encode writes 10 bytes per 80 samples.
func (e *G729Encoder) Encode(pcm []int16, out []byte) (int, error) {
	if e.ctx == nil {
		return 0, ErrClosed
	}
	if len(pcm) == 0 || len(pcm)%g729FrameSamples != 0 {
		return 0, ErrFrameSize
	}
	frames := len(pcm) / g729FrameSamples
	if len(out) < frames*g729FrameBytes {
		return 0, ErrShortBuffer
	}
	var n C.uint8_t
	w := 0
	for i := range frames {
		C.bcg729Encoder(e.ctx, (*C.int16_t)(unsafe.Pointer(&pcm[i*g729FrameSamples])),
			(*C.uint8_t)(unsafe.Pointer(&out[w])), &n)
		w += int(n)
	}
	runtime.KeepAlive(e)
	return w, nil
}

// SampleRate is 8000.
func (e *G729Encoder) SampleRate() int { return 8000 }

// Channels is 1.
func (e *G729Encoder) Channels() int { return 1 }

// FrameSamples is 80 (10 ms).
func (e *G729Encoder) FrameSamples() int { return g729FrameSamples }

// MultiFrame is true: frames are concatenated in one payload.
func (e *G729Encoder) MultiFrame() bool { return true }

// MaxPayload is 10 bytes per 80 samples.
func (e *G729Encoder) MaxPayload(n int) int { return n / g729FrameSamples * g729FrameBytes }

// Reset returns the encoder to its initial state.
func (e *G729Encoder) Reset() {
	if e.ctx != nil {
		e.Close()
		e.open()
	}
}

// Close frees the bcg729 state; the encoder is unusable afterwards.
func (e *G729Encoder) Close() error {
	if e.ctx != nil {
		e.cleanup.Stop()
		C.closeBcg729EncoderChannel(e.ctx)
		e.ctx = nil
	}
	return nil
}

func init() {
	register(codecEntry{"G729",
		fixed("G729", 8000, func() Decoder { return NewG729Decoder() }),
		fixed("G729", 8000, func() Encoder { return NewG729Encoder() })})
}
