package bench

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// runner holds the state of one Run.
type runner struct {
	cfg      Config
	base     time.Time
	calls    []call
	socks    []sockPair  // one per media worker
	stop     atomic.Bool // stop sending
	stopRecv atomic.Bool // stop receiving (after the drain)

	lat, sched, setup Histogram

	sent, recv, dups, foreign, misrouted atomic.Uint64
	sendErrs, sendCalls, recvCalls       atomic.Uint64
	rxDrops                              atomic.Uint64 // our sockets' receive-queue overflows
	active, failed, recordErrs           atomic.Int64
	firstErr                             atomic.Pointer[error]
}

// since returns the monotonic time elapsed since the run started.
func (r *runner) since() time.Duration { return time.Since(r.base) }

// Run sets cfg.Calls calls up on the relay, sends media through them for
// cfg.Ramp+cfg.Duration, tears them down and returns the measurements.
// It stops early, still tearing down, when ctx is cancelled; the Result is
// then marked Interrupted. Run always returns by itself.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r := &runner{cfg: cfg, calls: make([]call, cfg.Calls)}
	var err error
	r.socks = make([]sockPair, cfg.Senders)
	defer r.closeSockets()
	for s := range r.socks {
		if r.socks[s].caller, err = listenMmsg(cfg.LocalIP, cfg.SockBuf); err != nil {
			return nil, err
		}
		if r.socks[s].callee, err = listenMmsg(cfg.LocalIP, cfg.SockBuf); err != nil {
			return nil, err
		}
	}
	// Probe the control channel first so a wrong address fails fast.
	ctl, err := NewController(cfg.Control)
	if err != nil {
		return nil, err
	}
	ctl.Close()

	run := strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	for i := range r.calls {
		c := &r.calls[i]
		c.ids = CallIDs{CallID: fmt.Sprintf("cb%s-%d", run, i), FromTag: fmt.Sprintf("f%d", i), ToTag: fmt.Sprintf("t%d", i)}
		for d := range c.tx {
			c.tx[d] = txStream{ssrc: ssrcOf(i, d), seq: uint16(i * 7919), ts: uint32(i) * 1000003}
			c.rx[d].reset()
		}
	}

	res := &Result{Control: cfg.Control, Calls: cfg.Calls, RelayPID: cfg.PID,
		Ramp: cfg.Ramp.Seconds(), Duration: cfg.Duration.Seconds()}
	if cfg.PID > 0 {
		res.RelayRSSBeforeKB, _ = procRSS(cfg.PID)
	}
	rcvbufErrs0, snmpErr := udpRcvbufErrors()

	r.base = time.Now()
	var media sync.WaitGroup
	for s := 0; s < cfg.Senders; s++ {
		media.Go(func() { r.worker(s) })
	}
	progressDone := make(chan struct{})
	var progress sync.WaitGroup
	if cfg.Progress != nil {
		progress.Go(func() { r.progress(progressDone) })
	}

	// Ramp: hand calls to the control workers on schedule.
	r.control(ctx, func(ctl Controller, i int) { r.setupCall(ctx, ctl, i) }, func(yield func(int) bool) {
		for i := range r.calls {
			if !r.waitUntil(ctx, rampStart(i, len(r.calls), cfg.Ramp)) || !yield(i) {
				return
			}
		}
	})

	// Hold: the measurement window.
	w0 := r.snapshot()
	holdEnd := r.since() + cfg.Duration
	if end := cfg.Ramp + cfg.Duration; end > holdEnd {
		holdEnd = end
	}
	r.waitUntil(ctx, holdEnd)
	w1 := r.snapshot()
	res.Interrupted = ctx.Err() != nil

	// Teardown: stop sending, let in-flight packets land, delete calls.
	r.stop.Store(true)
	drainEnd := r.since() + cfg.Drain
	for r.since() < drainEnd && r.recv.Load() < r.sent.Load() {
		time.Sleep(10 * time.Millisecond) // polling a counter, bounded by Drain
	}
	r.stopRecv.Store(true)
	media.Wait()
	r.closeSockets()
	close(progressDone)
	progress.Wait()
	delCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	var delErrs atomic.Int64
	r.control(delCtx, func(ctl Controller, i int) {
		if r.calls[i].state.Load() == stateActive {
			if ctl.Delete(delCtx, r.calls[i].ids) != nil {
				delErrs.Add(1)
			}
		}
	}, func(yield func(int) bool) {
		for i := range r.calls {
			if !yield(i) {
				return
			}
		}
	})
	cancel()
	res.DeleteFailed = int(delErrs.Load())
	if rcvbufErrs1, err := udpRcvbufErrors(); err == nil && snmpErr == nil && rcvbufErrs1 >= rcvbufErrs0 {
		res.HostRcvbufErrors = rcvbufErrs1 - rcvbufErrs0
	}
	r.fill(res, w0, w1)
	if res.CallsUp == 0 {
		if p := r.firstErr.Load(); p != nil {
			return res, fmt.Errorf("bench: no call could be set up: %w", *p)
		}
	}
	return res, nil
}

// closeSockets closes every media socket; safe to call twice.
func (r *runner) closeSockets() {
	for _, sp := range r.socks {
		if sp.caller != nil {
			sp.caller.Close()
		}
		if sp.callee != nil {
			sp.callee.Close()
		}
	}
}

// waitUntil sleeps until the run's clock reaches t; false if ctx ended.
func (r *runner) waitUntil(ctx context.Context, t time.Duration) bool {
	d := t - r.since()
	if d <= 0 {
		return ctx.Err() == nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// control runs fn on every call index that seq yields, on cfg.Workers
// workers with one Controller each, and waits for them.
func (r *runner) control(ctx context.Context, fn func(Controller, int), seq func(func(int) bool)) {
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < r.cfg.Workers; w++ {
		wg.Go(func() {
			ctl, err := NewController(r.cfg.Control)
			if err != nil {
				r.noteErr(err)
				for range jobs {
				}
				return
			}
			defer ctl.Close()
			for i := range jobs {
				fn(ctl, i)
			}
		})
	}
	seq(func(i int) bool {
		select {
		case jobs <- i:
			return true
		case <-ctx.Done():
			return false
		}
	})
	close(jobs)
	wg.Wait()
}

func (r *runner) noteErr(err error) { r.firstErr.CompareAndSwap(nil, &err) }

// setupCall offers and answers call i and activates its media.
func (r *runner) setupCall(ctx context.Context, ctl Controller, i int) {
	c := &r.calls[i]
	t0 := time.Now()
	fail := func(err error) {
		c.state.Store(stateFailed)
		r.failed.Add(1)
		r.noteErr(err)
	}
	sp := r.socks[senderOf(i, r.cfg.Senders)]
	toCallee, err := ctl.Offer(ctx, c.ids, sp.caller.addr)
	if err != nil {
		fail(err)
		return
	}
	toCaller, err := ctl.Answer(ctx, c.ids, sp.callee.addr)
	if err != nil {
		fail(err)
		return
	}
	if !toCaller.Addr().Unmap().Is4() || !toCallee.Addr().Unmap().Is4() {
		fail(fmt.Errorf("%w: relay addresses %v %v are not IPv4", ErrControl, toCaller, toCallee))
		return
	}
	if r.cfg.Record {
		if err := ctl.Record(ctx, c.ids); err != nil {
			r.recordErrs.Add(1)
			r.noteErr(err)
		}
	}
	r.setup.Record(int64(time.Since(t0)))
	c.dst[dirOut] = sockaddr4(toCaller)
	c.dst[dirBack] = sockaddr4(toCallee)
	c.state.Store(stateActive)
	r.active.Add(1)
}

// snap is the counters at one instant, for the measurement window.
type snap struct {
	at             time.Duration
	sent, recv     uint64
	relayCPU, self time.Duration
	relayErr       error
	rss            int64
}

func (r *runner) snapshot() snap {
	s := snap{at: r.since(), sent: r.sent.Load(), recv: r.recv.Load(), self: selfCPU()}
	if r.cfg.PID > 0 {
		s.relayCPU, s.relayErr = procCPU(r.cfg.PID)
		s.rss, _ = procRSS(r.cfg.PID)
	}
	return s
}

// progress prints a status line a second until done is closed.
func (r *runner) progress(done <-chan struct{}) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	prev := r.snapshot()
	for {
		select {
		case <-done:
			return
		case <-t.C:
		}
		s := r.snapshot()
		dt := (s.at - prev.at).Seconds()
		line := fmt.Sprintf("t=%5.1fs calls=%d/%d fail=%d tx=%d rx=%d (%.0f pps) loss~%.2f%% p99=%.3fms gen-cpu=%.1f%%",
			s.at.Seconds(), r.active.Load(), len(r.calls), r.failed.Load(), s.sent, s.recv,
			float64(s.recv-prev.recv)/dt, lossPct(s.sent, s.recv), float64(r.lat.Quantile(0.99))/1e6,
			100*(s.self-prev.self).Seconds()/dt)
		if r.cfg.PID > 0 && s.relayErr == nil {
			line += fmt.Sprintf(" relay-cpu=%.1f%% rss=%dKiB", 100*(s.relayCPU-prev.relayCPU).Seconds()/dt, s.rss)
		}
		fmt.Fprintln(r.cfg.Progress, line)
		prev = s
	}
}

func lossPct(sent, got uint64) float64 {
	if sent == 0 || got >= sent {
		return 0
	}
	return 100 * float64(sent-got) / float64(sent)
}
