package rtp

import (
	"encoding/binary"
	"fmt"
)

// HeaderSize is the size of the RTP fixed header, without CSRCs or
// extension (RFC 3550 §5.1).
const HeaderSize = 12

// MaxCSRC is the largest number of CSRC identifiers a header can carry
// (the CC field is 4 bits wide).
const MaxCSRC = 15

// Version is the RTP (and RTCP) protocol version this package speaks.
const Version = 2

// Header is the RTP fixed header, its CSRC list and the header extension
// (RFC 3550 §5.1, §5.3.1):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|V=2|P|X|  CC   |M|     PT      |       sequence number         |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                           timestamp                           |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|           synchronization source (SSRC) identifier            |
//	+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
//	|            contributing source (CSRC) identifiers             |
//	|                 (CC of them, 4 octets each)                   |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|      defined by profile       |           length              |  if X
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                        header extension                       |
//	|             (length 32-bit words, after this word)            |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                        payload ...                            |
//	|                               +-------------------------------+
//	|                               | padding ...   | pad count (P) |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// A Header is a plain value owned by the caller; Unmarshal overwrites every
// field. ExtensionData aliases the buffer given to Unmarshal.
type Header struct {
	Version        uint8  // V: always 2 after a successful Unmarshal
	Padding        bool   // P: the packet ends with PaddingSize padding octets
	Extension      bool   // X: a header extension follows the CSRC list
	Marker         bool   // M: profile-defined (e.g. start of a talkspurt)
	PayloadType    uint8  // PT: 7 bits
	SequenceNumber uint16 // increments by one per packet, wraps at 65535
	Timestamp      uint32 // sampling instant, in the payload's clock rate
	SSRC           uint32 // synchronisation source

	CSRCCount uint8           // CC: number of valid entries in CSRC
	CSRC      [MaxCSRC]uint32 // contributing sources; only CSRC[:CSRCCount] are meaningful

	// ExtensionProfile and ExtensionLength are the first word of the
	// header extension (X set): the profile-defined 16 bits (0xBEDE for
	// RFC 8285 one-byte extensions) and the length in 32-bit words that
	// follow. ExtensionData is those 4*ExtensionLength octets.
	ExtensionProfile uint16
	ExtensionLength  uint16
	ExtensionData    []byte

	// PaddingSize is the number of padding octets at the end of the packet,
	// count octet included; zero unless Padding. The payload of a packet b
	// is b[payloadOffset : len(b)-int(PaddingSize)].
	PaddingSize uint8
}

// Peek reads the fields a relay needs from an RTP packet without parsing the
// rest: ok is false if b is shorter than the fixed header or the version is
// not 2. It does not tell RTP from RTCP; use IsRTCP for that.
func Peek(b []byte) (ssrc uint32, seq uint16, ts uint32, pt uint8, ok bool) {
	if len(b) < HeaderSize || b[0]>>6 != Version {
		return 0, 0, 0, 0, false
	}
	return binary.BigEndian.Uint32(b[8:12]), binary.BigEndian.Uint16(b[2:4]),
		binary.BigEndian.Uint32(b[4:8]), b[1] & 0x7f, true
}

// Unmarshal parses the RTP header at the start of b into h and returns the
// offset at which the payload starts. It checks that the CSRC list and the
// header extension fit in b and that the padding count (P set) is non-zero
// and fits between the header and the end of b. The payload is
// b[payloadOffset : len(b)-int(h.PaddingSize)]; h.ExtensionData aliases b.
func (h *Header) Unmarshal(b []byte) (payloadOffset int, err error) {
	if len(b) < HeaderSize {
		return 0, fmt.Errorf("%w: fixed header needs %d bytes, have %d", ErrShortPacket, HeaderSize, len(b))
	}
	if v := b[0] >> 6; v != Version {
		return 0, fmt.Errorf("%w: %d at offset 0", ErrBadVersion, v)
	}
	h.Version = Version
	h.Padding = b[0]&0x20 != 0
	h.Extension = b[0]&0x10 != 0
	h.CSRCCount = b[0] & 0x0f
	h.Marker = b[1]&0x80 != 0
	h.PayloadType = b[1] & 0x7f
	h.SequenceNumber = binary.BigEndian.Uint16(b[2:4])
	h.Timestamp = binary.BigEndian.Uint32(b[4:8])
	h.SSRC = binary.BigEndian.Uint32(b[8:12])

	off := HeaderSize + 4*int(h.CSRCCount)
	if len(b) < off {
		return 0, fmt.Errorf("%w: %d csrcs need %d bytes, have %d", ErrShortPacket, h.CSRCCount, off, len(b))
	}
	for i := range int(h.CSRCCount) {
		h.CSRC[i] = binary.BigEndian.Uint32(b[HeaderSize+4*i:])
	}
	clear(h.CSRC[h.CSRCCount:]) // stale entries would make equal headers differ

	h.ExtensionProfile, h.ExtensionLength, h.ExtensionData = 0, 0, nil
	if h.Extension {
		if len(b) < off+4 {
			return 0, fmt.Errorf("%w: extension header at offset %d needs %d bytes, have %d", ErrShortPacket, off, off+4, len(b))
		}
		h.ExtensionProfile = binary.BigEndian.Uint16(b[off:])
		h.ExtensionLength = binary.BigEndian.Uint16(b[off+2:])
		start := off + 4
		off = start + 4*int(h.ExtensionLength)
		if len(b) < off {
			return 0, fmt.Errorf("%w: extension of %d words at offset %d needs %d bytes, have %d",
				ErrShortPacket, h.ExtensionLength, start, off, len(b))
		}
		h.ExtensionData = b[start:off:off]
	}

	h.PaddingSize = 0
	if h.Padding {
		// The count includes itself, so zero is malformed; a count reaching
		// into the header would make the payload bounds negative.
		n := b[len(b)-1]
		if n == 0 || int(n) > len(b)-off {
			return 0, fmt.Errorf("%w: count %d at offset %d, %d bytes after header at offset %d",
				ErrBadPadding, n, len(b)-1, len(b)-off, off)
		}
		h.PaddingSize = n
	}
	return off, nil
}

// MarshalSize returns the number of bytes MarshalTo writes for h: fixed
// header, CSRC list and, if Extension, the extension word and data.
func (h *Header) MarshalSize() int {
	n := HeaderSize + 4*int(h.CSRCCount)
	if h.Extension {
		n += 4 + len(h.ExtensionData)
	}
	return n
}

// MarshalTo writes h into b and returns the number of bytes written
// (MarshalSize). It writes the header only: the payload, and the padding
// octets announced by the P bit, are the caller's to append. The version
// written is h.Version; the extension data must be exactly
// 4*ExtensionLength bytes.
func (h *Header) MarshalTo(b []byte) (int, error) {
	if h.CSRCCount > MaxCSRC {
		return 0, fmt.Errorf("%w: %d", ErrBadCSRCCount, h.CSRCCount)
	}
	if h.Extension && len(h.ExtensionData) != 4*int(h.ExtensionLength) {
		return 0, fmt.Errorf("%w: length %d words but %d bytes of data", ErrBadExtension, h.ExtensionLength, len(h.ExtensionData))
	}
	n := h.MarshalSize()
	if len(b) < n {
		return 0, fmt.Errorf("%w: need %d bytes, have %d", ErrBufferTooSmall, n, len(b))
	}
	b[0] = (h.Version&3)<<6 | h.CSRCCount
	if h.Padding {
		b[0] |= 0x20
	}
	if h.Extension {
		b[0] |= 0x10
	}
	b[1] = h.PayloadType & 0x7f
	if h.Marker {
		b[1] |= 0x80
	}
	binary.BigEndian.PutUint16(b[2:4], h.SequenceNumber)
	binary.BigEndian.PutUint32(b[4:8], h.Timestamp)
	binary.BigEndian.PutUint32(b[8:12], h.SSRC)
	off := HeaderSize
	for _, c := range h.CSRC[:h.CSRCCount] {
		binary.BigEndian.PutUint32(b[off:], c)
		off += 4
	}
	if h.Extension {
		binary.BigEndian.PutUint16(b[off:], h.ExtensionProfile)
		binary.BigEndian.PutUint16(b[off+2:], h.ExtensionLength)
		off += 4
		off += copy(b[off:], h.ExtensionData)
	}
	return off, nil
}

// Marshal returns h encoded in a new slice; see MarshalTo. It allocates and
// is meant for tests and tools, not the relay's hot path.
func (h *Header) Marshal() ([]byte, error) {
	b := make([]byte, h.MarshalSize())
	n, err := h.MarshalTo(b)
	if err != nil {
		return nil, err
	}
	return b[:n], nil
}
