package collect

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/callrec/callrec/internal/ship"
)

// TargetConfig configures a Target.
type TargetConfig struct {
	// Addr is the collector's host:port (required).
	Addr string
	// Token is the collector's secret (required).
	Token string
	// Node names this media node; the collector keeps its objects
	// under it and keys its catalogue rows node/recording (required;
	// letters, digits, '.', '-', '_').
	Node string
	// TLS configures the connection (the collector's CA in RootCAs,
	// and ServerName). Nil: plain TCP, for tests and trusted networks.
	TLS *tls.Config
	// DialTimeout bounds a dial with its handshake. Zero: 5 s.
	DialTimeout time.Duration
	// Window bounds the bytes of one object sent and not yet
	// acknowledged; WriteAt waits beyond it. Zero: 1 MiB.
	Window int64
	// Logger receives connection events. Nil: discard.
	Logger *slog.Logger
}

// Target is a ship.Target that streams objects to a collector over one
// connection, shared by every object. It is safe for concurrent use.
type Target struct {
	cfg TargetConfig
	log *slog.Logger

	mu      sync.Mutex
	cc      *clientConn
	retryAt time.Time // no dial before, after a failed one
	backoff time.Duration
	locs    map[string]string // key -> location, from COMMITTED
	closed  bool
}

var _ ship.Target = (*Target)(nil)

// NewTarget returns a Target; it dials on the first Open.
func NewTarget(cfg TargetConfig) (*Target, error) {
	if cfg.Addr == "" || cfg.Token == "" || !validNode(cfg.Node) {
		return nil, fmt.Errorf("collect: an address, a token and a node name (letters, digits, . - _) are required; node %q", cfg.Node)
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 5 * time.Second
	}
	if cfg.Window <= 0 {
		cfg.Window = 1 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Target{cfg: cfg, log: cfg.Logger, locs: map[string]string{}}, nil
}

// Location implements ship.Target: where the collector said it stored
// key when it was committed (the Shipper asks right after the commit;
// the Target remembers the last few thousand), otherwise
// collector://ADDR/NODE/KEY.
func (t *Target) Location(key string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if l, ok := t.locs[key]; ok {
		return l
	}
	return "collector://" + t.cfg.Addr + "/" + storageKey(t.cfg.Node, key)
}

// Close closes the connection; objects on it fail.
func (t *Target) Close() error {
	t.mu.Lock()
	cc := t.cc
	t.cc, t.closed = nil, true
	t.mu.Unlock()
	if cc != nil {
		cc.fail(ErrClosed)
		cc.wait()
	}
	return nil
}

// conn returns the live connection, dialling one if needed.
func (t *Target) conn(ctx context.Context) (*clientConn, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil, ErrClosed
	}
	if t.cc != nil && t.cc.alive() {
		return t.cc, nil
	}
	if time.Now().Before(t.retryAt) {
		return nil, fmt.Errorf("%w: %s (retry in %v)", ErrUnavailable, t.cfg.Addr, time.Until(t.retryAt).Round(time.Millisecond))
	}
	// Dialling under the lock: every Open waits for this one dial
	// instead of starting its own.
	cc, err := dial(ctx, t.cfg)
	if err != nil {
		t.backoff = min(max(2*t.backoff, 250*time.Millisecond), 10*time.Second)
		t.retryAt = time.Now().Add(t.backoff)
		t.log.Warn("collector unreachable; recordings stay spooled on disk", "addr", t.cfg.Addr, "err", err, "retry_in", t.backoff)
		if errors.Is(err, ErrAuth) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	t.backoff, t.retryAt = 0, time.Time{}
	t.log.Info("connected to the collector", "addr", t.cfg.Addr)
	t.cc = cc
	return cc, nil
}

// Open implements ship.Target: the object resumes from what the
// collector holds durably.
func (t *Target) Open(ctx context.Context, key string) (ship.Object, error) {
	if !validKey(key) {
		return nil, fmt.Errorf("collect: key %q is not a clean relative path", key)
	}
	cc, err := t.conn(ctx)
	if err != nil {
		return nil, err
	}
	o := cc.newObject(t, key)
	if err := cc.queue(ctx, o, func(b []byte) []byte { return AppendFrame(b, TypeOpen, o.id, []byte(key)) }); err != nil {
		cc.drop(o)
		return nil, err
	}
	size, _, err := o.reply(ctx, TypeOpened)
	if err != nil {
		o.Close() // releases the stream at the collector too
		return nil, fmt.Errorf("collect: open %s: %w", key, err)
	}
	o.sent, o.acked = size, size
	return o, nil
}

// Remove implements ship.Target.
func (t *Target) Remove(ctx context.Context, key string) error {
	if !validKey(key) {
		return fmt.Errorf("collect: key %q is not a clean relative path", key)
	}
	cc, err := t.conn(ctx)
	if err != nil {
		return err
	}
	o := cc.newObject(t, key)
	defer cc.drop(o)
	if err := cc.queue(ctx, o, func(b []byte) []byte { return AppendFrame(b, TypeRemove, o.id, []byte(key)) }); err != nil {
		return err
	}
	_, _, err = o.reply(ctx, TypeRemoved)
	return err
}
