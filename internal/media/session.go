package media

import (
	"net/netip"
	"sync/atomic"
)

// party indexes: the caller made the first offer (the From tag of the
// first U); the callee answered it.
const (
	caller = 0
	callee = 1
)

// kind indexes of a socket pair.
const (
	kindRTP  = 0
	kindRTCP = 1
)

// peer is what the controller signalled about one party. It is immutable
// once published: a re-signal publishes a new value.
type peer struct {
	addr       sockaddr // where the party wants its RTP; unset until signalled
	hold       bool     // 0.0.0.0 (RFC 2543 hold) or port 0: send nothing
	asymmetric bool     // never latch; send to addr only
	moved      bool     // addr differs from the previous signal: stop using the old latch
	at         int64    // unix nanos of the signal, for the relatch window
}

// endpoint is one bound socket: the socket one party sends to, and from
// which the relay sends to that party. Fields below "worker-owned" are
// touched only by the stream's relay worker.
type endpoint struct {
	fd    int
	port  int
	s     *stream
	party uint8 // which party sends to this socket
	kind  uint8 // kindRTP or kindRTCP

	// worker-owned latch state
	latched  bool
	latchAt  int64    // unix nanos when src was (re)latched
	src      sockaddr // latched source address
	lastSSRC uint32
	lastSeq  uint16
	seqValid bool

	c counters
}

// counters are per-endpoint packet counters. The relay worker is the only
// writer; readers (Q, metrics) load them atomically.
type counters struct {
	packetsIn   atomic.Uint64
	bytesIn     atomic.Uint64
	relayed     atomic.Uint64 // forwarded to the other party
	dropBleed   atomic.Uint64 // from a source other than the latched one
	dropNoDest  atomic.Uint64 // other party unknown or on hold
	dropSendErr atomic.Uint64 // sendmmsg refused the packet
	lastRx      atomic.Int64  // unix nanos of the last packet in
	rtp         rtpCounters
}

// stream is one media stream (one m-line) of a call: two parties, each
// with an RTP/RTCP socket pair. All four sockets belong to one worker.
type stream struct {
	callID   string
	fromTag  string // caller's tag
	toTag    string // callee's tag; "" until answered. Guarded by Manager.mu.
	mediaNum int
	codecs   []int // last codec list the controller gave; guarded by Manager.mu

	ep    [2][2]*endpoint // [party][kind]
	pairs [2]pair
	peer  [2]atomic.Pointer[peer]
	tap   atomic.Pointer[tapBox]
	w     *worker

	created  int64 // unix nanos
	answered atomic.Bool
	signal   atomic.Int64 // unix nanos of the last U/L
	weak     bool
}

// tapBox lets an interface value be swapped atomically.
type tapBox struct{ t Tap }

// port returns the RTP port that party p sends to.
func (s *stream) port(p int) int { return s.ep[p][kindRTP].port }

// lastActivity is the latest of the last packet from either party and
// the last signal.
func (s *stream) lastActivity() int64 {
	t := s.signal.Load()
	for p := 0; p < 2; p++ {
		for k := 0; k < 2; k++ {
			if v := s.ep[p][k].c.lastRx.Load(); v > t {
				t = v
			}
		}
	}
	return t
}

// setPeer publishes what the controller signalled about party p.
func (s *stream) setPeer(p int, ap netip.AddrPort, asymmetric bool, now int64) {
	pr := &peer{asymmetric: asymmetric, at: now}
	if !ap.Addr().IsValid() || ap.Addr().IsUnspecified() || ap.Port() == 0 {
		pr.hold = true
	} else {
		pr.addr.setAddrPort(ap)
	}
	if old := s.peer[p].Load(); old != nil && !pr.hold && (old.hold || !old.addr.equal(&pr.addr)) {
		pr.moved = true
	}
	s.peer[p].Store(pr)
	s.signal.Store(now)
}
