package media

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sync"

	"golang.org/x/sys/unix"
)

// portPool hands out RTP/RTCP port pairs (even RTP port, RTCP on the
// next odd port) from a configured range and binds their sockets. It is
// safe for concurrent use.
type portPool struct {
	addr   netip.Addr
	min    int // first even port
	npairs int
	random bool

	mu    sync.Mutex
	inUse []bool // by pair index
	used  int
	next  int // first-free: lowest index that may be free
}

func newPortPool(addr netip.Addr, min, max int, random bool) *portPool {
	if min%2 == 1 {
		min++
	}
	n := (max - min + 1) / 2
	if n < 0 {
		n = 0
	}
	return &portPool{addr: addr, min: min, npairs: n, random: random, inUse: make([]bool, n)}
}

// pair is one bound RTP/RTCP socket pair.
type pair struct {
	idx    int
	port   int // RTP port; RTCP is port+1
	rtpFD  int
	rtcpFD int
}

// get binds the next free pair. A port that the kernel refuses (taken
// by another process) is skipped and left marked free for later.
func (p *portPool) get() (pair, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.used >= p.npairs {
		return pair{}, fmt.Errorf("%w: %d pairs in use", ErrPortsExhausted, p.used)
	}
	start := p.next
	if p.random {
		start = rand.IntN(p.npairs)
	}
	for i := 0; i < p.npairs; i++ {
		idx := (start + i) % p.npairs
		if p.inUse[idx] {
			continue
		}
		port := p.min + 2*idx
		rtp, err := bindUDP(p.addr, port)
		if err != nil {
			continue
		}
		rtcp, err := bindUDP(p.addr, port+1)
		if err != nil {
			unix.Close(rtp)
			continue
		}
		p.inUse[idx] = true
		p.used++
		if !p.random {
			p.next = idx + 1
		}
		return pair{idx: idx, port: port, rtpFD: rtp, rtcpFD: rtcp}, nil
	}
	return pair{}, fmt.Errorf("%w: no bindable pair among %d free", ErrPortsExhausted, p.npairs-p.used)
}

// put returns a pair whose sockets have been closed.
func (p *portPool) put(pr pair) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.inUse[pr.idx] {
		return
	}
	p.inUse[pr.idx] = false
	p.used--
	if pr.idx < p.next {
		p.next = pr.idx
	}
}

// inUseCount returns the number of pairs handed out.
func (p *portPool) inUseCount() (used, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.used, p.npairs
}

// bindUDP opens a non-blocking UDP socket bound to addr:port.
func bindUDP(addr netip.Addr, port int) (int, error) {
	family := unix.AF_INET
	if addr.Is6() && !addr.Is4In6() {
		family = unix.AF_INET6
	}
	fd, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	var sa unix.Sockaddr
	if family == unix.AF_INET {
		sa = &unix.SockaddrInet4{Port: port, Addr: addr.Unmap().As4()}
	} else {
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1)
		sa = &unix.SockaddrInet6{Port: port, Addr: addr.As16()}
	}
	if err := unix.Bind(fd, sa); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}
