package container

import (
	"encoding/binary"
	"fmt"
	"time"
)

// WAVE format tags (Microsoft RIFF/WAVE, mmreg.h).
const (
	wavePCM    = 0x0001 // WAVE_FORMAT_PCM
	waveALaw   = 0x0006 // WAVE_FORMAT_ALAW
	waveMuLaw  = 0x0007 // WAVE_FORMAT_MULAW
	waveGSM610 = 0x0031 // WAVE_FORMAT_GSM610
)

// wavLayout locates the size fields a writer patches while the file grows.
type wavLayout struct {
	size        int // header length; the data starts here
	factOff     int // offset of the fact chunk's sample count, or -1
	dataSizeOff int // offset of the data chunk's size
}

// appendWAVHeader appends the RIFF/WAVE header for fm with the given data
// size (bytes) and sample frame count (for the fact chunk), and reports
// where its size fields are. The layouts are:
//
//	PCM (44 bytes):       RIFF size WAVE | fmt  16 PCMWAVEFORMAT | data size
//	G.711 (58 bytes):     RIFF size WAVE | fmt  18 WAVEFORMATEX cbSize=0 | fact 4 samples | data size
//	GSM 06.10 (60 bytes): RIFF size WAVE | fmt  20 WAVEFORMATEX cbSize=2 wSamplesPerBlock=320 | fact 4 samples | data size
//
// Non-PCM formats carry a fact chunk, as the RIFF spec requires. riffPad
// is 1 when a pad byte follows odd-sized data (only at Close).
func appendWAVHeader(dst []byte, fm Format, dataSize uint32, samples uint32, riffPad uint32) ([]byte, wavLayout) {
	le := binary.LittleEndian
	tag, fmtLen := uint16(wavePCM), uint32(16)
	switch fm.Encoding {
	case EncodingPCMA:
		tag, fmtLen = waveALaw, 18
	case EncodingPCMU:
		tag, fmtLen = waveMuLaw, 18
	case EncodingGSM:
		tag, fmtLen = waveGSM610, 20
	}
	start := len(dst)
	lay := wavLayout{factOff: -1}
	hdrLen := 12 + 8 + int(fmtLen) + 8
	if tag != wavePCM {
		hdrLen += 12
	}
	ba := fm.BlockAlign()
	byteRate := fm.SampleRate * ba / fm.SamplesPerBlock()
	dst = append(dst, "RIFF"...)
	dst = le.AppendUint32(dst, uint32(hdrLen-8)+dataSize+riffPad)
	dst = append(dst, "WAVEfmt "...)
	dst = le.AppendUint32(dst, fmtLen)
	dst = le.AppendUint16(dst, tag)
	dst = le.AppendUint16(dst, uint16(fm.Channels))
	dst = le.AppendUint32(dst, uint32(fm.SampleRate))
	dst = le.AppendUint32(dst, uint32(byteRate))
	dst = le.AppendUint16(dst, uint16(ba))
	dst = le.AppendUint16(dst, uint16(fm.Bits()))
	switch fmtLen {
	case 18:
		dst = le.AppendUint16(dst, 0) // cbSize
	case 20:
		dst = le.AppendUint16(dst, 2) // cbSize
		dst = le.AppendUint16(dst, GSMSamplesPerBlock)
	}
	if tag != wavePCM {
		dst = append(dst, "fact"...)
		dst = le.AppendUint32(dst, 4)
		lay.factOff = len(dst) - start
		dst = le.AppendUint32(dst, samples)
	}
	dst = append(dst, "data"...)
	lay.dataSizeOff = len(dst) - start
	dst = le.AppendUint32(dst, dataSize)
	lay.size = len(dst) - start
	return dst, lay
}

// WAVWriter writes a RIFF/WAVE file that stays playable while it grows.
//
// The header is written first with sizes of zero. Data is batched and
// appended with Write; after every write of data (a full buffer or a
// Flush) the whole header is rewritten in place with one WriteAt carrying
// the sizes of the data now in the file, so the header never claims bytes
// that are not there and covers everything but the buffered audio, at most
// [Options.FlushEvery] or [Options.BufferSize] worth.
// A WAVWriter is not safe for concurrent use.
type WAVWriter struct {
	f       File
	fm      Format
	b       batch
	lay     wavLayout
	hdr     []byte // header scratch, reused for every rewrite
	data    int64  // data bytes accepted
	samples int64  // sample frames accepted
	pending int64  // sample frames accepted since the last Flush
	flushN  int64
	hdrData int64 // data size the header on disk claims
	limit   int64 // largest data size the 32-bit RIFF fields allow
	pad     int64 // 1 once Close wrote a pad byte
	closed  bool
}

// NewWAVWriter validates fm (container "wav"), writes the header to f with
// zero sizes and returns the writer. The zero Options are the defaults.
func NewWAVWriter(f File, fm Format, o Options) (*WAVWriter, error) {
	if err := fm.Validate(); err != nil {
		return nil, err
	}
	if fm.Container != ContainerWAV {
		return nil, fmt.Errorf("%w: NewWAVWriter needs container wav, not %q", ErrInvalidFormat, fm.Container)
	}
	w := &WAVWriter{f: f, fm: fm, b: newBatch(f, o.bufferSize()), flushN: o.flushSamples(fm.SampleRate)}
	w.hdr, w.lay = appendWAVHeader(make([]byte, 0, 64), fm, 0, 0, 0)
	w.limit = int64(0xFFFFFFFE) - int64(w.lay.size-8)
	if err := w.b.write(w.hdr); err != nil {
		return nil, err
	}
	return w, nil
}

// WriteFrames appends encoded, which must be whole blocks (sample frames,
// or 65-byte GSM blocks) holding exactly samples sample frames. It copies
// encoded into the batch buffer; when the buffer is full it writes it and
// updates the header, and once FlushEvery of audio is pending it flushes.
// It does not allocate.
func (w *WAVWriter) WriteFrames(encoded []byte, samples int) error {
	if w.closed {
		return ErrClosed
	}
	if err := w.fm.checkFrames(len(encoded), samples); err != nil {
		return err
	}
	if w.data+int64(len(encoded)) > w.limit {
		return fmt.Errorf("%w: %d + %d bytes", ErrTooLarge, w.data, len(encoded))
	}
	out := w.b.out
	if err := w.b.add(encoded); err != nil {
		return err
	}
	w.data += int64(len(encoded))
	if w.b.out != out { // a full buffer went out: let the header cover it
		if err := w.patch(0); err != nil {
			return err
		}
	}
	w.samples += int64(samples)
	w.pending += int64(samples)
	if w.pending >= w.flushN {
		return w.Flush()
	}
	return nil
}

// Flush writes the buffered data, then rewrites the header sizes to cover
// it (one WriteAt at offset 0). It does not sync the file.
func (w *WAVWriter) Flush() error {
	if w.closed {
		return ErrClosed
	}
	if err := w.b.flush(); err != nil {
		return err
	}
	w.pending = 0
	return w.patch(0)
}

// patch rewrites the header for the data now in the file.
func (w *WAVWriter) patch(pad uint32) error {
	onDisk := w.b.out - int64(w.lay.size)
	if onDisk == w.hdrData && pad == 0 {
		return nil
	}
	blocks := onDisk / int64(w.fm.BlockAlign())
	w.hdr, _ = appendWAVHeader(w.hdr[:0], w.fm, uint32(onDisk), uint32(blocks*int64(w.fm.SamplesPerBlock())), pad)
	if _, err := w.f.WriteAt(w.hdr, 0); err != nil {
		w.b.err = fmt.Errorf("container: header update: %w", err)
		return w.b.err
	}
	w.hdrData = onDisk
	return nil
}

// Close flushes, appends the RIFF pad byte if the data size is odd, and
// writes the final header. It does not close or sync f. Closing twice is
// a no-op.
func (w *WAVWriter) Close() error {
	if w.closed {
		return nil
	}
	if err := w.Flush(); err != nil {
		w.closed = true
		return err
	}
	w.closed = true
	if w.data%2 == 1 {
		if err := w.b.write([]byte{0}); err != nil {
			return err
		}
		w.b.out-- // the pad is not data
		w.pad = 1
		return w.patch(1)
	}
	return nil
}

// Written returns the file size once flushed: header plus data, plus the
// pad byte Close writes after odd-sized data.
func (w *WAVWriter) Written() int64 { return int64(w.lay.size) + w.data + w.pad }

// Duration returns the audio accepted so far.
func (w *WAVWriter) Duration() time.Duration { return samplesDuration(w.samples, w.fm.SampleRate) }

// Format returns the writer's format.
func (w *WAVWriter) Format() Format { return w.fm }
