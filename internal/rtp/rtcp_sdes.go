package rtp

import (
	"encoding/binary"
	"fmt"
)

// SDES item types (RFC 3550 §6.5).
const (
	SDESEnd   = 0 // end of a chunk's item list
	SDESCNAME = 1 // canonical end-point identifier
	SDESName  = 2 // user name
	SDESEmail = 3 // e-mail address
	SDESPhone = 4 // phone number
	SDESLoc   = 5 // geographic location
	SDESTool  = 6 // application or tool name
	SDESNote  = 7 // notice/status
	SDESPriv  = 8 // private extensions
)

// SDESItem is one item of an SDES chunk. Text aliases the packet.
type SDESItem struct {
	SSRC uint32 // the SSRC/CSRC of the chunk the item belongs to
	Type uint8  // SDESCNAME, SDESName, ...
	Text []byte // the item's value, up to 255 octets
}

// SDESReader walks the items of an SDES packet (RFC 3550 §6.5) without
// allocating:
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|V=2|P|    SC   |  PT=SDES=202  |             length            |
//	+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
//	|                          SSRC/CSRC_1                          |  chunk 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|    type=1     |     length    | text ...                      |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|  ... items, then a zero octet and zero padding to 32 bits     |
//	+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
//
// Chunks with no items yield nothing.
type SDESReader struct {
	b       []byte
	base    int // offset of b in the compound packet, for errors
	off     int
	chunks  int // chunks not yet started
	inChunk bool
	ssrc    uint32
	err     error
}

// NewSDESReader returns a reader over p's chunks, or an error if p is not
// an SDES packet.
func NewSDESReader(p *RTCPPacket) (SDESReader, error) {
	if p.Type != TypeSDES {
		return SDESReader{}, fmt.Errorf("%w: %d at offset %d, want SDES", ErrWrongRTCPType, p.Type, p.Offset)
	}
	return SDESReader{b: p.Body, base: p.Offset + RTCPHeaderSize, chunks: int(p.Count)}, nil
}

// Next fills it with the next item and reports whether there was one. It
// returns false after the last chunk or on the first error; Err tells
// which.
func (r *SDESReader) Next(it *SDESItem) bool {
	for r.err == nil {
		if !r.inChunk {
			if r.chunks == 0 {
				return false
			}
			if len(r.b)-r.off < 4 {
				r.err = fmt.Errorf("%w: sdes chunk at offset %d needs 4 bytes, have %d", ErrShortPacket, r.base+r.off, len(r.b)-r.off)
				return false
			}
			r.ssrc = binary.BigEndian.Uint32(r.b[r.off:])
			r.off += 4
			r.chunks--
			r.inChunk = true
		}
		if r.off >= len(r.b) {
			r.err = fmt.Errorf("%w: sdes chunk unterminated at offset %d", ErrShortPacket, r.base+r.off)
			return false
		}
		if r.b[r.off] == SDESEnd {
			// The terminating null and the padding after it end the chunk
			// on a 32-bit boundary (the body itself starts on one).
			r.off = (r.off + 4) &^ 3
			if r.off > len(r.b) {
				r.err = fmt.Errorf("%w: sdes chunk padding runs to offset %d, body ends at %d", ErrShortPacket, r.base+r.off, r.base+len(r.b))
				return false
			}
			r.inChunk = false
			continue
		}
		if len(r.b)-r.off < 2 {
			r.err = fmt.Errorf("%w: sdes item at offset %d needs 2 bytes, have %d", ErrShortPacket, r.base+r.off, len(r.b)-r.off)
			return false
		}
		n := int(r.b[r.off+1])
		start := r.off + 2
		if len(r.b)-start < n {
			r.err = fmt.Errorf("%w: sdes item at offset %d of %d bytes, have %d", ErrShortPacket, r.base+r.off, n, len(r.b)-start)
			return false
		}
		*it = SDESItem{SSRC: r.ssrc, Type: r.b[r.off], Text: r.b[start : start+n : start+n]}
		r.off = start + n
		return true
	}
	return false
}

// Err returns the error that stopped Next, or nil.
func (r *SDESReader) Err() error {
	return r.err
}
