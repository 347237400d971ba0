package proxy

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// SIP over TLS (RFC 3261 §26.2, RFC 5630). The proxy listens for TLS on
// Config.TLS with the certificate of Config.TLSConfig and sends over TLS
// to next hops that ask for it: a URI with transport=tls, or a sips: URI
// (which requires TLS on every hop). Requests arriving over TLS are
// record-routed twice when they leave over another transport (prepare),
// so each party reaches the proxy back over its own transport; responses
// and requests to a party that connected over TLS reuse its connection
// (sipgo's connection pool keys connections by remote address).
//
// A next hop that needs TLS while no TLS listener is configured is not
// downgraded to UDP or TCP: the branch fails (ErrNoTLS) and the caller
// gets 503. Without a listener the callee could not reach the proxy back
// over TLS through the Record-Route.

// defaultTLSPort is the SIP-over-TLS port (RFC 3261 §19.1.2).
const defaultTLSPort = 5061

// handshakeTimeout bounds a TLS client's handshake. sipgo reads each
// connection on a goroutine of its own with no read deadline, so a
// client that connects and never completes the handshake would hold its
// socket and that goroutine for ever.
var handshakeTimeout = 10 * time.Second

// listenTLS binds addr for SIP over TLS with the server config c; idle
// is the connections' idle timeout (idleListener).
func listenTLS(addr string, c *tls.Config, idle time.Duration) (net.Listener, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	l = idleListener{Listener: l, idle: idle}
	c = c.Clone()
	if c.MinVersion == 0 {
		c.MinVersion = tls.VersionTLS12 // RFC 8996: nothing older
	}
	return tlsListener{Listener: l, cfg: c}, nil
}

// tlsListener is tls.NewListener with a handshake deadline (serverConn).
type tlsListener struct {
	net.Listener
	cfg *tls.Config
}

func (l tlsListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &serverConn{Conn: tls.Server(c, l.cfg)}, nil
}

// serverConn completes the handshake on the first Read (on sipgo's
// reader goroutine, so a slow client delays nobody else) within
// handshakeTimeout; a failed or late handshake fails that Read, and
// sipgo closes the connection.
type serverConn struct {
	*tls.Conn
	once sync.Once
	err  error
}

func (c *serverConn) Read(b []byte) (int, error) {
	c.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), handshakeTimeout)
		defer cancel()
		c.err = c.HandshakeContext(ctx)
	})
	if c.err != nil {
		return 0, c.err
	}
	return c.Conn.Read(b)
}

// idleListener gives every accepted connection a read deadline of idle
// from each read: sipgo reads each stream connection on a goroutine of
// its own with no deadline, so connections that go quiet (a client gone
// without a FIN, or a flood of idle sockets) would otherwise hold a file
// descriptor and a goroutine for ever. A phone keeping its connection
// open sends keepalives (CRLF, RFC 5626) or SIP within idle.
type idleListener struct {
	net.Listener
	idle time.Duration
}

func (l idleListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &idleConn{Conn: c, idle: l.idle}, nil
}

type idleConn struct {
	net.Conn
	idle time.Duration
}

func (c *idleConn) Read(b []byte) (int, error) {
	if err := c.SetReadDeadline(time.Now().Add(c.idle)); err != nil {
		return 0, err
	}
	return c.Conn.Read(b)
}

// clientTLS is the config the proxy dials TLS next hops with: c, or the
// system roots when c is nil, never below TLS 1.2. sipgo sets ServerName
// to the next hop's host, so certificates are verified against the name
// or IP in the URI.
func clientTLS(c *tls.Config) *tls.Config {
	if c == nil {
		c = &tls.Config{}
	} else {
		c = c.Clone()
	}
	if c.MinVersion == 0 {
		c.MinVersion = tls.VersionTLS12
	}
	return c
}

// hopTransport is the transport a request to hop must use ("UDP", "TCP"
// or "TLS") and the port to send to, by RFC 3263 §4.1 without DNS: the
// transport parameter, TLS for sips:, else UDP; a missing port is 5060,
// or 5061 for TLS.
func hopTransport(hop sip.Uri) (string, int) {
	tp := "UDP"
	if v, ok := hop.UriParams.Get("transport"); ok && v != "" {
		tp = strings.ToUpper(v)
	}
	if hop.Scheme == "sips" {
		tp = "TLS"
	}
	port := hop.Port
	if port == 0 {
		port = 5060
		if tp == "TLS" {
			port = defaultTLSPort
		}
	}
	return tp, port
}
