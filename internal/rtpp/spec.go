package rtpp

import (
	"fmt"
	"io/fs"
	"net"
	"os"
	"strings"
)

// DefaultPort is rtpproxy's default control port for udp: specs
// without one (CPORT).
const DefaultPort = "22222"

// Spec is a control socket address as written in rtpproxy's -s option
// and Kamailio's rtpproxy_sock parameter:
//
//	unix:/run/callrec/rtpp.sock   (or a bare absolute path)
//	udp:127.0.0.1:7722            udp6:[::1]:7722
//	tcp:127.0.0.1:7722            tcp6:[::1]:7722
//
// Network is "unix", "udp", "udp6", "tcp" or "tcp6"; Address is the path
// or host:port.
type Spec struct {
	Network string
	Address string
}

// ParseSpec parses a socket spec. A missing udp/tcp port is DefaultPort.
func ParseSpec(s string) (Spec, error) {
	if strings.HasPrefix(s, "/") {
		return Spec{"unix", s}, nil
	}
	network, addr, ok := strings.Cut(s, ":")
	if !ok || addr == "" {
		return Spec{}, fmt.Errorf("%w: %q", ErrBadSpec, s)
	}
	switch network {
	case "unix":
		return Spec{network, addr}, nil
	case "udp", "udp4", "udp6", "tcp", "tcp4", "tcp6":
	default:
		return Spec{}, fmt.Errorf("%w: %q: unknown network %q", ErrBadSpec, s, network)
	}
	if network == "udp4" || network == "tcp4" {
		network = network[:3]
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		host := strings.TrimSuffix(strings.TrimPrefix(addr, "["), "]")
		if strings.ContainsAny(host, "[]") || (strings.Contains(host, ":") && !strings.HasPrefix(addr, "[") && network[len(network)-1] != '6') {
			return Spec{}, fmt.Errorf("%w: %q: %v", ErrBadSpec, s, err)
		}
		addr = net.JoinHostPort(host, DefaultPort)
	}
	return Spec{network, addr}, nil
}

// String returns the spec in ParseSpec form.
func (sp Spec) String() string { return sp.Network + ":" + sp.Address }

// Stream reports whether the spec names a stream socket (unix, tcp).
func (sp Spec) Stream() bool { return !strings.HasPrefix(sp.Network, "udp") }

// Listen opens a stream listener for a unix or tcp spec. For unix, a
// stale socket file is removed first (only a socket, never another
// file), the new one is made mode 0666 so that a Kamailio or OpenSIPS
// running as another user can connect, and it is removed on Close.
func (sp Spec) Listen() (net.Listener, error) {
	if !sp.Stream() {
		return nil, fmt.Errorf("%w: %s is not a stream socket", ErrBadSpec, sp)
	}
	if sp.Network != "unix" {
		return net.Listen(sp.Network, sp.Address)
	}
	if fi, err := os.Lstat(sp.Address); err == nil {
		if fi.Mode()&fs.ModeSocket == 0 {
			return nil, fmt.Errorf("rtpp: %s exists and is not a socket", sp.Address)
		}
		if err := os.Remove(sp.Address); err != nil {
			return nil, fmt.Errorf("rtpp: remove stale socket: %w", err)
		}
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sp.Address, Net: "unix"})
	if err != nil {
		return nil, err
	}
	ln.SetUnlinkOnClose(true)
	if err := os.Chmod(sp.Address, 0o666); err != nil {
		ln.Close()
		return nil, fmt.Errorf("rtpp: chmod control socket: %w", err)
	}
	return ln, nil
}

// ListenPacket opens the UDP socket of a udp or udp6 spec.
func (sp Spec) ListenPacket() (net.PacketConn, error) {
	if sp.Stream() {
		return nil, fmt.Errorf("%w: %s is not a datagram socket", ErrBadSpec, sp)
	}
	return net.ListenPacket(sp.Network, sp.Address)
}
