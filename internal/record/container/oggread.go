package container

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// OggOpus is an Ogg Opus stream as read by [ReadOgg].
type OggOpus struct {
	Format   Format // container ogg, encoding opus, OpusHead's rate and channels
	PreSkip  int    // 48 kHz samples to drop at the start
	Gain     int    // output gain, Q7.8 dB
	Serial   uint32
	Vendor   string
	Comments []string
	// Packets are the audio packets in order, each a fresh copy.
	Packets [][]byte
	// Granule is the granule position of the last page with one, in
	// 48 kHz samples, pre-skip included.
	Granule int64
	Pages   int
	EOS     bool // the last page has the EOS flag
}

// Duration is the playable length: (Granule - PreSkip) / 48 kHz.
func (s *OggOpus) Duration() time.Duration {
	return samplesDuration(max(s.Granule-int64(s.PreSkip), 0), 48000)
}

// ReadOgg reads an Ogg Opus stream from r, verifying every page CRC and the
// page sequence, parsing the two Opus headers and reassembling packets
// across pages. Only a single logical stream is read (no multiplexing or
// chaining: [ErrUnsupported]). When the input ends inside a page, ReadOgg
// returns what it read up to the last complete page and an error wrapping
// [ErrShort].
func ReadOgg(r io.Reader) (*OggOpus, error) {
	s := &OggOpus{}
	or := NewOggReader(r)
	var pkt []byte
	npkt := 0 // packets completed, headers included
	for {
		p, err := or.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return s, err
		}
		switch {
		case s.Pages == 0:
			if p.HeaderType&PageBOS == 0 {
				return s, fmt.Errorf("%w: first page lacks BOS", ErrBadHeader)
			}
			s.Serial = p.Serial
		case p.Serial != s.Serial || p.HeaderType&PageBOS != 0:
			return s, fmt.Errorf("%w: second logical stream %#08x at page %d", ErrUnsupported, p.Serial, s.Pages)
		case s.EOS:
			return s, fmt.Errorf("%w: page after EOS", ErrUnsupported)
		}
		if p.Sequence != uint32(s.Pages) {
			return s, fmt.Errorf("%w: page sequence %d, want %d (page lost)", ErrBadHeader, p.Sequence, s.Pages)
		}
		if (p.HeaderType&PageContinued != 0) != (len(pkt) > 0) {
			return s, fmt.Errorf("%w: page %d continuation flag %v, unfinished packet %v", ErrBadHeader, s.Pages, p.HeaderType&PageContinued != 0, len(pkt) > 0)
		}
		s.Pages++
		s.EOS = p.HeaderType&PageEOS != 0
		if p.Granule != -1 {
			s.Granule = p.Granule
		}
		body := p.Body
		for _, l := range p.Segments {
			pkt = append(pkt, body[:l]...)
			body = body[l:]
			if l == 255 {
				continue
			}
			switch npkt {
			case 0:
				err = s.parseHead(pkt)
			case 1:
				err = s.parseTags(pkt)
			default:
				s.Packets = append(s.Packets, pkt)
			}
			if err != nil {
				return s, err
			}
			npkt++
			pkt = nil
		}
	}
	if npkt < 2 {
		return s, fmt.Errorf("%w: stream ends before the opus headers", ErrShort)
	}
	return s, nil
}

// parseHead parses the ID header (RFC 7845 §5.1).
func (s *OggOpus) parseHead(b []byte) error {
	if len(b) < 19 || string(b[:8]) != "OpusHead" {
		return fmt.Errorf("%w: first packet is not an OpusHead (%d bytes)", ErrUnsupported, len(b))
	}
	if b[8]>>4 != 0 {
		return fmt.Errorf("%w: opus header version %d", ErrUnsupported, b[8])
	}
	if b[18] != 0 {
		return fmt.Errorf("%w: opus channel mapping family %d", ErrUnsupported, b[18])
	}
	le := binary.LittleEndian
	s.Format = Format{Container: ContainerOgg, Encoding: EncodingOpus, Channels: int(b[9]), SampleRate: int(le.Uint32(b[12:16]))}
	s.PreSkip = int(le.Uint16(b[10:12]))
	s.Gain = int(int16(le.Uint16(b[16:18])))
	if s.Format.Channels < 1 || s.Format.Channels > 2 {
		return fmt.Errorf("%w: %d channels with mapping family 0", ErrBadHeader, s.Format.Channels)
	}
	return nil
}

// parseTags parses the comment header (RFC 7845 §5.2), bounds-checked.
func (s *OggOpus) parseTags(b []byte) error {
	le := binary.LittleEndian
	bad := errors.New("short or malformed OpusTags")
	if len(b) < 16 || string(b[:8]) != "OpusTags" {
		return fmt.Errorf("%w: %w", ErrBadHeader, bad)
	}
	b = b[8:]
	str := func() (string, bool) {
		if len(b) < 4 {
			return "", false
		}
		n := le.Uint32(b)
		if uint64(n) > uint64(len(b)-4) {
			return "", false
		}
		v := string(b[4 : 4+n])
		b = b[4+n:]
		return v, true
	}
	v, ok := str()
	if !ok || len(b) < 4 {
		return fmt.Errorf("%w: %w", ErrBadHeader, bad)
	}
	s.Vendor = v
	n := le.Uint32(b)
	b = b[4:]
	if uint64(n) > uint64(len(b)/4) {
		return fmt.Errorf("%w: %d comments in %d bytes", ErrBadHeader, n, len(b))
	}
	for range n {
		c, ok := str()
		if !ok {
			return fmt.Errorf("%w: %w", ErrBadHeader, bad)
		}
		s.Comments = append(s.Comments, c)
	}
	return nil
}
