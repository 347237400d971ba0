//go:build cgo

package codec

// Opus (RFC 6716) over RTP (RFC 7587) through Debian's libopus. The RTP
// clock is always 48000 Hz and the rtpmap always says two channels; the
// decoder can still write mono and any of libopus's rates (8000, 12000,
// 16000, 24000, 48000 Hz), resampling internally.

/*
#cgo LDFLAGS: -lopus
#include <opus/opus.h>

static int callrec_opus_set_bitrate(OpusEncoder *e, opus_int32 b) {
	return opus_encoder_ctl(e, OPUS_SET_BITRATE(b));
}
static int callrec_opus_reset_encoder(OpusEncoder *e) {
	return opus_encoder_ctl(e, OPUS_RESET_STATE);
}
static int callrec_opus_reset_decoder(OpusDecoder *d) {
	return opus_decoder_ctl(d, OPUS_RESET_STATE);
}
*/
import "C"

import (
	"fmt"
	"runtime"
	"unsafe"
)

const (
	opusMaxPacket    = 4000 // libopus's recommended max_data_bytes
	opusMaxFrameMs   = 120  // longest packet duration (RFC 6716 §3.2.5)
	opusDefaultFrame = 20   // milliseconds
)

func opusErr(op string, code C.int) error {
	return fmt.Errorf("%w: opus %s: %s", ErrCodecFailed, op, C.GoString(C.opus_strerror(code)))
}

func opusRateOK(rate int) bool {
	switch rate {
	case 8000, 12000, 16000, 24000, 48000:
		return true
	}
	return false
}

// OpusDecoder decodes Opus packets with libopus. It implements Decoder,
// Concealer and io.Closer.
type OpusDecoder struct {
	st       *C.OpusDecoder
	rate     int
	channels int
	cleanup  runtime.Cleanup
}

// NewOpusDecoder returns a decoder writing PCM at sampleRate (8000, 12000,
// 16000, 24000 or 48000) with channels 1 or 2.
func NewOpusDecoder(sampleRate, channels int) (*OpusDecoder, error) {
	if !opusRateOK(sampleRate) || channels < 1 || channels > 2 {
		return nil, badFormat("opus", sampleRate, channels)
	}
	var e C.int
	st := C.opus_decoder_create(C.opus_int32(sampleRate), C.int(channels), &e)
	if e != C.OPUS_OK || st == nil {
		return nil, opusErr("decoder_create", e)
	}
	d := &OpusDecoder{st: st, rate: sampleRate, channels: channels}
	d.cleanup = runtime.AddCleanup(d, func(st *C.OpusDecoder) { C.opus_decoder_destroy(st) }, st)
	return d, nil
}

// Decode decodes one Opus packet.
func (d *OpusDecoder) Decode(payload []byte, pcm []int16) (int, error) {
	if d.st == nil {
		return 0, ErrClosed
	}
	if len(payload) == 0 {
		return 0, ErrBadPayload
	}
	p := (*C.uchar)(unsafe.Pointer(&payload[0]))
	n := C.opus_packet_get_nb_samples(p, C.opus_int32(len(payload)), C.opus_int32(d.rate))
	if n <= 0 || int(n) > d.MaxSamples(len(payload)) {
		return 0, ErrBadPayload
	}
	if len(pcm) < int(n)*d.channels {
		return 0, ErrShortBuffer
	}
	got := C.opus_decode(d.st, p, C.opus_int32(len(payload)),
		(*C.opus_int16)(unsafe.Pointer(&pcm[0])), n, 0)
	runtime.KeepAlive(d)
	if got < 0 {
		if got == C.OPUS_INVALID_PACKET {
			return 0, ErrBadPayload
		}
		return 0, opusErr("decode", got)
	}
	return int(got), nil
}

// Conceal has libopus extrapolate samples samples per channel (rounded
// down to whole 2.5 ms and at most 120 ms) after a lost packet.
func (d *OpusDecoder) Conceal(pcm []int16, samples int) int {
	if d.st == nil {
		return 0
	}
	unit := d.rate / 400
	n := min(samples, len(pcm)/d.channels, d.rate*opusMaxFrameMs/1000)
	n -= n % unit
	if n <= 0 {
		return 0
	}
	got := C.opus_decode(d.st, nil, 0, (*C.opus_int16)(unsafe.Pointer(&pcm[0])), C.int(n), 0)
	runtime.KeepAlive(d)
	if got < 0 {
		return 0
	}
	return int(got)
}

// SampleRate is the PCM rate chosen at construction.
func (d *OpusDecoder) SampleRate() int { return d.rate }

// Channels is the channel count chosen at construction.
func (d *OpusDecoder) Channels() int { return d.channels }

// MaxSamples is 120 ms of audio, the longest an Opus packet can carry.
func (d *OpusDecoder) MaxSamples(int) int { return d.rate * opusMaxFrameMs / 1000 }

// Reset returns the decoder to its initial state.
func (d *OpusDecoder) Reset() {
	if d.st != nil {
		C.callrec_opus_reset_decoder(d.st)
	}
}

// Close frees the libopus state; the decoder is unusable afterwards.
func (d *OpusDecoder) Close() error {
	if d.st != nil {
		d.cleanup.Stop()
		C.opus_decoder_destroy(d.st)
		d.st = nil
	}
	return nil
}

// OpusEncoder encodes PCM to Opus packets with libopus (application VOIP).
// It implements Encoder and io.Closer.
type OpusEncoder struct {
	st       *C.OpusEncoder
	rate     int
	channels int
	frame    int
	cleanup  runtime.Cleanup
}

// NewOpusEncoder returns an encoder for PCM at sampleRate (8000, 12000,
// 16000, 24000 or 48000) with channels 1 or 2, 20 ms frames and libopus's
// default bit rate.
func NewOpusEncoder(sampleRate, channels int) (*OpusEncoder, error) {
	if !opusRateOK(sampleRate) || channels < 1 || channels > 2 {
		return nil, badFormat("opus", sampleRate, channels)
	}
	var e C.int
	st := C.opus_encoder_create(C.opus_int32(sampleRate), C.int(channels), C.OPUS_APPLICATION_VOIP, &e)
	if e != C.OPUS_OK || st == nil {
		return nil, opusErr("encoder_create", e)
	}
	enc := &OpusEncoder{st: st, rate: sampleRate, channels: channels,
		frame: sampleRate * opusDefaultFrame / 1000}
	enc.cleanup = runtime.AddCleanup(enc, func(st *C.OpusEncoder) { C.opus_encoder_destroy(st) }, st)
	return enc, nil
}

// SetBitrate sets the target bit rate in bit/s (500 to 512000).
func (e *OpusEncoder) SetBitrate(bps int) error {
	if e.st == nil {
		return ErrClosed
	}
	if r := C.callrec_opus_set_bitrate(e.st, C.opus_int32(bps)); r != C.OPUS_OK {
		return opusErr("set_bitrate", r)
	}
	return nil
}

// SetFrameMs sets the frame duration Encode takes: 10, 20, 40 or 60 ms
// (2.5 and 5 ms are left out: they disable the speech modes).
func (e *OpusEncoder) SetFrameMs(ms int) error {
	switch ms {
	case 10, 20, 40, 60:
		e.frame = e.rate * ms / 1000
		return nil
	}
	return fmt.Errorf("%w: opus frame of %d ms", ErrFrameSize, ms)
}

// Encode encodes exactly one frame of FrameSamples() samples per channel
// into one packet.
func (e *OpusEncoder) Encode(pcm []int16, out []byte) (int, error) {
	if e.st == nil {
		return 0, ErrClosed
	}
	if len(pcm) != e.frame*e.channels {
		return 0, ErrFrameSize
	}
	if len(out) == 0 {
		return 0, ErrShortBuffer
	}
	n := C.opus_encode(e.st, (*C.opus_int16)(unsafe.Pointer(&pcm[0])), C.int(e.frame),
		(*C.uchar)(unsafe.Pointer(&out[0])), C.opus_int32(min(len(out), opusMaxPacket)))
	runtime.KeepAlive(e)
	if n < 0 {
		if n == C.OPUS_BUFFER_TOO_SMALL {
			return 0, ErrShortBuffer
		}
		return 0, opusErr("encode", n)
	}
	return int(n), nil
}

// SampleRate is the PCM rate chosen at construction.
func (e *OpusEncoder) SampleRate() int { return e.rate }

// Channels is the channel count chosen at construction.
func (e *OpusEncoder) Channels() int { return e.channels }

// FrameSamples is the frame size in samples per channel (20 ms unless
// SetFrameMs changed it).
func (e *OpusEncoder) FrameSamples() int { return e.frame }

// MultiFrame is false: one frame makes one packet.
func (e *OpusEncoder) MultiFrame() bool { return false }

// MaxPayload is 4000 bytes, libopus's recommended packet buffer.
func (e *OpusEncoder) MaxPayload(int) int { return opusMaxPacket }

// Reset returns the encoder to its initial state (keeping its settings).
func (e *OpusEncoder) Reset() {
	if e.st != nil {
		C.callrec_opus_reset_encoder(e.st)
	}
}

// Close frees the libopus state; the encoder is unusable afterwards.
func (e *OpusEncoder) Close() error {
	if e.st != nil {
		e.cleanup.Stop()
		C.opus_encoder_destroy(e.st)
		e.st = nil
	}
	return nil
}

func init() {
	register(codecEntry{"opus",
		func(clockRate, channels int) (Decoder, error) {
			if clockRate != 48000 {
				return nil, badFormat("opus", clockRate, channels)
			}
			d, err := NewOpusDecoder(48000, channels)
			if err != nil {
				return nil, err
			}
			return d, nil
		},
		func(clockRate, channels int) (Encoder, error) {
			if clockRate != 48000 {
				return nil, badFormat("opus", clockRate, channels)
			}
			e, err := NewOpusEncoder(48000, channels)
			if err != nil {
				return nil, err
			}
			return e, nil
		}})
}
