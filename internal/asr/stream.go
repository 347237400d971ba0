package asr

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/callrec/callrec/internal/record"
)

// The streaming client sends each recorded leg's audio, while the call
// runs, to an external speech engine (docs/asr-stream.md) and turns what
// the engine sends back into Events.
//
// # Goroutines
//
// openLeg starts one goroutine per leg (per call, never per packet). It
// owns the leg's connection: it dials, sends the header, takes audio
// from the leg's legQueue in batches (Batch, 100 ms) and writes it, and
// reconnects with backoff when the engine goes away. While connected a
// second goroutine reads the engine's results (one reader per
// connection, also needed for WebSocket control frames); the leg's
// goroutine starts it and waits for it before it dials again or exits.
// push, on the recorder's worker goroutine, only copies into the queue:
// an engine that is down, slow or stalled costs that leg's audio (the
// queue overflows; the loss is counted and sent as a gap), never the
// recording. streamer.Close waits for every leg's goroutine.
//
// # WebSocket
//
// ws:// and wss:// use github.com/coder/websocket: it has no
// dependencies of its own, takes a context on every blocking call (so
// dial and write timeouts are contexts, like the rest of callrec), and
// serves both sides (the reference engine's http.Handler too). gobwas/ws,
// already in the module graph through chromedp, is lower level: the
// caller reads and writes frames itself (control frames, fragments,
// the close handshake) with deadlines instead of contexts.

// StreamConfig configures the streaming client. Zero durations take the
// defaults given.
type StreamConfig struct {
	// URL is the engine: tcp://host:port, tls://host:port, ws://... or
	// wss://... (path and query are sent as given). Empty: no streaming.
	URL string
	// Token, when set, is sent in the header ("token") and, over
	// WebSocket, as "Authorization: Bearer TOKEN".
	Token string
	// CAFile is a PEM bundle the engine's certificate (tls://, wss://)
	// must chain to; empty: the system's roots. The name checked is the
	// URL's host. InsecureSkipVerify turns verification off (testing
	// only).
	CAFile             string
	InsecureSkipVerify bool
	// TLS, when set, is used as is instead of CAFile and
	// InsecureSkipVerify (embedding, tests).
	TLS *tls.Config
	// Queue is how much audio a leg holds while the engine is slow or
	// away; more is dropped (and counted). 0: 5 s.
	Queue time.Duration
	// Batch is how long audio gathers before a write. 0: 100 ms.
	Batch time.Duration
	// DialTimeout bounds a connection attempt with its header; 0: 5 s.
	DialTimeout time.Duration
	// WriteTimeout bounds one write; an engine that takes no audio for
	// this long is dropped and dialled again. 0: 10 s.
	WriteTimeout time.Duration
	// MinBackoff and MaxBackoff bound the wait between connection
	// attempts, doubled after each failure. 0: 500 ms and 10 s.
	MinBackoff, MaxBackoff time.Duration
	// CloseWait is how long a leg waits, after its end, for the engine's
	// last results and close. 0: 3 s.
	CloseWait time.Duration
}

func (c *StreamConfig) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.Queue, 5*time.Second)
	def(&c.Batch, 100*time.Millisecond)
	def(&c.DialTimeout, 5*time.Second)
	def(&c.WriteTimeout, 10*time.Second)
	def(&c.MinBackoff, 500*time.Millisecond)
	def(&c.MaxBackoff, 10*time.Second)
	def(&c.CloseWait, 3*time.Second)
}

// legSink takes one leg's audio. push runs on the recorder's worker
// goroutine and never blocks (it copies pcm); close says the leg ended
// and returns at once (the leg's goroutine flushes what is queued, sends
// the end and waits at most CloseWait for the engine's last results).
// Neither may be called after close.
type legSink interface {
	push(pcm []int16)
	close()
}

// streamer is the streaming client: it opens a connection per leg.
type streamer struct {
	cfg    StreamConfig
	u      *url.URL
	tls    *tls.Config
	log    *slog.Logger
	emit   func(Event)
	stats  streamStats
	ctx    context.Context // cancelled when Close gives up waiting
	cancel context.CancelFunc

	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

// newStreamer checks cfg and returns a client that delivers the engine's
// results through emit (called on the connections' reader goroutines;
// it must not block). It dials nothing until openLeg.
func newStreamer(cfg StreamConfig, log *slog.Logger, emit func(Event)) (*streamer, error) {
	cfg.defaults()
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStreamURL, err)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("%w: %q has no host", ErrStreamURL, cfg.URL)
	}
	if (u.Scheme == "tcp" || u.Scheme == "tls") && u.Port() == "" {
		return nil, fmt.Errorf("%w: %q has no port", ErrStreamURL, cfg.URL)
	}
	s := &streamer{cfg: cfg, u: u, log: log, emit: emit}
	switch u.Scheme {
	case "tcp", "ws":
	case "tls", "wss":
		if s.tls, err = cfg.tlsConfig(u.Hostname()); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%w: scheme %q (want tcp, tls, ws or wss)", ErrStreamURL, u.Scheme)
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("engine", u.Redacted())
	if s.emit == nil {
		s.emit = func(Event) {}
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

func (c *StreamConfig) tlsConfig(host string) (*tls.Config, error) {
	if c.TLS != nil {
		return c.TLS.Clone(), nil
	}
	tc := &tls.Config{ServerName: host, InsecureSkipVerify: c.InsecureSkipVerify, MinVersion: tls.VersionTLS12}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("asr: stream ca_file: %w", err)
		}
		tc.RootCAs = x509.NewCertPool()
		if !tc.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("asr: stream ca_file %s: no PEM certificates", c.CAFile)
		}
	}
	return tc, nil
}

// openLeg starts streaming one leg ("caller" or "callee") of the
// recording info describes; the engine's results go to the streamer's
// emit. It returns at once; the connection is made by the leg's
// goroutine. After Close it returns a sink that drops everything.
// info.Keywords are sent as the header's keywords.
func (s *streamer) openLeg(info record.LiveInfo, leg string) legSink {
	return s.openLegTo(info, leg, s.emit)
}

// openLegTo is openLeg with this leg's results going to emit (which may
// capture what the Event lacks, such as info.Sidecar for AddEvents). emit
// runs on the connection's reader goroutine, also after close (until the
// engine's last results, at most CloseWait), never after Close returns;
// it must not block.
func (s *streamer) openLegTo(info record.LiveInfo, leg string, emit func(Event)) legSink {
	if emit == nil {
		emit = s.emit
	}
	rate := info.SampleRate
	if rate <= 0 {
		rate = 8000
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nopSink{}
	}
	l := &streamLeg{
		s:    s,
		q:    newLegQueue(max(int(s.cfg.Queue.Seconds()*float64(rate)), rate/10)),
		rate: rate,
		buf:  make([]int16, max(int(s.cfg.Batch.Seconds()*float64(rate)), 160)),
		hdr: StreamHeader{
			Version: StreamVersion, CallID: info.CallID, Recording: info.Name, Leg: leg,
			SampleRate: rate, Encoding: "s16le", Channels: 1,
			Caller: info.Caller, Callee: info.Callee, Started: info.Started,
			Keywords: info.Keywords, Token: s.cfg.Token,
		},
		log:  s.log.With("call_id", info.CallID, "leg", leg),
		emit: emit,
	}
	if l.hdr.Keywords == nil {
		l.hdr.Keywords = []string{}
	}
	s.wg.Add(1)
	s.stats.legs.Add(1)
	go l.run()
	return l
}

// Close stops taking legs and waits for every leg's goroutine to finish
// (their legs must have been closed: each flushes and ends its stream).
// When ctx ends first, the connections are cut and Close returns
// ctx.Err() once the goroutines have gone.
func (s *streamer) Close(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		s.cancel()
		return nil
	case <-ctx.Done():
		s.cancel()
		<-done
		return ctx.Err()
	}
}

type nopSink struct{}

func (nopSink) push([]int16) {}
func (nopSink) close()       {}
