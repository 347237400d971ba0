//go:build cgo

package codec

// MP3 (MPEG-1/2/2.5 Layer III) encoding through Debian's libmp3lame, for
// writing recordings; there is no MP3 decoder and MP3 is not in the RTP
// registry. The stream is plain CBR frames: no ID3 tags and no Xing/Info
// header, so chunks can be appended to a file or stream as they come.

/*
#cgo LDFLAGS: -lmp3lame
#include <lame/lame.h>
*/
import "C"

import (
	"fmt"
	"runtime"
	"unsafe"
)

// mp3FlushBytes is what lame_encode_flush may write at most.
const mp3FlushBytes = 7200

// MP3Encoder encodes 16-bit PCM to a constant bit rate MP3 stream. It
// implements Encoder (any number of samples per call; LAME buffers whole
// frames internally, so a call may return 0 bytes) and io.Closer. Call
// Flush at the end of the stream for the last frames.
type MP3Encoder struct {
	gf                   *C.lame_global_flags
	rate, channels, kbps int
	cleanup              runtime.Cleanup
}

// NewMP3Encoder returns an encoder for PCM at sampleRate (8000 to 48000
// Hz; 8000, 11025 and 12000 give MPEG-2.5, 16000 to 24000 MPEG-2, 32000
// to 48000 MPEG-1) with channels 1 or 2, at kbps kbit/s (for example 16
// for 8 kHz mono speech, 32 for 16 kHz).
func NewMP3Encoder(sampleRate, channels, kbps int) (*MP3Encoder, error) {
	if sampleRate < 8000 || sampleRate > 48000 || channels < 1 || channels > 2 || kbps < 8 || kbps > 320 {
		return nil, fmt.Errorf("%w: mp3 %d Hz, %d channels, %d kbit/s", ErrUnknownCodec, sampleRate, channels, kbps)
	}
	e := &MP3Encoder{rate: sampleRate, channels: channels, kbps: kbps}
	if err := e.open(); err != nil {
		return nil, err
	}
	return e, nil
}

func (e *MP3Encoder) open() error {
	gf := C.lame_init()
	if gf == nil {
		return fmt.Errorf("%w: lame_init", ErrCodecFailed)
	}
	C.lame_set_in_samplerate(gf, C.int(e.rate))
	C.lame_set_out_samplerate(gf, C.int(e.rate))
	C.lame_set_num_channels(gf, C.int(e.channels))
	mode := C.MPEG_mode(C.MONO)
	if e.channels == 2 {
		mode = C.JOINT_STEREO
	}
	C.lame_set_mode(gf, mode)
	C.lame_set_brate(gf, C.int(e.kbps))
	C.lame_set_quality(gf, 5)
	C.lame_set_bWriteVbrTag(gf, 0)
	C.lame_set_write_id3tag_automatic(gf, 0)
	if r := C.lame_init_params(gf); r < 0 {
		C.lame_close(gf)
		return fmt.Errorf("%w: lame_init_params: %d", ErrCodecFailed, int(r))
	}
	e.gf = gf
	e.cleanup = runtime.AddCleanup(e, func(gf *C.lame_global_flags) { C.lame_close(gf) }, gf)
	return nil
}

// Encode feeds pcm (interleaved for stereo) and writes the MP3 frames that
// are complete.
func (e *MP3Encoder) Encode(pcm []int16, out []byte) (int, error) {
	if e.gf == nil {
		return 0, ErrClosed
	}
	if len(pcm) == 0 || len(pcm)%e.channels != 0 {
		return 0, ErrFrameSize
	}
	n := len(pcm) / e.channels
	if len(out) < e.MaxPayload(n) {
		return 0, ErrShortBuffer
	}
	p := (*C.short)(unsafe.Pointer(&pcm[0]))
	o := (*C.uchar)(unsafe.Pointer(&out[0]))
	var r C.int
	if e.channels == 1 {
		r = C.lame_encode_buffer(e.gf, p, p, C.int(n), o, C.int(len(out)))
	} else {
		r = C.lame_encode_buffer_interleaved(e.gf, p, C.int(n), o, C.int(len(out)))
	}
	runtime.KeepAlive(e)
	if r < 0 {
		return 0, fmt.Errorf("%w: lame_encode_buffer: %d", ErrCodecFailed, int(r))
	}
	return int(r), nil
}

// Flush pads and writes the last frames; out must hold 7200 bytes. The
// encoder must be Reset before it takes more PCM.
func (e *MP3Encoder) Flush(out []byte) (int, error) {
	if e.gf == nil {
		return 0, ErrClosed
	}
	if len(out) < mp3FlushBytes {
		return 0, ErrShortBuffer
	}
	r := C.lame_encode_flush(e.gf, (*C.uchar)(unsafe.Pointer(&out[0])), C.int(len(out)))
	runtime.KeepAlive(e)
	if r < 0 {
		return 0, fmt.Errorf("%w: lame_encode_flush: %d", ErrCodecFailed, int(r))
	}
	return int(r), nil
}

// SampleRate is the PCM rate chosen at construction.
func (e *MP3Encoder) SampleRate() int { return e.rate }

// Channels is the channel count chosen at construction.
func (e *MP3Encoder) Channels() int { return e.channels }

// FrameSamples is 1: any number of samples per call.
func (e *MP3Encoder) FrameSamples() int { return 1 }

// MultiFrame is true.
func (e *MP3Encoder) MultiFrame() bool { return true }

// MaxPayload is LAME's worst case, 1.25 bytes per sample plus 7200.
func (e *MP3Encoder) MaxPayload(n int) int { return n*5/4 + mp3FlushBytes }

// Reset starts a new stream with the same settings.
func (e *MP3Encoder) Reset() {
	if e.gf != nil {
		e.Close()
		_ = e.open() // same parameters as the first, successful open
	}
}

// Close frees the LAME state; the encoder is unusable afterwards.
func (e *MP3Encoder) Close() error {
	if e.gf != nil {
		e.cleanup.Stop()
		C.lame_close(e.gf)
		e.gf = nil
	}
	return nil
}
