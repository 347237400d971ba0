package record

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/callrec/callrec/internal/codec"
	"github.com/callrec/callrec/internal/media"
	"github.com/callrec/callrec/internal/record/timeline"
)

// flushEvery is how often a recording's files are made playable up to
// what was written.
const flushEvery = 500 * time.Millisecond

// Recording is one call's recording. The relay writes packets into its
// streams' rings; one worker goroutine owns everything else.
type Recording struct {
	r        *Recorder
	base     string // path below Dir without extension or part suffix
	metaPath string
	// metaPending: the first sidecar is still to be written (by the
	// worker: see newRecording).
	metaPending bool
	start       int64 // recording clock origin, unix nanos
	opts        Options

	mu      sync.Mutex
	streams []*streamTap
	// added are events given by Recorder.AddEvents, for the worker to
	// put in the sidecar; sealed: the final sidecar is written, later
	// events go straight into the file.
	added    []Event
	sealed   bool
	hasAdded atomic.Bool

	paused     atomic.Bool
	stopping   atomic.Bool
	stopReason atomic.Pointer[string]
	endAt      atomic.Int64 // unix nanos the recording was asked to end; 0 while running

	// worker-owned from here on
	meta     Meta
	prof     Profile
	legs     [2]*timeline.Leg
	sinks    []*sink
	bufs     [2][]int16
	out      []int16
	events   []timeline.Event
	raw      *os.File
	pulled   int64 // recording clock pulled so far, unix nanos
	part     int
	failed   bool
	wasPause bool
	lastSync int64
	lastPT   [2]int16                                          // last payload type seen per leg (-1: none)
	pushFn   func(arrival int64, dir, flags uint8, pkt []byte) // rec.push, bound once
	dyn      map[uint8]codec.Format
	live     Live
}

// streamTap is the media.Tap of one stream of a recording.
type streamTap struct {
	rec      *Recording
	ring     *ring
	mediaNum int
	closed   atomic.Bool
}

// Packet implements media.Tap: it copies the packet into the ring and
// never blocks. RTCP is not recorded.
func (t *streamTap) Packet(dir media.Direction, arrival int64, rtcp bool, pkt []byte) {
	if rtcp || t.rec.stopping.Load() {
		return
	}
	t.ring.put(arrival, uint8(dir), 0, pkt)
}

// Finished implements media.Finisher: the recording stopped (limit,
// Recorder.Stop, failure) while the stream goes on, so a new R may start
// a new recording.
func (t *streamTap) Finished() bool { return t.rec.stopping.Load() }

// Close implements media.Tap: the stream ended (call over or recording
// stopped on the media node).
func (t *streamTap) Close() error {
	t.rec.endAt.CompareAndSwap(0, time.Now().UnixNano())
	t.closed.Store(true)
	return nil
}

func newRecording(r *Recorder, info media.StreamInfo, o Options) (*Recording, error) {
	// The codec rate is not known until the first packet; validate the
	// profile now for every rate it could meet so that a nonsense
	// combination is refused before the call records.
	if _, err := r.profile(o, 0); err != nil {
		return nil, err
	}
	now := time.Now()
	rec := &Recording{r: r, start: now.UnixNano(), opts: o, pulled: now.UnixNano(), lastPT: [2]int16{-1, -1}}
	rec.meta = Meta{CallID: info.CallID, FromTag: info.FromTag, ToTag: info.ToTag, Label: o.Label, Labels: o.Labels,
		Caller: o.Caller, Callee: o.Callee, Started: now.UTC(), Profile: o.Profile, Status: StatusRecording}
	if o.CalleeFirst {
		rec.meta.FromTag, rec.meta.ToTag = info.ToTag, info.FromTag
	}
	if rec.meta.Profile == "" {
		rec.meta.Profile = "default"
	}
	rec.base = baseName(r.cfg.NameTemplate, &rec.meta)
	// Two recordings of one call in the same second get distinct names:
	// the name is reserved (r.names, under r.mu) until the recording is
	// done, and checked against sidecars already on disk.
	for i := 2; ; i++ {
		if !r.names[rec.base] {
			if _, err := os.Stat(filepath.Join(r.cfg.Dir, rec.base+".json")); os.IsNotExist(err) {
				break
			}
		}
		rec.base = baseName(r.cfg.NameTemplate, &rec.meta) + "-" + strconv.Itoa(i)
	}
	r.names[rec.base] = true
	rec.metaPath = filepath.Join(r.cfg.Dir, rec.base+".json")
	// The first sidecar is written by the recording's worker, on its
	// next tick or with the files at the first packet: not here, on the
	// signalling path (the proxy waits for R before relaying the 200)
	// and under the recorder's lock. A crash before then loses a
	// recording without audio.
	rec.metaPending = true
	r.log.Info("recording started", "call_id", info.CallID, "file", rec.base)
	return rec, nil
}

// attach adds a stream and returns its tap.
func (rec *Recording) attach(info media.StreamInfo) *streamTap {
	t := &streamTap{rec: rec, ring: newRing(rec.r.cfg.RingBytes), mediaNum: info.MediaNum}
	rec.mu.Lock()
	rec.streams = append(rec.streams, t)
	rec.mu.Unlock()
	return t
}

// requestStop asks the worker to finish the recording.
func (rec *Recording) requestStop(reason string) {
	rec.endAt.CompareAndSwap(0, time.Now().UnixNano())
	rec.stopReason.CompareAndSwap(nil, &reason)
	rec.stopping.Store(true)
}

// allClosed reports whether every stream has ended.
func (rec *Recording) allClosed() bool {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, t := range rec.streams {
		if !t.closed.Load() {
			return false
		}
	}
	return len(rec.streams) > 0
}

// process moves what arrived into the files. final flushes everything
// and finishes the recording. It reports whether the recording is done.
func (rec *Recording) process(now int64, final bool) bool {
	ended := final || rec.stopping.Load() || rec.allClosed()
	if ended {
		// The recording covers up to the moment it was asked to end, not
		// up to this tick.
		if e := rec.endAt.Load(); e != 0 && e < now {
			now = e
		}
	}
	rec.mu.Lock()
	streams := rec.streams
	rec.mu.Unlock()
	for i, t := range streams {
		if i == 0 { // the first stream is the call's audio (m-line 1)
			if rec.pushFn == nil {
				rec.pushFn = rec.push // a method value allocates: bind it once
			}
			t.ring.get(rec.pushFn)
		} else {
			t.ring.get(func(int64, uint8, uint8, []byte) {})
		}
	}
	if !rec.failed && rec.legs[0] != nil {
		upTo := now - int64(rec.r.cfg.Window)
		if ended {
			upTo = now
		}
		rec.pull(upTo)
		// Flushing twice a second keeps a crash's loss (the flush interval
		// plus the jitter window) well under the 1 s promised.
		if !rec.failed && now-rec.lastSync >= int64(flushEvery) {
			rec.flush(now)
		}
	}
	if ended {
		rec.finish(now)
		return true
	}
	if rec.hasAdded.Load() && !rec.metaPending {
		rec.takeAdded()
		if err := rec.writeMeta(); err != nil {
			rec.fail(err)
		}
	}
	if rec.metaPending {
		if err := rec.writeMeta(); err != nil { // creates the directory too
			rec.fail(err)
		}
	}
	return false
}

// push hands one packet to its leg, opening the files on the first.
func (rec *Recording) push(arrival int64, dir, _ uint8, pkt []byte) {
	if rec.failed || dir > 1 {
		return
	}
	if rec.opts.CalleeFirst {
		dir ^= 1 // the node's first leg is the callee (Options.CalleeFirst)
	}
	if rec.legs[0] == nil {
		if err := rec.open(pkt); err != nil {
			rec.fail(err)
			return
		}
	}
	if len(pkt) >= 2 && int16(pkt[1]&0x7f) != rec.lastPT[dir] {
		rec.notePT(int(dir), pkt[1]&0x7f)
	}
	_ = rec.legs[dir].Push(arrival, pkt) // malformed packets are counted by the leg
}

// notePT adds a payload type's codec name to the leg's list in the
// sidecar (once per change of payload type, not per packet).
func (rec *Recording) notePT(d int, pt uint8) {
	rec.lastPT[d] = int16(pt)
	f, ok := rec.dyn[pt]
	if !ok {
		f, ok = codec.StaticPayloadType(pt)
	}
	name := "pt-" + strconv.Itoa(int(pt))
	if ok {
		name = f.String()
	}
	for _, c := range rec.meta.Legs[d].Codecs {
		if c == name {
			return
		}
	}
	if len(rec.meta.Legs[d].Codecs) < 8 {
		rec.meta.Legs[d].Codecs = append(rec.meta.Legs[d].Codecs, name)
	}
}

// open chooses the recording rate from the first packet's payload type,
// then creates the legs and the files.
func (rec *Recording) open(first []byte) error {
	dyn := payloads(rec.r.cfg.Payloads, rec.opts.Payloads)
	rec.dyn = dyn
	rate := 8000
	if len(first) >= 2 {
		rate = payloadRate(first[1]&0x7f, dyn)
	}
	p, err := rec.r.profile(rec.opts, rate)
	if err != nil {
		return err
	}
	rec.prof = p
	rec.meta.Format = p
	window := rec.r.cfg.Window
	for d := range rec.legs {
		l, err := timeline.NewLeg(timeline.LegConfig{Start: rec.start, SampleRate: p.SampleRate, Window: window, Payloads: dyn,
			Buffer: 2*window + time.Second/10 + 2*rec.r.cfg.Tick, OnRaw: rec.dumpRaw(d)})
		if err != nil {
			return err
		}
		rec.legs[d] = l
		rec.bufs[d] = make([]int16, p.SampleRate/10) // 100 ms per Pull call (two ticks)
	}
	if f := rec.r.cfg.Live; f != nil {
		kw := rec.opts.Keywords
		if kw == nil {
			kw = p.Keywords
		}
		rec.live = f(LiveInfo{CallID: rec.meta.CallID, Name: rec.base, Sidecar: rec.metaPath, Caller: rec.meta.Caller,
			Callee: rec.meta.Callee, Profile: rec.meta.Profile, Labels: rec.meta.Labels, Keywords: kw,
			SampleRate: p.SampleRate, Started: rec.meta.Started})
	}
	return rec.openPart()
}

// openPart creates the files of the current part.
func (rec *Recording) openPart() error {
	name := rec.base
	if rec.part > 0 {
		name += fmt.Sprintf("_part%d", rec.part+1)
	}
	parties := []string{""}
	if rec.prof.Layout == LayoutSeparate {
		parties = []string{"caller", "callee"}
	}
	for _, party := range parties {
		n := name
		if party != "" {
			n += "_" + party
		}
		rel := n + ext(rec.prof)
		s, err := newSink(filepath.Join(rec.r.cfg.Dir, rel), rec.prof, rec.prof.channels())
		if err != nil {
			return err
		}
		rec.sinks = append(rec.sinks, s)
		rec.meta.Files = append(rec.meta.Files, File{Path: rel, Party: party, Part: rec.part + 1})
	}
	// The sidecar names the files before audio goes in, so that recovery
	// finds them after a crash.
	return rec.writeMeta()
}

// writeMeta writes the sidecar and tells Config.OnMeta.
func (rec *Recording) writeMeta() error {
	if rec.metaPending {
		if err := os.MkdirAll(filepath.Dir(rec.metaPath), 0o755); err != nil {
			return err
		}
	}
	if err := writeMeta(rec.metaPath, &rec.meta); err != nil {
		return err
	}
	rec.metaPending = false
	if f := rec.r.cfg.OnMeta; f != nil {
		f(rec.metaPath)
	}
	return nil
}

// pull takes both legs' audio up to upTo and writes it.
func (rec *Recording) pull(upTo int64) {
	for {
		n0 := rec.legs[0].Pull(upTo, rec.bufs[0])
		n1 := rec.legs[1].Pull(upTo, rec.bufs[1])
		n := max(n0, n1)
		if n == 0 {
			return
		}
		clear(rec.bufs[0][n0:n])
		clear(rec.bufs[1][n1:n])
		rec.write(rec.bufs[0][:n], rec.bufs[1][:n])
		rec.pulled += int64(n) * int64(time.Second) / int64(rec.prof.SampleRate)
		if n < len(rec.bufs[0]) || rec.failed {
			return
		}
	}
}

// write lays out one span of both parties and writes it, honouring
// pause and limits.
func (rec *Recording) write(a, b []int16) {
	paused := rec.paused.Load()
	if paused != rec.wasPause {
		typ := "resume"
		if paused {
			typ = "pause"
		}
		rec.meta.Events = append(rec.meta.Events, Event{Type: typ, At: rec.offset()})
		rec.wasPause = paused
	}
	if paused {
		if rec.prof.Pause == "cut" {
			return
		}
		clear(a)
		clear(b)
	}
	if rec.live != nil {
		rec.live.Audio(a, b)
	}
	var err error
	switch rec.prof.Layout {
	case LayoutSeparate:
		if err = rec.sinks[len(rec.sinks)-2].write(a); err == nil {
			err = rec.sinks[len(rec.sinks)-1].write(b)
		}
	case LayoutMixed:
		rec.out = grow(rec.out, len(a))
		timeline.Mix(a, b, rec.out)
		err = rec.sinks[len(rec.sinks)-1].write(rec.out)
	default:
		rec.out = grow(rec.out, 2*len(a))
		timeline.Interleave(a, b, rec.out)
		err = rec.sinks[len(rec.sinks)-1].write(rec.out)
	}
	if err != nil {
		rec.fail(err)
		return
	}
	rec.checkLimits()
}

func grow(b []int16, n int) []int16 {
	if cap(b) < n {
		return make([]int16, n)
	}
	return b[:n]
}

// offset is the recording time written so far, in seconds.
func (rec *Recording) offset() float64 { return float64(rec.pulled-rec.start) / 1e9 }

// current returns the sinks of the part being written.
func (rec *Recording) current() []*sink {
	if rec.prof.Layout == LayoutSeparate {
		return rec.sinks[len(rec.sinks)-2:]
	}
	return rec.sinks[len(rec.sinks)-1:]
}

// checkLimits stops or rolls over when a file reaches its limit.
func (rec *Recording) checkLimits() {
	s := rec.current()[0]
	p := rec.prof
	hit := (p.MaxBytes > 0 && s.bytes() >= p.MaxBytes) || (p.MaxDuration > 0 && s.seconds() >= p.MaxDuration.Seconds())
	if !hit {
		return
	}
	if p.OnLimit == "rollover" {
		rec.meta.Events = append(rec.meta.Events, Event{Type: "rollover", At: rec.offset(), Value: fmt.Sprintf("part %d", rec.part+2)})
		for _, s := range rec.current() {
			if err := s.close(); err != nil {
				rec.fail(err)
				return
			}
		}
		rec.part++
		if err := rec.openPart(); err != nil {
			rec.fail(err)
		}
		return
	}
	rec.meta.Events = append(rec.meta.Events, Event{Type: "limit", At: rec.offset(), Value: "stopped"})
	rec.requestStop("limit reached")
}

// flush makes the files playable up to now and collects DTMF events.
func (rec *Recording) flush(now int64) {
	rec.lastSync = now
	for _, s := range rec.current() {
		if err := s.flush(); err != nil {
			rec.fail(err)
			return
		}
	}
	rec.collectEvents()
}

func (rec *Recording) collectEvents() {
	for d, l := range rec.legs {
		if l == nil {
			continue
		}
		rec.events = l.Events(rec.events[:0])
		if rec.prof.MaskDTMF {
			continue
		}
		for _, e := range rec.events {
			v := string(rune(e.Digit))
			if e.Digit == 0 {
				v = "event-" + strconv.Itoa(int(e.Code))
			}
			rec.meta.Events = append(rec.meta.Events, Event{Type: "dtmf", At: float64(e.Start-rec.start) / 1e9,
				Duration: e.Duration.Seconds(), Party: partyName(d), Value: v})
		}
	}
}

func partyName(d int) string {
	if d == 0 {
		return "caller"
	}
	return "callee"
}

// dumpRaw returns the OnRaw callback of leg d: undecodable payloads go
// into NAME.rtpdump-like file (per record: arrival ns, direction, pt,
// ssrc, timestamp, length, payload), never dropped silently.
func (rec *Recording) dumpRaw(d int) func(timeline.RawPacket) {
	var hdr [24]byte
	return func(p timeline.RawPacket) {
		if rec.raw == nil {
			rel := rec.base + ".rawrtp"
			f, err := os.OpenFile(filepath.Join(rec.r.cfg.Dir, rel), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
			if err != nil {
				return
			}
			rec.raw = f
			rec.meta.Files = append(rec.meta.Files, File{Path: rel, Raw: true})
		}
		binary.BigEndian.PutUint64(hdr[0:], uint64(p.Arrival))
		hdr[8] = byte(d)
		hdr[9] = p.PayloadType
		binary.BigEndian.PutUint32(hdr[12:], p.SSRC)
		binary.BigEndian.PutUint32(hdr[16:], p.Timestamp)
		binary.BigEndian.PutUint32(hdr[20:], uint32(len(p.Payload)))
		rec.raw.Write(hdr[:])
		rec.raw.Write(p.Payload)
	}
}

// fail marks the recording failed: files are closed as they are, the
// call goes on being relayed.
func (rec *Recording) fail(err error) {
	if rec.failed {
		return
	}
	rec.failed = true
	rec.meta.Status = StatusFailed
	rec.meta.Reason = err.Error()
	rec.r.Failed.Add(1)
	rec.r.log.Warn("recording failed", "call_id", rec.meta.CallID, "err", err)
	rec.requestStop("failed")
}

// finish closes everything and writes the final sidecar.
func (rec *Recording) finish(now int64) {
	rec.collectEvents()
	for i, s := range rec.sinks {
		if err := s.close(); err != nil && !rec.failed {
			rec.fail(err)
		}
		rec.meta.Files[fileIndex(rec.meta.Files, i)].Bytes = s.bytes()
		rec.meta.Files[fileIndex(rec.meta.Files, i)].Duration = s.seconds()
	}
	if rec.raw != nil {
		rec.raw.Close()
	}
	for d, l := range rec.legs {
		if l == nil {
			continue
		}
		st := l.Stats()
		rec.meta.Legs[d] = Leg{Codecs: rec.meta.Legs[d].Codecs, Packets: st.Packets, Lost: int64(st.Lost), Late: st.Late,
			Duplicates: st.Duplicates, Undecodable: st.Undecodable}
		l.Close()
	}
	rec.mu.Lock()
	for _, t := range rec.streams {
		d := t.ring.dropped.Load()
		rec.meta.Dropped += d
		rec.r.Dropped.Add(d)
	}
	rec.mu.Unlock()
	rec.meta.Ended = time.Unix(0, now).UTC()
	rec.meta.Duration = float64(rec.pulled-rec.start) / 1e9
	if !rec.failed {
		rec.meta.Status = StatusComplete
		if r := rec.stopReason.Load(); r != nil && *r != "stopped" && *r != "shutdown" {
			rec.meta.Reason = *r
		}
		rec.r.Completed.Add(1)
	}
	for _, f := range rec.meta.Files {
		rec.r.BytesWritten.Add(uint64(f.Bytes))
	}
	if rec.live != nil {
		rec.live.Close()
		rec.live = nil
	}
	// Sealed under mu with the final write: AddEvents either got in
	// before (and is in this sidecar) or edits the file after it.
	rec.mu.Lock()
	rec.takeAddedLocked()
	if err := rec.writeMeta(); err != nil {
		rec.r.log.Warn("writing sidecar", "err", err)
	}
	rec.sealed = true
	rec.mu.Unlock()
	rec.r.done(rec)
	rec.r.log.Info("recording finished", "call_id", rec.meta.CallID, "status", rec.meta.Status,
		"seconds", rec.meta.Duration, "file", rec.base)
}

// takeAdded moves events given by Recorder.AddEvents into the sidecar.
func (rec *Recording) takeAdded() {
	rec.mu.Lock()
	rec.takeAddedLocked()
	rec.mu.Unlock()
}

func (rec *Recording) takeAddedLocked() {
	rec.meta.Events = append(rec.meta.Events, rec.added...)
	rec.added = nil
	rec.hasAdded.Store(false)
}

// fileIndex maps the i-th sink to its File entry (raw dumps are listed
// among them but have no sink).
func fileIndex(files []File, i int) int {
	for j, f := range files {
		if f.Raw {
			continue
		}
		if i == 0 {
			return j
		}
		i--
	}
	return 0
}
