package container

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"time"
)

// OpusVendor is the vendor string written into OpusTags.
const OpusVendor = "callrec"

// maxPageTarget is the body size at which the Ogg writer closes a page even
// if less than FlushEvery of audio is on it; libopusenc aims at similar
// sizes so seeking stays cheap.
const maxPageTarget = 8 << 10

// OggOpusWriter writes an Ogg Opus file (RFC 7845) that is playable up to
// the last complete page while it grows.
//
// The ID header (OpusHead, on a page of its own with the BOS flag) and the
// comment header (OpusTags) are written to the sink by the constructor.
// Each Opus packet given to WriteFrames is one Ogg packet; packets collect
// on a page, which is closed when FlushEvery of audio or about 8 KiB is on
// it, when 255 lacing values are used, and on every Flush. Closed pages
// carry the granule position (48 kHz samples, pre-skip included) of the
// last packet ending on them, so a file cut after any page boundary is a
// valid stream whose duration is known from its last page. Closed pages are
// batched and written in about BufferSize chunks. Close marks the last page
// EOS. An OggOpusWriter is not safe for concurrent use.
type OggOpusWriter struct {
	fm       Format
	b        batch // complete pages
	serial   uint32
	seq      uint32
	lacing   [255]byte
	nseg     int
	body     []byte // body of the page being built, cap maxPageBody
	pageGran int64  // granule of the last packet ending on the open page, -1 none
	contd    bool   // the open page starts with a continued packet
	granule  int64  // 48 kHz granule position of the last packet written
	scale    int64  // 48000 / SampleRate
	pageAt   int64  // granule when the open page started
	samples  int64
	pending  int64
	flushN   int64
	accepted int64 // bytes of pages closed plus the open page's
	closed   bool
}

// NewOggOpusWriter validates fm (container "ogg", encoding "opus"), writes
// the OpusHead and OpusTags pages to w and returns the writer. The
// OpusHead input sample rate is fm.SampleRate; the pre-skip, serial and
// comments come from o.
func NewOggOpusWriter(w io.Writer, fm Format, o Options) (*OggOpusWriter, error) {
	if err := fm.Validate(); err != nil {
		return nil, err
	}
	if fm.Container != ContainerOgg {
		return nil, fmt.Errorf("%w: NewOggOpusWriter needs container ogg, not %q", ErrInvalidFormat, fm.Container)
	}
	if o.PreSkip < 0 || o.PreSkip > 0xFFFF {
		return nil, fmt.Errorf("%w: opus pre-skip %d out of range", ErrInvalidFormat, o.PreSkip)
	}
	bs := o.bufferSize()
	ow := &OggOpusWriter{
		fm:       fm,
		b:        batch{w: w, buf: make([]byte, 0, bs+maxPageSize)},
		serial:   o.Serial,
		body:     make([]byte, 0, maxPageBody),
		pageGran: -1,
		scale:    int64(48000 / fm.SampleRate),
		flushN:   o.flushSamples(fm.SampleRate),
	}
	if ow.serial == 0 {
		ow.serial = rand.Uint32()
	}
	// RFC 7845 §3: the ID header alone on the first page (BOS), the comment
	// header on the following page(s), audio from a fresh page on; header
	// pages have granule position 0.
	ow.addPacket(opusHead(fm, o.PreSkip), 0)
	ow.closePage(PageBOS)
	ow.addPacket(opusTags(o.Comments), 0)
	ow.closePage(0)
	ow.granule, ow.pageAt = int64(o.PreSkip), int64(o.PreSkip)
	if err := ow.b.flush(); err != nil {
		return nil, err
	}
	return ow, nil
}

// opusHead builds the ID header (RFC 7845 §5.1), channel mapping family 0.
func opusHead(fm Format, preSkip int) []byte {
	le := binary.LittleEndian
	b := append([]byte("OpusHead"), 1, byte(fm.Channels))
	b = le.AppendUint16(b, uint16(preSkip))
	b = le.AppendUint32(b, uint32(fm.SampleRate))
	b = le.AppendUint16(b, 0) // output gain
	return append(b, 0)       // mapping family
}

// opusTags builds the comment header (RFC 7845 §5.2).
func opusTags(comments []string) []byte {
	le := binary.LittleEndian
	b := append([]byte("OpusTags"), 0, 0, 0, 0)
	le.PutUint32(b[8:], uint32(len(OpusVendor)))
	b = append(b, OpusVendor...)
	b = le.AppendUint32(b, uint32(len(comments)))
	for _, c := range comments {
		b = le.AppendUint32(b, uint32(len(c)))
		b = append(b, c...)
	}
	return b
}

// WriteFrames appends one Opus packet holding samples sample frames at the
// format's sample rate (960 for 20 ms at 48 kHz, 160 at 8 kHz); the granule
// position advances by the same duration at 48 kHz. It does not allocate.
func (w *OggOpusWriter) WriteFrames(packet []byte, samples int) error {
	if w.closed {
		return ErrClosed
	}
	if w.b.err != nil {
		return w.b.err
	}
	if samples < 0 {
		return fmt.Errorf("%w: negative sample count %d", ErrFrameSize, samples)
	}
	w.addPacket(packet, w.granule+int64(samples)*w.scale)
	w.samples += int64(samples)
	w.pending += int64(samples)
	if w.pending >= w.flushN {
		return w.Flush()
	}
	if len(w.body) >= maxPageTarget || (w.granule-w.pageAt) >= w.flushN*w.scale {
		w.closePage(0)
	}
	if len(w.b.buf) >= cap(w.b.buf)-maxPageSize {
		return w.b.flush()
	}
	return w.b.err
}

// addPacket lays packet out as lacing values on the open page, closing
// full pages (the next one continues the packet), and records granule as
// the position at the packet's end.
func (w *OggOpusWriter) addPacket(packet []byte, granule int64) {
	rest := packet
	for first := true; ; first = false {
		if w.nseg == 255 {
			w.closePage(0)
			w.contd = !first // the next page continues this packet
		}
		n := min(len(rest), 255)
		w.lacing[w.nseg] = byte(n)
		w.nseg++
		w.body = append(w.body, rest[:n]...)
		w.accepted += int64(n) + 1
		rest = rest[n:]
		if n < 255 {
			break
		}
	}
	w.granule = granule
	w.pageGran = granule
}

// closePage encodes the open page into the batch buffer. A page without
// segments is only written when flags ask for EOS.
func (w *OggOpusWriter) closePage(flags byte) {
	if w.nseg == 0 && flags&PageEOS == 0 {
		return
	}
	if w.contd {
		flags |= PageContinued
	}
	g := w.pageGran
	if w.nseg == 0 {
		g = w.granule
	}
	w.b.buf = appendPage(w.b.buf, flags, g, w.serial, w.seq, w.lacing[:w.nseg], w.body)
	w.accepted += pageHeaderLen
	w.seq++
	w.nseg, w.body, w.pageGran, w.contd = 0, w.body[:0], -1, false
	w.pageAt = w.granule
}

// Flush closes the open page and writes every complete page to the sink.
func (w *OggOpusWriter) Flush() error {
	if w.closed {
		return ErrClosed
	}
	w.closePage(0)
	w.pending = 0
	return w.b.flush()
}

// Close writes the last page with the EOS flag (an empty one if no packet
// is pending) and flushes. It does not close the sink. Closing twice is a
// no-op.
func (w *OggOpusWriter) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	w.closePage(PageEOS)
	return w.b.flush()
}

// Written returns the file size once everything accepted is flushed
// (the open page counted with its header).
func (w *OggOpusWriter) Written() int64 {
	n := w.accepted
	if w.nseg > 0 {
		n += pageHeaderLen
	}
	return n
}

// Duration returns the audio accepted so far (pre-skip not subtracted).
func (w *OggOpusWriter) Duration() time.Duration { return samplesDuration(w.samples, w.fm.SampleRate) }

// Format returns the writer's format.
func (w *OggOpusWriter) Format() Format { return w.fm }
