package media

import (
	"encoding/binary"
	"net/netip"

	"golang.org/x/sys/unix"
)

// sockaddr is a socket address in the kernel's layout (sockaddr_in or
// sockaddr_in6), so that the relay can hand it to sendmmsg and compare it
// with what recvmmsg returned without converting or allocating.
type sockaddr struct {
	b [unix.SizeofSockaddrInet6]byte
	n uint32 // length in use; 0 means unset
}

// setAddrPort fills s from ap. An invalid ap leaves s unset.
func (s *sockaddr) setAddrPort(ap netip.AddrPort) {
	*s = sockaddr{}
	a := ap.Addr()
	switch {
	case !a.IsValid():
		return
	case a.Is4() || a.Is4In6():
		binary.NativeEndian.PutUint16(s.b[0:2], unix.AF_INET)
		binary.BigEndian.PutUint16(s.b[2:4], ap.Port())
		v := a.Unmap().As4()
		copy(s.b[4:8], v[:])
		s.n = unix.SizeofSockaddrInet4
	default:
		binary.NativeEndian.PutUint16(s.b[0:2], unix.AF_INET6)
		binary.BigEndian.PutUint16(s.b[2:4], ap.Port())
		v := a.As16()
		copy(s.b[8:24], v[:])
		s.n = unix.SizeofSockaddrInet6
	}
}

// addrPort converts s back; the zero AddrPort if unset or not IP.
func (s *sockaddr) addrPort() netip.AddrPort {
	if s.n == 0 {
		return netip.AddrPort{}
	}
	port := binary.BigEndian.Uint16(s.b[2:4])
	switch binary.NativeEndian.Uint16(s.b[0:2]) {
	case unix.AF_INET:
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte(s.b[4:8])), port)
	case unix.AF_INET6:
		return netip.AddrPortFrom(netip.AddrFrom16([16]byte(s.b[8:24])), port)
	}
	return netip.AddrPort{}
}

// sameHost reports whether s and o carry the same IP address.
func (s *sockaddr) sameHost(o *sockaddr) bool {
	if s.n != o.n || s.n == 0 {
		return false
	}
	if s.n == unix.SizeofSockaddrInet4 {
		return s.b[4] == o.b[4] && s.b[5] == o.b[5] && s.b[6] == o.b[6] && s.b[7] == o.b[7]
	}
	return [16]byte(s.b[8:24]) == [16]byte(o.b[8:24])
}

// equal reports whether s and o are the same family, address and port.
// Flow info and scope are ignored.
func (s *sockaddr) equal(o *sockaddr) bool {
	return s.b[2] == o.b[2] && s.b[3] == o.b[3] && s.sameHost(o)
}

// withPort returns a copy of s with another port.
func (s sockaddr) withPort(port uint16) sockaddr {
	binary.BigEndian.PutUint16(s.b[2:4], port)
	return s
}

// port returns the port of s.
func (s *sockaddr) port() uint16 { return binary.BigEndian.Uint16(s.b[2:4]) }
