package bench

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/callrec/callrec/internal/collect"
	"github.com/callrec/callrec/internal/ship"
)

// CollectorConfig configures RunCollector: Streams recordings streamed
// live to a collector at Rate bytes/s each (16000: G.711 stereo WAV),
// spread over Conns connections as media nodes would.
type CollectorConfig struct {
	Addr, Token string
	TLS         *tls.Config
	// Streams is how many recordings stream at once.
	Streams int
	// Conns is how many connections (media nodes) carry them. Zero:
	// one per 100 streams.
	Conns int
	// Rate is each stream's bytes per second. Zero: 16000.
	Rate int
	// Interval is how often each stream writes (as the Shipper's
	// storage.interval). Zero: 1 s.
	Interval time.Duration
	// Ramp spreads the opening of the streams. Zero: 2 ms per stream,
	// at least 1 s.
	Ramp time.Duration
	// Duration is the measured time once all streams are open.
	Duration time.Duration
	// Commit commits every stream at the end with its SHA-256 (the
	// collector verifies it); otherwise streams are closed uncommitted.
	Commit bool
	// PID is the collector's process, for its CPU; 0: not measured.
	PID int
	// Progress receives a line per second; nil: none.
	Progress io.Writer
}

// CollectorResult is what RunCollector measured over the window after
// the ramp.
type CollectorResult struct {
	Streams, Conns, Opened, Failed int
	Seconds                        float64
	// AckedMBps is the rate the collector acknowledged (durable) bytes
	// at; OfferedMBps what the streams produced.
	AckedMBps, OfferedMBps float64
	// Lagging counts streams more than two intervals behind at the end.
	Lagging int
	// CollectorCores is the collector's CPU over the window in cores;
	// CollectorUsPerStreamS its CPU µs per stream-second.
	CollectorCores, CollectorUsPerStreamS float64
	CollectorRSSMiB                       float64
	// GeneratorCores is this process's CPU in cores.
	GeneratorCores float64
	Committed      int
	CommitErrors   int
}

type benchStream struct {
	obj    ship.Object
	opened time.Time
	off    int64
	sum    hash.Hash
}

// RunCollector runs the load and returns what it measured. It ends by
// itself after Ramp + Duration (and the commits).
func RunCollector(ctx context.Context, c CollectorConfig) (*CollectorResult, error) {
	if c.Streams <= 0 || c.Duration <= 0 {
		return nil, errors.New("bench: streams and duration must be positive")
	}
	if c.Conns <= 0 {
		c.Conns = (c.Streams + 99) / 100
	}
	c.Conns = min(c.Conns, c.Streams)
	if c.Rate <= 0 {
		c.Rate = 16000
	}
	if c.Interval <= 0 {
		c.Interval = time.Second
	}
	if c.Ramp <= 0 {
		c.Ramp = max(time.Second, time.Duration(c.Streams)*2*time.Millisecond)
	}
	run := time.Now().UTC().Format("20060102T150405")
	targets := make([]*collect.Target, c.Conns)
	for i := range targets {
		t, err := collect.NewTarget(collect.TargetConfig{Addr: c.Addr, Token: c.Token, TLS: c.TLS, Node: fmt.Sprintf("bench-%d", i)})
		if err != nil {
			return nil, err
		}
		targets[i] = t
		defer t.Close()
	}
	chunk := make([]byte, int(int64(c.Rate)*int64(c.Interval)/int64(time.Second)))
	for i := range chunk {
		chunk[i] = byte(i * 31)
	}
	header := make([]byte, 44)
	copy(header, "RIFF\xff\xff\xff\xffWAVEfmt ")

	streams := make([]*benchStream, c.Streams)
	var mu sync.Mutex // guards streams' obj and opened for the sampler
	var opened, failed atomic.Int64
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	start := time.Now()
	for i := range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Stagger the opens over the ramp, and the writes over
			// the interval.
			select {
			case <-time.After(c.Ramp * time.Duration(i) / time.Duration(c.Streams)):
			case <-sctx.Done():
				return
			}
			s := &benchStream{sum: sha256.New()}
			o, err := targets[i%c.Conns].Open(sctx, fmt.Sprintf("bench/%s/%d.wav", run, i))
			if err == nil {
				err = o.WriteAt(sctx, header, 0)
			}
			if err != nil {
				failed.Add(1)
				return
			}
			s.sum.Write(header)
			s.off = int64(len(header))
			mu.Lock()
			s.obj, s.opened = o, time.Now()
			streams[i] = s
			mu.Unlock()
			opened.Add(1)
			t := time.NewTicker(c.Interval)
			defer t.Stop()
			for {
				select {
				case <-sctx.Done():
					return
				case <-t.C:
				}
				if err := o.WriteAt(sctx, chunk, s.off); err != nil {
					if sctx.Err() == nil {
						failed.Add(1)
					}
					return
				}
				if c.Commit {
					s.sum.Write(chunk)
				}
				s.off += int64(len(chunk))
				// The WAV header is rewritten each time, as the
				// recorder does (same bytes here, so the sum holds).
				if err := o.WriteAt(sctx, header, 0); err != nil {
					if sctx.Err() == nil {
						failed.Add(1)
					}
					return
				}
			}
		}()
	}
	acked := func() int64 {
		mu.Lock()
		defer mu.Unlock()
		var n int64
		for _, s := range streams {
			if s != nil {
				n += s.obj.Size()
			}
		}
		return n
	}
	// Ramp, with progress.
	progress := func(prev int64, prevT time.Time) (int64, time.Time) {
		n, now := acked(), time.Now()
		if c.Progress != nil {
			fmt.Fprintf(c.Progress, "%5.1fs  streams %d  failed %d  acked %.2f MB/s\n", now.Sub(start).Seconds(), opened.Load(),
				failed.Load(), float64(n-prev)/now.Sub(prevT).Seconds()/1e6)
		}
		return n, now
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	prev, prevT := int64(0), start
	rampEnd := start.Add(c.Ramp + c.Interval)
	for time.Now().Before(rampEnd) {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-tick.C:
			prev, prevT = progress(prev, prevT)
		}
	}
	// The measured window.
	a0, t0, g0 := acked(), time.Now(), selfCPU()
	var c0 time.Duration
	if c.PID > 0 {
		c0, _ = procCPU(c.PID)
	}
	end := t0.Add(c.Duration)
	for time.Now().Before(end) {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-tick.C:
			prev, prevT = progress(prev, prevT)
		}
	}
	a1, t1, g1 := acked(), time.Now(), selfCPU()
	r := &CollectorResult{Streams: c.Streams, Conns: c.Conns, Opened: int(opened.Load()), Seconds: t1.Sub(t0).Seconds()}
	if c.PID > 0 {
		c1, _ := procCPU(c.PID)
		r.CollectorCores = (c1 - c0).Seconds() / r.Seconds
		r.CollectorUsPerStreamS = r.CollectorCores * 1e6 / float64(max(r.Opened, 1))
		if kb, err := procRSS(c.PID); err == nil {
			r.CollectorRSSMiB = float64(kb) / 1024
		}
	}
	r.GeneratorCores = (g1 - g0).Seconds() / r.Seconds
	r.AckedMBps = float64(a1-a0) / r.Seconds / 1e6
	r.OfferedMBps = float64(r.Opened) * float64(c.Rate) / 1e6
	mu.Lock()
	for _, s := range streams {
		if s == nil {
			continue
		}
		want := int64(len(header)) + int64(t1.Sub(s.opened)/c.Interval)*int64(len(chunk))
		if s.obj.Size() < want-2*int64(len(chunk)) {
			r.Lagging++
		}
	}
	mu.Unlock()
	stop()
	wg.Wait()
	r.Failed = int(failed.Load())
	// Commit (or close) every stream: each waits for its acks.
	cctx, ccancel := context.WithTimeout(ctx, 2*time.Minute)
	defer ccancel()
	var cwg sync.WaitGroup
	var committed, cerrs atomic.Int64
	sem := make(chan struct{}, 256)
	for _, s := range streams {
		if s == nil {
			continue
		}
		if !c.Commit {
			s.obj.Close()
			continue
		}
		cwg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; cwg.Done() }()
			if err := s.obj.Commit(cctx, s.off, [32]byte(s.sum.Sum(nil))); err != nil {
				cerrs.Add(1)
				s.obj.Close()
				return
			}
			committed.Add(1)
		}()
	}
	cwg.Wait()
	r.Committed, r.CommitErrors = int(committed.Load()), int(cerrs.Load())
	return r, nil
}
