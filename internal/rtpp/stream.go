package rtpp

import (
	"bytes"
	"context"
	"errors"
	"net"
	"sync"
	"syscall"
	"time"
)

// Serve accepts stream connections (unix or tcp) on ln and serves each
// in its own goroutine until ctx is done or Close is called; it then
// closes ln and the connections, waits for their goroutines and returns
// ErrServerClosed.
//
// A connection may send one command without a newline and wait for the
// reply, as Kamailio's and OpenSIPS's rtpproxy modules do (they connect,
// write, read and close), or stay open and send newline-terminated
// commands, as rtpproxy's stream mode expects. The first command decides:
// data without a newline, read at a command boundary before any newline
// was seen, is one whole command. Each reply is the body plus "\n"; there
// is no cookie.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if !s.track(ln) {
		ln.Close()
		return ErrServerClosed
	}
	defer s.untrack(ln)
	var conns sync.WaitGroup
	defer conns.Wait()
	// Cancelling ctx ends the connections when Serve returns for any reason.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	var backoff time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if retryAccept(err) && !s.isClosed() && ctx.Err() == nil {
				// Out of descriptors or an aborted handshake: wait
				// and retry, as net/http does, rather than stop serving.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.logger().Warn("rtpp: accept", "err", err, "retry_in", backoff)
				t := time.NewTimer(backoff)
				select {
				case <-t.C:
				case <-ctx.Done():
					t.Stop()
				}
				continue
			}
			ln.Close()
			return s.closedErr(ctx, err)
		}
		backoff = 0
		if !s.track(c) {
			c.Close()
			ln.Close()
			return ErrServerClosed
		}
		s.Counters.Connections.Add(1)
		conns.Add(1)
		go func() {
			defer conns.Done()
			defer s.untrack(c)
			defer c.Close()
			stopc := context.AfterFunc(ctx, func() { c.Close() })
			defer stopc()
			s.serveConn(ctx, c)
		}()
	}
}

// serveConn reads commands from one stream connection until EOF or an
// error.
func (s *Server) serveConn(ctx context.Context, c net.Conn) {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	n, lineMode := 0, false
	for {
		m, err := c.Read(buf[n:])
		n += m
		data := buf[:n]
		for m > 0 {
			i := bytes.IndexByte(data, '\n')
			if i < 0 {
				break
			}
			lineMode = true
			if !s.replyStream(ctx, c, data[:i]) {
				return
			}
			data = data[i+1:]
		}
		if m > 0 && !lineMode && len(data) > 0 {
			if !s.replyStream(ctx, c, data) {
				return
			}
			data = data[len(data):]
		}
		n = copy(buf, data)
		if n == len(buf) {
			// A line longer than rtpproxy's buffer: reject and drop the
			// connection, there is no way to resynchronise.
			s.Counters.Received.Add(1)
			s.Counters.Malformed.Add(1)
			s.Counters.Errors.Add(1)
			s.write(c, []byte(ECodeSyntax.String()+"\n"))
			return
		}
		if err != nil {
			return
		}
	}
}

// replyStream handles one command and writes its reply; false means the
// connection is unusable.
func (s *Server) replyStream(ctx context.Context, c net.Conn, line []byte) bool {
	body, _ := s.handle(ctx, line, false)
	out := make([]byte, 0, len(body)+1)
	out = append(append(out, body...), '\n')
	return s.write(c, out)
}

func (s *Server) write(c net.Conn, out []byte) bool {
	d := s.WriteTimeout
	if d <= 0 {
		d = 5 * time.Second
	}
	c.SetWriteDeadline(time.Now().Add(d))
	if _, err := c.Write(out); err != nil {
		s.logger().Debug("rtpp: write reply", "err", err)
		return false
	}
	s.Counters.Replied.Add(1)
	return true
}

// bufPool holds the read buffers of stream connections: Kamailio opens
// one connection per command.
var bufPool = sync.Pool{New: func() any {
	b := make([]byte, MaxCommandLen+1)
	return &b
}}

// retryAccept reports accept errors that do not mean the listener is
// broken.
func retryAccept(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) ||
		errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.ENOBUFS) ||
		errors.Is(err, syscall.ENOMEM)
}
