package bench

import (
	"encoding/binary"
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
	fd   int // valid until Close; used only by the goroutine that owns the socket
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
	s := &mmsgSocket{conn: conn, rc: rc, addr: conn.LocalAddr().(*net.UDPAddr).AddrPort()}
	var serr error
	err = rc.Control(func(fd uintptr) {
		s.fd = int(fd)
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1)
		if serr == nil {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RXQ_OVFL, 1)
		}
		if bufBytes > 0 {
			// As root, go past net.core.[rw]mem_max for this socket only;
			// otherwise the SetReadBuffer/SetWriteBuffer above stand.
			unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, bufBytes)
			unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, bufBytes)
		}
	})
	if err == nil {
		err = serr
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("bench: media socket: %w", err)
	}
	return s, nil
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

// recvBatch is a reusable batch of incoming packets with their kernel
// receive timestamps (SO_TIMESTAMPNS, CLOCK_REALTIME). It belongs to one
// goroutine.
type recvBatch struct {
	fd    int
	owner int // the media worker that reads this batch
	hdrs  []unix.Mmsghdr
	iovs  []unix.Iovec
	bufs  []byte
	ctrl  []byte
	n     int
	// counters
	syscalls uint64
	ovfl     uint32 // the socket's receive-queue drop counter (SO_RXQ_OVFL)
}

// ctrlLen is the control buffer per message: one cmsghdr and a timespec.
const ctrlLen = 64

func newRecvBatch(s *mmsgSocket, capacity int) *recvBatch {
	b := &recvBatch{
		fd:   s.fd,
		hdrs: make([]unix.Mmsghdr, capacity),
		iovs: make([]unix.Iovec, capacity),
		bufs: make([]byte, capacity*recvBufLen),
		ctrl: make([]byte, capacity*ctrlLen),
	}
	for i := range b.hdrs {
		b.iovs[i].Base = &b.bufs[i*recvBufLen]
		b.iovs[i].SetLen(recvBufLen)
		b.hdrs[i].Hdr.Iov = &b.iovs[i]
		b.hdrs[i].Hdr.SetIovlen(1)
		b.hdrs[i].Hdr.Control = &b.ctrl[i*ctrlLen]
	}
	return b
}

// poll reads whatever is queued, up to the batch size, without waiting.
// It returns the number of packets (0 when none); packet i is pkt(i).
func (b *recvBatch) poll() (int, error) {
	for i := range b.hdrs {
		b.hdrs[i].Hdr.SetControllen(ctrlLen)
	}
	for {
		r, _, e := unix.Syscall6(unix.SYS_RECVMMSG, uintptr(b.fd), uintptr(unsafe.Pointer(&b.hdrs[0])),
			uintptr(len(b.hdrs)), unix.MSG_DONTWAIT, 0, 0)
		b.syscalls++
		switch e {
		case 0:
			b.n = int(r)
			return b.n, nil
		case unix.EAGAIN:
			b.n = 0
			return 0, nil
		case unix.EINTR:
			continue
		case unix.ECONNREFUSED:
			// An ICMP error queued on the socket, not a packet: read on.
			continue
		default:
			b.n = 0
			return 0, fmt.Errorf("bench: recvmmsg: %w", e)
		}
	}
}

func (b *recvBatch) pkt(i int) []byte {
	return b.bufs[i*recvBufLen : i*recvBufLen+int(b.hdrs[i].Len)]
}

// stamp returns the kernel receive time of packet i in Unix ns, or 0 when
// the kernel gave none. It also notes the socket's drop counter when the
// kernel reports it (only once it is non-zero).
func (b *recvBatch) stamp(i int) int64 {
	var ts int64
	h := &b.hdrs[i].Hdr
	c := b.ctrl[i*ctrlLen : i*ctrlLen+min(int(h.Controllen), ctrlLen)]
	for len(c) >= unix.SizeofCmsghdr {
		l := int(binary.NativeEndian.Uint64(c))
		level := int32(binary.NativeEndian.Uint32(c[8:]))
		typ := int32(binary.NativeEndian.Uint32(c[12:]))
		if l < unix.SizeofCmsghdr || l > len(c) {
			return ts
		}
		switch {
		case level != unix.SOL_SOCKET:
		case typ == unix.SO_TIMESTAMPNS && l >= unix.SizeofCmsghdr+16:
			sec := int64(binary.NativeEndian.Uint64(c[16:]))
			nsec := int64(binary.NativeEndian.Uint64(c[24:]))
			ts = sec*1e9 + nsec
		case typ == unix.SO_RXQ_OVFL && l >= unix.SizeofCmsghdr+4:
			b.ovfl = max(b.ovfl, binary.NativeEndian.Uint32(c[16:]))
		}
		c = c[min((l+7)&^7, len(c)):]
	}
	return ts
}
