package container

import "errors"

// ErrInvalidFormat is returned (wrapped, with the offending field) by
// [Format.Validate] and by every constructor when a Format names an
// unknown container or encoding or a combination that makes no sense.
var ErrInvalidFormat = errors.New("container: invalid format")

// ErrFrameSize is returned (wrapped, with the sizes) by WriteFrames when the
// encoded bytes are not whole blocks of the format (sample frames for PCM
// and G.711, 65-byte blocks for GSM 06.10) or disagree with the sample
// count given.
var ErrFrameSize = errors.New("container: frame size does not match format")

// ErrTooLarge is returned by a WAV writer when one more frame would push the
// data chunk past the 4 GiB limit of the 32-bit RIFF size fields. The
// caller should rotate to a new file; the current one stays valid.
var ErrTooLarge = errors.New("container: wav data would exceed 4 GiB")

// ErrClosed is returned by WriteFrames and Flush after Close.
var ErrClosed = errors.New("container: writer closed")

// ErrShort is returned (wrapped, with the offset and the length needed)
// when a header, chunk or page ends before the bytes it announces.
var ErrShort = errors.New("container: input too short")

// ErrTruncated is returned (wrapped) by [ReadWAV] together with the data
// that is present when the data chunk declares more bytes than the input
// holds, as in a file cut by a crash.
var ErrTruncated = errors.New("container: data shorter than declared")

// ErrBadHeader is returned (wrapped, with what was wrong and where) when a
// RIFF/WAVE header, an Ogg page header or an Opus header packet is
// malformed.
var ErrBadHeader = errors.New("container: malformed header")

// ErrBadCRC is returned (wrapped, with the page offset and both values)
// when an Ogg page's CRC does not match its contents.
var ErrBadCRC = errors.New("container: ogg page crc mismatch")

// ErrUnsupported is returned (wrapped) when a well-formed file uses a
// feature this package does not read: an unknown WAV format tag, a
// multiplexed or chained Ogg stream, a codec other than Opus in Ogg.
var ErrUnsupported = errors.New("container: unsupported file")

// ErrCorrupt is returned by [Repair] when damage is not confined to the
// tail of the file (for instance a bad Ogg page followed by good ones).
// Repair leaves such a file untouched.
var ErrCorrupt = errors.New("container: file damaged before its tail")
