package collect

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// Type is a frame's type.
type Type uint8

// Frame types. Client to collector: Hello, Open, Data, Header, Meta,
// Commit, Close, Remove. Collector to client: Welcome, Opened, Ack,
// Committed, Removed, Error.
const (
	TypeHello     Type = 1  // stream 0; body: version u8, token (u16 length + bytes), node (u16 length + bytes)
	TypeWelcome   Type = 2  // stream 0; empty body
	TypeOpen      Type = 3  // body: key
	TypeOpened    Type = 4  // body: durable size u64
	TypeData      Type = 5  // body: offset u64, crc32c u32, bytes
	TypeHeader    Type = 6  // as Data, within the first ship.HeaderWindow bytes
	TypeMeta      Type = 7  // body: recording (u16 length + bytes), sidecar JSON
	TypeCommit    Type = 8  // body: size u64, sha256 [32]
	TypeCommitted Type = 9  // body: size u64, location
	TypeClose     Type = 10 // empty body
	TypeRemove    Type = 11 // body: key
	TypeRemoved   Type = 12 // empty body
	TypeAck       Type = 13 // body: durable offset u64
	TypeError     Type = 14 // stream 0 for the connection; body: message
)

// Version is the protocol version HELLO carries.
const Version = 1

const (
	// HeaderLen is the length of a frame's fixed part: length u32,
	// type u8, stream u32.
	HeaderLen = 9
	// MaxData is the most bytes one DATA frame carries.
	MaxData = 256 << 10
	// MaxBody bounds every frame's body (DATA: 12 + MaxData; a sidecar
	// with many events fits too).
	MaxBody = 1 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Checksum is the CRC-32C of p, as DATA and HEADER carry it.
func Checksum(p []byte) uint32 { return crc32.Checksum(p, castagnoli) }

// appendHeader appends a frame header for a body of n bytes.
func appendHeader(dst []byte, t Type, stream uint32, n int) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(5+n))
	dst = append(dst, byte(t))
	return binary.BigEndian.AppendUint32(dst, stream)
}

// AppendFrame appends a frame whose body is body.
func AppendFrame(dst []byte, t Type, stream uint32, body []byte) []byte {
	return append(appendHeader(dst, t, stream, len(body)), body...)
}

// AppendHello appends a HELLO frame.
func AppendHello(dst []byte, token, node string) []byte {
	dst = appendHeader(dst, TypeHello, 0, 1+2+len(token)+2+len(node))
	dst = append(dst, Version)
	dst = appendString16(dst, token)
	return appendString16(dst, node)
}

// AppendData appends a DATA (or HEADER, with t) frame carrying p at off.
func AppendData(dst []byte, t Type, stream uint32, off int64, p []byte) []byte {
	dst = appendHeader(dst, t, stream, 12+len(p))
	dst = binary.BigEndian.AppendUint64(dst, uint64(off))
	dst = binary.BigEndian.AppendUint32(dst, Checksum(p))
	return append(dst, p...)
}

// AppendMeta appends a META frame.
func AppendMeta(dst []byte, stream uint32, recording string, sidecar []byte) []byte {
	dst = appendHeader(dst, TypeMeta, stream, 2+len(recording)+len(sidecar))
	dst = appendString16(dst, recording)
	return append(dst, sidecar...)
}

// AppendCommit appends a COMMIT frame.
func AppendCommit(dst []byte, stream uint32, size int64, sum [32]byte) []byte {
	dst = appendHeader(dst, TypeCommit, stream, 40)
	dst = binary.BigEndian.AppendUint64(dst, uint64(size))
	return append(dst, sum[:]...)
}

// AppendOffset appends a frame whose body is one u64 (ACK, OPENED).
func AppendOffset(dst []byte, t Type, stream uint32, off int64) []byte {
	dst = appendHeader(dst, t, stream, 8)
	return binary.BigEndian.AppendUint64(dst, uint64(off))
}

// AppendCommitted appends a COMMITTED frame.
func AppendCommitted(dst []byte, stream uint32, size int64, location string) []byte {
	dst = appendHeader(dst, TypeCommitted, stream, 8+len(location))
	dst = binary.BigEndian.AppendUint64(dst, uint64(size))
	return append(dst, location...)
}

func appendString16(dst []byte, s string) []byte {
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(s)))
	return append(dst, s...)
}

// ParseHeader reads a frame header from b (at least HeaderLen bytes)
// and returns the type, stream and body length.
func ParseHeader(b []byte) (t Type, stream uint32, n int, err error) {
	if len(b) < HeaderLen {
		return 0, 0, 0, fmt.Errorf("%w: header of %d bytes", ErrMalformed, len(b))
	}
	l := binary.BigEndian.Uint32(b)
	if l < 5 || l-5 > MaxBody {
		return 0, 0, 0, fmt.Errorf("%w: frame length %d", ErrMalformed, l)
	}
	t = Type(b[4])
	if t < TypeHello || t > TypeError {
		return 0, 0, 0, fmt.Errorf("%w: frame type %d", ErrMalformed, t)
	}
	return t, binary.BigEndian.Uint32(b[5:]), int(l - 5), nil
}

// ParseHello reads a HELLO body.
func ParseHello(b []byte) (version uint8, token, node string, err error) {
	if len(b) < 1 {
		return 0, "", "", fmt.Errorf("%w: empty HELLO", ErrMalformed)
	}
	version, b = b[0], b[1:]
	tok, b, err := string16(b)
	if err != nil {
		return 0, "", "", err
	}
	nd, b, err := string16(b)
	if err != nil {
		return 0, "", "", err
	}
	if len(b) != 0 {
		return 0, "", "", fmt.Errorf("%w: %d bytes after HELLO", ErrMalformed, len(b))
	}
	return version, string(tok), string(nd), nil
}

// ParseData reads a DATA or HEADER body and checks its CRC-32C; p is a
// sub-slice of b.
func ParseData(b []byte) (off int64, p []byte, err error) {
	if len(b) < 12 {
		return 0, nil, fmt.Errorf("%w: DATA body of %d bytes", ErrMalformed, len(b))
	}
	off = int64(binary.BigEndian.Uint64(b))
	if off < 0 {
		return 0, nil, fmt.Errorf("%w: offset %d", ErrMalformed, off)
	}
	p = b[12:]
	if want, got := binary.BigEndian.Uint32(b[8:]), Checksum(p); want != got {
		return off, nil, fmt.Errorf("%w: %d bytes at %d: crc32c %08x, frame says %08x", ErrChecksum, len(p), off, got, want)
	}
	return off, p, nil
}

// ParseMeta reads a META body; sidecar is a sub-slice of b.
func ParseMeta(b []byte) (recording string, sidecar []byte, err error) {
	r, rest, err := string16(b)
	if err != nil {
		return "", nil, err
	}
	return string(r), rest, nil
}

// ParseCommit reads a COMMIT body.
func ParseCommit(b []byte) (size int64, sum [32]byte, err error) {
	if len(b) != 40 {
		return 0, sum, fmt.Errorf("%w: COMMIT body of %d bytes", ErrMalformed, len(b))
	}
	size = int64(binary.BigEndian.Uint64(b))
	if size < 0 {
		return 0, sum, fmt.Errorf("%w: size %d", ErrMalformed, size)
	}
	return size, [32]byte(b[8:]), nil
}

// ParseOffset reads a body of one u64 (ACK, OPENED).
func ParseOffset(b []byte) (int64, error) {
	if len(b) != 8 {
		return 0, fmt.Errorf("%w: offset body of %d bytes", ErrMalformed, len(b))
	}
	return int64(binary.BigEndian.Uint64(b)), nil
}

// ParseCommitted reads a COMMITTED body.
func ParseCommitted(b []byte) (size int64, location string, err error) {
	if len(b) < 8 {
		return 0, "", fmt.Errorf("%w: COMMITTED body of %d bytes", ErrMalformed, len(b))
	}
	return int64(binary.BigEndian.Uint64(b)), string(b[8:]), nil
}

func string16(b []byte) (s, rest []byte, err error) {
	if len(b) < 2 {
		return nil, nil, fmt.Errorf("%w: string length cut short", ErrMalformed)
	}
	n := int(binary.BigEndian.Uint16(b))
	if len(b) < 2+n {
		return nil, nil, fmt.Errorf("%w: string of %d bytes, %d left", ErrMalformed, n, len(b)-2)
	}
	return b[2 : 2+n], b[2+n:], nil
}
