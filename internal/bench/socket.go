package bench

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// pktSize is the size of one generated packet: a 12-byte RTP header and a
// 160-byte G.711 payload (20 ms at 8 kHz).
const (
	rtpHeader  = 12
	payloadLen = 160
	pktSize    = rtpHeader + payloadLen
	recvBufLen = 2048
)

// mmsgSocket is a UDP socket whose packets go through sendmmsg(2) and
// recvmmsg(2) on the raw file descriptor, waiting through the runtime
// poller when the socket is not ready.
type mmsgSocket struct {
	conn *net.UDPConn
	rc   syscall.RawConn
	addr netip.AddrPort
}

func listenMmsg(ip netip.Addr, bufBytes int) (*mmsgSocket, error) {
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, 0)))
	if err != nil {
		return nil, fmt.Errorf("bench: media socket: %w", err)
	}
	if bufBytes > 0 {
		conn.SetReadBuffer(bufBytes)
		conn.SetWriteBuffer(bufBytes)
	}
	rc, err := conn.SyscallConn()
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("bench: media socket: %w", err)
	}
	return &mmsgSocket{conn: conn, rc: rc, addr: conn.LocalAddr().(*net.UDPAddr).AddrPort()}, nil
}

func (s *mmsgSocket) Close() error { return s.conn.Close() }

// sockaddr4 converts an IPv4 address to the raw form sendmmsg wants.
func sockaddr4(ap netip.AddrPort) unix.RawSockaddrInet4 {
	sa := unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: ap.Addr().Unmap().As4()}
	p := (*[2]byte)(unsafe.Pointer(&sa.Port))
	p[0], p[1] = byte(ap.Port()>>8), byte(ap.Port())
	return sa
}

// sendBatch is a reusable batch of outgoing packets. It belongs to one
// goroutine.
type sendBatch struct {
	sock  *mmsgSocket
	hdrs  []unix.Mmsghdr
	iovs  []unix.Iovec
	names []unix.RawSockaddrInet4
	bufs  []byte // len(hdrs) * pktSize
	n     int    // packets queued
	off   int    // packets already sent during flush
	err   error
	fn    func(fd uintptr) bool
	// counters
	syscalls uint64
	dropped  uint64 // packets the kernel refused (not EAGAIN)
}

func newSendBatch(s *mmsgSocket, capacity int) *sendBatch {
	if capacity < 1 {
		capacity = 1
	}
	b := &sendBatch{
		sock:  s,
		hdrs:  make([]unix.Mmsghdr, capacity),
		iovs:  make([]unix.Iovec, capacity),
		names: make([]unix.RawSockaddrInet4, capacity),
		bufs:  make([]byte, capacity*pktSize),
	}
	for i := range b.hdrs {
		b.iovs[i].Base = &b.bufs[i*pktSize]
		b.iovs[i].SetLen(pktSize)
		b.hdrs[i].Hdr.Iov = &b.iovs[i]
		b.hdrs[i].Hdr.SetIovlen(1)
		b.hdrs[i].Hdr.Name = (*byte)(unsafe.Pointer(&b.names[i]))
		b.hdrs[i].Hdr.Namelen = unix.SizeofSockaddrInet4
	}
	b.fn = b.write
	return b
}

// next returns the buffer of the next packet slot and records its
// destination, or nil when the batch is full.
func (b *sendBatch) next(dst *unix.RawSockaddrInet4) []byte {
	if b.n == len(b.hdrs) {
		return nil
	}
	b.names[b.n] = *dst
	p := b.bufs[b.n*pktSize : (b.n+1)*pktSize]
	b.n++
	return p
}

func (b *sendBatch) write(fd uintptr) bool {
	for b.off < b.n {
		r, _, e := unix.Syscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&b.hdrs[b.off])), uintptr(b.n-b.off), 0, 0, 0)
		b.syscalls++
		switch {
		case e == unix.EAGAIN:
			return false
		case e == unix.EINTR:
			continue
		case e != 0:
			// The first message failed (ECONNREFUSED from an ICMP, ...):
			// drop it and carry on with the rest.
			b.dropped++
			b.off++
		default:
			b.off += int(r)
		}
	}
	return true
}

// flush sends every queued packet and empties the batch.
func (b *sendBatch) flush() error {
	if b.n == 0 {
		return nil
	}
	b.off = 0
	err := b.sock.rc.Write(b.fn)
	b.n, b.off = 0, 0
	return err
}

// recvBatch is a reusable batch of incoming packets. It belongs to one
// goroutine.
type recvBatch struct {
	sock *mmsgSocket
	hdrs []unix.Mmsghdr
	iovs []unix.Iovec
	bufs []byte
	n    int
	fn   func(fd uintptr) bool
	err  error
	// counters
	syscalls uint64
}

func newRecvBatch(s *mmsgSocket, capacity int) *recvBatch {
	b := &recvBatch{
		sock: s,
		hdrs: make([]unix.Mmsghdr, capacity),
		iovs: make([]unix.Iovec, capacity),
		bufs: make([]byte, capacity*recvBufLen),
	}
	for i := range b.hdrs {
		b.iovs[i].Base = &b.bufs[i*recvBufLen]
		b.iovs[i].SetLen(recvBufLen)
		b.hdrs[i].Hdr.Iov = &b.iovs[i]
		b.hdrs[i].Hdr.SetIovlen(1)
	}
	b.fn = b.read
	return b
}

func (b *recvBatch) read(fd uintptr) bool {
	for {
		r, _, e := unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&b.hdrs[0])), uintptr(len(b.hdrs)), 0, 0, 0)
		b.syscalls++
		switch e {
		case 0:
			b.n, b.err = int(r), nil
			return true
		case unix.EAGAIN:
			return false
		case unix.EINTR:
			continue
		default:
			// ECONNREFUSED and friends are reported per socket, not per
			// packet: skip and read on.
			b.n, b.err = 0, e
			return true
		}
	}
}

// recv waits for at least one packet and fills the batch; packet i is
// pkt(i). It returns an error once the socket is closed.
func (b *recvBatch) recv() error {
	b.n = 0
	if err := b.sock.rc.Read(b.fn); err != nil {
		return err
	}
	if b.err != nil && !errors.Is(b.err, unix.ECONNREFUSED) {
		return b.err
	}
	return nil
}

func (b *recvBatch) pkt(i int) []byte {
	return b.bufs[i*recvBufLen : i*recvBufLen+int(b.hdrs[i].Len)]
}
