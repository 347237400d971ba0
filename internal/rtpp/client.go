package rtpp

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"
)

// Client sends control commands to an rtpproxy-compatible node, the way
// Kamailio's rtpproxy module does: on a unix or tcp socket it connects,
// writes the command, reads the reply and closes (or, with Persistent,
// keeps one connection and terminates commands with a newline); on UDP it
// prefixes a random cookie, retransmits the same datagram on timeout and
// accepts only the reply carrying its cookie.
//
// A Client is safe for concurrent use, but runs one command at a time;
// open several Clients for parallel load.
type Client struct {
	// Timeout bounds one attempt (one UDP transmission, or one stream
	// exchange); 0 means 1 s, Kamailio's rtpproxy_tout.
	Timeout time.Duration
	// Retries is the number of UDP transmissions; 0 means 5, Kamailio's
	// rtpproxy_retr.
	Retries int
	// Persistent keeps one stream connection open between commands.
	Persistent bool

	spec   Spec
	mu     sync.Mutex
	conn   net.Conn // the UDP socket, or the persistent stream connection
	prefix string   // random part of the cookies
	seq    uint64
	buf    []byte
}

// Dial prepares a Client for spec (see ParseSpec). UDP sockets are
// connected now; stream sockets at the first Do.
func Dial(spec string) (*Client, error) {
	sp, err := ParseSpec(spec)
	if err != nil {
		return nil, err
	}
	var r [6]byte
	rand.Read(r[:])
	c := &Client{spec: sp, prefix: hex.EncodeToString(r[:]) + "_", buf: make([]byte, 64*1024)}
	if !sp.Stream() {
		c.conn, err = net.Dial(sp.Network, sp.Address)
		if err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Close releases the Client's socket.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == nil {
		return nil
	}
	err := c.conn.Close()
	c.conn = nil
	return err
}

// Do sends command (without cookie or newline, e.g. "V" or
// "U call 192.0.2.1 4000 tag;1") and returns the reply body without
// cookie and final newline. An "E<n>" reply is returned together with an
// *Error carrying the code.
func (c *Client) Do(ctx context.Context, command string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var reply string
	var err error
	if c.spec.Stream() {
		reply, err = c.doStream(ctx, command)
	} else {
		reply, err = c.doPacket(ctx, command)
	}
	if err != nil {
		return "", err
	}
	return reply, ReplyError(reply)
}

func (c *Client) timeout() time.Duration {
	if c.Timeout <= 0 {
		return time.Second
	}
	return c.Timeout
}

func (c *Client) deadline(ctx context.Context) time.Time {
	d := time.Now().Add(c.timeout())
	if cd, ok := ctx.Deadline(); ok && cd.Before(d) {
		return cd
	}
	return d
}

func (c *Client) doStream(ctx context.Context, command string) (string, error) {
	if c.conn == nil {
		var d net.Dialer
		dctx, cancel := context.WithDeadline(ctx, c.deadline(ctx))
		conn, err := d.DialContext(dctx, c.spec.Network, c.spec.Address)
		cancel()
		if err != nil {
			return "", err
		}
		c.conn = conn
	}
	conn := c.conn
	if !c.Persistent {
		defer func() { conn.Close(); c.conn = nil }()
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()
	conn.SetDeadline(c.deadline(ctx))
	msg := command
	if c.Persistent {
		msg += "\n"
	}
	if _, err := conn.Write([]byte(msg)); err != nil {
		c.dropStream()
		return "", c.ctxErr(ctx, err)
	}
	// The reply ends with a newline; it normally arrives in one read.
	n := 0
	for {
		m, err := conn.Read(c.buf[n:])
		n += m
		if n > 0 && c.buf[n-1] == '\n' {
			return string(c.buf[:n-1]), nil
		}
		if err != nil || n == len(c.buf) {
			c.dropStream()
			if err == nil {
				err = fmt.Errorf("%w: reply too long", ErrBadReply)
			}
			return "", c.ctxErr(ctx, err)
		}
	}
}

// dropStream closes a persistent connection after an error; the next Do
// reconnects.
func (c *Client) dropStream() {
	if c.Persistent && c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
}

func (c *Client) ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return ErrTimeout
	}
	return err
}

func (c *Client) doPacket(ctx context.Context, command string) (string, error) {
	if c.conn == nil {
		return "", net.ErrClosed
	}
	c.seq++
	cookie := c.prefix + strconv.FormatUint(c.seq, 10)
	msg := []byte(cookie + " " + command)
	// The func may still run after Do returned and Close cleared c.conn:
	// it keeps its own reference.
	conn := c.conn
	stop := context.AfterFunc(ctx, func() { conn.SetReadDeadline(time.Now()) })
	defer stop()
	retries := c.Retries
	if retries <= 0 {
		retries = 5
	}
	for range retries {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		if _, err := c.conn.Write(msg); err != nil {
			return "", err
		}
		c.conn.SetReadDeadline(c.deadline(ctx))
		for {
			n, err := c.conn.Read(c.buf)
			if err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() && ctx.Err() == nil {
					break // retransmit
				}
				return "", c.ctxErr(ctx, err)
			}
			// "<cookie> <body>\n"; replies to earlier, timed-out
			// commands carry other cookies and are skipped.
			p := c.buf[:n]
			if len(p) > len(cookie) && bytes.HasPrefix(p, []byte(cookie)) && isSep(p[len(cookie)]) {
				body := bytes.TrimRight(p[len(cookie)+1:], "\r\n")
				return string(body), nil
			}
		}
	}
	return "", ErrTimeout
}
