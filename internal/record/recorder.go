package record

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/callrec/callrec/internal/codec"
	"github.com/callrec/callrec/internal/media"
)

// Config is what a Recorder needs. Zero values take the documented
// defaults.
type Config struct {
	// Dir is the recordings directory (required).
	Dir string
	// Profiles are the named profiles; "default" is used when a recording
	// names none (zero Profile when absent: stereo WAV PCM16 at the call's
	// codec rate).
	Profiles map[string]Profile
	// NameTemplate names files below Dir (see baseName). Zero:
	// "{date}/{time}_{callid}".
	NameTemplate string
	// Window is the jitter/reorder window: audio is written this far
	// behind real time. Zero: 120 ms.
	Window time.Duration
	// Tick is how often recordings are processed. Zero: 20 ms: short
	// bursts of recorder work delay relay threads less than long ones.
	Tick time.Duration
	// Workers is the number of processing goroutines. Zero: GOMAXPROCS.
	Workers int
	// RingBytes is the per-stream packet ring between relay and recorder.
	// Zero: 8 KiB (about half a second of G.711 in both directions, ten
	// ticks).
	RingBytes int
	// Payloads maps dynamic payload types to codecs for calls whose
	// controller gives only numbers (rtpproxy's C modifier), e.g. 111 →
	// opus/48000/2. A call's Options.Payloads (from its SDP) take
	// precedence. 101 is telephone-event/8000 unless mapped otherwise.
	Payloads map[uint8]codec.Format
	// Logger receives recording events (never per packet). Nil: discard.
	Logger *slog.Logger
	// OnMeta, when set, is called with the path of a recording's sidecar
	// each time the sidecar is written: when the recording starts, at
	// each new part and when it ends. It runs on a recorder goroutine
	// and must return at once (the catalogue's indexer queues the path
	// without blocking).
	OnMeta func(path string)
	// Live, when set, is asked when each recording's files open for a
	// listener of its decoded audio (live ASR and keyword spotting,
	// internal/asr); a nil Live means none for that recording. It runs
	// on a recorder goroutine and must return at once.
	Live func(LiveInfo) Live
}

// LiveInfo describes a recording to a Live listener.
type LiveInfo struct {
	CallID string
	// Name is the recording's name (its path below Dir without
	// extension; the catalogue's key) and Sidecar its sidecar's path,
	// for Recorder.AddEvents.
	Name, Sidecar  string
	Caller, Callee string
	Profile        string
	Labels         map[string]string
	// Keywords are the call's (Options.Keywords), else its profile's.
	Keywords []string
	// SampleRate of the audio given to Live.Audio.
	SampleRate int
	Started    time.Time
}

// Live listens to one recording's audio while it is written.
type Live interface {
	// Audio is given each span of the recording as it is written: the
	// caller's and the callee's samples, of equal length, at
	// LiveInfo.SampleRate, on the recording's worker goroutine (about
	// every Tick). Offsets in the stream are offsets in the recording:
	// a paused span comes as silence, or not at all with pause: cut. It
	// must copy what it keeps and return at once.
	Audio(caller, callee []int16)
	// Close is called once when the recording ends.
	Close()
}

// Options are given for one call before or when its recording starts.
type Options struct {
	Profile string   // profile name; "" is "default"
	Set     *Profile // fields overriding the named profile (non-zero ones)
	Label   string
	// Labels are key/value pairs stored in the sidecar (from the
	// recording policy's rule).
	Labels map[string]string
	Caller string
	Callee string
	// Payloads are the call's dynamic payload types, from its SDP.
	Payloads map[uint8]codec.Format
	// Keywords to spot live in this call (from the recording policy's
	// rule); nil: the profile's.
	Keywords []string
	// CalleeFirst says the media node's first leg is the callee: the
	// call's first offer came from the callee (a late offer, RFC 3261
	// §13.2.1, made in the 200 to an INVITE without SDP), so the node's
	// streams are oriented callee first. The recording still puts the
	// caller on the left and first in Meta.Legs, and Meta's FromTag and
	// ToTag are the caller's and the callee's.
	CalleeFirst bool
}

// Recorder records calls: it implements media.TapFactory, so the media
// node hands it each stream it is asked to record, and it turns both
// directions into one synchronized recording per call. Safe for
// concurrent use.
//
// Goroutines: Workers processing goroutines, each owning a share of the
// recordings; every Tick each drains its recordings' packet rings, places
// audio on the timeline, encodes and writes. Close stops them after
// finishing every recording.
type Recorder struct {
	cfg Config
	log *slog.Logger

	mu      sync.Mutex
	recs    map[string]*Recording // by Call-ID, while recording
	names   map[string]bool       // base names of the recordings in recs
	opts    map[string]Options    // given before the recording started
	closed  bool
	next    int
	workers []*worker
	wg      sync.WaitGroup
	metaMu  sync.Mutex // AddEvents' edits of finished sidecars

	// Counters, read by metrics.
	Started, Completed, Failed, Interrupted atomic.Uint64
	Dropped, BytesWritten                   atomic.Uint64
}

// New validates the profiles, repairs recordings a crash interrupted
// (see Recover) and starts the workers.
func New(cfg Config) (*Recorder, error) {
	if cfg.Dir == "" {
		return nil, fmt.Errorf("record: no recordings directory")
	}
	for name, p := range cfg.Profiles {
		if err := p.Validate(0); err != nil {
			return nil, fmt.Errorf("record: profile %q: %w", name, err)
		}
	}
	if cfg.Window <= 0 {
		cfg.Window = 120 * time.Millisecond
	}
	if cfg.Tick <= 0 {
		cfg.Tick = 20 * time.Millisecond
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.RingBytes <= 0 {
		cfg.RingBytes = 8 << 10
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	r := &Recorder{cfg: cfg, log: cfg.Logger, recs: map[string]*Recording{}, names: map[string]bool{}, opts: map[string]Options{}}
	n, err := Recover(cfg.Dir, r.log, cfg.OnMeta)
	if err != nil {
		r.log.Warn("recovery scan", "err", err)
	}
	r.Interrupted.Add(uint64(n))
	for i := 0; i < cfg.Workers; i++ {
		w := &worker{r: r, wake: make(chan struct{}, 1), done: make(chan struct{})}
		r.workers = append(r.workers, w)
		r.wg.Add(1)
		go func() { defer r.wg.Done(); w.run() }()
	}
	return r, nil
}

// Prepare sets the options of a call's recording before it starts (for
// a recording the controller will start with R, or the API with
// media.Manager.Record). Options given for a call already recording
// apply to its next recording.
func (r *Recorder) Prepare(callID string, o Options) error {
	if _, err := r.profile(o, 0); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.opts[callID] = o
	return nil
}

// profile resolves a recording's profile for a call codec rate.
func (r *Recorder) profile(o Options, rate int) (Profile, error) {
	name := o.Profile
	if name == "" {
		name = "default"
	}
	p, ok := r.cfg.Profiles[name]
	if !ok && o.Profile != "" {
		return p, fmt.Errorf("%w: %q", ErrUnknownProfile, o.Profile)
	}
	if s := o.Set; s != nil {
		p = overlay(p, *s)
	}
	if err := p.Validate(rate); err != nil {
		return p, err
	}
	return p.withDefaults(max(rate, 8000)), nil
}

// overlay copies the non-zero fields of s over p.
func overlay(p, s Profile) Profile {
	if s.Container != "" {
		p.Container = s.Container
	}
	if s.Encoding != "" {
		p.Encoding = s.Encoding
	}
	if s.SampleRate != 0 {
		p.SampleRate = s.SampleRate
	}
	if s.BitsPerSample != 0 {
		p.BitsPerSample = s.BitsPerSample
	}
	if s.Layout != "" {
		p.Layout = s.Layout
	}
	if s.Bitrate != 0 {
		p.Bitrate = s.Bitrate
	}
	if s.MaxDuration != 0 {
		p.MaxDuration = s.MaxDuration
	}
	if s.MaxBytes != 0 {
		p.MaxBytes = s.MaxBytes
	}
	if s.OnLimit != "" {
		p.OnLimit = s.OnLimit
	}
	if s.Pause != "" {
		p.Pause = s.Pause
	}
	p.MaskDTMF = p.MaskDTMF || s.MaskDTMF
	if s.Keywords != nil {
		p.Keywords = s.Keywords
	}
	return p
}

// Start implements media.TapFactory: it begins (or joins) the call's
// recording and returns the tap for one of its streams.
func (r *Recorder) Start(info media.StreamInfo) (media.Tap, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, ErrClosed
	}
	rec := r.recs[info.CallID]
	if rec == nil {
		o := r.opts[info.CallID]
		delete(r.opts, info.CallID)
		var err error
		if rec, err = newRecording(r, info, o); err != nil {
			r.Failed.Add(1)
			return nil, err
		}
		r.recs[info.CallID] = rec
		r.Started.Add(1)
		w := r.workers[r.next%len(r.workers)]
		r.next++
		w.add(rec)
	}
	return rec.attach(info), nil
}

// Stop ends the call's recording now (the seed's "stop with a single
// API call"); relaying goes on. The files are finished by the worker.
func (r *Recorder) Stop(callID string) error {
	rec := r.lookup(callID)
	if rec == nil {
		return fmt.Errorf("%w: %q", ErrNoRecording, callID)
	}
	rec.requestStop("stopped")
	return nil
}

// Pause pauses the call's recording; Resume resumes it in the same file.
func (r *Recorder) Pause(callID string) error { return r.setPaused(callID, true) }

// Resume resumes a paused recording.
func (r *Recorder) Resume(callID string) error { return r.setPaused(callID, false) }

func (r *Recorder) setPaused(callID string, p bool) error {
	rec := r.lookup(callID)
	if rec == nil {
		return fmt.Errorf("%w: %q", ErrNoRecording, callID)
	}
	rec.paused.Store(p)
	return nil
}

// Paused reports whether the call's recording is paused (false when
// none runs).
func (r *Recorder) Paused(callID string) bool {
	rec := r.lookup(callID)
	return rec != nil && rec.paused.Load()
}

func (r *Recorder) lookup(callID string) *Recording {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.recs[callID]
}

// AddEvents adds events found in a recording's audio after it was
// written (a keyword spotter's detections, internal/asr) to the
// recording whose sidecar is at sidecar (LiveInfo.Sidecar). While it
// records, its worker puts them in the sidecar on its next tick; after
// it ended, the sidecar is rewritten here. Config.OnMeta is told either
// way, so the catalogue picks them up.
func (r *Recorder) AddEvents(sidecar string, evs []Event) error {
	if len(evs) == 0 {
		return nil
	}
	r.mu.Lock()
	var rec *Recording
	for _, x := range r.recs {
		if x.metaPath == sidecar {
			rec = x
			break
		}
	}
	r.mu.Unlock()
	if rec != nil {
		rec.mu.Lock()
		if !rec.sealed {
			rec.added = append(rec.added, evs...)
			rec.hasAdded.Store(true)
			rec.mu.Unlock()
			return nil
		}
		rec.mu.Unlock()
	}
	// Finished: edit the file. metaMu orders such edits among
	// themselves; the recording's own writes are over (sealed).
	r.metaMu.Lock()
	defer r.metaMu.Unlock()
	m, err := ReadMeta(sidecar)
	if err != nil {
		return fmt.Errorf("record: add events: %w", err)
	}
	m.Events = append(m.Events, evs...)
	if err := writeMeta(sidecar, m); err != nil {
		return fmt.Errorf("record: add events: %w", err)
	}
	if f := r.cfg.OnMeta; f != nil {
		f(sidecar)
	}
	return nil
}

// Active returns the recordings in progress.
func (r *Recorder) Active() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.recs)
}

// done is called by a worker when a recording has finished.
func (r *Recorder) done(rec *Recording) {
	r.mu.Lock()
	if r.recs[rec.meta.CallID] == rec {
		delete(r.recs, rec.meta.CallID)
	}
	delete(r.names, rec.base)
	r.mu.Unlock()
}

// Close finishes every recording and stops the workers, or gives up
// when ctx is done.
func (r *Recorder) Close(ctx context.Context) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	for _, rec := range r.recs {
		rec.requestStop("shutdown")
	}
	r.mu.Unlock()
	for _, w := range r.workers {
		close(w.done)
	}
	fin := make(chan struct{})
	go func() { r.wg.Wait(); close(fin) }()
	select {
	case <-fin:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
