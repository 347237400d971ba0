package codec

import "errors"

// ErrUnknownCodec is returned by the registry for an encoding name, clock
// rate or channel count it has no codec for.
var ErrUnknownCodec = errors.New("codec: unknown codec")

// ErrShortBuffer is returned when the caller's output buffer cannot hold
// the whole result; nothing useful was written.
var ErrShortBuffer = errors.New("codec: output buffer too small")

// ErrBadPayload is returned when a payload's length or content does not fit
// the codec's framing (for example a GSM payload that is not a multiple of
// 33 bytes). The decoder's state is left as it was before the call.
var ErrBadPayload = errors.New("codec: malformed payload")

// ErrFrameSize is returned by an encoder given a PCM block whose length is
// not a whole number of the codec's frames.
var ErrFrameSize = errors.New("codec: pcm length is not a whole number of frames")

// ErrCodecFailed is returned when an underlying C library reports an error.
var ErrCodecFailed = errors.New("codec: library error")

// ErrClosed is returned by a cgo codec used after Close.
var ErrClosed = errors.New("codec: codec closed")
