package container

import (
	"encoding/binary"
	"fmt"
	"io"
)

// WAVHeader is what [ParseWAVHeader] learns from a RIFF/WAVE header: the
// format and where the size fields and the data are.
type WAVHeader struct {
	Format Format
	// RIFFSize is the size field of the RIFF chunk (file size - 8 in a
	// consistent file).
	RIFFSize uint32
	// DataOffset is where the data chunk's payload starts; DataSizeOffset
	// where its 32-bit size field is.
	DataOffset, DataSizeOffset int64
	// DataSize is the data chunk's declared size, which may exceed the
	// file (crash, 0xFFFFFFFF streaming headers) or fall short of it.
	DataSize uint32
	// FactOffset is the offset of the fact chunk's sample count, or -1.
	FactOffset int64
	// FactSamples is the fact chunk's sample count (0 without one).
	FactSamples uint32
}

// MaxWAVHeader bounds how many leading bytes [ParseWAVHeader] needs: the
// data chunk must start within this many bytes.
const MaxWAVHeader = 64 << 10

// ParseWAVHeader parses the RIFF/WAVE header at the start of b, walking the
// chunks up to the data chunk (skipping unknown ones such as LIST). b need
// only hold the header, not the data. Every read is bounds-checked; errors
// wrap [ErrShort], [ErrBadHeader] or [ErrUnsupported].
//
// It reads the format tags this package writes: PCM (8 or 16 bits), A-law,
// µ-law and GSM 06.10, mono or stereo, at 8000, 16000 or 48000 Hz.
func ParseWAVHeader(b []byte) (WAVHeader, error) {
	le := binary.LittleEndian
	h := WAVHeader{FactOffset: -1}
	if len(b) < 12 {
		return h, fmt.Errorf("%w: riff header needs 12 bytes, have %d", ErrShort, len(b))
	}
	if string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return h, fmt.Errorf("%w: not a RIFF/WAVE file (%q %q)", ErrBadHeader, b[0:4], b[8:12])
	}
	h.RIFFSize = le.Uint32(b[4:8])
	var fmtSeen bool
	var tag uint16
	var blockAlign int
	off := 12
	for {
		if len(b)-off < 8 {
			return h, fmt.Errorf("%w: chunk header at %d needs 8 bytes, have %d (no data chunk)", ErrShort, off, len(b)-off)
		}
		id, size := string(b[off:off+4]), le.Uint32(b[off+4:off+8])
		body := off + 8
		if id == "data" {
			if !fmtSeen {
				return h, fmt.Errorf("%w: data chunk at %d before fmt chunk", ErrBadHeader, off)
			}
			h.DataSizeOffset, h.DataOffset, h.DataSize = int64(off+4), int64(body), size
			break
		}
		if uint64(size) > uint64(len(b)-body) {
			return h, fmt.Errorf("%w: %q chunk at %d declares %d bytes, have %d", ErrShort, id, off, size, len(b)-body)
		}
		c := b[body : body+int(size)]
		switch id {
		case "fmt ":
			if len(c) < 16 {
				return h, fmt.Errorf("%w: fmt chunk of %d bytes, need 16", ErrBadHeader, len(c))
			}
			fmtSeen = true
			tag = le.Uint16(c[0:2])
			h.Format.Channels = int(le.Uint16(c[2:4]))
			h.Format.SampleRate = int(le.Uint32(c[4:8]))
			blockAlign = int(le.Uint16(c[12:14]))
			h.Format.BitsPerSample = int(le.Uint16(c[14:16]))
			if tag == waveGSM610 {
				if len(c) < 20 || le.Uint16(c[16:18]) < 2 || le.Uint16(c[18:20]) != GSMSamplesPerBlock {
					return h, fmt.Errorf("%w: gsm fmt chunk without 320 samples per block", ErrUnsupported)
				}
			}
		case "fact":
			if len(c) < 4 {
				return h, fmt.Errorf("%w: fact chunk of %d bytes, need 4", ErrBadHeader, len(c))
			}
			h.FactOffset, h.FactSamples = int64(body), le.Uint32(c[0:4])
		}
		off = body + int(size) + int(size&1) // chunks are padded to even sizes
	}
	fm := &h.Format
	fm.Container = ContainerWAV
	switch {
	case tag == wavePCM && fm.BitsPerSample == 16:
		fm.Encoding = EncodingPCM16
	case tag == wavePCM && fm.BitsPerSample == 8:
		fm.Encoding = EncodingPCM8
	case tag == waveMuLaw:
		fm.Encoding = EncodingPCMU
	case tag == waveALaw:
		fm.Encoding = EncodingPCMA
	case tag == waveGSM610:
		fm.Encoding = EncodingGSM
	default:
		return h, fmt.Errorf("%w: wav format tag %#04x with %d bits per sample", ErrUnsupported, tag, fm.BitsPerSample)
	}
	if err := fm.Validate(); err != nil {
		return h, fmt.Errorf("%w: %w", ErrUnsupported, err)
	}
	fm.BitsPerSample = fm.Bits() // µ-law and A-law headers may say 0
	if blockAlign != fm.BlockAlign() {
		return h, fmt.Errorf("%w: block align %d, want %d for %d-channel %s", ErrBadHeader, blockAlign, fm.BlockAlign(), fm.Channels, fm.Encoding)
	}
	return h, nil
}

// ReadWAV reads a whole WAV file from r and returns its format and the
// payload of its data chunk, a sub-slice of what was read. A data size of
// 0xFFFFFFFF (streaming header) means "to the end of the input". When the
// data chunk declares more bytes than are present, ReadWAV returns the whole
// blocks that are there and an error wrapping [ErrTruncated].
func ReadWAV(r io.Reader) (Format, []byte, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return Format{}, nil, fmt.Errorf("container: read wav: %w", err)
	}
	return parseWAV(b)
}

func parseWAV(b []byte) (Format, []byte, error) {
	h, err := ParseWAVHeader(b)
	if err != nil {
		return h.Format, nil, err
	}
	avail := int64(len(b)) - h.DataOffset
	if h.DataSize == 0xFFFFFFFF {
		n := avail - avail%int64(h.Format.BlockAlign())
		return h.Format, b[h.DataOffset : h.DataOffset+n], nil
	}
	if int64(h.DataSize) > avail {
		n := avail - avail%int64(h.Format.BlockAlign())
		return h.Format, b[h.DataOffset : h.DataOffset+n],
			fmt.Errorf("%w: data chunk declares %d bytes, %d present", ErrTruncated, h.DataSize, avail)
	}
	return h.Format, b[h.DataOffset : h.DataOffset+int64(h.DataSize)], nil
}
