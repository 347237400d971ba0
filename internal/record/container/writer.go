package container

import (
	"fmt"
	"io"
	"time"
)

// File is the sink of a [WAVWriter]: it appends with Write and patches the
// header in place with WriteAt (pwrite(2) on an *os.File, which does not
// move the append offset). The file must be empty and positioned at 0 and
// must not be opened with O_APPEND (WriteAt is refused on such files).
// *os.File satisfies it. The Ogg and raw writers need only an io.Writer.
type File interface {
	io.Writer
	io.WriterAt
}

// Writer is what every writer in this package implements, so the recorder
// can hold any of them.
type Writer interface {
	// WriteFrames appends encoded audio holding samples sample frames (per
	// channel, at the Format's sample rate).
	WriteFrames(encoded []byte, samples int) error
	// Flush hands everything buffered to the sink and makes the file
	// self-describing up to that point.
	Flush() error
	// Close flushes and finalises the file. It does not close or sync the
	// sink, which the caller owns.
	Close() error
	// Written returns the size of the file once everything written so far
	// is flushed, headers included.
	Written() int64
	// Duration returns the audio accepted so far.
	Duration() time.Duration
}

// Defaults for [Options] fields left zero.
const (
	DefaultBufferSize = 64 << 10
	DefaultFlushEvery = time.Second
)

// Options tunes a writer. The zero value means the defaults.
type Options struct {
	// BufferSize is the batch size in bytes: data reaches the sink in writes
	// of about this size, never one write per frame. 0 means
	// DefaultBufferSize; values below 4096 are raised to 4096.
	BufferSize int
	// FlushEvery bounds, in audio time, how much accepted audio may sit in
	// the buffer (and, for WAV, how stale the header sizes may get): once
	// this much is buffered, WriteFrames flushes by itself. 0 means
	// DefaultFlushEvery. It is the crash-loss bound when the recorder also
	// calls Flush on a timer of the same period.
	FlushEvery time.Duration
	// PreSkip is the Opus pre-skip in 48 kHz samples written into OpusHead
	// (RFC 7845 §5.1): the encoder's lookahead (312 for libopus), or 0 for
	// packets copied from RTP. Ignored by the other writers.
	PreSkip int
	// Serial is the Ogg logical stream serial number; 0 means random.
	Serial uint32
	// Comments are "KEY=value" user comments for the OpusTags header.
	Comments []string
}

func (o Options) bufferSize() int {
	switch {
	case o.BufferSize == 0:
		return DefaultBufferSize
	case o.BufferSize < 4096:
		return 4096
	}
	return o.BufferSize
}

// flushSamples is FlushEvery in sample frames at rate, at least 1.
func (o Options) flushSamples(rate int) int64 {
	d := o.FlushEvery
	if d <= 0 {
		d = DefaultFlushEvery
	}
	n := int64(d) * int64(rate) / int64(time.Second)
	return max(n, 1)
}

// New returns the writer for fm.Container: a [WAVWriter], an
// [OggOpusWriter] or a [RawWriter] (mp3 and raw).
func New(f File, fm Format, o Options) (Writer, error) {
	if err := fm.Validate(); err != nil {
		return nil, err
	}
	switch fm.Container {
	case ContainerWAV:
		return NewWAVWriter(f, fm, o)
	case ContainerOgg:
		return NewOggOpusWriter(f, fm, o)
	case ContainerMP3, ContainerRaw:
		return NewRawWriter(f, fm, o)
	}
	return nil, fmt.Errorf("%w: unknown container %q", ErrInvalidFormat, fm.Container)
}

// samplesDuration converts sample frames at rate to a duration.
func samplesDuration(n int64, rate int) time.Duration {
	if rate <= 0 {
		return 0
	}
	return time.Duration(n/int64(rate)*int64(time.Second)) +
		time.Duration(n%int64(rate)*int64(time.Second)/int64(rate))
}

// batch is the byte buffer shared by the writers: appends accumulate in a
// fixed buffer allocated once and reach w in writes of about its capacity.
// An error from w is sticky.
type batch struct {
	w   io.Writer
	buf []byte
	out int64 // bytes handed to w
	err error
}

func newBatch(w io.Writer, size int) batch {
	return batch{w: w, buf: make([]byte, 0, size)}
}

// add appends p, writing the buffer out first when p does not fit. A p
// larger than the whole buffer is written straight through.
func (b *batch) add(p []byte) error {
	if b.err != nil {
		return b.err
	}
	if len(b.buf)+len(p) > cap(b.buf) {
		if err := b.flush(); err != nil {
			return err
		}
		if len(p) > cap(b.buf) {
			return b.write(p)
		}
	}
	b.buf = append(b.buf, p...)
	return nil
}

// flush writes the buffered bytes to w.
func (b *batch) flush() error {
	if b.err != nil {
		return b.err
	}
	if len(b.buf) == 0 {
		return nil
	}
	err := b.write(b.buf)
	b.buf = b.buf[:0]
	return err
}

func (b *batch) write(p []byte) error {
	n, err := b.w.Write(p)
	b.out += int64(n)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	if err != nil {
		b.err = fmt.Errorf("container: write: %w", err)
	}
	return b.err
}
