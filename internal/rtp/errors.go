package rtp

import "errors"

// ErrShortPacket is returned (wrapped, with the length needed and the
// length available) when a packet or a structure inside it ends before
// the bytes its header announces.
var ErrShortPacket = errors.New("rtp: packet too short")

// ErrBadVersion is returned (wrapped, with the version found) when the
// version field of an RTP or RTCP header is not 2.
var ErrBadVersion = errors.New("rtp: bad version")

// ErrBadPadding is returned (wrapped, with the count and the room for it)
// when the P bit is set but the last octet's padding count is zero or
// larger than the bytes after the header (RFC 3550 §5.1).
var ErrBadPadding = errors.New("rtp: bad padding")

// ErrBadExtension is returned (wrapped) when a Header to be marshalled has
// extension data whose length is not ExtensionLength 32-bit words.
var ErrBadExtension = errors.New("rtp: bad header extension")

// ErrBadCSRCCount is returned (wrapped) when a Header to be marshalled has
// a CSRCCount above 15.
var ErrBadCSRCCount = errors.New("rtp: csrc count above 15")

// ErrBufferTooSmall is returned (wrapped, with the size needed) when the
// destination of MarshalTo cannot hold the header.
var ErrBufferTooSmall = errors.New("rtp: buffer too small")

// ErrNotRTCP is returned (wrapped, with the offset) when a packet inside an
// RTCP compound packet does not look like RTCP (RFC 5761 §4 range).
var ErrNotRTCP = errors.New("rtp: not an rtcp packet")

// ErrBadRTCPLength is returned (wrapped, with the offset and lengths) when
// an RTCP length field runs past the compound packet, or a packet's body
// is the wrong size for its type and count (RFC 3550 §6.4).
var ErrBadRTCPLength = errors.New("rtp: bad rtcp length")

// ErrRTCPPaddingNotLast is returned (wrapped, with the offset) when an RTCP
// packet other than the last one of a compound packet has the P bit set
// (RFC 3550 §6.4.1: padding is only on the last packet).
var ErrRTCPPaddingNotLast = errors.New("rtp: rtcp padding before last packet")

// ErrWrongRTCPType is returned (wrapped) when an RTCP block parser is handed
// a packet of another type, e.g. SenderReport given an RR.
var ErrWrongRTCPType = errors.New("rtp: wrong rtcp packet type")
