package collect

import (
	"context"
	"fmt"
	"time"

	"github.com/callrec/callrec/internal/ship"
)

// maxLocations bounds the committed locations a Target remembers.
const maxLocations = 4096

// object is one stream: a ship.Object on a Target's connection.
type object struct {
	t    *Target
	cc   *clientConn
	id   uint32
	key  string
	wake chan struct{} // capacity 1: an ack, reply or error arrived

	// Guarded by cc.mu.
	acked    int64
	err      error
	hasReply bool
	replyT   Type
	replyN   int64
	replyS   string

	// Owned by the caller.
	sent int64 // the next append's offset: acked plus what is in flight
	done bool
}

var (
	_ ship.Object     = (*object)(nil)
	_ ship.MetaWriter = (*object)(nil)
)

// Size implements ship.Object: the offset the collector acknowledged
// as durable.
func (o *object) Size() int64 {
	o.cc.mu.Lock()
	defer o.cc.mu.Unlock()
	return o.acked
}

// state returns the acked offset and the object's (or its
// connection's) error.
func (o *object) state() (int64, error) {
	o.cc.mu.Lock()
	defer o.cc.mu.Unlock()
	if o.err != nil {
		return o.acked, o.err
	}
	return o.acked, o.cc.err
}

// WriteAt implements ship.Object. Appends are queued and acknowledged
// asynchronously (WriteAt waits only when more than the window is in
// flight); bytes the caller sends again because Size still lags (they
// are in flight) are not sent twice, except within the header window,
// where they are rewritten with what the caller has now.
func (o *object) WriteAt(ctx context.Context, p []byte, off int64) error {
	if o.done {
		return errDone
	}
	acked, err := o.state()
	if err != nil {
		return err
	}
	end := off + int64(len(p))
	switch {
	case off > o.sent:
		return fmt.Errorf("%w: %s at %d, holds %d", ship.ErrBadWrite, o.key, off, o.sent)
	case off < o.sent && end <= ship.HeaderWindow:
		if end > o.sent {
			// Partly beyond what was sent: rewrite, then append.
			n := o.sent - off
			if err := o.send(ctx, TypeHeader, p[:n], off); err != nil {
				return err
			}
			p, off = p[n:], o.sent
			break
		}
		return o.send(ctx, TypeHeader, p, off)
	case off < o.sent:
		if off < acked {
			return fmt.Errorf("%w: %s at %d+%d, acknowledged %d", ship.ErrBadWrite, o.key, off, len(p), acked)
		}
		if off < ship.HeaderWindow {
			if err := o.send(ctx, TypeHeader, p[:min(ship.HeaderWindow, o.sent)-off], off); err != nil {
				return err
			}
		}
		skip := min(int64(len(p)), o.sent-off)
		p, off = p[skip:], off+skip
	}
	for len(p) > 0 {
		n := min(len(p), MaxData)
		if err := o.waitWindow(ctx, int64(n)); err != nil {
			return err
		}
		if err := o.send(ctx, TypeData, p[:n], off); err != nil {
			return err
		}
		o.sent += int64(n)
		p, off = p[n:], off+int64(n)
	}
	return nil
}

// send queues a DATA or HEADER frame.
func (o *object) send(ctx context.Context, t Type, p []byte, off int64) error {
	cc := o.cc
	if err := cc.lock(ctx); err != nil {
		return err
	}
	cc.pending = AppendData(cc.pending, t, o.id, off, p)
	cc.unlockWake()
	return nil
}

// waitWindow waits until n more bytes fit in the window.
func (o *object) waitWindow(ctx context.Context, n int64) error {
	for {
		acked, err := o.state()
		if err != nil {
			return err
		}
		if o.sent-acked+n <= o.t.cfg.Window || o.sent == acked {
			return nil
		}
		if err := o.waitWake(ctx, time.Time{}); err != nil {
			return err
		}
	}
}

func (o *object) waitWake(ctx context.Context, deadline time.Time) error {
	var tc <-chan time.Time
	if !deadline.IsZero() {
		t := time.NewTimer(time.Until(deadline))
		defer t.Stop()
		tc = t.C
	}
	select {
	case <-o.wake:
		return nil
	case <-o.cc.done:
		return nil // state reports the error
	case <-ctx.Done():
		return ctx.Err()
	case <-tc:
		err := fmt.Errorf("collect: no answer from the collector in %v", replyTimeout)
		o.cc.fail(err)
		return err
	}
}

// reply waits for the reply of type want (or an error) to a request.
func (o *object) reply(ctx context.Context, want Type) (int64, string, error) {
	deadline := time.Now().Add(replyTimeout)
	for {
		o.cc.mu.Lock()
		if o.hasReply {
			t, n, s := o.replyT, o.replyN, o.replyS
			o.hasReply = false
			o.cc.mu.Unlock()
			if t != want {
				return 0, "", fmt.Errorf("%w: reply type %d, want %d", ErrMalformed, t, want)
			}
			return n, s, nil
		}
		err := o.err
		if err == nil {
			err = o.cc.err
		}
		o.cc.mu.Unlock()
		if err != nil {
			return 0, "", err
		}
		if err := o.waitWake(ctx, deadline); err != nil {
			return 0, "", err
		}
	}
}

// WriteMeta implements ship.MetaWriter: the collector writes the
// catalogue row from it when the recording's files are committed.
func (o *object) WriteMeta(ctx context.Context, recording string, sidecar []byte) error {
	if o.done {
		return errDone
	}
	if _, err := o.state(); err != nil {
		return err
	}
	if len(sidecar)+2+len(recording) > MaxBody {
		return fmt.Errorf("collect: sidecar of %s is %d bytes, over %d", recording, len(sidecar), MaxBody)
	}
	return o.cc.queue(ctx, o, func(b []byte) []byte { return AppendMeta(b, o.id, recording, sidecar) })
}

// Commit implements ship.Object: it returns once the collector has the
// object complete, its checksum verified, and its catalogue row written
// (when this was the recording's last file).
func (o *object) Commit(ctx context.Context, size int64, sum [32]byte) error {
	if o.done {
		return errDone
	}
	if size > o.sent {
		return fmt.Errorf("collect: commit %s at %d bytes, sent %d", o.key, size, o.sent)
	}
	if err := o.cc.queue(ctx, o, func(b []byte) []byte { return AppendCommit(b, o.id, size, sum) }); err != nil {
		return err
	}
	n, loc, err := o.reply(ctx, TypeCommitted)
	if err != nil {
		return fmt.Errorf("collect: commit %s: %w", o.key, err)
	}
	if n != size {
		return fmt.Errorf("collect: commit %s: collector holds %d bytes, want %d", o.key, n, size)
	}
	o.done = true
	o.cc.drop(o)
	o.t.mu.Lock()
	if len(o.t.locs) >= maxLocations {
		clear(o.t.locs) // bounded: a media node runs for years
	}
	o.t.locs[o.key] = loc
	o.t.mu.Unlock()
	return nil
}

// Close implements ship.Object: the stream is released on the collector
// (what it holds stays, to be resumed).
func (o *object) Close() error {
	if o.done {
		return nil
	}
	o.done = true
	cc := o.cc
	cc.mu.Lock()
	if cc.err == nil {
		cc.pending = AppendFrame(cc.pending, TypeClose, o.id, nil)
	}
	delete(cc.objs, o.id)
	cc.unlockWake()
	return nil
}
