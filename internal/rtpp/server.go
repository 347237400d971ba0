package rtpp

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Handler executes one parsed command and returns the reply body,
// without cookie and without the final newline ("0", "E50", "35000
// 192.0.2.1"...). The Server calls it only for commands Parse accepted,
// from the goroutine reading the socket or connection; cmd belongs to
// the handler once called (its strings never alias a reused buffer).
// Handlers must be safe for concurrent use: several sockets and
// connections call them at the same time.
type Handler interface {
	ServeRTPP(ctx context.Context, cmd *Command) string
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, cmd *Command) string

// ServeRTPP calls f.
func (f HandlerFunc) ServeRTPP(ctx context.Context, cmd *Command) string { return f(ctx, cmd) }

// Counters are the Server's command counters, named after rtpproxy's
// ncmds_* statistics. They are updated atomically and may be read at any
// time.
type Counters struct {
	Received    atomic.Uint64 // ncmds_rcvd: commands received, retransmissions excluded
	Duplicates  atomic.Uint64 // ncmds_rcvd_ndups: UDP retransmissions answered from the cache
	Malformed   atomic.Uint64 // commands Parse rejected (a subset of Errors)
	Succeeded   atomic.Uint64 // ncmds_succd: replies other than E<n>
	Errors      atomic.Uint64 // ncmds_errs: E<n> replies
	Replied     atomic.Uint64 // ncmds_repld: replies sent (cache hits excluded)
	Connections atomic.Uint64 // stream connections accepted
}

// Server serves the control protocol on any number of sockets.
// Configure the exported fields before the first Serve; a zero Server
// with a Handler is ready to use.
type Server struct {
	// Handler runs the parsed commands; it must be set.
	Handler Handler
	// Logger receives connection-level errors and, at debug level, the
	// commands rejected by Parse. Nil discards.
	Logger *slog.Logger
	// RetransmitTTL is how long a UDP reply is kept for retransmitted
	// cookies; 0 means 30 s.
	RetransmitTTL time.Duration
	// CacheSize bounds the replies cached per UDP socket; 0 means 4096.
	// The oldest entry is evicted first.
	CacheSize int
	// WriteTimeout bounds writing one reply on a stream connection; 0
	// means 5 s. A client that does not read is disconnected.
	WriteTimeout time.Duration

	// Counters count commands and replies over all sockets.
	Counters Counters

	// OnCommand, when set before the first Serve, is called after each
	// parsed command with how long the Handler took, on the socket's
	// goroutine; it must be cheap and safe for concurrent use (callrec
	// media feeds a latency histogram). Retransmissions answered from the
	// cache and malformed commands are not reported.
	OnCommand func(op Op, d time.Duration)

	mu      sync.Mutex
	closed  bool
	closers map[io.Closer]struct{} // listeners, packet conns and stream conns
	wg      sync.WaitGroup         // every goroutine the Server runs
}

// track registers c to be closed by Close and adds one goroutine to the
// wait group; it fails once the Server is closed.
func (s *Server) track(c io.Closer) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	if s.closers == nil {
		s.closers = make(map[io.Closer]struct{})
	}
	s.closers[c] = struct{}{}
	s.wg.Add(1)
	return true
}

func (s *Server) untrack(c io.Closer) {
	s.mu.Lock()
	delete(s.closers, c)
	s.mu.Unlock()
	s.wg.Done()
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// Close closes every listener, socket and connection of the Server and
// waits until all its goroutines have returned, including handler calls
// in progress. Serve functions then return ErrServerClosed.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	for c := range s.closers {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

// ListenAndServe opens the socket named by spec (see ParseSpec) and
// serves it until ctx is done or Close is called.
func (s *Server) ListenAndServe(ctx context.Context, spec string) error {
	sp, err := ParseSpec(spec)
	if err != nil {
		return err
	}
	if !sp.Stream() {
		pc, err := sp.ListenPacket()
		if err != nil {
			return err
		}
		return s.ServePacket(ctx, pc)
	}
	ln, err := sp.Listen()
	if err != nil {
		return err
	}
	return s.Serve(ctx, ln)
}

func (s *Server) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// handle parses and executes one command and returns the reply body.
func (s *Server) handle(ctx context.Context, line []byte, cookie bool) (body string, cmd *Command) {
	s.Counters.Received.Add(1)
	cmd, err := Parse(line, cookie)
	if err != nil {
		s.Counters.Malformed.Add(1)
		s.Counters.Errors.Add(1)
		s.logger().Debug("rtpp: malformed command", "err", err)
		return CodeOf(err).String(), cmd
	}
	start := time.Now()
	body = s.Handler.ServeRTPP(ctx, cmd)
	if s.OnCommand != nil {
		s.OnCommand(cmd.Op, time.Since(start))
	}
	if ReplyError(body) != nil {
		s.Counters.Errors.Add(1)
	} else {
		s.Counters.Succeeded.Add(1)
	}
	return body, cmd
}

// closedErr maps the error that ended a serve loop.
func (s *Server) closedErr(ctx context.Context, err error) error {
	if s.isClosed() || ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
		return ErrServerClosed
	}
	return err
}
