package test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// RtppControl is a minimal client of the rtpproxy control protocol, for
// tests to query a media node the way Kamailio's rtpproxy module talks to
// it. Addr is "udp:host:port" (datagrams with a cookie) or "unix:/path"
// (one stream connection per command, no cookie). It is safe for
// concurrent use: every Do opens its own socket.
type RtppControl struct {
	Addr string
}

// Do sends one command (for example "V" or "Q callid ftag tag") and returns
// the reply without the cookie and trailing newline. A UDP command is
// retransmitted every 250 ms until a reply with the same cookie arrives or
// ctx ends.
func (c RtppControl) Do(ctx context.Context, command string) (string, error) {
	network, addr, ok := strings.Cut(c.Addr, ":")
	if !ok {
		return "", fmt.Errorf("interop: bad control address %q", c.Addr)
	}
	switch network {
	case "udp", "udp4":
		return c.doUDP(ctx, addr, command)
	case "unix":
		return c.doUnix(ctx, addr, command)
	}
	return "", fmt.Errorf("interop: unsupported control address %q", c.Addr)
}

func (c RtppControl) doUDP(ctx context.Context, addr, command string) (string, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "udp4", addr)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	var raw [6]byte
	_, _ = rand.Read(raw[:])
	cookie := hex.EncodeToString(raw[:])
	msg := []byte(cookie + " " + command + "\n")
	buf := make([]byte, 64*1024)
	for {
		if _, err := conn.Write(msg); err != nil {
			return "", err
		}
		deadline := time.Now().Add(250 * time.Millisecond)
		if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
			deadline = d
		}
		_ = conn.SetReadDeadline(deadline)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				if ctx.Err() != nil {
					return "", fmt.Errorf("interop: %s %q: %w", c.Addr, command, ctx.Err())
				}
				break // read timeout (or ICMP refusal): retransmit
			}
			got, rest, _ := strings.Cut(string(buf[:n]), " ")
			if got == cookie {
				return strings.TrimRight(rest, "\r\n"), nil
			}
		}
	}
}

func (c RtppControl) doUnix(ctx context.Context, path, command string) (string, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if d, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(d)
	} else {
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	}
	if _, err := io.WriteString(conn, command+"\n"); err != nil {
		return "", err
	}
	// rtpproxy answers with one line and keeps or closes the connection;
	// read until the newline.
	var out []byte
	buf := make([]byte, 4096)
	for {
		n, err := conn.Read(buf)
		out = append(out, buf[:n]...)
		if i := strings.IndexByte(string(out), '\n'); i >= 0 {
			return strings.TrimRight(string(out[:i]), "\r"), nil
		}
		if err != nil {
			if err == io.EOF && len(out) > 0 {
				return strings.TrimRight(string(out), "\r\n"), nil
			}
			return "", fmt.Errorf("interop: %s %q: %w", c.Addr, command, err)
		}
	}
}

// WaitReady retries V until the node answers with the base protocol
// version (20040107) or ctx ends. Retrying covers the moment between the
// node's start and its control socket being bound.
func (c RtppControl) WaitReady(ctx context.Context) error {
	for {
		attempt, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		reply, err := c.Do(attempt, "V")
		cancel()
		if err == nil && reply == "20040107" {
			return nil
		}
		if err == nil {
			return fmt.Errorf("interop: V answered %q, want 20040107", reply)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("interop: media node at %s not ready: %w (last error: %v)", c.Addr, ctx.Err(), err)
		case <-time.After(50 * time.Millisecond): // retry interval while the socket does not exist yet
		}
	}
}

// SessionStats is the simple reply of Q: the session's remaining ttl, the
// packets received from each side, and the session-wide relayed and
// dropped counters (rtpproxy's handle_query_simple order).
type SessionStats struct {
	TTL       int
	PktsA     uint64 // npkts_ina: received on the stream of the first tag
	PktsO     uint64 // npkts_ino: received on the other stream
	Relayed   uint64
	Dropped   uint64
	RawReply  string
	QueryUsed string
}

// ParseQueryReply parses "ttl npkts_ina npkts_ino nrelayed ndropped".
func ParseQueryReply(reply string) (SessionStats, error) {
	f := strings.Fields(reply)
	if len(f) < 5 {
		return SessionStats{}, fmt.Errorf("interop: Q reply %q: want 5 fields", reply)
	}
	var s SessionStats
	var err error
	if s.TTL, err = strconv.Atoi(f[0]); err != nil {
		return s, fmt.Errorf("interop: Q reply %q: ttl: %w", reply, err)
	}
	for i, dst := range []*uint64{&s.PktsA, &s.PktsO, &s.Relayed, &s.Dropped} {
		if *dst, err = strconv.ParseUint(f[i+1], 10, 64); err != nil {
			return s, fmt.Errorf("interop: Q reply %q: field %d: %w", reply, i+2, err)
		}
	}
	s.RawReply = reply
	return s, nil
}

// Query sends Q for a session, trying the tag order given and then the
// swapped one, and parses the first reply that is not an error.
func (c RtppControl) Query(ctx context.Context, callID, fromTag, toTag string) (SessionStats, error) {
	var last string
	for _, q := range []string{
		fmt.Sprintf("Q %s %s %s", callID, fromTag, toTag),
		fmt.Sprintf("Q %s %s %s", callID, toTag, fromTag),
	} {
		reply, err := c.Do(ctx, q)
		if err != nil {
			return SessionStats{}, err
		}
		if strings.HasPrefix(reply, "E") {
			last = reply
			continue
		}
		s, err := ParseQueryReply(reply)
		s.QueryUsed = q
		return s, err
	}
	return SessionStats{}, fmt.Errorf("interop: Q for %s answered %s", callID, last)
}
