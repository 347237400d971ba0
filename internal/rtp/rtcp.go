package rtp

import (
	"encoding/binary"
	"fmt"
)

// RTCP packet types (RFC 3550 §12.1, RFC 4585 §6.1, RFC 3611 §2).
const (
	TypeSR    = 200 // sender report
	TypeRR    = 201 // receiver report
	TypeSDES  = 202 // source description
	TypeBYE   = 203 // goodbye
	TypeAPP   = 204 // application-defined
	TypeRTPFB = 205 // transport-layer feedback (RFC 4585)
	TypePSFB  = 206 // payload-specific feedback (RFC 4585)
	TypeXR    = 207 // extended reports (RFC 3611)
)

// RTCPHeaderSize is the size of the RTCP common header.
const RTCPHeaderSize = 4

// IsRTCP reports whether b, received on a port carrying both RTP and RTCP,
// is RTCP. RFC 5761 §4 demultiplexes on the second octet: with the marker
// bit masked off, RTCP packet types 192-223 read as payload types 64-95,
// which RTP must not use when muxing. The version must be 2 and b must hold
// at least the RTCP common header.
func IsRTCP(b []byte) bool {
	if len(b) < RTCPHeaderSize || b[0]>>6 != Version {
		return false
	}
	pt := b[1] & 0x7f
	return pt >= 64 && pt <= 95
}

// RTCPHeader is the common header every RTCP packet starts with
// (RFC 3550 §6.4.1):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|V=2|P|   RC    |      PT       |             length            |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Length is the packet's size in 32-bit words minus one, header included.
type RTCPHeader struct {
	Version uint8  // V: always 2 for a packet returned by RTCPReader
	Padding bool   // P: the packet ends with padding (only the last of a compound)
	Count   uint8  // RC/SC/subtype: 5 bits, meaning depends on Type
	Type    uint8  // PT: TypeSR, TypeRR, ...
	Length  uint16 // size in 32-bit words minus one
}

// RTCPPacket is one packet of a compound RTCP packet. Body and Raw alias
// the buffer given to the RTCPReader.
type RTCPPacket struct {
	RTCPHeader
	Offset int    // offset of the packet in the compound packet
	Raw    []byte // the whole packet: header, body and padding
	Body   []byte // the bytes after the common header, without padding
}

// RTCPReader walks the packets of a compound RTCP packet (RFC 3550 §6.1)
// without allocating. Use it like bufio.Scanner:
//
//	r := rtp.NewRTCPReader(b)
//	var p rtp.RTCPPacket
//	for r.Next(&p) {
//		switch p.Type { ... }
//	}
//	if err := r.Err(); err != nil { ... }
//
// It checks that every packet has version 2, a type in 192-223, a length
// that fits in the compound packet and, if padded, is the last one with a
// sane padding count. It does not insist that the first packet is an SR or
// RR: reduced-size RTCP (RFC 5506) sends lone feedback packets.
type RTCPReader struct {
	b   []byte
	off int
	err error
}

// NewRTCPReader returns a reader over the compound packet b.
func NewRTCPReader(b []byte) RTCPReader {
	return RTCPReader{b: b}
}

// Next fills p with the next packet and reports whether there was one. It
// returns false at the end of the compound packet or on the first error;
// Err tells which.
func (r *RTCPReader) Next(p *RTCPPacket) bool {
	if r.err != nil || r.off >= len(r.b) {
		return false
	}
	b, off := r.b[r.off:], r.off
	if len(b) < RTCPHeaderSize {
		r.err = fmt.Errorf("%w: rtcp header at offset %d needs %d bytes, have %d", ErrShortPacket, off, RTCPHeaderSize, len(b))
		return false
	}
	if v := b[0] >> 6; v != Version {
		r.err = fmt.Errorf("%w: %d in rtcp header at offset %d", ErrBadVersion, v, off)
		return false
	}
	if b[1] < 192 || b[1] > 223 {
		r.err = fmt.Errorf("%w: packet type %d at offset %d", ErrNotRTCP, b[1], off+1)
		return false
	}
	h := RTCPHeader{
		Version: Version,
		Padding: b[0]&0x20 != 0,
		Count:   b[0] & 0x1f,
		Type:    b[1],
		Length:  binary.BigEndian.Uint16(b[2:4]),
	}
	n := 4 * (int(h.Length) + 1)
	if n > len(b) {
		r.err = fmt.Errorf("%w: packet at offset %d announces %d bytes, %d left", ErrBadRTCPLength, off, n, len(b))
		return false
	}
	end := n
	if h.Padding {
		if n != len(b) {
			r.err = fmt.Errorf("%w: packet at offset %d of %d bytes, %d bytes follow", ErrRTCPPaddingNotLast, off, n, len(b)-n)
			return false
		}
		pad := int(b[n-1])
		if pad == 0 || pad > n-RTCPHeaderSize {
			r.err = fmt.Errorf("%w: rtcp count %d at offset %d, body of %d bytes", ErrBadPadding, pad, off+n-1, n-RTCPHeaderSize)
			return false
		}
		end = n - pad
	}
	*p = RTCPPacket{RTCPHeader: h, Offset: off, Raw: b[:n:n], Body: b[RTCPHeaderSize:end:end]}
	r.off += n
	return true
}

// Err returns the error that stopped Next, or nil if the compound packet
// was walked to its end.
func (r *RTCPReader) Err() error {
	return r.err
}

// ValidateRTCP walks the compound packet b and returns the first structural
// error, or nil. Besides what RTCPReader checks, it requires b to be
// non-empty.
func ValidateRTCP(b []byte) error {
	if len(b) == 0 {
		return fmt.Errorf("%w: empty rtcp packet", ErrShortPacket)
	}
	r := NewRTCPReader(b)
	var p RTCPPacket
	for r.Next(&p) {
	}
	return r.Err()
}
