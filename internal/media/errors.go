package media

import "errors"

var (
	// ErrNoSession means no session matches the Call-ID and tags given.
	ErrNoSession = errors.New("media: no such session")
	// ErrPortsExhausted means the configured port range has no free
	// RTP/RTCP pair left.
	ErrPortsExhausted = errors.New("media: port range exhausted")
	// ErrOverload means the node refuses new sessions (max_sessions).
	ErrOverload = errors.New("media: overloaded")
	// ErrShutdown means the node is shutting down and takes no new work.
	ErrShutdown = errors.New("media: shutting down")
	// ErrBadAddress means a signalled address or port is not usable.
	ErrBadAddress = errors.New("media: bad address")
	// ErrAddressFamily means the remote address family cannot be relayed
	// from the node's listen address (IPv6 remote on an IPv4 node).
	ErrAddressFamily = errors.New("media: address family not served")
)
