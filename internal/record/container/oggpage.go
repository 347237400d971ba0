package container

import (
	"encoding/binary"
	"fmt"
	"io"
)

// Ogg page header_type flags (RFC 3533 §6).
const (
	PageContinued = 0x01 // first packet on the page continues one from the previous page
	PageBOS       = 0x02 // first page of a logical bitstream
	PageEOS       = 0x04 // last page of a logical bitstream
)

// Page sizes: a page has at most 255 lacing values of at most 255 bytes.
const (
	pageHeaderLen = 27
	maxPageBody   = 255 * 255
	maxPageSize   = pageHeaderLen + 255 + maxPageBody
)

// Page is one Ogg page (RFC 3533 §6):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	| capture_pattern: "OggS"                                       |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	| version (0)   | header_type   | granule_position (64, LE) ... |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	| ...                                                           |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	| ...           | bitstream_serial_number (LE)                  |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	| ...           | page_sequence_number (LE)                     |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	| ...           | CRC_checksum (LE)                             |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	| ...           | page_segments | segment_table (page_segments) |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	| body: the sum of the segment table's lacing values            |
//
// Segments and Body are sub-slices of the parsed input.
type Page struct {
	HeaderType byte
	Granule    int64 // -1: no packet ends on this page
	Serial     uint32
	Sequence   uint32
	Segments   []byte // lacing values
	Body       []byte
}

// Size is the page's encoded length.
func (p *Page) Size() int { return pageHeaderLen + len(p.Segments) + len(p.Body) }

// appendPage appends the encoded page to dst, computing the CRC. It does not
// allocate when dst has room.
func appendPage(dst []byte, typ byte, granule int64, serial, seq uint32, lacing, body []byte) []byte {
	le := binary.LittleEndian
	start := len(dst)
	dst = append(dst, "OggS"...)
	dst = append(dst, 0, typ)
	dst = le.AppendUint64(dst, uint64(granule))
	dst = le.AppendUint32(dst, serial)
	dst = le.AppendUint32(dst, seq)
	dst = le.AppendUint32(dst, 0) // CRC, computed with this field zero
	dst = append(dst, byte(len(lacing)))
	dst = append(dst, lacing...)
	dst = append(dst, body...)
	le.PutUint32(dst[start+22:], oggCRC(0, dst[start:]))
	return dst
}

// Marshal returns the encoded page with a fresh CRC.
func (p *Page) Marshal() []byte {
	return appendPage(make([]byte, 0, p.Size()), p.HeaderType, p.Granule, p.Serial, p.Sequence, p.Segments, p.Body)
}

// ParsePage parses the page at the start of b, verifies its CRC and returns
// it with its length. Errors wrap [ErrShort] (b ends inside the page),
// [ErrBadHeader] or [ErrBadCRC].
func ParsePage(b []byte) (Page, int, error) {
	var p Page
	if len(b) < pageHeaderLen {
		return p, 0, fmt.Errorf("%w: ogg page header needs %d bytes, have %d", ErrShort, pageHeaderLen, len(b))
	}
	if string(b[0:4]) != "OggS" {
		return p, 0, fmt.Errorf("%w: no OggS capture pattern (%q)", ErrBadHeader, b[0:4])
	}
	if b[4] != 0 {
		return p, 0, fmt.Errorf("%w: ogg stream structure version %d", ErrBadHeader, b[4])
	}
	nseg := int(b[26])
	if len(b) < pageHeaderLen+nseg {
		return p, 0, fmt.Errorf("%w: segment table needs %d bytes, have %d", ErrShort, nseg, len(b)-pageHeaderLen)
	}
	seg := b[pageHeaderLen : pageHeaderLen+nseg]
	n := pageHeaderLen + nseg
	for _, l := range seg {
		n += int(l)
	}
	if len(b) < n {
		return p, 0, fmt.Errorf("%w: page of %d bytes, have %d", ErrShort, n, len(b))
	}
	le := binary.LittleEndian
	if err := checkCRC(b[:n]); err != nil {
		return p, 0, err
	}
	p = Page{
		HeaderType: b[5],
		Granule:    int64(le.Uint64(b[6:14])),
		Serial:     le.Uint32(b[14:18]),
		Sequence:   le.Uint32(b[18:22]),
		Segments:   seg,
		Body:       b[pageHeaderLen+nseg : n],
	}
	return p, n, nil
}

// checkCRC verifies the CRC of the complete encoded page pg.
func checkCRC(pg []byte) error {
	want := binary.LittleEndian.Uint32(pg[22:26])
	crc := oggCRC(0, pg[:22])
	crc = oggCRC(crc, []byte{0, 0, 0, 0})
	crc = oggCRC(crc, pg[26:])
	if crc != want {
		return fmt.Errorf("%w: computed %#08x, page says %#08x", ErrBadCRC, crc, want)
	}
	return nil
}

// OggReader walks the pages of an Ogg stream read from an io.Reader,
// verifying each CRC. It holds one page at a time in a buffer it reuses.
type OggReader struct {
	r      io.Reader
	buf    []byte
	offset int64 // where the next page starts
}

// NewOggReader returns a reader of the pages in r.
func NewOggReader(r io.Reader) *OggReader {
	return &OggReader{r: r, buf: make([]byte, 0, 8192)}
}

// Offset returns the stream offset just past the last page Next returned.
func (o *OggReader) Offset() int64 { return o.offset }

// Next returns the next page, valid until the following call. At a clean
// end of input it returns io.EOF; a page cut short returns an error
// wrapping [ErrShort]; a damaged page [ErrBadHeader] or [ErrBadCRC]. The
// offset only advances past good pages.
func (o *OggReader) Next() (Page, error) {
	b := o.buf[:pageHeaderLen]
	if n, err := io.ReadFull(o.r, b); err != nil {
		if err == io.EOF {
			return Page{}, io.EOF
		}
		if err == io.ErrUnexpectedEOF {
			return Page{}, fmt.Errorf("%w: page header at %d cut after %d bytes", ErrShort, o.offset, n)
		}
		return Page{}, fmt.Errorf("container: read ogg: %w", err)
	}
	if string(b[0:4]) != "OggS" || b[4] != 0 {
		return Page{}, fmt.Errorf("%w: no ogg page at offset %d", ErrBadHeader, o.offset)
	}
	nseg := int(b[26])
	b = o.buf[:pageHeaderLen+nseg]
	if _, err := io.ReadFull(o.r, b[pageHeaderLen:]); err != nil {
		return Page{}, o.readErr(err)
	}
	n := len(b)
	for _, l := range b[pageHeaderLen:] {
		n += int(l)
	}
	if cap(o.buf) < n {
		nb := make([]byte, len(b), maxPageSize)
		copy(nb, b)
		o.buf = nb
	}
	b = o.buf[:n]
	if _, err := io.ReadFull(o.r, b[pageHeaderLen+nseg:]); err != nil {
		return Page{}, o.readErr(err)
	}
	p, _, err := ParsePage(b)
	if err != nil {
		return Page{}, fmt.Errorf("page at offset %d: %w", o.offset, err)
	}
	o.offset += int64(n)
	return p, nil
}

func (o *OggReader) readErr(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("%w: page at offset %d cut short", ErrShort, o.offset)
	}
	return fmt.Errorf("container: read ogg: %w", err)
}
