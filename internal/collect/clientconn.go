package collect

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// maxPending bounds the bytes queued for the writer; callers wait
// beyond it.
const maxPending = 8 << 20

// replyTimeout bounds the wait for OPENED, COMMITTED and REMOVED: a
// collector that accepts bytes but never answers is treated as gone.
const replyTimeout = 60 * time.Second

// clientConn is the Target's connection. mu guards pending, objs and
// every object's acked/err/reply fields.
type clientConn struct {
	c    net.Conn
	done chan struct{} // closed when the connection fails
	wg   sync.WaitGroup

	mu      sync.Mutex
	err     error
	pending []byte        // frames queued for the writer
	spare   []byte        // the writer's other buffer
	space   chan struct{} // closed when the writer takes pending
	wake    chan struct{} // the writer's wake-up, capacity 1
	objs    map[uint32]*object
	next    uint32
}

// dial connects, authenticates and starts the connection's goroutines.
func dial(ctx context.Context, cfg TargetConfig) (*clientConn, error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.DialTimeout)
	defer cancel()
	nd := &net.Dialer{}
	var c net.Conn
	var err error
	if cfg.TLS != nil {
		c, err = (&tls.Dialer{NetDialer: nd, Config: cfg.TLS}).DialContext(ctx, "tcp", cfg.Addr)
	} else {
		c, err = nd.DialContext(ctx, "tcp", cfg.Addr)
	}
	if err != nil {
		return nil, err
	}
	dl, _ := ctx.Deadline()
	c.SetDeadline(dl)
	r := bufio.NewReaderSize(c, 64<<10)
	if _, err := c.Write(AppendHello(nil, cfg.Token, cfg.Node)); err != nil {
		c.Close()
		return nil, err
	}
	var hdr [HeaderLen]byte
	t, _, b, err := readFrame(r, &hdr)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("collect: waiting for WELCOME: %w", err)
	}
	defer putBuf(b)
	switch t {
	case TypeWelcome:
	case TypeError:
		c.Close()
		if string(*b) == ErrAuth.Error() {
			return nil, ErrAuth
		}
		return nil, fmt.Errorf("%w: %s", ErrRemote, *b)
	default:
		c.Close()
		return nil, fmt.Errorf("%w: type %d instead of WELCOME", ErrMalformed, t)
	}
	c.SetDeadline(time.Time{})
	cc := &clientConn{c: c, done: make(chan struct{}), space: make(chan struct{}), wake: make(chan struct{}, 1),
		objs: map[uint32]*object{}, pending: make([]byte, 0, 64<<10), spare: make([]byte, 0, 64<<10)}
	cc.wg.Add(2)
	go func() { defer cc.wg.Done(); cc.writer() }()
	go func() { defer cc.wg.Done(); cc.reader(r) }()
	return cc, nil
}

func (cc *clientConn) alive() bool {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return cc.err == nil
}

// fail ends the connection with err; every object on it fails.
func (cc *clientConn) fail(err error) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.err != nil {
		return
	}
	cc.err = fmt.Errorf("%w: %v", ErrClosed, err)
	close(cc.done)
	cc.c.Close()
}

func (cc *clientConn) wait() { cc.wg.Wait() }

// lock takes mu once the pending buffer has room; on success the caller
// appends to pending and calls unlockWake.
func (cc *clientConn) lock(ctx context.Context) error {
	cc.mu.Lock()
	for {
		if cc.err != nil {
			err := cc.err
			cc.mu.Unlock()
			return err
		}
		if len(cc.pending) < maxPending {
			return nil
		}
		sp := cc.space
		cc.mu.Unlock()
		select {
		case <-sp:
		case <-cc.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		cc.mu.Lock()
	}
}

// unlockWake releases mu and wakes the writer.
func (cc *clientConn) unlockWake() {
	cc.mu.Unlock()
	select {
	case cc.wake <- struct{}{}:
	default:
	}
}

// queue appends the frame built by f.
func (cc *clientConn) queue(ctx context.Context, _ *object, f func([]byte) []byte) error {
	if err := cc.lock(ctx); err != nil {
		return err
	}
	cc.pending = f(cc.pending)
	cc.unlockWake()
	return nil
}

// writer writes what was queued since its last write, in one write.
func (cc *clientConn) writer() {
	for {
		select {
		case <-cc.wake:
		case <-cc.done:
			return
		}
		cc.mu.Lock()
		buf := cc.pending
		cc.pending = cc.spare[:0]
		sp := cc.space
		cc.space = make(chan struct{})
		cc.mu.Unlock()
		close(sp)
		if len(buf) > 0 {
			cc.c.SetWriteDeadline(time.Now().Add(30 * time.Second))
			if _, err := cc.c.Write(buf); err != nil {
				cc.fail(err)
				return
			}
		}
		cc.mu.Lock()
		cc.spare = buf[:0]
		cc.mu.Unlock()
	}
}

// reader routes the collector's frames to objects.
func (cc *clientConn) reader(r *bufio.Reader) {
	var hdr [HeaderLen]byte
	for {
		t, id, b, err := readFrame(r, &hdr)
		if err != nil {
			cc.fail(err)
			return
		}
		if err := cc.route(t, id, *b); err != nil {
			putBuf(b)
			cc.fail(err)
			return
		}
		putBuf(b)
	}
}

func (cc *clientConn) route(t Type, id uint32, b []byte) error {
	if t == TypeError && id == 0 {
		return fmt.Errorf("%w: %s", ErrRemote, b)
	}
	var off int64
	var loc string
	var err error
	switch t {
	case TypeAck, TypeOpened:
		off, err = ParseOffset(b)
	case TypeCommitted:
		off, loc, err = ParseCommitted(b)
	case TypeRemoved, TypeError:
	default:
		err = fmt.Errorf("%w: type %d from the collector", ErrMalformed, t)
	}
	if err != nil {
		return err
	}
	cc.mu.Lock()
	o := cc.objs[id]
	if o != nil {
		switch t {
		case TypeAck:
			o.acked = max(o.acked, off)
		case TypeError:
			o.err = fmt.Errorf("%w: %s", ErrRemote, b)
		default:
			o.hasReply, o.replyT, o.replyN, o.replyS = true, t, off, loc
		}
	}
	cc.mu.Unlock()
	if o != nil {
		select {
		case o.wake <- struct{}{}:
		default:
		}
	}
	return nil
}

func (cc *clientConn) newObject(t *Target, key string) *object {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	cc.next++
	o := &object{t: t, cc: cc, id: cc.next, key: key, wake: make(chan struct{}, 1)}
	cc.objs[o.id] = o
	return o
}

func (cc *clientConn) drop(o *object) {
	cc.mu.Lock()
	delete(cc.objs, o.id)
	cc.mu.Unlock()
}

// errDone is returned for an object used after Commit or Close.
var errDone = errors.New("collect: object committed or closed")
