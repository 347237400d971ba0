package container

import (
	"fmt"
	"io"
	"time"
)

// RawWriter writes encoded frames back to back with no header: MPEG audio
// frames for container "mp3" (a bare .mp3 stream, which players accept and
// which needs no size fields, so a file cut anywhere loses at most its last
// partial frame), or headerless PCM/G.711/GSM bytes for container "raw".
// It batches like the other writers. A RawWriter is not safe for
// concurrent use.
type RawWriter struct {
	fm      Format
	b       batch
	data    int64
	samples int64
	pending int64
	flushN  int64
	closed  bool
}

// NewRawWriter validates fm (container "mp3" or "raw") and returns a writer
// to w. Nothing is written until the first flush.
func NewRawWriter(w io.Writer, fm Format, o Options) (*RawWriter, error) {
	if err := fm.Validate(); err != nil {
		return nil, err
	}
	if fm.Container != ContainerMP3 && fm.Container != ContainerRaw {
		return nil, fmt.Errorf("%w: NewRawWriter needs container mp3 or raw, not %q", ErrInvalidFormat, fm.Container)
	}
	return &RawWriter{fm: fm, b: newBatch(w, o.bufferSize()), flushN: o.flushSamples(fm.SampleRate)}, nil
}

// WriteFrames appends encoded (whole blocks for the fixed-size encodings,
// one or more complete MPEG frames for mp3) holding samples sample frames.
// It does not allocate.
func (w *RawWriter) WriteFrames(encoded []byte, samples int) error {
	if w.closed {
		return ErrClosed
	}
	if err := w.fm.checkFrames(len(encoded), samples); err != nil {
		return err
	}
	if err := w.b.add(encoded); err != nil {
		return err
	}
	w.data += int64(len(encoded))
	w.samples += int64(samples)
	w.pending += int64(samples)
	if w.pending >= w.flushN {
		return w.Flush()
	}
	return nil
}

// Flush writes the buffered bytes to the sink.
func (w *RawWriter) Flush() error {
	if w.closed {
		return ErrClosed
	}
	w.pending = 0
	return w.b.flush()
}

// Close flushes. It does not close the sink. Closing twice is a no-op.
func (w *RawWriter) Close() error {
	if w.closed {
		return nil
	}
	err := w.Flush()
	w.closed = true
	return err
}

// Written returns the bytes accepted.
func (w *RawWriter) Written() int64 { return w.data }

// Duration returns the audio accepted so far.
func (w *RawWriter) Duration() time.Duration { return samplesDuration(w.samples, w.fm.SampleRate) }

// Format returns the writer's format.
func (w *RawWriter) Format() Format { return w.fm }
