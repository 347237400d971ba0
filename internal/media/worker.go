package media

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/callrec/callrec/internal/rtp"
)

const (
	// batchSize is how many datagrams one recvmmsg/sendmmsg moves.
	batchSize = 32
	// bufSize bounds one datagram; larger ones are truncated by the kernel
	// and counted as malformed. 2048 covers any RTP over a 1500 MTU.
	bufSize = 2048
	// maxEvents is the epoll_wait batch.
	maxEvents = 256
	// seqContinue is how far a sequence number may advance from the last
	// one seen for a packet from a new source to count as the same stream
	// (a NAT rebinding) rather than bleed.
	seqContinue = 64
)

// workerOp is a change to a worker's socket set, applied on the worker's
// goroutine so that the worker owns its tables without locks.
type workerOp struct {
	add      *stream // register the stream's four sockets
	remove   *stream // unregister and close them, then call release
	stopTap  *stream // detach the stream's tap, then close it
	shutdown bool
}

// worker is one relay event loop: an epoll set over its streams' sockets,
// read and written in batches. Everything below "owned" is touched only
// by the worker's goroutine.
type worker struct {
	epfd, evfd    int
	relatchWindow int64
	release       func(*stream) // called on the worker after a stream's sockets closed
	closeTap      func(Tap)     // called on the worker; must not block

	opsMu sync.Mutex
	ops   []workerOp

	totals workerTotals

	// owned
	eps     []*endpoint // by fd
	events  [maxEvents]unix.EpollEvent
	rxMsgs  [batchSize]unix.Mmsghdr
	rxIov   [batchSize]unix.Iovec
	rxNames [batchSize]sockaddr
	txMsgs  [batchSize]unix.Mmsghdr
	txIov   [batchSize]unix.Iovec
	txNames [batchSize]sockaddr
	txPkt   [batchSize]int // index into bufs of each queued packet
	bufs    [batchSize][bufSize]byte
}

// workerTotals are node-wide counters kept per worker (single writer,
// added once per batch) and summed when metrics are scraped.
type workerTotals struct {
	packetsIn, bytesIn, relayed          atomic.Uint64
	dropBleed, dropNoDest, dropSendErr   atomic.Uint64
	malformed, wakeups, batches, latches atomic.Uint64
}

func newWorker(relatch time.Duration, release func(*stream), closeTap func(Tap)) (*worker, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	evfd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return nil, err
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(evfd)}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, evfd, &ev); err != nil {
		unix.Close(epfd)
		unix.Close(evfd)
		return nil, err
	}
	w := &worker{epfd: epfd, evfd: evfd, relatchWindow: int64(relatch), release: release, closeTap: closeTap}
	for i := range w.rxMsgs {
		w.rxIov[i].Base = &w.bufs[i][0]
		w.rxIov[i].SetLen(bufSize)
		w.rxMsgs[i].Hdr.Iov = &w.rxIov[i]
		w.rxMsgs[i].Hdr.Iovlen = 1
		w.rxMsgs[i].Hdr.Name = &w.rxNames[i].b[0]
		w.txMsgs[i].Hdr.Iov = &w.txIov[i]
		w.txMsgs[i].Hdr.Iovlen = 1
		w.txMsgs[i].Hdr.Name = &w.txNames[i].b[0]
	}
	return w, nil
}

// post queues an op and wakes the worker.
func (w *worker) post(op workerOp) {
	w.opsMu.Lock()
	w.ops = append(w.ops, op)
	w.opsMu.Unlock()
	var one = [8]byte{1}
	_, _ = unix.Write(w.evfd, one[:])
}

// run is the event loop. It returns after a shutdown op, having closed
// every socket it owned.
func (w *worker) run() {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for {
		n, errno := epollWait(w.epfd, w.events[:], 100)
		if errno != 0 {
			if errno == unix.EINTR {
				// Most likely the runtime's preemption signal (garbage
				// collection stopping the world): yield so it is honoured
				// now. Going straight back into epoll would hold every
				// other goroutine, the other relay workers included, until
				// this worker's next packet.
				runtime.Gosched()
				continue
			}
			return
		}
		w.totals.wakeups.Add(1)
		for i := 0; i < n; i++ {
			fd := int(w.events[i].Fd)
			if fd == w.evfd {
				var b [8]byte
				_, _ = unix.Read(w.evfd, b[:])
				if w.applyOps() {
					return
				}
				continue
			}
			if fd < len(w.eps) {
				if e := w.eps[fd]; e != nil {
					w.serve(e)
				}
			}
		}
	}
}

// applyOps runs queued ops; it reports whether the worker must stop.
func (w *worker) applyOps() bool {
	w.opsMu.Lock()
	ops := w.ops
	w.ops = nil
	w.opsMu.Unlock()
	stop := false
	for _, op := range ops {
		switch {
		case op.add != nil:
			w.register(op.add)
		case op.remove != nil:
			w.unregister(op.remove)
		case op.stopTap != nil:
			if b := op.stopTap.tap.Swap(nil); b != nil {
				w.closeTap(b.t)
			}
		case op.shutdown:
			stop = true
		}
	}
	if stop {
		for _, e := range w.eps {
			if e != nil && e.party == caller && e.kind == kindRTP {
				w.unregister(e.s)
			}
		}
		unix.Close(w.epfd)
		unix.Close(w.evfd)
	}
	return stop
}

func (w *worker) register(s *stream) {
	for p := 0; p < 2; p++ {
		for k := 0; k < 2; k++ {
			e := s.ep[p][k]
			for e.fd >= len(w.eps) {
				w.eps = append(w.eps, make([]*endpoint, len(w.eps)+64)...)
			}
			w.eps[e.fd] = e
			// Edge-triggered: serve drains a socket until recvmmsg comes
			// back short (the queue is empty), so the kernel need not
			// re-poll every ready socket on each epoll_wait.
			ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLET, Fd: int32(e.fd)}
			_ = unix.EpollCtl(w.epfd, unix.EPOLL_CTL_ADD, e.fd, &ev)
		}
	}
}

func (w *worker) unregister(s *stream) {
	for p := 0; p < 2; p++ {
		for k := 0; k < 2; k++ {
			e := s.ep[p][k]
			if e.fd < 0 {
				continue
			}
			_ = unix.EpollCtl(w.epfd, unix.EPOLL_CTL_DEL, e.fd, nil)
			if e.fd < len(w.eps) {
				w.eps[e.fd] = nil
			}
			unix.Close(e.fd)
			e.fd = -1
		}
	}
	if b := s.tap.Swap(nil); b != nil {
		w.closeTap(b.t)
	}
	w.release(s)
}

// serve drains one readable socket in batches and forwards what it read.
func (w *worker) serve(e *endpoint) {
	for {
		for i := range w.rxMsgs {
			w.rxMsgs[i].Hdr.Namelen = uint32(len(w.rxNames[i].b))
			w.rxMsgs[i].Hdr.Flags = 0
		}
		n, errno := recvmmsg(e.fd, w.rxMsgs[:])
		if errno != 0 || n <= 0 {
			return
		}
		w.forward(e, n, time.Now().UnixNano())
		if n < batchSize {
			return
		}
	}
}

// forward relays the n datagrams just read on e to the other party.
func (w *worker) forward(e *endpoint, n int, now int64) {
	s := e.s
	from := int(e.party)
	to := 1 - from
	out := s.ep[to][e.kind]
	self := s.peer[from].Load()
	dst := s.peer[to].Load()
	var bytesIn, bleed, noDest, malformed uint64
	sawRTP := false
	q := 0
	for i := 0; i < n; i++ {
		msg := &w.rxMsgs[i]
		src := &w.rxNames[i]
		src.n = msg.Hdr.Namelen
		pkt := w.bufs[i][:msg.Len]
		bytesIn += uint64(msg.Len)
		if msg.Hdr.Flags&unix.MSG_TRUNC != 0 {
			malformed++
			continue
		}
		var isRTP bool
		var ssrc, ts uint32
		var seq uint16
		var pt uint8
		if e.kind == kindRTP {
			// RTCP multiplexed on the RTP port (RFC 5761) is relayed, not counted as RTP.
			ssrc, seq, ts, pt, isRTP = rtp.Peek(pkt)
			if !isRTP {
				malformed++
			} else if rtp.IsRTCP(pkt) {
				isRTP = false
			}
		}
		if !w.admit(e, self, src, isRTP, ssrc, seq, now) {
			bleed++
			continue
		}
		if isRTP {
			e.lastSSRC, e.lastSeq, e.seqValid = ssrc, seq, true
			e.c.rtp.update(ssrc, seq, ts, pt, len(pkt), now)
			sawRTP = true
		}
		if !destination(&w.txNames[q], out, dst) {
			noDest++
			continue
		}
		w.txIov[q].Base = &pkt[0]
		w.txIov[q].SetLen(len(pkt))
		w.txMsgs[q].Hdr.Namelen = w.txNames[q].n
		w.txPkt[q] = i
		q++
	}
	sent := 0
	for sent < q {
		k, errno := sendmmsg(out.fd, w.txMsgs[sent:q])
		if errno != 0 || k <= 0 {
			// Skip the packet the kernel refused (an ICMP-reported
			// unreachable peer, a full buffer) and go on with the rest.
			e.c.dropSendErr.Add(1)
			w.totals.dropSendErr.Add(1)
			sent++
			continue
		}
		if tb := s.tap.Load(); tb != nil {
			dir := Direction(from)
			for j := sent; j < sent+k; j++ {
				i := w.txPkt[j]
				tb.t.Packet(dir, now, e.kind == kindRTCP, w.bufs[i][:w.rxMsgs[i].Len])
			}
		}
		e.c.relayed.Add(uint64(k))
		w.totals.relayed.Add(uint64(k))
		sent += k
	}
	if sawRTP {
		e.c.rtp.publish()
	}
	e.c.packetsIn.Add(uint64(n))
	e.c.bytesIn.Add(bytesIn)
	e.c.lastRx.Store(now)
	w.totals.packetsIn.Add(uint64(n))
	w.totals.bytesIn.Add(bytesIn)
	w.totals.batches.Add(1)
	if bleed > 0 {
		e.c.dropBleed.Add(bleed)
		w.totals.dropBleed.Add(bleed)
	}
	if noDest > 0 {
		e.c.dropNoDest.Add(noDest)
		w.totals.dropNoDest.Add(noDest)
	}
	if malformed > 0 {
		w.totals.malformed.Add(malformed)
	}
}

// admit decides whether a packet from src may enter through e, latching
// e to src when it may. The first packet latches (symmetric RTP, for NAT).
// Once latched, another source is bleed and dropped, unless the party was
// re-signalled within the relatch window, or the packet continues the
// latched SSRC's sequence (the party's NAT rebinding mid-call). A party
// signalled asymmetric is never latched: packets are admitted from any
// source and replies go to the signalled address.
func (w *worker) admit(e *endpoint, self *peer, src *sockaddr, isRTP bool, ssrc uint32, seq uint16, now int64) bool {
	if self != nil && self.asymmetric {
		return true
	}
	if !e.latched {
		e.src, e.latched, e.latchAt = *src, true, now
		w.totals.latches.Add(1)
		return true
	}
	if e.src.equal(src) {
		if self != nil && e.latchAt < self.at {
			e.latchAt = now // the party confirmed its address after a re-signal
		}
		return true
	}
	relatch := self != nil && now-self.at < w.relatchWindow
	if !relatch && isRTP && e.seqValid && ssrc == e.lastSSRC {
		d := seq - e.lastSeq
		relatch = d != 0 && d <= seqContinue
	}
	if !relatch {
		return false
	}
	e.src, e.latchAt = *src, now
	w.totals.latches.Add(1)
	return true
}

// destination writes into d where a packet for the party behind out goes:
// the address that party's packets latched, or else the signalled one
// (port+1 for RTCP). It reports false when there is nowhere to send:
// the party is unknown yet or on hold.
func destination(d *sockaddr, out *endpoint, dst *peer) bool {
	if dst == nil || dst.hold {
		return false
	}
	if out.latched && !dst.asymmetric && (!dst.moved || out.latchAt >= dst.at) {
		*d = out.src
		return true
	}
	if dst.addr.n == 0 {
		return false
	}
	if out.kind == kindRTCP {
		*d = dst.addr.withPort(dst.addr.port() + 1)
	} else {
		*d = dst.addr
	}
	return true
}
