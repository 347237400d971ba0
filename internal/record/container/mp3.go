package container

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// MP3Frame is what [ParseMP3Header] learns from an MPEG audio frame header
// (ISO/IEC 11172-3 §2.4.1.3, 13818-3; MPEG-2.5 is the Fraunhofer
// extension):
//
//	AAAAAAAA AAABBCCD EEEEFFGH IIJJKLMM
//	A sync (11 ones)  B version (00 2.5, 10 2, 11 1)  C layer (01 III)
//	D no-CRC  E bitrate index  F sample rate index  G padding  I mode (11 mono)
type MP3Frame struct {
	SampleRate int
	Channels   int
	Bitrate    int // bits per second
	Size       int // bytes, header included
	Samples    int // sample frames: 1152 (MPEG-1) or 576
}

var (
	mp3Rates   = [4][3]int{{11025, 12000, 8000}, {}, {22050, 24000, 16000}, {44100, 48000, 32000}}
	mp3BR1     = [16]int{0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 0}
	mp3BR2     = [16]int{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, 0}
	errNotMP3  = errors.New("not an MPEG layer III frame header")
	id3v2Magic = "ID3"
)

// ParseMP3Header parses the 4-byte MPEG Layer III frame header at the start
// of b. Free-format bitrates and layers I and II are refused.
func ParseMP3Header(b []byte) (MP3Frame, error) {
	var f MP3Frame
	if len(b) < 4 {
		return f, fmt.Errorf("%w: mp3 frame header needs 4 bytes, have %d", ErrShort, len(b))
	}
	if b[0] != 0xFF || b[1]&0xE0 != 0xE0 {
		return f, fmt.Errorf("%w: %w (no sync)", ErrBadHeader, errNotMP3)
	}
	ver, layer := (b[1]>>3)&3, (b[1]>>1)&3
	bri, sri, pad := b[2]>>4, (b[2]>>2)&3, int(b[2]>>1)&1
	if ver == 1 || layer != 1 || bri == 0 || bri == 15 || sri == 3 {
		return f, fmt.Errorf("%w: %w (version %d layer %d bitrate %d rate %d)", ErrBadHeader, errNotMP3, ver, layer, bri, sri)
	}
	f.SampleRate = mp3Rates[ver][sri]
	f.Channels = 2
	if b[3]>>6 == 3 {
		f.Channels = 1
	}
	if ver == 3 {
		f.Bitrate = mp3BR1[bri] * 1000
		f.Samples = 1152
		f.Size = 144*f.Bitrate/f.SampleRate + pad
	} else {
		f.Bitrate = mp3BR2[bri] * 1000
		f.Samples = 576
		f.Size = 72*f.Bitrate/f.SampleRate + pad
	}
	return f, nil
}

// mp3Scan is the result of walking a bare MP3 stream.
type mp3Scan struct {
	frames, samples int64
	rate, channels  int
	end             int64 // offset just past the last complete frame (or ID3v1 tag)
	partial         bool  // the input ends inside a frame whose header is good
	garbage         bool  // a bad header was met before the end
}

// scanMP3 walks the frames of r, skipping a leading ID3v2 tag and
// accepting a trailing 128-byte ID3v1 tag.
func scanMP3(r io.Reader) (mp3Scan, error) {
	var s mp3Scan
	br := bufio.NewReaderSize(r, 64<<10)
	var off int64
	if h, _ := br.Peek(10); len(h) == 10 && string(h[:3]) == id3v2Magic {
		n := int64(h[6]&0x7f)<<21 | int64(h[7]&0x7f)<<14 | int64(h[8]&0x7f)<<7 | int64(h[9]&0x7f)
		n += 10
		if h[5]&0x10 != 0 {
			n += 10 // footer
		}
		d, err := br.Discard(int(n))
		off += int64(d)
		if err != nil {
			s.partial = true
			return s, nil
		}
	}
	s.end = off
	for {
		h, err := br.Peek(4)
		if len(h) == 0 && err == io.EOF {
			return s, nil
		}
		if err != nil && err != io.EOF {
			return s, fmt.Errorf("container: read mp3: %w", err)
		}
		if len(h) >= 3 && string(h[:3]) == "TAG" {
			if t, _ := br.Peek(129); len(t) == 128 {
				s.end = off + 128
				return s, nil
			}
		}
		f, perr := ParseMP3Header(h)
		if perr != nil {
			if len(h) < 4 {
				s.partial = true
			} else {
				s.garbage = true
			}
			return s, nil
		}
		d, derr := br.Discard(f.Size)
		off += int64(d)
		if derr != nil {
			if derr == io.EOF {
				s.partial = true
				return s, nil
			}
			return s, fmt.Errorf("container: read mp3: %w", derr)
		}
		s.frames++
		s.samples += int64(f.Samples)
		s.rate, s.channels = f.SampleRate, f.Channels
		s.end = off
	}
}
