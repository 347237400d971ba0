package asr

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/callrec/callrec/internal/record"
	"github.com/callrec/callrec/internal/spot"
)

// Config says what a Hub listens for and where what it finds goes.
type Config struct {
	// Keywords are spotted in every recording whose call (policy rule)
	// and profile name none: "cancel", "refund/1e-25".
	Keywords []string
	// NoSpot turns the built-in spotter off (the external engine may
	// still listen).
	NoSpot bool
	// Workers is the number of spotting goroutines: how many legs are
	// decoded at once. Zero: GOMAXPROCS.
	Workers int
	// ModelDir and Dict are the spotter's model (zero: the Debian
	// package's, spot.DefaultModelDir).
	ModelDir, Dict string
	// Queue is how much audio a leg may have waiting for its spotter
	// before new audio is dropped. Zero: 10 s.
	Queue time.Duration
	// AddEvents stores events with their recording
	// (record.Recorder.AddEvents); called on a spotting goroutine.
	AddEvents func(sidecar string, evs []record.Event) error
	// Sinks are told of every event (API push, webhook).
	Sinks []Sink
	// Stream, when its URL is set, streams every recording's legs to an
	// external engine (docs/asr-stream.md), whose results are events
	// like the spotter's.
	Stream StreamConfig
	// Logger receives per-call problems (never per packet). Nil: discard.
	Logger *slog.Logger
}

// Hub runs the live listeners of all recordings: its Live method is
// record.Config.Live. Safe for concurrent use.
//
// Goroutines: Workers spotting goroutines, started by New and stopped by
// Close; they take legs with queued audio in turn (a leg is in the run
// queue at most once) and decode at most a second of a leg's audio per
// turn, so one long backlog does not starve the others.
type Hub struct {
	cfg Config
	log *slog.Logger

	mu     sync.Mutex
	runq   []*spotLeg
	closed bool
	wake   chan struct{} // one token per runq push, buffered
	done   chan struct{}
	wg     sync.WaitGroup
	legs   sync.Map // *spotLeg -> struct{}: legs not yet finished
	stream *streamer

	// Counters, read by the collector.
	LegsStarted, LegsFailed     atomic.Uint64
	LostSamples                 atomic.Uint64 // in input samples
	SpottedSeconds, LostSeconds atomicFloat
	UnspottedSeconds            atomicFloat  // audio of legs whose spotter failed
	BusyNanos                   atomic.Int64 // time in the spotter
	Detections, Undelivered     atomic.Uint64
	badKeywords                 atomic.Uint64
}

// atomicFloat is a float64 added to atomically.
type atomicFloat struct{ bits atomic.Uint64 }

func (f *atomicFloat) add(v float64) {
	for {
		o := f.bits.Load()
		n := math.Float64frombits(o) + v
		if f.bits.CompareAndSwap(o, math.Float64bits(n)) {
			return
		}
	}
}

// Load returns the value.
func (f *atomicFloat) Load() float64 { return math.Float64frombits(f.bits.Load()) }

// New checks cfg and starts the spotting goroutines.
func New(cfg Config) (*Hub, error) {
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.Queue <= 0 {
		cfg.Queue = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if len(cfg.Keywords) > 0 {
		if err := KeywordCheck(!cfg.NoSpot, cfg.Dict)(cfg.Keywords); err != nil {
			return nil, err
		}
	}
	h := &Hub{cfg: cfg, log: cfg.Logger, wake: make(chan struct{}, 1), done: make(chan struct{})}
	if cfg.Stream.URL != "" {
		s, err := newStreamer(cfg.Stream, cfg.Logger.With("component", "asr-stream"), nil)
		if err != nil {
			return nil, err
		}
		h.stream = s
	}
	for i := 0; i < cfg.Workers; i++ {
		h.wg.Add(1)
		go func() { defer h.wg.Done(); h.work() }()
	}
	return h, nil
}

// ParseKeywords parses a configured keyword list (each item a phrase
// with an optional /threshold, or several comma-separated).
func ParseKeywords(list []string) ([]spot.Keyword, error) {
	kws, err := spot.ParseKeywords(strings.Join(list, ","))
	if err != nil {
		return nil, fmt.Errorf("asr: keywords: %w", err)
	}
	return kws, nil
}

// CheckKeywords parses a configured keyword list and checks that the
// built-in spotter knows every word (in the dictionary dict, "" the
// default): a clear error up front instead of a leg whose spotter fails.
func CheckKeywords(list []string, dict string) error {
	kws, err := ParseKeywords(list)
	if err != nil {
		return err
	}
	if err := spot.CheckKeywords(kws, dict); err != nil {
		return fmt.Errorf("asr: keywords: %w", err)
	}
	return nil
}

// KeywordCheck returns what checks a keyword list: with the built-in
// spotter, CheckKeywords against dict; without it (an external engine
// has its own vocabulary), only the syntax.
func KeywordCheck(builtin bool, dict string) func([]string) error {
	if !builtin {
		return func(l []string) error { _, err := ParseKeywords(l); return err }
	}
	return func(l []string) error { return CheckKeywords(l, dict) }
}

// Live implements record.Config.Live: it returns the listener of one
// recording, or nil when nothing listens to it.
func (h *Hub) Live(info record.LiveInfo) record.Live {
	if info.Keywords == nil {
		info.Keywords = h.cfg.Keywords
	}
	l := &live{}
	if !h.cfg.NoSpot && len(info.Keywords) > 0 {
		if kws, err := ParseKeywords(info.Keywords); err != nil {
			h.badKeywords.Add(1)
			h.log.Warn("no keyword spotting for this call", "call_id", info.CallID, "err", err)
		} else {
			for i, name := range [2]string{"caller", "callee"} {
				sl := &spotLeg{h: h, info: info, leg: name, kws: kws,
					q: newLegQueue(int(h.cfg.Queue.Seconds() * float64(info.SampleRate)))}
				h.legs.Store(sl, struct{}{})
				l.spot[i] = sl
			}
			h.LegsStarted.Add(2)
		}
	}
	if h.stream != nil {
		emit := func(e Event) { h.fromEngine(info.Sidecar, e) }
		for i, name := range [2]string{"caller", "callee"} {
			l.stream[i] = h.stream.openLegTo(info, name, emit)
		}
	}
	if l.spot[0] == nil && l.stream[0] == nil {
		return nil
	}
	return l
}

// live is one recording's listener.
type live struct {
	spot   [2]*spotLeg
	stream [2]legSink
}

// Audio implements record.Live.
func (l *live) Audio(caller, callee []int16) {
	for i, pcm := range [2][]int16{caller, callee} {
		if sl := l.spot[i]; sl != nil {
			sl.q.put(pcm)
			sl.schedule()
		}
		if s := l.stream[i]; s != nil {
			s.push(pcm)
		}
	}
}

// Close implements record.Live.
func (l *live) Close() {
	for i, sl := range l.spot {
		if sl != nil {
			sl.q.close()
			sl.schedule()
		}
		if s := l.stream[i]; s != nil {
			s.close()
		}
	}
}

// fromEngine takes a result of the external engine for the recording
// whose sidecar is given (on a connection's reader goroutine): an event
// like the spotter's.
func (h *Hub) fromEngine(sidecar string, e Event) {
	e.Source = "stream"
	h.Detections.Add(1)
	for _, s := range h.cfg.Sinks {
		s.Detected(e)
	}
	if h.cfg.AddEvents == nil {
		return
	}
	if err := h.cfg.AddEvents(sidecar, []record.Event{RecordEvent(e)}); err != nil {
		h.Undelivered.Add(1)
		h.log.Warn("storing the engine's event", "call_id", e.CallID, "err", err)
	}
}

// spotLeg is one leg's spotter and its queue. Everything but q and
// queued is owned by the spotting goroutine that has the leg's turn.
type spotLeg struct {
	h      *Hub
	info   record.LiveInfo
	leg    string
	kws    []spot.Keyword
	q      *legQueue
	queued atomic.Bool // in the run queue or being decoded

	sp       *spot.Spotter
	dead     bool  // the spotter failed: audio is drained and dropped
	finished bool  // flushed and closed
	pos      int64 // input samples consumed (spotted or lost)
}

// schedule puts the leg in the run queue unless it is there already.
func (sl *spotLeg) schedule() {
	if sl.queued.Swap(true) {
		return
	}
	h := sl.h
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.runq = append(h.runq, sl)
	h.mu.Unlock()
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// next takes the first leg of the run queue, waiting for one; nil when
// the Hub closes.
func (h *Hub) next() *spotLeg {
	for {
		h.mu.Lock()
		if len(h.runq) > 0 {
			sl := h.runq[0]
			copy(h.runq, h.runq[1:])
			h.runq[len(h.runq)-1] = nil
			h.runq = h.runq[:len(h.runq)-1]
			more := len(h.runq) > 0
			h.mu.Unlock()
			if more { // pass the wake-up on to another worker
				select {
				case h.wake <- struct{}{}:
				default:
				}
			}
			return sl
		}
		h.mu.Unlock()
		select {
		case <-h.wake:
		case <-h.done:
			return nil
		}
	}
}

// turn is the most audio one leg is given per turn.
const turn = time.Second

func (h *Hub) work() {
	var buf []int16
	for {
		sl := h.next()
		if sl == nil {
			return
		}
		n := sl.info.SampleRate * int(turn/time.Millisecond) / 1000
		if cap(buf) < n {
			buf = make([]int16, n)
		}
		sl.run(buf[:n])
		if sl.finished {
			h.legs.Delete(sl)
			continue
		}
		sl.queued.Store(false)
		if sl.q.pending() > 0 || sl.q.isClosed() {
			sl.schedule()
		}
	}
}

// run decodes up to len(buf) of the leg's queued audio, and finishes the
// leg when its recording has ended and everything is decoded.
func (sl *spotLeg) run(buf []int16) {
	h := sl.h
	if sl.finished { // scheduled again by a late Close
		return
	}
	start := time.Now() // creating the decoder counts as busy too
	if sl.sp == nil && !sl.dead {
		sp, err := spot.New(spot.Config{Keywords: sl.kws, SampleRate: sl.info.SampleRate, ModelDir: h.cfg.ModelDir, Dict: h.cfg.Dict})
		if err != nil {
			sl.dead = true
			h.LegsFailed.Add(1)
			h.log.Warn("keyword spotter", "call_id", sl.info.CallID, "leg", sl.leg, "err", err)
		}
		sl.sp = sp
	}
	got := 0
	for got < len(buf) {
		n, lost, closed := sl.q.get(buf[got:])
		if lost > 0 {
			sl.skip(lost)
		}
		if n > 0 && !sl.dead {
			if err := sl.sp.Write(buf[got : got+n]); err != nil {
				sl.fail(err)
			}
		}
		if n > 0 && sl.dead {
			h.UnspottedSeconds.add(float64(n) / float64(sl.info.SampleRate))
		} else if n > 0 {
			h.SpottedSeconds.add(float64(n) / float64(sl.info.SampleRate))
		}
		sl.pos += int64(n)
		got += n
		if closed {
			sl.finish()
			break
		}
		if n == 0 && lost == 0 {
			break
		}
	}
	h.BusyNanos.Add(int64(time.Since(start)))
	sl.deliver()
}

// skip tells the spotter that n samples were dropped.
func (sl *spotLeg) skip(n int) {
	sl.h.LostSamples.Add(uint64(n))
	sl.h.LostSeconds.add(float64(n) / float64(sl.info.SampleRate))
	sl.pos += int64(n)
	if sl.dead {
		return
	}
	sl.sp.Skip(n)
}

func (sl *spotLeg) fail(err error) {
	sl.dead = true
	sl.h.LegsFailed.Add(1)
	sl.h.log.Warn("keyword spotter failed", "call_id", sl.info.CallID, "leg", sl.leg, "err", err)
}

// finish flushes the spotter (a keyword at the very end is still
// reported) and frees it.
func (sl *spotLeg) finish() {
	sl.finished = true
	if sl.sp == nil {
		return
	}
	if !sl.dead {
		if err := sl.sp.Flush(); err != nil && !errors.Is(err, spot.ErrClosed) {
			sl.fail(err)
		}
	}
	sl.deliver()
	sl.sp.Close()
}

// deliver turns the spotter's detections into events: stored with the
// recording and told to the sinks.
func (sl *spotLeg) deliver() {
	if sl.sp == nil {
		return
	}
	dets := sl.sp.Detections()
	if len(dets) == 0 {
		return
	}
	h := sl.h
	recEvs := make([]record.Event, 0, len(dets))
	now := time.Now()
	for _, d := range dets {
		e := Event{CallID: sl.info.CallID, Recording: sl.info.Name, Leg: sl.leg, Type: "keyword", Keyword: d.Keyword,
			Start: d.Start.Seconds(), End: d.End.Seconds(), Confidence: d.Confidence, Source: "spot",
			Caller: sl.info.Caller, Callee: sl.info.Callee, Time: now}
		h.Detections.Add(1)
		for _, s := range h.cfg.Sinks {
			s.Detected(e)
		}
		recEvs = append(recEvs, RecordEvent(e))
	}
	if f := h.cfg.AddEvents; f != nil {
		if err := f(sl.info.Sidecar, recEvs); err != nil {
			h.Undelivered.Add(uint64(len(recEvs)))
			h.log.Warn("storing keyword events", "call_id", sl.info.CallID, "err", err)
		}
	}
}

// RecordEvent is e as a recording's sidecar event.
func RecordEvent(e Event) record.Event {
	return record.Event{Type: e.Type, At: round3(e.Start), Duration: round3(e.End - e.Start), Party: e.Leg,
		Value: e.Keyword, Confidence: round3(e.Confidence), Source: e.Source}
}

func round3(v float64) float64 { return float64(int64(v*1000+0.5)) / 1000 }

// Backlog returns the audio waiting for the spotters, in seconds summed
// over legs, and the longest wait of one leg.
func (h *Hub) Backlog() (total, longest float64) {
	h.legs.Range(func(k, _ any) bool {
		sl := k.(*spotLeg)
		s := float64(sl.q.pending()) / float64(sl.info.SampleRate)
		total += s
		longest = max(longest, s)
		return true
	})
	return total, longest
}

// Close stops the spotting goroutines once the legs of ended recordings
// are decoded (recordings still running are abandoned), or when ctx is
// done.
func (h *Hub) Close(ctx context.Context) error {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		busy := false
		h.legs.Range(func(k, _ any) bool {
			if k.(*spotLeg).q.isClosed() {
				busy = true
				return false
			}
			return true
		})
		if !busy {
			break
		}
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		if ctx.Err() != nil {
			break
		}
	}
	h.mu.Lock()
	if !h.closed {
		h.closed = true
		close(h.done)
	}
	h.mu.Unlock()
	fin := make(chan struct{})
	go func() { h.wg.Wait(); close(fin) }()
	select {
	case <-fin:
	case <-ctx.Done():
		return ctx.Err()
	}
	h.legs.Range(func(k, _ any) bool {
		if sl := k.(*spotLeg); sl.sp != nil {
			sl.sp.Close()
		}
		return true
	})
	if h.stream != nil {
		return h.stream.Close(ctx)
	}
	return nil
}

// Collectors returns the Hub's Prometheus collectors (the spotters' and
// the external engine's stream's).
func (h *Hub) Collectors() []prometheus.Collector {
	cs := []prometheus.Collector{NewCollector(h)}
	if h.stream != nil {
		cs = append(cs, h.stream.Collectors()...)
	}
	return cs
}
