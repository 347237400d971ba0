package container

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// Result reports what [Repair] found and did.
type Result struct {
	Format Format
	// Duration is the playable audio in the file after repair.
	Duration time.Duration
	// Truncated is how many bytes were cut from the end of the file.
	Truncated int64
	// Changed is true when the file was modified (header rewritten or
	// truncated).
	Changed bool
}

// Repair makes a recording left behind by a crash consistent, in place,
// and reports its playable duration. It recognises the file by content:
//
//   - WAV: when the RIFF/data sizes are stale (smaller than the data
//     present after a kill, 0 or 0xFFFFFFFF, or larger than the file), the
//     data chunk is taken to run to the end of the file, cut to whole
//     blocks; the partial block at the end is truncated and the RIFF,
//     data and fact fields are rewritten. Data followed by another valid
//     chunk is left alone (only the RIFF size is fixed).
//   - Ogg: the pages are walked with CRC checks; a partial or damaged page
//     at the end is truncated. Damage followed by a valid page of the same
//     stream is not a crash tail: the file is left untouched and the error
//     wraps [ErrCorrupt].
//   - MP3: a partial last frame is truncated; garbage before the end is
//     reported as [ErrCorrupt] and left alone.
//
// Recovery never makes a file worse: it only removes bytes that cannot be
// played (a partial block, frame or page at the end), truncates before it
// rewrites the header (a crash during repair leaves a header that still
// claims no more than the file holds), and syncs before returning. A file
// whose header cannot be parsed is not modified. Repairing a consistent
// file changes nothing, so Repair is idempotent.
func Repair(path string) (Result, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return Result{}, fmt.Errorf("container: repair: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Result{}, fmt.Errorf("container: repair: %w", err)
	}
	var magic [4]byte
	n, _ := f.ReadAt(magic[:], 0)
	var res Result
	switch m := magic[:n]; {
	case bytes.HasPrefix(m, []byte("RIFF")):
		res, err = repairWAV(f, st.Size())
	case bytes.HasPrefix(m, []byte("OggS")):
		res, err = repairOgg(f, st.Size())
	case bytes.HasPrefix(m, []byte(id3v2Magic)) || len(m) >= 2 && m[0] == 0xFF && m[1]&0xE0 == 0xE0:
		res, err = repairMP3(f, st.Size())
	default:
		return res, fmt.Errorf("%w: %s is not wav, ogg or mp3 (starts %q)", ErrUnsupported, path, m)
	}
	if err != nil {
		return res, fmt.Errorf("container: repair %s: %w", path, err)
	}
	if res.Changed {
		if err := f.Sync(); err != nil {
			return res, fmt.Errorf("container: repair %s: sync: %w", path, err)
		}
	}
	return res, nil
}

func repairWAV(f *os.File, size int64) (Result, error) {
	hb := make([]byte, min(size, MaxWAVHeader))
	if _, err := f.ReadAt(hb, 0); err != nil && err != io.EOF {
		return Result{}, err
	}
	h, err := ParseWAVHeader(hb)
	if err != nil {
		return Result{}, err
	}
	res := Result{Format: h.Format}
	ba, spb := int64(h.Format.BlockAlign()), int64(h.Format.SamplesPerBlock())
	avail := size - h.DataOffset
	if avail < 0 {
		return res, fmt.Errorf("%w: data chunk starts at %d past the end %d", ErrShort, h.DataOffset, size)
	}
	declared := int64(h.DataSize)
	data, end := declared, size
	stale := true
	if h.DataSize != 0xFFFFFFFF && declared <= avail && declared%ba == 0 {
		dataEnd := h.DataOffset + declared + declared&1
		if dataEnd >= size || chunkFollows(f, dataEnd, size) {
			stale = false
		}
	}
	if stale {
		data = avail - avail%ba
		limit := int64(0xFFFFFFFE) - (h.DataOffset - 8)
		if data > limit {
			data = limit - limit%ba // leave the excess: never cut audio
		} else {
			end = h.DataOffset + data
		}
	}
	if end < size {
		if err := f.Truncate(end); err != nil {
			return res, err
		}
		res.Truncated, res.Changed = size-end, true
	}
	le := binary.LittleEndian
	patch := func(off int64, old, v uint32) error {
		if old == v {
			return nil
		}
		var b [4]byte
		le.PutUint32(b[:], v)
		res.Changed = true
		_, err := f.WriteAt(b[:], off)
		return err
	}
	if err := patch(h.DataSizeOffset, h.DataSize, uint32(data)); err != nil {
		return res, err
	}
	if h.FactOffset >= 0 {
		if err := patch(h.FactOffset, h.FactSamples, uint32(data/ba*spb)); err != nil {
			return res, err
		}
	}
	if err := patch(4, h.RIFFSize, uint32(min(end-8, 0xFFFFFFFF))); err != nil {
		return res, err
	}
	res.Duration = samplesDuration(data/ba*spb, h.Format.SampleRate)
	return res, nil
}

// chunkFollows reports whether a plausible RIFF chunk header sits at off:
// an id of letters, digits and spaces (LIST, id3 , cue , bext...) and a
// size that fits in the file. Audio left behind a stale header by a kill
// is very unlikely to look like that (six constrained bytes).
func chunkFollows(f *os.File, off, size int64) bool {
	var b [8]byte
	if _, err := f.ReadAt(b[:], off); err != nil {
		return false
	}
	for _, c := range b[:4] {
		if !(c == ' ' || c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return off+8+int64(binary.LittleEndian.Uint32(b[4:])) <= size
}

func repairOgg(f *os.File, size int64) (Result, error) {
	or := NewOggReader(bufio.NewReaderSize(io.NewSectionReader(f, 0, size), 64<<10))
	var res Result
	var serial uint32
	var preSkip, granule int64
	pages := 0
	for {
		p, err := or.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if pages == 0 {
				return res, err
			}
			if !errors.Is(err, ErrShort) && validPageAfter(f, or.Offset()+1, size, serial) {
				return res, fmt.Errorf("%w: %w, valid pages follow", ErrCorrupt, err)
			}
			break
		}
		if pages == 0 {
			s := &OggOpus{}
			if len(p.Segments) == 0 || p.Segments[0] == 255 {
				return res, fmt.Errorf("%w: first page holds no OpusHead", ErrUnsupported)
			}
			if err := s.parseHead(p.Body[:p.Segments[0]]); err != nil {
				return res, err
			}
			serial, preSkip, res.Format = p.Serial, int64(s.PreSkip), s.Format
		} else if p.Serial != serial {
			return res, fmt.Errorf("%w: second logical stream %#08x", ErrUnsupported, p.Serial)
		}
		if p.Granule != -1 {
			granule = p.Granule
		}
		pages++
	}
	if end := or.Offset(); end < size {
		if err := f.Truncate(end); err != nil {
			return res, err
		}
		res.Truncated, res.Changed = size-end, true
	}
	res.Duration = samplesDuration(max(granule-preSkip, 0), 48000)
	return res, nil
}

// validPageAfter reports whether a CRC-valid page of stream serial starts
// anywhere in f at or after from.
func validPageAfter(f *os.File, from, size int64, serial uint32) bool {
	const chunk = 1 << 20
	buf := make([]byte, chunk+maxPageSize)
	for pos := from; pos < size; pos += chunk {
		n, _ := f.ReadAt(buf[:min(int64(len(buf)), size-pos)], pos)
		b := buf[:n]
		for i := 0; i < len(b) && i < chunk; {
			j := bytes.Index(b[i:], []byte("OggS"))
			if j < 0 || i+j >= chunk {
				break
			}
			i += j
			if p, _, err := ParsePage(b[i:]); err == nil && p.Serial == serial {
				return true
			}
			i++
		}
	}
	return false
}

func repairMP3(f *os.File, size int64) (Result, error) {
	s, err := scanMP3(io.NewSectionReader(f, 0, size))
	res := Result{Format: Format{Container: ContainerMP3, Encoding: EncodingMP3, SampleRate: s.rate, Channels: s.channels}}
	if err != nil {
		return res, err
	}
	if s.garbage {
		return res, fmt.Errorf("%w: no mp3 frame at offset %d", ErrCorrupt, s.end)
	}
	if s.partial && s.end < size {
		if err := f.Truncate(s.end); err != nil {
			return res, err
		}
		res.Truncated, res.Changed = size-s.end, true
	}
	res.Duration = samplesDuration(s.samples, s.rate)
	return res, nil
}
