package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// controlTimeout is how long one control attempt waits for a reply;
// controlTries is how many attempts a UDP command gets.
const (
	controlTimeout = time.Second
	controlTries   = 3
)

var cookieSeq atomic.Uint64

// cookiePrefix makes cookies unique across runs: rtpengine (and rtpproxy)
// cache replies by cookie to answer retransmissions, so a cookie reused by
// a later run would be answered with an earlier run's reply.
var cookiePrefix = strconv.FormatInt(time.Now().UnixNano()&0xFFFFFFFFFF, 36) + strconv.Itoa(os.Getpid()%1000)

// newCookie returns a cookie no other command of any run has used.
func newCookie() string {
	return cookiePrefix + "_" + strconv.FormatUint(cookieSeq.Add(1), 36)
}

// rtppUDP speaks the rtpproxy control protocol over UDP: every command is
// prefixed by a cookie that the reply echoes.
type rtppUDP struct {
	conn  *net.UDPConn
	relay netip.Addr // used when a reply carries no address
	buf   []byte
}

func newRtppUDP(hostport string) (*rtppUDP, error) {
	ap, err := netip.ParseAddrPort(hostport)
	if err != nil {
		return nil, fmt.Errorf("%w: control udp:%s: %v", ErrConfig, hostport, err)
	}
	conn, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(ap))
	if err != nil {
		return nil, fmt.Errorf("bench: control: %w", err)
	}
	return &rtppUDP{conn: conn, relay: ap.Addr(), buf: make([]byte, 4096)}, nil
}

func (r *rtppUDP) do(ctx context.Context, cmd string) (string, error) {
	cookie := newCookie()
	msg := []byte(cookie + " " + cmd + "\n")
	for try := 0; try < controlTries; try++ {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		if _, err := r.conn.Write(msg); err != nil {
			return "", fmt.Errorf("bench: control: %w", err)
		}
		deadline := time.Now().Add(controlTimeout)
		if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
			deadline = d
		}
		r.conn.SetReadDeadline(deadline)
		for {
			n, err := r.conn.Read(r.buf)
			if err != nil {
				break // timeout: retransmit
			}
			got, reply, _ := strings.Cut(strings.TrimSpace(string(r.buf[:n])), " ")
			if got == cookie {
				return reply, nil
			}
			// A late reply to an earlier, retransmitted command: skip it.
		}
	}
	return "", fmt.Errorf("%w: %q after %d tries", ErrTimeout, cmd, controlTries)
}

func (r *rtppUDP) Offer(ctx context.Context, c CallIDs, a netip.AddrPort) (netip.AddrPort, error) {
	return rtppPort(r.do(ctx, fmt.Sprintf("U %s %s %d %s", c.CallID, a.Addr(), a.Port(), c.FromTag)))(r.relay)
}

func (r *rtppUDP) Answer(ctx context.Context, c CallIDs, a netip.AddrPort) (netip.AddrPort, error) {
	return rtppPort(r.do(ctx, fmt.Sprintf("L %s %s %d %s %s", c.CallID, a.Addr(), a.Port(), c.FromTag, c.ToTag)))(r.relay)
}

func (r *rtppUDP) Record(ctx context.Context, c CallIDs) error {
	return rtppOK(r.do(ctx, fmt.Sprintf("R %s %s %s", c.CallID, c.FromTag, c.ToTag)))
}

func (r *rtppUDP) Delete(ctx context.Context, c CallIDs) error {
	return rtppOK(r.do(ctx, fmt.Sprintf("D %s %s %s", c.CallID, c.FromTag, c.ToTag)))
}

func (r *rtppUDP) Close() error { return r.conn.Close() }

// rtppUnix speaks the rtpproxy control protocol over a UNIX stream socket,
// one connection per command and no cookie, as Kamailio does.
type rtppUnix struct{ path string }

func (r *rtppUnix) do(ctx context.Context, cmd string) (string, error) {
	d := net.Dialer{Timeout: controlTimeout}
	conn, err := d.DialContext(ctx, "unix", r.path)
	if err != nil {
		return "", fmt.Errorf("bench: control: %w", err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(controlTimeout * controlTries))
	if _, err := conn.Write([]byte(cmd + "\n")); err != nil {
		return "", fmt.Errorf("bench: control: %w", err)
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("%w: %q: %v", ErrTimeout, cmd, err)
	}
	return strings.TrimSpace(line), nil
}

func (r *rtppUnix) Offer(ctx context.Context, c CallIDs, a netip.AddrPort) (netip.AddrPort, error) {
	return rtppPort(r.do(ctx, fmt.Sprintf("U %s %s %d %s", c.CallID, a.Addr(), a.Port(), c.FromTag)))(loopback)
}

func (r *rtppUnix) Answer(ctx context.Context, c CallIDs, a netip.AddrPort) (netip.AddrPort, error) {
	return rtppPort(r.do(ctx, fmt.Sprintf("L %s %s %d %s %s", c.CallID, a.Addr(), a.Port(), c.FromTag, c.ToTag)))(loopback)
}

func (r *rtppUnix) Record(ctx context.Context, c CallIDs) error {
	return rtppOK(r.do(ctx, fmt.Sprintf("R %s %s %s", c.CallID, c.FromTag, c.ToTag)))
}

func (r *rtppUnix) Delete(ctx context.Context, c CallIDs) error {
	return rtppOK(r.do(ctx, fmt.Sprintf("D %s %s %s", c.CallID, c.FromTag, c.ToTag)))
}

func (r *rtppUnix) Close() error { return nil }

var loopback = netip.AddrFrom4([4]byte{127, 0, 0, 1})

// rtppPort parses a U/L reply "PORT [ADDR]"; "E<n>" is an error. The
// returned function supplies the relay address when the reply has none.
func rtppPort(reply string, err error) func(netip.Addr) (netip.AddrPort, error) {
	return func(def netip.Addr) (netip.AddrPort, error) {
		if err != nil {
			return netip.AddrPort{}, err
		}
		f := strings.Fields(reply)
		if len(f) == 0 || strings.HasPrefix(f[0], "E") {
			return netip.AddrPort{}, fmt.Errorf("%w: reply %q", ErrControl, reply)
		}
		port, perr := strconv.ParseUint(f[0], 10, 16)
		if perr != nil || port == 0 {
			return netip.AddrPort{}, fmt.Errorf("%w: reply %q has no port", ErrControl, reply)
		}
		addr := def
		if len(f) > 1 {
			if a, aerr := netip.ParseAddr(f[1]); aerr == nil && !a.IsUnspecified() {
				addr = a
			}
		}
		return netip.AddrPortFrom(addr, uint16(port)), nil
	}
}

// rtppOK accepts "0" (and any non-error reply) for R and D.
func rtppOK(reply string, err error) error {
	if err != nil {
		return err
	}
	if bytes.HasPrefix([]byte(reply), []byte("E")) {
		return fmt.Errorf("%w: reply %q", ErrControl, reply)
	}
	return nil
}
