package rtpp

import (
	"fmt"
	"net/netip"
	"strconv"
)

// Reply bodies are returned without the UDP cookie and without the final
// newline; the Server adds both. Formats follow sippy/rtpproxy
// src/rtpp_command_reply.c and the command handlers.

// ReplyOK is the success reply of D, R, S, N, X and C.
const ReplyOK = "0"

// ErrorReply returns "E<n>".
func ErrorReply(code ECode) string { return code.String() }

// AppendPortReply appends the U/L reply: "<port> <addr>", with " 6"
// after an IPv6 address; just "<port>" when addr is invalid or
// unspecified. An L for an unknown session is answered "0" (port 0).
func AppendPortReply(b []byte, port int, addr netip.Addr) []byte {
	b = strconv.AppendInt(b, int64(port), 10)
	if !addr.IsValid() || addr.IsUnspecified() {
		return b
	}
	b = append(b, ' ')
	b = addr.Unmap().AppendTo(b)
	if addr.Unmap().Is6() {
		b = append(b, " 6"...)
	}
	return b
}

// PortReply is AppendPortReply into a new string.
func PortReply(port int, addr netip.Addr) string {
	return string(AppendPortReply(make([]byte, 0, 48), port, addr))
}

// PortReplyAdv formats the port reply with an advertised address string
// (rtpproxy's "-A" advertised address) instead of a bound address; ipv6
// selects the " 6" suffix.
func PortReplyAdv(port int, adv string, ipv6 bool) string {
	s := strconv.Itoa(port) + " " + adv
	if ipv6 {
		s += " 6"
	}
	return s
}

// ParsePortReply parses a U/L reply into port and address (invalid when
// absent). An "E<n>" reply returns an *Error.
func ParsePortReply(reply string) (int, netip.Addr, error) {
	if err := ReplyError(reply); err != nil {
		return 0, netip.Addr{}, err
	}
	var tok [3]string
	n, off := 0, 0
	for n < 3 {
		t, next, ok := nextToken(reply, off)
		if !ok {
			break
		}
		tok[n], off, n = t, next, n+1
	}
	if _, _, more := nextToken(reply, off); more || n == 0 {
		return 0, netip.Addr{}, fmt.Errorf("%w: port reply %q", ErrBadReply, reply)
	}
	port, ok := atoiPort(tok[0])
	if !ok {
		return 0, netip.Addr{}, fmt.Errorf("%w: port in %q", ErrBadReply, reply)
	}
	if n == 1 {
		return port, netip.Addr{}, nil
	}
	a, err := netip.ParseAddr(tok[1])
	if err != nil || (n == 3) != (tok[2] == "6") || (n == 3) != a.Is6() {
		return 0, netip.Addr{}, fmt.Errorf("%w: address in %q", ErrBadReply, reply)
	}
	return port, a, nil
}

// ReplyError returns an *Error when reply is "E<n>", nil otherwise.
func ReplyError(reply string) error {
	if len(reply) < 2 || reply[0] != 'E' {
		return nil
	}
	n := 0
	for i := 1; i < len(reply); i++ {
		if reply[i] < '0' || reply[i] > '9' || i > 6 {
			return nil
		}
		n = n*10 + int(reply[i]-'0')
	}
	return &Error{Code: ECode(n), Msg: "node replied " + reply}
}

// Info is the content of the I reply.
type Info struct {
	SessionsCreated    uint64
	ActiveSessions     int64
	ActiveStreams      int64
	PacketsReceived    uint64
	PacketsTransmitted uint64
	AverageLoad        float64 // printed only for "Il"
}

// AppendInfoReply appends the I reply, one "name: value" per line as
// rtpproxy's handle_info prints them; withLoad (modifier "l") adds the
// "average load" line.
func AppendInfoReply(b []byte, in *Info, withLoad bool) []byte {
	b = append(b, "sessions created: "...)
	b = strconv.AppendUint(b, in.SessionsCreated, 10)
	b = append(b, "\nactive sessions: "...)
	b = strconv.AppendInt(b, in.ActiveSessions, 10)
	b = append(b, "\nactive streams: "...)
	b = strconv.AppendInt(b, in.ActiveStreams, 10)
	b = append(b, "\npackets received: "...)
	b = strconv.AppendUint(b, in.PacketsReceived, 10)
	b = append(b, "\npackets transmitted: "...)
	b = strconv.AppendUint(b, in.PacketsTransmitted, 10)
	if withLoad {
		b = append(b, "\naverage load: "...)
		b = strconv.AppendFloat(b, in.AverageLoad, 'f', 6, 64)
	}
	return b
}

// AppendValues appends the values of a G or Q reply with named
// counters: space-separated, each "name=value" when verbose. value
// returns the formatted value of a name, false for an unknown name, on
// which AppendValues stops and returns an *Error with code unknown
// (ECodeStatsFailed for G, ECodeQueryFailed for Q).
func AppendValues(b []byte, names []string, verbose bool, unknown ECode, value func(b []byte, name string) ([]byte, bool)) ([]byte, error) {
	for i, name := range names {
		if i > 0 {
			b = append(b, ' ')
		}
		if verbose {
			b = append(b, name...)
			b = append(b, '=')
		}
		var ok bool
		if b, ok = value(b, name); !ok {
			return b, errf(unknown, "unknown counter "+strconv.Quote(name))
		}
	}
	return b, nil
}
