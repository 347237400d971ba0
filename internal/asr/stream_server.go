package asr

import (
	"bufio"
	"context"
	"crypto/subtle"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// LegEngine is a speech engine serving one connection (one leg) of a
// StreamServer. Its methods are called on that connection's goroutine
// only, in stream order.
type LegEngine interface {
	// Audio is the leg's next samples; pcm is reused after it returns.
	Audio(pcm []int16) error
	// Gap says samples were dropped by the client here: offsets after
	// it are that much later.
	Gap(samples int) error
	// Results returns what was found since the last call, offsets in
	// the recording (the header's offset_seconds added).
	Results() []StreamResult
	// End is the end of the leg's audio: find what is left.
	End() error
	// Close frees the engine; called once, last.
	Close()
}

// StreamServer serves the streaming interface (docs/asr-stream.md), the
// engine's side: over TCP/TLS with Serve, over WebSocket as an
// http.Handler. It runs one goroutine per connection, which reads the
// audio, drives that connection's LegEngine and writes its results (a
// slow engine slows only its reading, and the client drops audio).
type StreamServer struct {
	// NewEngine is called with each connection's checked header; an
	// error refuses the connection (sent to the client as an "error"
	// result).
	NewEngine func(h *StreamHeader) (LegEngine, error)
	// Token, when set, must be the header's token.
	Token string
	// IdleTimeout closes a connection that sends nothing for so long;
	// 0: 1 minute.
	IdleTimeout time.Duration
	// MaxLegs bounds the legs served at once (each holds an engine: the
	// spotter's is about 30 MB); more are refused. 0: no bound.
	MaxLegs int
	// Logger gets one line per connection; nil: discard.
	Logger *slog.Logger

	legs atomic.Int64

	mu     sync.Mutex
	closed bool
	open   map[io.Closer]struct{} // listeners and connections
	wg     sync.WaitGroup
}

// Serve accepts connections on ln until Close, then returns
// ErrStreamClosed. ln may be a TLS listener.
func (s *StreamServer) Serve(ln net.Listener) error {
	if !s.track(ln) {
		ln.Close()
		return ErrStreamClosed
	}
	defer s.untrack(ln)
	for {
		c, err := ln.Accept()
		if err != nil {
			if s.isClosed() {
				return ErrStreamClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("asr: stream accept: %w", err)
		}
		if !s.track(c) {
			c.Close()
			return ErrStreamClosed
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer s.untrack(c)
			s.handle(newTCPEngineConn(c, s.idle()), c.RemoteAddr().String())
		}()
	}
}

// ServeHTTP accepts a WebSocket connection and serves it on the
// request's goroutine. A bearer token, when configured, may come in the
// Authorization header or in the stream header.
func (s *StreamServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return // Accept has answered
	}
	c.SetReadLimit(maxFrame + 1024)
	wc := &wsEngineConn{c: c, idle: s.idle()}
	if a := r.Header.Get("Authorization"); len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
		wc.auth = a[7:]
	}
	wc.ctx, wc.cancel = context.WithCancel(r.Context())
	if !s.track(wc) {
		wc.Close()
		return
	}
	s.wg.Add(1)
	defer s.wg.Done()
	defer s.untrack(wc)
	s.handle(wc, r.RemoteAddr)
}

// Close closes the listeners and every connection, and waits for their
// goroutines.
func (s *StreamServer) Close() error {
	s.mu.Lock()
	s.closed = true
	open := make([]io.Closer, 0, len(s.open))
	for c := range s.open {
		open = append(open, c)
	}
	s.mu.Unlock()
	for _, c := range open { // outside mu: a WebSocket close waits for the peer
		c.Close()
	}
	s.wg.Wait()
	return nil
}

// track remembers c for Close; false after Close.
func (s *StreamServer) track(c io.Closer) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	if s.open == nil {
		s.open = map[io.Closer]struct{}{}
	}
	s.open[c] = struct{}{}
	return true
}

func (s *StreamServer) untrack(c io.Closer) {
	s.mu.Lock()
	delete(s.open, c)
	s.mu.Unlock()
}

func (s *StreamServer) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

func (s *StreamServer) idle() time.Duration {
	if s.IdleTimeout > 0 {
		return s.IdleTimeout
	}
	return time.Minute
}

func (s *StreamServer) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// engineConn is the engine's side of one connection.
type engineConn interface {
	io.Closer
	// header returns the header message.
	header() ([]byte, error)
	// next returns the next frame: audio (payload valid until the next
	// call), a gap of n samples, or the end.
	next() (typ byte, payload []byte, n int, err error)
	// send writes one result message.
	send(b []byte) error
	// bearer is the Authorization bearer token of a WebSocket request.
	bearer() string
}

// handle serves one connection.
func (s *StreamServer) handle(c engineConn, remote string) {
	defer c.Close()
	log := s.logger().With("remote", remote)
	refuse := func(err error) {
		log.Warn("asr stream server: connection refused", "err", err)
		b, _ := json.Marshal(StreamResult{Type: "error", Message: err.Error()})
		c.send(b)
	}
	hb, err := c.header()
	if err != nil {
		log.Debug("asr stream server: no header", "err", err)
		return
	}
	var h StreamHeader
	if err := json.Unmarshal(hb, &h); err != nil {
		refuse(fmt.Errorf("%w: %w", ErrStreamHeader, err))
		return
	}
	if err := h.check(); err != nil {
		refuse(err)
		return
	}
	if s.Token != "" {
		tok := h.Token
		if b := c.bearer(); b != "" {
			tok = b
		}
		if subtle.ConstantTimeCompare([]byte(tok), []byte(s.Token)) != 1 {
			refuse(ErrStreamToken)
			return
		}
	}
	if n := s.legs.Add(1); s.MaxLegs > 0 && n > int64(s.MaxLegs) {
		s.legs.Add(-1)
		refuse(fmt.Errorf("asr: stream server busy: %d legs", s.MaxLegs))
		return
	}
	defer s.legs.Add(-1)
	eng, err := s.NewEngine(&h)
	if err != nil {
		refuse(err)
		return
	}
	defer eng.Close()
	log = log.With("call_id", h.CallID, "leg", h.Leg, "offset_seconds", h.OffsetSeconds)
	log.Info("asr stream server: leg started")
	var pcm []int16
	flush := func() error {
		for _, r := range eng.Results() {
			b, err := json.Marshal(r)
			if err != nil {
				return err
			}
			if err := c.send(b); err != nil {
				return err
			}
		}
		return nil
	}
	for {
		typ, payload, n, err := c.next()
		if err != nil {
			log.Info("asr stream server: leg lost", "err", err)
			return
		}
		switch typ {
		case frameAudio:
			if cap(pcm) < len(payload)/2 {
				pcm = make([]int16, len(payload)/2)
			}
			err = eng.Audio(getPCM(pcm, payload))
		case frameGap:
			err = eng.Gap(n)
		case frameEnd:
			if err = eng.End(); err == nil {
				err = flush()
			}
			log.Info("asr stream server: leg ended", "err", err)
			return
		}
		if err == nil {
			err = flush()
		}
		if err != nil {
			refuse(err)
			return
		}
	}
}

// tcpEngineConn reads a TCP connection's header line and frames.
type tcpEngineConn struct {
	c    net.Conn
	r    *bufio.Reader
	buf  []byte
	idle time.Duration
	out  []byte
}

func newTCPEngineConn(c net.Conn, idle time.Duration) *tcpEngineConn {
	return &tcpEngineConn{c: c, r: bufio.NewReaderSize(c, maxResultLine), idle: idle}
}

func (t *tcpEngineConn) Close() error   { return t.c.Close() }
func (t *tcpEngineConn) bearer() string { return "" }

func (t *tcpEngineConn) header() ([]byte, error) {
	t.c.SetReadDeadline(time.Now().Add(t.idle))
	line, err := t.r.ReadSlice('\n')
	if err != nil {
		return nil, fmt.Errorf("%w: header line: %w", ErrStreamHeader, err)
	}
	return line, nil
}

func (t *tcpEngineConn) next() (byte, []byte, int, error) {
	t.c.SetReadDeadline(time.Now().Add(t.idle))
	var hb [frameHeaderLen]byte
	if _, err := io.ReadFull(t.r, hb[:]); err != nil {
		return 0, nil, 0, err
	}
	typ, n, err := parseFrameHeader(hb[:])
	if err != nil {
		return 0, nil, 0, err // they are sending crap: no resync
	}
	if cap(t.buf) < n {
		t.buf = make([]byte, n)
	}
	p := t.buf[:n]
	if _, err := io.ReadFull(t.r, p); err != nil {
		return 0, nil, 0, err
	}
	if typ == frameGap {
		return typ, nil, int(binary.BigEndian.Uint32(p)), nil
	}
	return typ, p, 0, nil
}

func (t *tcpEngineConn) send(b []byte) error {
	t.out = append(append(t.out[:0], b...), '\n')
	t.c.SetWriteDeadline(time.Now().Add(t.idle))
	_, err := t.c.Write(t.out)
	return err
}

// wsEngineConn reads a WebSocket connection's messages.
type wsEngineConn struct {
	c      *websocket.Conn
	ctx    context.Context
	cancel context.CancelFunc
	idle   time.Duration
	auth   string
}

func (w *wsEngineConn) Close() error {
	w.c.Close(websocket.StatusNormalClosure, "")
	w.cancel()
	return nil
}

func (w *wsEngineConn) bearer() string { return w.auth }

func (w *wsEngineConn) read() (websocket.MessageType, []byte, error) {
	ctx, cancel := context.WithTimeout(w.ctx, w.idle)
	defer cancel()
	return w.c.Read(ctx)
}

func (w *wsEngineConn) header() ([]byte, error) {
	typ, b, err := w.read()
	if err == nil && typ != websocket.MessageText {
		err = fmt.Errorf("%w: binary header", ErrStreamHeader)
	}
	return b, err
}

func (w *wsEngineConn) next() (byte, []byte, int, error) {
	typ, b, err := w.read()
	if err != nil {
		return 0, nil, 0, err
	}
	if typ == websocket.MessageBinary {
		if len(b)%2 != 0 {
			return 0, nil, 0, fmt.Errorf("%w: audio message of %d bytes (odd)", ErrStreamFrame, len(b))
		}
		return frameAudio, b, 0, nil
	}
	var m wsControl
	if err := json.Unmarshal(b, &m); err != nil {
		return 0, nil, 0, fmt.Errorf("%w: %w", ErrStreamFrame, err)
	}
	switch {
	case m.Type == "gap" && m.Samples > 0:
		return frameGap, nil, m.Samples, nil
	case m.Type == "end":
		return frameEnd, nil, 0, nil
	}
	return 0, nil, 0, fmt.Errorf("%w: control message %q", ErrStreamFrame, b)
}

func (w *wsEngineConn) send(b []byte) error {
	ctx, cancel := context.WithTimeout(w.ctx, w.idle)
	defer cancel()
	return w.c.Write(ctx, websocket.MessageText, b)
}
