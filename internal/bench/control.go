package bench

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
)

// CallIDs names one call on the relay.
type CallIDs struct {
	CallID  string
	FromTag string
	ToTag   string
}

// Controller drives one relay over its control protocol. A Controller is
// used by one goroutine at a time; Run opens one per control worker.
type Controller interface {
	// Offer creates the call with the caller's media address and returns
	// the relay address the callee must send to (rtpproxy U, ng offer).
	Offer(ctx context.Context, c CallIDs, caller netip.AddrPort) (netip.AddrPort, error)
	// Answer completes the call with the callee's media address and
	// returns the relay address the caller must send to (rtpproxy L,
	// ng answer).
	Answer(ctx context.Context, c CallIDs, callee netip.AddrPort) (netip.AddrPort, error)
	// Record asks the relay to record the call (rtpproxy R; ng
	// start recording).
	Record(ctx context.Context, c CallIDs) error
	// Delete removes the call (rtpproxy D, ng delete).
	Delete(ctx context.Context, c CallIDs) error
	// Close releases the control socket.
	Close() error
}

// NewController opens a Controller for spec:
//
//	udp:HOST:PORT    rtpproxy protocol over UDP (with cookies)
//	unix:/PATH       rtpproxy protocol over a UNIX stream socket
//	ng:HOST:PORT     rtpengine ng protocol (bencode over UDP)
func NewController(spec string) (Controller, error) {
	scheme, rest, ok := strings.Cut(spec, ":")
	if !ok {
		return nil, fmt.Errorf("%w: control %q: want udp:HOST:PORT, unix:/PATH or ng:HOST:PORT", ErrConfig, spec)
	}
	switch scheme {
	case "udp", "udp4":
		return newRtppUDP(rest)
	case "unix":
		return &rtppUnix{path: rest}, nil
	case "ng":
		return newNG(rest)
	}
	return nil, fmt.Errorf("%w: control %q: unknown scheme %q", ErrConfig, spec, scheme)
}
