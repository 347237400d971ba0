package demo

import (
	"errors"
	"net"
	"strconv"
)

// ErrNoFreePort is returned when no port (or range of ports) on the
// address is free.
var ErrNoFreePort = errors.New("demo: no free port")

// FreeSIPPort returns a port on ip that was free a moment ago for both
// UDP and TCP (a SIP listen address takes both). Another process may
// take it before the caller binds it; the kernel hands ephemeral ports
// out in turn, which makes that unlikely on loopback.
func FreeSIPPort(ip string) (int, error) {
	for range 20 {
		c, err := net.ListenPacket("udp4", net.JoinHostPort(ip, "0"))
		if err != nil {
			return 0, err
		}
		port := c.LocalAddr().(*net.UDPAddr).Port
		l, err := net.Listen("tcp4", net.JoinHostPort(ip, strconv.Itoa(port)))
		c.Close()
		if err == nil {
			l.Close()
			return port, nil
		}
	}
	return 0, ErrNoFreePort
}

// FreePortRange returns the first port, even, of n consecutive UDP ports
// on ip that were all free a moment ago: a media node's RTP port range.
func FreePortRange(ip string, n int) (int, error) {
	for range 20 {
		p, err := FreeSIPPort(ip)
		if err != nil {
			return 0, err
		}
		base := p &^ 1
		if base < 1024 || base+n > 65535 {
			continue
		}
		free := true
		for q := base; q < base+n && free; q++ {
			c, err := net.ListenPacket("udp4", net.JoinHostPort(ip, strconv.Itoa(q)))
			if free = err == nil; free {
				c.Close()
			}
		}
		if free {
			return base, nil
		}
	}
	return 0, ErrNoFreePort
}
