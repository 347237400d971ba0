package collect

import "errors"

// Errors.
var (
	// ErrMalformed is a frame that cannot be decoded: bad length,
	// unknown type, body too short. The connection is closed.
	ErrMalformed = errors.New("collect: malformed frame")
	// ErrChecksum is a DATA or HEADER frame whose bytes do not match
	// their CRC-32C. The stream fails and is resumed by the client.
	ErrChecksum = errors.New("collect: frame checksum mismatch")
	// ErrAuth is a HELLO with a wrong token or version.
	ErrAuth = errors.New("collect: authentication refused")
	// ErrRemote wraps an ERROR the collector sent.
	ErrRemote = errors.New("collect: collector error")
	// ErrUnavailable is returned by Target.Open while the collector is
	// unreachable (after a failed dial, until the backoff ends).
	ErrUnavailable = errors.New("collect: collector unreachable")
	// ErrClosed is returned for objects whose connection was closed.
	ErrClosed = errors.New("collect: connection closed")
)
