package collect

import (
	"bufio"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/callrec/callrec/internal/catalog"
	"github.com/callrec/callrec/internal/ship"
)

// Cataloguer receives the collector's catalogue rows (*catalog.Catalog).
type Cataloguer interface {
	Put(ctx context.Context, r *catalog.Recording) error
}

// ServerConfig configures a Server.
type ServerConfig struct {
	// Token is the secret every client must present (required).
	Token string
	// TLS, when set, wraps the listeners given to Serve.
	TLS *tls.Config
	// Target stores the objects, under NODE/KEY (required).
	Target ship.Target
	// Catalog receives a row per recording once all its files are
	// committed; nil writes none.
	Catalog Cataloguer
	// Logger receives connection events (never per frame). Nil: discard.
	Logger *slog.Logger
	// HelloTimeout bounds the TLS handshake and HELLO. Zero: 10 s.
	HelloTimeout time.Duration
}

// Server is the collector. Serve may be called for several listeners;
// Close stops them all.
type Server struct {
	cfg   ServerConfig
	log   *slog.Logger
	token [32]byte
	recs  recordings

	mu     sync.Mutex
	lis    map[net.Listener]bool
	conns  map[*srvConn]bool
	closed bool
	wg     sync.WaitGroup

	// Counters, read by metrics and tests.
	Conns, Streams                                   atomic.Int64
	Bytes, Commits, Rows                             atomic.Uint64
	AuthFailures, Malformed, BadChecksums, StreamErr atomic.Uint64
}

// ErrServerClosed is returned by Serve after Close.
var ErrServerClosed = errors.New("collect: server closed")

// NewServer returns a collector; Serve starts it on a listener.
func NewServer(cfg ServerConfig) (*Server, error) {
	if cfg.Token == "" || cfg.Target == nil {
		return nil, errors.New("collect: a token and a target are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.HelloTimeout <= 0 {
		cfg.HelloTimeout = 10 * time.Second
	}
	return &Server{cfg: cfg, log: cfg.Logger, token: sha256.Sum256([]byte(cfg.Token)),
		lis: map[net.Listener]bool{}, conns: map[*srvConn]bool{}, recs: recordings{m: map[string]*recState{}}}, nil
}

// Serve accepts connections on l until Close, and returns
// ErrServerClosed then.
func (s *Server) Serve(l net.Listener) error {
	if s.cfg.TLS != nil {
		l = tls.NewListener(l, s.cfg.TLS)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		l.Close()
		return ErrServerClosed
	}
	s.lis[l] = true
	s.mu.Unlock()
	var delay time.Duration
	for {
		c, err := l.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, syscallEMFILE) {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		cc := &srvConn{s: s, c: c, streams: map[uint32]*srvStream{}}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return ErrServerClosed
		}
		s.conns[cc] = true
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			cc.serve()
			s.mu.Lock()
			delete(s.conns, cc)
			s.mu.Unlock()
		}()
	}
}

// Close stops accepting, closes every connection at once (what is not
// acknowledged is resent by the clients) and waits for their goroutines.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	for l := range s.lis {
		l.Close()
	}
	for cc := range s.conns {
		cc.c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

// authenticate checks a HELLO's token in constant time (of the token's
// SHA-256, so that its length does not leak either).
func (s *Server) authenticate(version uint8, token string) bool {
	sum := sha256.Sum256([]byte(token))
	ok := subtle.ConstantTimeCompare(sum[:], s.token[:]) == 1
	return ok && version == Version
}

// validNode reports whether a node name is safe as a path element.
func validNode(n string) bool {
	if n == "" || len(n) > 128 || n == "." || n == ".." {
		return false
	}
	for _, c := range n {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// validKey reports whether a key is a clean relative path.
func validKey(k string) bool {
	if k == "" || len(k) > 1024 || strings.HasPrefix(k, "/") || strings.ContainsAny(k, "\\\x00") {
		return false
	}
	for _, e := range strings.Split(k, "/") {
		if e == "" || e == "." || e == ".." {
			return false
		}
	}
	return true
}

// bufPool holds frame bodies; the reader fills one per frame and the
// stream goroutine returns it.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 32<<10); return &b }}

func getBuf(n int) *[]byte {
	b := bufPool.Get().(*[]byte)
	if cap(*b) < n {
		*b = make([]byte, n)
	}
	*b = (*b)[:n]
	return b
}

func putBuf(b *[]byte) {
	if cap(*b) <= MaxData+64 {
		bufPool.Put(b)
	}
}

// readFrame reads one frame into a pooled body.
func readFrame(r *bufio.Reader, hdr *[HeaderLen]byte) (Type, uint32, *[]byte, error) {
	return readFrameMax(r, hdr, MaxBody)
}

// readFrameMax reads one frame whose body is at most max bytes.
func readFrameMax(r *bufio.Reader, hdr *[HeaderLen]byte, max int) (Type, uint32, *[]byte, error) {
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, 0, nil, err
	}
	t, stream, n, err := ParseHeader(hdr[:])
	if err != nil {
		return 0, 0, nil, err
	}
	if n > max {
		return 0, 0, nil, fmt.Errorf("%w: body of %d bytes, at most %d here", ErrMalformed, n, max)
	}
	b := getBuf(n)
	if _, err := io.ReadFull(r, *b); err != nil {
		putBuf(b)
		return 0, 0, nil, err
	}
	return t, stream, b, nil
}

func errorFrame(stream uint32, err error) []byte {
	msg := err.Error()
	if len(msg) > 1000 {
		msg = msg[:1000]
	}
	return AppendFrame(nil, TypeError, stream, []byte(msg))
}

// storageKey is where node's key lives in the target.
func storageKey(node, key string) string { return node + "/" + key }

// describe is for errors.
func describe(t Type) string {
	switch t {
	case TypeData:
		return "DATA"
	case TypeHeader:
		return "HEADER"
	case TypeMeta:
		return "META"
	case TypeCommit:
		return "COMMIT"
	}
	return fmt.Sprintf("type %d", t)
}
