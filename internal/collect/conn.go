package collect

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/callrec/callrec/internal/record"
	"github.com/callrec/callrec/internal/ship"
)

// maxHello bounds the first frame (token and node name).
const maxHello = 4096

// MaxStreams bounds the streams open at once on one connection (a media
// node records far fewer calls at once).
const MaxStreams = 20000

// srvConn is one media node's connection to the collector.
type srvConn struct {
	s    *Server
	c    net.Conn
	node string

	wmu sync.Mutex
	w   *bufio.Writer

	streams map[uint32]*srvStream // owned by the reader (serve)
	wg      sync.WaitGroup        // stream goroutines
}

// srvStream is one object being received. Its goroutine (run) owns
// everything but in, which the reader sends to and closes.
type srvStream struct {
	id  uint32
	in  chan inFrame
	key string // as the client named it

	obj     ship.Object
	meta    *record.Meta
	rec     string // the recording (sidecar base) META named
	failed  bool
	durable int64
}

type inFrame struct {
	t    Type
	body *[]byte
}

// send writes one frame to the client, flushed.
func (cc *srvConn) send(b []byte) error {
	cc.wmu.Lock()
	defer cc.wmu.Unlock()
	cc.c.SetWriteDeadline(time.Now().Add(30 * time.Second))
	if _, err := cc.w.Write(b); err != nil {
		return err
	}
	return cc.w.Flush()
}

// serve runs the connection: HELLO, then frames until it ends.
func (cc *srvConn) serve() {
	s := cc.s
	defer cc.c.Close()
	s.Conns.Add(1)
	defer s.Conns.Add(-1)
	ctx, cancel := context.WithCancel(context.Background())
	defer func() {
		for _, st := range cc.streams {
			close(st.in)
		}
		cancel()
		cc.wg.Wait()
	}()
	cc.w = bufio.NewWriterSize(cc.c, 16<<10)
	r := bufio.NewReaderSize(cc.c, 64<<10)
	var hdr [HeaderLen]byte

	cc.c.SetReadDeadline(time.Now().Add(s.cfg.HelloTimeout))
	// Before it has authenticated, a client gets no more than a small
	// buffer out of the collector.
	t, _, b, err := readFrameMax(r, &hdr, maxHello)
	if err != nil {
		if errors.Is(err, ErrMalformed) {
			s.Malformed.Add(1)
		}
		s.log.Info("collector: connection dropped before HELLO", "remote", cc.c.RemoteAddr(), "err", err)
		return
	}
	if t != TypeHello {
		s.Malformed.Add(1)
		cc.send(errorFrame(0, fmt.Errorf("%w: first frame is type %d, not HELLO", ErrMalformed, t)))
		putBuf(b)
		return
	}
	version, token, node, err := ParseHello(*b)
	putBuf(b)
	switch {
	case err != nil:
		s.Malformed.Add(1)
		cc.send(errorFrame(0, err))
		return
	case !s.authenticate(version, token):
		// Let the client learn nothing but "no": same answer for a
		// wrong token and a wrong version.
		s.AuthFailures.Add(1)
		s.log.Warn("collector: authentication refused", "remote", cc.c.RemoteAddr(), "node", node)
		cc.send(errorFrame(0, ErrAuth))
		return
	case !validNode(node):
		s.Malformed.Add(1)
		cc.send(errorFrame(0, fmt.Errorf("%w: node name %q", ErrMalformed, node)))
		return
	}
	cc.node = node
	cc.c.SetReadDeadline(time.Time{})
	if err := cc.send(AppendFrame(nil, TypeWelcome, 0, nil)); err != nil {
		return
	}
	s.log.Info("collector: media node connected", "node", node, "remote", cc.c.RemoteAddr())
	defer s.log.Info("collector: media node disconnected", "node", node, "remote", cc.c.RemoteAddr())

	for {
		t, id, b, err := readFrame(r, &hdr)
		if err != nil {
			if errors.Is(err, ErrMalformed) {
				s.Malformed.Add(1)
				cc.send(errorFrame(0, err))
			}
			return
		}
		if err := cc.dispatch(ctx, t, id, b); err != nil {
			s.Malformed.Add(1)
			s.log.Warn("collector: closing connection", "node", node, "err", err)
			cc.send(errorFrame(0, err))
			return
		}
	}
}

// dispatch routes one frame to its stream.
func (cc *srvConn) dispatch(ctx context.Context, t Type, id uint32, b *[]byte) error {
	switch t {
	case TypeOpen, TypeRemove:
		key := string(*b)
		putBuf(b)
		if !validKey(key) {
			return fmt.Errorf("%w: key %q", ErrMalformed, key)
		}
		if t == TypeRemove {
			// Rare (retention): done inline.
			err := cc.s.cfg.Target.Remove(ctx, storageKey(cc.node, key))
			if err != nil {
				return cc.streamError(id, err)
			}
			return cc.send(AppendFrame(nil, TypeRemoved, id, nil))
		}
		if _, ok := cc.streams[id]; ok {
			return fmt.Errorf("%w: stream %d opened twice", ErrMalformed, id)
		}
		if len(cc.streams) >= MaxStreams {
			return fmt.Errorf("%w: more than %d streams open on one connection", ErrMalformed, MaxStreams)
		}
		st := &srvStream{id: id, key: key, in: make(chan inFrame, 32)}
		cc.streams[id] = st
		cc.s.Streams.Add(1)
		cc.wg.Add(1)
		go func() {
			defer cc.wg.Done()
			defer cc.s.Streams.Add(-1)
			cc.run(ctx, st)
		}()
		return nil
	case TypeData, TypeHeader, TypeMeta, TypeCommit, TypeClose:
		st, ok := cc.streams[id]
		if !ok && t == TypeClose {
			putBuf(b) // a stream that ended with an error on COMMIT
			return nil
		}
		if !ok {
			putBuf(b)
			return fmt.Errorf("%w: %s on stream %d, which is not open", ErrMalformed, describe(t), id)
		}
		select {
		case st.in <- inFrame{t, b}:
		case <-ctx.Done():
			putBuf(b)
		}
		if t == TypeCommit || t == TypeClose {
			close(st.in)
			delete(cc.streams, id)
		}
		return nil
	}
	putBuf(b)
	return fmt.Errorf("%w: type %d from a client", ErrMalformed, t)
}

func (cc *srvConn) streamError(id uint32, err error) error {
	cc.s.StreamErr.Add(1)
	return cc.send(errorFrame(id, err))
}

// run handles one stream's frames in order: open the object, write,
// acknowledge each batch once durable, commit.
func (cc *srvConn) run(ctx context.Context, st *srvStream) {
	s := cc.s
	defer func() {
		if st.obj != nil {
			st.obj.Close()
		}
	}()
	obj, err := s.cfg.Target.Open(ctx, storageKey(cc.node, st.key))
	if err != nil {
		st.failed = true
		cc.streamError(st.id, fmt.Errorf("collect: open %s: %w", st.key, err))
	} else {
		st.obj, st.durable = obj, obj.Size()
		cc.send(AppendOffset(nil, TypeOpened, st.id, st.durable))
	}
	// Appends are acknowledged once synced, one sync and one ACK per
	// batch (the frames queued when the stream catches up). Header
	// rewrites need neither: the client resends the header whenever
	// it reopens an object and before every commit, and Commit syncs.
	appended := false
	for f := range st.in {
		if !st.failed {
			if err := cc.handle(ctx, st, f); err != nil {
				cc.fail(st, err)
			} else if f.t == TypeData {
				appended = true
			}
		}
		putBuf(f.body)
		if appended && len(st.in) == 0 && !st.failed && st.obj != nil { // nil: committed, synced by Commit
			appended = false
			if sy, ok := st.obj.(ship.Syncer); ok {
				if err := sy.Sync(); err != nil {
					cc.fail(st, fmt.Errorf("collect: sync %s: %w", st.key, err))
					continue
				}
			}
			st.durable = st.obj.Size()
			if err := cc.send(AppendOffset(nil, TypeAck, st.id, st.durable)); err != nil {
				st.failed = true
			}
		}
	}
}

// fail ends st after err: the client is told and resumes the object on
// a new stream; frames still arriving for st are dropped.
func (cc *srvConn) fail(st *srvStream, err error) {
	s := cc.s
	st.failed = true
	if errors.Is(err, ErrChecksum) {
		s.BadChecksums.Add(1)
	}
	s.log.Warn("collector: stream failed; the client resumes it", "node", cc.node, "key", st.key, "err", err)
	cc.streamError(st.id, err)
}

// handle applies one frame to the stream's object.
func (cc *srvConn) handle(ctx context.Context, st *srvStream, f inFrame) error {
	switch f.t {
	case TypeData, TypeHeader:
		off, p, err := ParseData(*f.body)
		if err != nil {
			return fmt.Errorf("%s %s: %w", describe(f.t), st.key, err)
		}
		if err := st.obj.WriteAt(ctx, p, off); err != nil {
			return fmt.Errorf("collect: write %s at %d: %w", st.key, off, err)
		}
		cc.s.Bytes.Add(uint64(len(p)))
	case TypeMeta:
		rec, side, err := ParseMeta(*f.body)
		if err != nil {
			return err
		}
		if !validKey(rec) {
			return fmt.Errorf("%w: recording %q", ErrMalformed, rec)
		}
		var m record.Meta
		if err := json.Unmarshal(side, &m); err != nil {
			return fmt.Errorf("%w: META of %s: %v", ErrMalformed, st.key, err)
		}
		st.rec, st.meta = rec, &m
	case TypeCommit:
		size, sum, err := ParseCommit(*f.body)
		if err != nil {
			return err
		}
		if err := st.obj.Commit(ctx, size, sum); err != nil {
			return fmt.Errorf("collect: commit %s: %w", st.key, err)
		}
		st.obj = nil // committed: nothing to close
		loc := cc.s.cfg.Target.Location(storageKey(cc.node, st.key))
		if st.meta != nil {
			if err := cc.s.catalogue(ctx, cc.node, st, ship.ShippedFile{Path: st.key, Location: loc, Bytes: size, SHA256: hexSum(sum)}); err != nil {
				return err
			}
		}
		cc.s.Commits.Add(1)
		return cc.send(AppendCommitted(nil, st.id, size, loc))
	case TypeClose:
	}
	return nil
}
