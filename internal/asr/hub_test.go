package asr

import (
	"context"
	"encoding/binary"
	"math"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/codec"
	"github.com/callrec/callrec/internal/record"
	"github.com/callrec/callrec/internal/record/container"
	"github.com/callrec/callrec/internal/spot/spottest"
)

// The speech fixtures (../shared/fixtures) and their word timings live
// with the end-to-end tests and the spotter's tests.
const (
	audioDir = "../../test/testdata/audio/"
	// testKeywords are the spotter tests' keywords and thresholds.
	testKeywords = "cancel/1e-30,refund/1e-20,account/1e-30"
	tolerance    = 0.5 // seconds a detection's start may be from the word's
)

// loadUlaw reads a mono 16-bit fixture and passes it through G.711
// µ-law, as a telephone call carries it.
func loadUlaw(t testing.TB, name string) []int16 {
	t.Helper()
	f, err := os.Open(audioDir + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ft, data, err := container.ReadWAV(f)
	if err != nil || ft.Channels != 1 || ft.SampleRate != 8000 {
		t.Fatalf("%s: %+v %v", name, ft, err)
	}
	pcm := make([]int16, len(data)/2)
	for i := range pcm {
		pcm[i] = codec.UlawDecode(codec.UlawEncode(int16(binary.LittleEndian.Uint16(data[2*i:]))))
	}
	return pcm
}

// collector gathers what a Hub reports.
type collector struct {
	mu     sync.Mutex
	events []Event
	stored map[string][]record.Event
}

func (c *collector) Detected(e Event) {
	c.mu.Lock()
	c.events = append(c.events, e)
	c.mu.Unlock()
}

func (c *collector) add(sidecar string, evs []record.Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stored == nil {
		c.stored = map[string][]record.Event{}
	}
	c.stored[sidecar] = append(c.stored[sidecar], evs...)
	return nil
}

// feed gives both legs to l in 20 ms spans, as the recorder does, after
// lead seconds of silence; the shorter leg is padded with silence.
func feed(l record.Live, lead float64, caller, callee []int16) {
	pad := int(lead * 8000)
	n := pad + max(len(caller), len(callee))
	at := func(pcm []int16, i int) int16 {
		if i < pad || i-pad >= len(pcm) {
			return 0
		}
		return pcm[i-pad]
	}
	a, b := make([]int16, 160), make([]int16, 160)
	for i := 0; i < n; i += 160 {
		for j := range a {
			a[j], b[j] = at(caller, i+j), at(callee, i+j)
		}
		l.Audio(a, b)
	}
	l.Close()
}

// TestHubSpotsKeywords runs the Hub with the real spotter over the
// caller's and the agent's fixture (as µ-law telephone audio, after 2 s
// of silence): "cancel", "refund" and "account" are found on the
// caller's leg within 0.5 s of where they are spoken, in the recording's
// time; the agent's leg yields no "cancel"; events reach the sinks and
// the store with the recording's sidecar.
func TestHubSpotsKeywords(t *testing.T) {
	spottest.RequireModel(t)
	c := &collector{}
	h, err := New(Config{Keywords: strings.Split(testKeywords, ","), Workers: 2, Queue: time.Minute,
		AddEvents: c.add, Sinks: []Sink{c}})
	if err != nil {
		t.Fatal(err)
	}
	info := record.LiveInfo{CallID: "call-1", Name: "2026/x", Sidecar: "/rec/2026/x.json", SampleRate: 8000,
		Caller: "sip:alice@example.com", Callee: "sip:bob@example.com"}
	l := h.Live(info)
	if l == nil {
		t.Fatal("no listener for a recording with keywords")
	}
	const lead = 2.0
	feed(l, lead, loadUlaw(t, "caller-8k.wav"), loadUlaw(t, "agent-8k.wav"))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := h.Close(ctx); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	words := spottest.WordStarts(t, "caller")
	found := map[string]bool{}
	for _, e := range c.events {
		t.Logf("%s %-7s %.2f-%.2f conf %.3f", e.Leg, e.Keyword, e.Start, e.End, e.Confidence)
		if e.CallID != "call-1" || e.Recording != "2026/x" || e.Type != "keyword" || e.Source != "spot" || e.Caller != info.Caller {
			t.Errorf("event fields: %+v", e)
		}
		if e.Leg == "callee" && e.Keyword == "cancel" {
			t.Errorf("agent's leg: false cancel at %.2f", e.Start)
		}
		if e.Leg != "caller" {
			continue
		}
		for _, at := range words[e.Keyword] {
			if math.Abs(e.Start-(lead+at)) <= tolerance {
				found[e.Keyword] = true
			}
		}
	}
	for _, w := range []string{"cancel", "refund", "account"} {
		if !found[w] {
			t.Errorf("caller's %q (at %.2f s) not found within %.1f s", w, lead+words[w][0], tolerance)
		}
	}
	if got := len(c.stored[info.Sidecar]); got != len(c.events) {
		t.Errorf("stored %d events with the sidecar, told sinks %d", got, len(c.events))
	}
	for _, e := range c.stored[info.Sidecar] {
		if e.Type != "keyword" || (e.Party != "caller" && e.Party != "callee") || e.Value == "" || e.Confidence <= 0 {
			t.Errorf("stored event: %+v", e)
		}
	}
	if h.LostSamples.Load() != 0 {
		t.Errorf("lost %d samples with a minute of queue", h.LostSamples.Load())
	}
}

// TestHubDropsWhenBehind: audio given faster than the spotters take it
// overflows the leg's queue: the excess is dropped and counted, Audio
// never waits, and detections after the gap keep the recording's time.
func TestHubDropsWhenBehind(t *testing.T) {
	spottest.RequireModel(t)
	c := &collector{}
	h, err := New(Config{Keywords: []string{"refund/1e-20"}, Workers: 1, Queue: 4 * time.Second, AddEvents: c.add, Sinks: []Sink{c}})
	if err != nil {
		t.Fatal(err)
	}
	caller := loadUlaw(t, "caller-8k.wav")
	l := h.Live(record.LiveInfo{CallID: "c", Name: "n", Sidecar: "s.json", SampleRate: 8000})
	// 30 s of silence at once overflow the 4 s queue; then the caller
	// at the pace the spotter takes it.
	const lead = 30.0
	silence := make([]int16, 160)
	for i := 0; i < int(lead*50); i++ {
		l.Audio(silence, silence)
	}
	lost := float64(h.LostSamples.Load()+uint64(totalDropped(l))) / 8000
	waitBacklog(t, h, 0.5)
	for i := 0; i < len(caller); i += 160 {
		a := caller[i:min(i+160, len(caller))]
		l.Audio(a, silence[:len(a)])
		if i%8000 == 0 {
			waitBacklog(t, h, 2)
		}
	}
	l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := h.Close(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("dropped %.1f s of the 2 x %.0f s of silence given at once", lost, lead)
	if lost < 2*(lead-4)-1 {
		t.Errorf("dropped %.1f s, want about 2 x %.0f s", lost, lead-4)
	}
	if got := float64(h.LostSamples.Load()) / 8000; got != lost {
		t.Errorf("spotters told of %.1f s lost, queues dropped %.1f s", got, lost)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	at := spottest.WordStarts(t, "caller")["refund"][0] + lead
	n := 0
	for _, e := range c.events {
		t.Logf("%s %s %.2f", e.Leg, e.Keyword, e.Start)
		if e.Keyword == "refund" && e.Leg == "caller" {
			n++
			if math.Abs(e.Start-at) > tolerance {
				t.Errorf("refund at %.2f after the gap, spoken at %.2f", e.Start, at)
			}
		}
	}
	if n == 0 {
		t.Errorf("refund (spoken at %.2f) not found after the gap", at)
	}
}

// totalDropped is the samples the listener's queues dropped.
func totalDropped(l record.Live) int64 {
	var n int64
	for _, sl := range l.(*live).spot {
		n += sl.q.droppedSamples()
	}
	return n
}

// waitBacklog waits until the spotters have at most s seconds queued.
func waitBacklog(t *testing.T, h *Hub, s float64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if total, _ := h.Backlog(); total <= s {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("spotters did not catch up in 30 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestHubNoKeywords: a recording without keywords (none configured,
// none for its profile or call) gets no listener.
func TestHubNoKeywords(t *testing.T) {
	h, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(context.Background())
	if l := h.Live(record.LiveInfo{SampleRate: 8000}); l != nil {
		t.Fatal("listener without keywords")
	}
	if _, err := New(Config{Keywords: []string{"cancel/7"}}); err == nil {
		t.Fatal("bad threshold accepted")
	}
	if l := h.Live(record.LiveInfo{SampleRate: 8000, Keywords: []string{"x/abc"}}); l != nil || h.badKeywords.Load() != 1 {
		t.Fatal("bad per-call keywords: want no listener, counted")
	}
}

// BenchmarkLiveAudio is the recorder's side of live listening: one
// 20 ms span of both legs handed to a recording's listener (copied into
// the legs' queues and the legs scheduled). No allocation.
func BenchmarkLiveAudio(b *testing.B) {
	h := &Hub{cfg: Config{Queue: 10 * time.Second}, wake: make(chan struct{}, 1), done: make(chan struct{})}
	l := &live{}
	for i := range l.spot {
		l.spot[i] = &spotLeg{h: h, info: record.LiveInfo{SampleRate: 8000}, q: newLegQueue(80000)}
	}
	a, c := make([]int16, 160), make([]int16, 160)
	buf := make([]int16, 8000)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		l.Audio(a, c)
		if i%50 == 49 { // what the spotting goroutines do, once a second
			h.runq = h.runq[:0]
			for _, sl := range l.spot {
				sl.q.get(buf)
				sl.queued.Store(false)
			}
		}
	}
}

// BenchmarkSpotCall spots whole calls (the caller's and the agent's
// fixture as µ-law, 2 x 15 s of audio per call) with one spotting
// goroutine, as fast as it goes. x-realtime is audio seconds (both
// legs) spotted per second of the process's CPU time: how many legs one
// core keeps up with live; cpu-ms/call-min is the CPU one minute of a
// call costs.
func BenchmarkSpotCall(b *testing.B) {
	spottest.RequireModel(b)
	caller, agent := loadUlaw(b, "caller-8k.wav"), loadUlaw(b, "agent-8k.wav")
	h, err := New(Config{Keywords: strings.Split(testKeywords, ","), Workers: 1, Queue: time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	audio := 0.0
	cpu0 := cpuTime()
	for b.Loop() {
		l := h.Live(record.LiveInfo{CallID: "bench", SampleRate: 8000})
		feed(l, 0, caller, agent)
		audio += 2 * float64(max(len(caller), len(agent))) / 8000
	}
	if err := h.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
	cpu := (cpuTime() - cpu0).Seconds()
	b.ReportMetric(0, "ns/op") // the work is done by the Hub's goroutine, not the loop
	b.ReportMetric(audio/cpu, "x-realtime")
	b.ReportMetric(1000*cpu/(audio/2/60), "cpu-ms/call-min")
}

// cpuTime is the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestHubSpotterFails: a leg whose spotter cannot start (no model here)
// is counted failed, its audio taken and counted as not spotted, and
// the recording's listener goes on taking audio without blocking.
func TestHubSpotterFails(t *testing.T) {
	h, err := New(Config{Keywords: []string{"cancel"}, Workers: 1, ModelDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	l := h.Live(record.LiveInfo{CallID: "c", Name: "n", Sidecar: "s.json", SampleRate: 8000})
	feed(l, 2, nil, nil)
	if err := h.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if h.LegsFailed.Load() != 2 || h.SpottedSeconds.Load() != 0 || h.UnspottedSeconds.Load() < 3.9 || h.Detections.Load() != 0 {
		t.Fatalf("failed legs %d, spotted %.1f s, unspotted %.1f s, detections %d", h.LegsFailed.Load(),
			h.SpottedSeconds.Load(), h.UnspottedSeconds.Load(), h.Detections.Load())
	}
}
