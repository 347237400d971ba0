package asr

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/nettest"
	"github.com/callrec/callrec/internal/record"
)

// testInfo is the recording the stream tests stream.
func testInfo(rate int) record.LiveInfo {
	return record.LiveInfo{
		CallID: "abc@127.0.0.1", Name: "2026/11/24/abc", Caller: "sip:alice@a", Callee: "sip:bob@b",
		Keywords: []string{"cancel", "refund"}, SampleRate: rate,
		Started: time.Date(2026, 11, 24, 23, 0, 0, 0, time.UTC),
	}
}

func testLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// events collects what a streamer emits.
type events struct {
	mu sync.Mutex
	ev []Event
	ch chan struct{}
}

func newEvents() *events { return &events{ch: make(chan struct{}, 100)} }

func (e *events) emit(ev Event) {
	e.mu.Lock()
	e.ev = append(e.ev, ev)
	e.mu.Unlock()
	select {
	case e.ch <- struct{}{}:
	default:
	}
}

func (e *events) all() []Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Event(nil), e.ev...)
}

// closeStreamer closes s, failing the test if its legs do not finish.
func closeStreamer(t *testing.T, s *streamer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Fatalf("streamer close: %v", err)
	}
}

// waitFor polls cond until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(d)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// rawLeg is what a raw TCP engine (written from docs/asr-stream.md,
// not with the package's codec) read from one connection.
type rawLeg struct {
	header map[string]any
	pcm    []int16
	gaps   [][2]int // {position in the stream, samples}
	ended  bool
	err    error
}

// readRawLeg reads a connection as the document says: a JSON line, then
// frames of a 1-byte type, a 3-byte big-endian length and the payload.
// stall, when not nil, is waited for after the header.
func readRawLeg(c net.Conn, stall <-chan struct{}) *rawLeg {
	l := &rawLeg{}
	c.SetReadDeadline(time.Now().Add(time.Minute))
	r := bufio.NewReader(c)
	line, err := r.ReadBytes('\n')
	if err != nil {
		l.err = err
		return l
	}
	if l.err = json.Unmarshal(line, &l.header); l.err != nil {
		return l
	}
	if stall != nil {
		<-stall
	}
	pos := 0
	for {
		var h [4]byte
		if _, err := io.ReadFull(r, h[:]); err != nil {
			l.err = err
			return l
		}
		typ, n := h[0], int(h[1])<<16|int(h[2])<<8|int(h[3])
		p := make([]byte, n)
		if _, err := io.ReadFull(r, p); err != nil {
			l.err = err
			return l
		}
		switch typ {
		case 1:
			for i := 0; i+1 < n; i += 2 {
				l.pcm = append(l.pcm, int16(binary.LittleEndian.Uint16(p[i:])))
			}
			pos += n / 2
		case 2:
			g := int(binary.BigEndian.Uint32(p))
			l.gaps = append(l.gaps, [2]int{pos, g})
			pos += g
		case 3:
			l.ended = true
			return l
		default:
			l.err = io.ErrUnexpectedEOF
			return l
		}
	}
}

// ramp is n samples whose values are their positions from `from`.
func ramp(from, n int) []int16 {
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(from + i)
	}
	return s
}

// TestStreamTCPHeaderAndAudio: the header carries the recording's
// fields, the engine gets exactly the samples pushed, and its keyword
// results come back as Events (a malformed one is counted and dropped).
func TestStreamTCPHeaderAndAudio(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan *rawLeg, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- &rawLeg{err: err}
			return
		}
		defer c.Close()
		l := readRawLeg(c, nil)
		io.WriteString(c, "{not json\n")
		io.WriteString(c, `{"type":"keyword","keyword":"refund","start_seconds":1.25,"end_seconds":1.5,"confidence":0.9}`+"\n")
		got <- l
	}()
	ev := newEvents()
	s, err := newStreamer(StreamConfig{URL: "tcp://" + ln.Addr().String(), Token: "s3cret"}, testLogger(t), ev.emit)
	if err != nil {
		t.Fatal(err)
	}
	leg := s.openLeg(testInfo(8000), "callee")
	const total = 8000 * 2
	all := ramp(0, total)
	for i := 0; i < total; i += 160 {
		leg.push(all[i : i+160])
	}
	leg.close()
	closeStreamer(t, s)
	l := <-got
	if l.err != nil || !l.ended {
		t.Fatalf("engine: err %v, ended %v", l.err, l.ended)
	}
	want := map[string]any{
		"version": 1.0, "call_id": "abc@127.0.0.1", "recording": "2026/11/24/abc", "leg": "callee",
		"sample_rate": 8000.0, "encoding": "s16le", "channels": 1.0, "caller": "sip:alice@a", "callee": "sip:bob@b",
		"started": "2026-11-24T23:00:00Z", "offset_seconds": 0.0, "token": "s3cret",
	}
	for k, v := range want {
		if l.header[k] != v {
			t.Errorf("header %s = %v (%T), want %v", k, l.header[k], l.header[k], v)
		}
	}
	if kw, _ := l.header["keywords"].([]any); len(kw) != 2 || kw[0] != "cancel" || kw[1] != "refund" {
		t.Errorf("header keywords = %v", l.header["keywords"])
	}
	if len(l.pcm) != total || len(l.gaps) != 0 {
		t.Fatalf("engine got %d samples, %d gaps; want %d, 0", len(l.pcm), len(l.gaps), total)
	}
	for i, v := range l.pcm {
		if v != int16(i) {
			t.Fatalf("sample %d = %d", i, v)
		}
	}
	evs := ev.all()
	if len(evs) != 1 {
		t.Fatalf("events %+v, want 1", evs)
	}
	e := evs[0]
	if e.Source != "stream" || e.Type != "keyword" || e.Keyword != "refund" || e.Leg != "callee" || e.CallID != "abc@127.0.0.1" ||
		e.Recording != "2026/11/24/abc" || e.Start != 1.25 || e.End != 1.5 || e.Confidence != 0.9 || e.Caller != "sip:alice@a" {
		t.Errorf("event %+v", e)
	}
	st := &s.stats
	if st.samplesSent.Load() != total || st.samplesDropped.Load() != 0 || st.connects.Load() != 1 ||
		st.results.Load() != 1 || st.badResults.Load() != 1 || st.legs.Load() != 0 {
		t.Errorf("stats sent %d dropped %d connects %d results %d bad %d legs %d", st.samplesSent.Load(), st.samplesDropped.Load(),
			st.connects.Load(), st.results.Load(), st.badResults.Load(), st.legs.Load())
	}
}

// checkRamp checks that pcm with gaps, as received from offset, is the
// ramp pushed: every sample at its position. It returns the position
// after the last sample and the samples in gaps.
func checkRamp(t *testing.T, from int, pcm []int16, gaps [][2]int) (end, lost int) {
	t.Helper()
	pos, gi := from, 0
	for i, v := range pcm {
		for gi < len(gaps) && gaps[gi][0] == i {
			pos += gaps[gi][1]
			lost += gaps[gi][1]
			gi++
		}
		if v != int16(pos) {
			t.Fatalf("sample %d of the stream: %d, want %d (position %d)", i, v, int16(pos), pos)
		}
		pos++
	}
	for ; gi < len(gaps); gi++ {
		pos += gaps[gi][1]
		lost += gaps[gi][1]
	}
	return pos, lost
}

// TestStreamTCPStall: an engine that stops reading fills the socket and
// then the leg's queue; what does not fit is dropped, counted and sent
// as gaps exactly where it was, and the recording side never blocks.
func TestStreamTCPStall(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	stall := make(chan struct{})
	got := make(chan *rawLeg, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- &rawLeg{err: err}
			return
		}
		defer c.Close()
		got <- readRawLeg(c, stall)
	}()
	s, err := newStreamer(StreamConfig{URL: "tcp://" + ln.Addr().String(), Queue: 2 * time.Second, Batch: 20 * time.Millisecond}, testLogger(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	leg := s.openLeg(testInfo(8000), "caller")
	q := leg.(*streamLeg).q
	const chunk, total = 8000, 8000 * 600 // 10 minutes: more than the socket buffers hold
	all := ramp(0, total)
	// Push 1 s at a time as long as the leg keeps up (so the socket
	// fills), then, once its writes block, the rest at once.
	i := 0
	for ; i < total; i += chunk {
		leg.push(all[i : i+chunk])
		end := time.Now().Add(200 * time.Millisecond)
		for q.pending() > 0 && time.Now().Before(end) {
			time.Sleep(time.Millisecond)
		}
		if q.pending() > 0 {
			break
		}
	}
	blocked := i + chunk
	start := time.Now()
	for i = blocked; i < total; i += chunk {
		leg.push(all[i : i+chunk])
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("pushing to a stalled engine took %v", d)
	}
	close(stall)
	leg.close()
	closeStreamer(t, s)
	l := <-got
	if l.err != nil || !l.ended {
		t.Fatalf("engine: err %v, ended %v", l.err, l.ended)
	}
	end, lost := checkRamp(t, 0, l.pcm, l.gaps)
	if end != total {
		t.Errorf("stream ends at %d, want %d", end, total)
	}
	dropped, sent := s.stats.samplesDropped.Load(), s.stats.samplesSent.Load()
	if lost == 0 || int64(lost) != dropped || sent != int64(len(l.pcm)) || sent+dropped != total {
		t.Errorf("gaps %d samples, dropped %d, sent %d, received %d, total %d", lost, dropped, sent, len(l.pcm), total)
	}
	// Everything pushed until the writes blocked fitted in the queue.
	if blocked >= total || len(l.gaps) == 0 || l.gaps[0][0] < blocked {
		t.Errorf("writes blocked after %d samples; first gap %v", blocked, l.gaps)
	}
	t.Logf("socket took %d samples before blocking; engine got %d samples and %d gaps (%d samples dropped)", blocked, len(l.pcm), len(l.gaps), lost)
}

// recLeg is a LegEngine that keeps what it is given.
type recLeg struct {
	srv   *recServer
	h     StreamHeader
	pcm   []int16
	gaps  [][2]int
	ended bool
	out   []StreamResult
}

// recServer is a StreamServer over recLegs.
type recServer struct {
	mu   sync.Mutex
	legs []*recLeg
	got  chan struct{} // a token per Audio
}

func newRecServer() *recServer { return &recServer{got: make(chan struct{}, 1)} }

func (r *recServer) engine(h *StreamHeader) (LegEngine, error) {
	l := &recLeg{srv: r, h: *h}
	r.mu.Lock()
	r.legs = append(r.legs, l)
	r.mu.Unlock()
	return l, nil
}

func (r *recServer) snapshot() []recLeg {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]recLeg, len(r.legs))
	for i, l := range r.legs {
		out[i] = *l
		out[i].pcm = append([]int16(nil), l.pcm...)
	}
	return out
}

func (l *recLeg) Audio(pcm []int16) error {
	l.srv.mu.Lock()
	l.pcm = append(l.pcm, pcm...)
	l.srv.mu.Unlock()
	select {
	case l.srv.got <- struct{}{}:
	default:
	}
	return nil
}

func (l *recLeg) Gap(n int) error {
	l.srv.mu.Lock()
	l.gaps = append(l.gaps, [2]int{len(l.pcm), n})
	l.srv.mu.Unlock()
	return nil
}

func (l *recLeg) Results() []StreamResult {
	l.srv.mu.Lock()
	defer l.srv.mu.Unlock()
	r := l.out
	l.out = nil
	return r
}

func (l *recLeg) End() error {
	l.srv.mu.Lock()
	defer l.srv.mu.Unlock()
	l.ended = true
	l.out = append(l.out, StreamResult{Type: "keyword", Keyword: "cancel", StartSeconds: l.h.OffsetSeconds, EndSeconds: l.h.OffsetSeconds + 0.5, Confidence: 1})
	return nil
}

func (l *recLeg) Close() {}

func received(r *recServer) int {
	n := 0
	for _, l := range r.snapshot() {
		n += len(l.pcm)
	}
	return n
}

// TestStreamReconnect: when the engine goes away the leg dials again
// with backoff, and the new connection's header says where in the
// recording its audio starts.
func TestStreamReconnect(t *testing.T) {
	rec := newRecServer()
	srv := &StreamServer{NewEngine: rec.engine, Logger: testLogger(t)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	go srv.Serve(ln)
	ev := newEvents()
	s, err := newStreamer(StreamConfig{URL: "tcp://" + addr, MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond}, testLogger(t), ev.emit)
	if err != nil {
		t.Fatal(err)
	}
	leg := s.openLeg(testInfo(8000), "caller")
	const part = 8000
	all := ramp(0, 3*part)
	push := func(p []int16) {
		for i := 0; i < len(p); i += 160 {
			leg.push(p[i : i+160])
		}
	}
	push(all[:part])
	waitFor(t, 5*time.Second, "first second at the engine", func() bool { return received(rec) == part })
	srv.Close()
	waitFor(t, 5*time.Second, "a failed reconnect", func() bool { return s.stats.connectFailures.Load() > 0 })
	push(all[part : 2*part])

	srv2 := &StreamServer{NewEngine: rec.engine, Logger: testLogger(t)}
	ln2, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen again on %s: %v", addr, err)
	}
	go srv2.Serve(ln2)
	defer srv2.Close()
	waitFor(t, 5*time.Second, "the reconnect", func() bool { return s.stats.reconnects.Load() == 1 })
	push(all[2*part:])
	leg.close()
	closeStreamer(t, s)

	legs := rec.snapshot()
	if len(legs) != 2 {
		t.Fatalf("engine saw %d connections, want 2", len(legs))
	}
	if legs[0].h.OffsetSeconds != 0 || len(legs[0].pcm) != part {
		t.Errorf("first connection: offset %g, %d samples", legs[0].h.OffsetSeconds, len(legs[0].pcm))
	}
	checkRamp(t, 0, legs[0].pcm, legs[0].gaps)
	from := int(legs[1].h.OffsetSeconds * 8000)
	if float64(from)/8000 != legs[1].h.OffsetSeconds || from != part {
		t.Errorf("second connection's offset_seconds %g, want %g", legs[1].h.OffsetSeconds, float64(part)/8000)
	}
	if end, _ := checkRamp(t, from, legs[1].pcm, legs[1].gaps); end != len(all) || !legs[1].ended {
		t.Errorf("second connection ends at %d (ended %v), want %d", end, legs[1].ended, len(all))
	}
	if evs := ev.all(); len(evs) != 1 || evs[0].Start != 1 {
		t.Errorf("events %+v, want the one sent at the end of the second connection, at 1 s", evs)
	}
	if s.stats.connects.Load() != 2 || s.stats.samplesDropped.Load() != 0 {
		t.Errorf("connects %d dropped %d", s.stats.connects.Load(), s.stats.samplesDropped.Load())
	}
}

// TestStreamEngineDownDropsAudio: with no engine at all, a leg's audio
// is dropped and counted, its close returns at once and the leg's
// goroutine ends.
func TestStreamEngineDownDropsAudio(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens: connections are refused
	s, err := newStreamer(StreamConfig{URL: "tcp://" + addr, MinBackoff: 10 * time.Millisecond, Queue: time.Second}, testLogger(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	leg := s.openLeg(testInfo(8000), "caller")
	for i := 0; i < 100; i++ { // 2 s: 1 s queued, 1 s dropped at once
		leg.push(make([]int16, 160))
	}
	waitFor(t, 5*time.Second, "connect failures", func() bool { return s.stats.connectFailures.Load() >= 2 })
	leg.close()
	closeStreamer(t, s)
	if d := s.stats.samplesDropped.Load(); d != 16000 {
		t.Errorf("dropped %d, want 16000", d)
	}
	if s.stats.samplesSent.Load() != 0 || s.stats.legs.Load() != 0 {
		t.Errorf("sent %d legs %d", s.stats.samplesSent.Load(), s.stats.legs.Load())
	}
}

// TestStreamPushAllocs: push, on the recorder's worker, allocates
// nothing.
func TestStreamPushAllocs(t *testing.T) {
	s, err := newStreamer(StreamConfig{URL: "tcp://127.0.0.1:9", MinBackoff: time.Hour}, testLogger(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	leg := s.openLeg(testInfo(8000), "caller")
	pcm := make([]int16, 160)
	if a := testing.AllocsPerRun(1000, func() { leg.push(pcm) }); a != 0 {
		t.Errorf("push allocates %v times", a)
	}
	leg.close()
	closeStreamer(t, s)
}

func TestStreamConfigURL(t *testing.T) {
	for _, u := range []string{"", "http://x:1", "tcp://host", "tcp://:99", "ws://", "::"} {
		if _, err := newStreamer(StreamConfig{URL: u}, nil, nil); err == nil {
			t.Errorf("%q accepted", u)
		}
	}
	for _, u := range []string{"tcp://127.0.0.1:9", "tls://localhost:9", "ws://127.0.0.1/asr", "wss://h:443/x?y=1"} {
		if _, err := newStreamer(StreamConfig{URL: u}, nil, nil); err != nil {
			t.Errorf("%q: %v", u, err)
		}
	}
	if _, err := newStreamer(StreamConfig{URL: "tls://h:9", CAFile: "/nonexistent"}, nil, nil); err == nil || !strings.Contains(err.Error(), "ca_file") {
		t.Errorf("missing ca_file: %v", err)
	}
}

// TestStreamWebSocket: the same stream over WebSocket: header as a text
// message (token also as a bearer), audio as binary messages, gaps and
// end as text; the engine's results come back as Events.
func TestStreamWebSocket(t *testing.T) {
	rec := newRecServer()
	srv := &StreamServer{NewEngine: rec.engine, Token: "tok", Logger: testLogger(t)}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	defer srv.Close()
	ev := newEvents()
	// A leg with a queue of 100 ms given 2 s at once drops most of it:
	// the gaps must come through in place.
	s, err := newStreamer(StreamConfig{URL: "ws" + strings.TrimPrefix(hs.URL, "http") + "/asr", Token: "tok", Queue: 100 * time.Millisecond}, testLogger(t), ev.emit)
	if err != nil {
		t.Fatal(err)
	}
	legEv := newEvents() // this leg's results go here, not to ev
	leg := s.openLegTo(testInfo(8000), "callee", legEv.emit)
	const total = 16000
	all := ramp(0, total)
	for i := 0; i < total; i += 160 {
		leg.push(all[i : i+160])
	}
	leg.close()
	closeStreamer(t, s)
	legs := rec.snapshot()
	if len(legs) != 1 || !legs[0].ended {
		t.Fatalf("engine saw %d legs (ended %v), want 1 ended", len(legs), len(legs) > 0 && legs[0].ended)
	}
	l := legs[0]
	if l.h.Leg != "callee" || l.h.CallID != "abc@127.0.0.1" || l.h.SampleRate != 8000 || l.h.Token != "tok" {
		t.Errorf("header %+v", l.h)
	}
	end, lost := checkRamp(t, 0, l.pcm, l.gaps)
	if end != total || lost == 0 || int64(lost) != s.stats.samplesDropped.Load() || int64(len(l.pcm)) != s.stats.samplesSent.Load() {
		t.Errorf("stream ends at %d with %d lost in %d gaps; dropped %d sent %d", end, lost, len(l.gaps), s.stats.samplesDropped.Load(), s.stats.samplesSent.Load())
	}
	if evs := ev.all(); len(evs) != 0 {
		t.Errorf("streamer's emit got %+v", evs)
	}
	if evs := legEv.all(); len(evs) != 1 || evs[0].Keyword != "cancel" || evs[0].Source != "stream" || evs[0].Leg != "callee" {
		t.Errorf("events %+v", evs)
	}

	// A wrong token is refused.
	s2, err := newStreamer(StreamConfig{URL: "ws" + strings.TrimPrefix(hs.URL, "http"), Token: "bad", MinBackoff: time.Hour}, testLogger(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	leg = s2.openLeg(testInfo(8000), "caller")
	leg.push(all[:160])
	waitFor(t, 5*time.Second, "the refusal", func() bool { return s2.stats.badResults.Load() == 1 })
	leg.close()
	closeStreamer(t, s2)
	if n := len(rec.snapshot()); n != 1 {
		t.Errorf("engine started for a bad token: %d legs", n)
	}
}

// TestStreamTLS: tls:// verifies the engine's certificate against
// CAFile (and fails without it).
func TestStreamTLS(t *testing.T) {
	cert, caFile := testCert(t)
	rec := newRecServer()
	srv := &StreamServer{NewEngine: rec.engine, Logger: testLogger(t)}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()
	url := "tls://" + ln.Addr().String()

	bad, err := newStreamer(StreamConfig{URL: url, MinBackoff: time.Hour}, testLogger(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	leg := bad.openLeg(testInfo(8000), "caller")
	waitFor(t, 5*time.Second, "an unverified engine refused", func() bool { return bad.stats.connectFailures.Load() == 1 })
	leg.close()
	closeStreamer(t, bad)

	s, err := newStreamer(StreamConfig{URL: url, CAFile: caFile}, testLogger(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	leg = s.openLeg(testInfo(16000), "caller")
	leg.push(ramp(0, 3200))
	leg.close()
	closeStreamer(t, s)
	legs := rec.snapshot()
	if len(legs) != 1 || len(legs[0].pcm) != 3200 || !legs[0].ended || legs[0].h.SampleRate != 16000 {
		t.Fatalf("engine legs %d", len(legs))
	}
	checkRamp(t, 0, legs[0].pcm, legs[0].gaps)
}

// testCert makes a server certificate for 127.0.0.1 and the file of the
// CA that signed it.
func testCert(t *testing.T) (tls.Certificate, string) {
	ca := nettest.NewCA(t)
	return ca.Leaf(t, "127.0.0.1"), ca.CAFile()
}

// TestStreamServerMaxLegs: a server at MaxLegs refuses the next leg with
// an error result, which the client counts.
func TestStreamServerMaxLegs(t *testing.T) {
	rec := newRecServer()
	srv := &StreamServer{NewEngine: rec.engine, MaxLegs: 1, Logger: testLogger(t)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()
	s, err := newStreamer(StreamConfig{URL: "tcp://" + ln.Addr().String(), MinBackoff: time.Hour}, testLogger(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	a := s.openLeg(testInfo(8000), "caller")
	a.push(ramp(0, 800))
	waitFor(t, 5*time.Second, "the first leg served", func() bool { return received(rec) == 800 })
	b := s.openLeg(testInfo(8000), "callee")
	b.push(ramp(0, 800))
	waitFor(t, 5*time.Second, "the second leg refused", func() bool { return s.stats.badResults.Load() == 1 })
	a.close()
	b.close()
	closeStreamer(t, s)
	if legs := rec.snapshot(); len(legs) != 1 || legs[0].h.Leg != "caller" || !legs[0].ended {
		t.Errorf("engine legs: %d", len(legs))
	}
	// The refused leg's audio may have gone into the socket before the
	// refusal came back: the client cannot tell it from audio sent.
	if s.stats.samplesSent.Load()+s.stats.samplesDropped.Load() != 1600 {
		t.Errorf("sent %d dropped %d", s.stats.samplesSent.Load(), s.stats.samplesDropped.Load())
	}
}

// TestStreamBackoffGrowsOnRefusal: an engine that accepts connections
// but refuses the leg (bad token) is dialled with a growing backoff,
// not at MinBackoff for ever.
func TestStreamBackoffGrowsOnRefusal(t *testing.T) {
	rec := newRecServer()
	srv := &StreamServer{NewEngine: rec.engine, Token: "right", Logger: testLogger(t)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()
	s, err := newStreamer(StreamConfig{URL: "tcp://" + ln.Addr().String(), Token: "wrong", MinBackoff: 10 * time.Millisecond, MaxBackoff: 5 * time.Second}, testLogger(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	leg := s.openLeg(testInfo(8000), "caller")
	leg.push(ramp(0, 160))
	time.Sleep(500 * time.Millisecond) // a window to count dials in, not synchronisation
	leg.close()
	closeStreamer(t, s)
	// Backoffs 10, 20, 40, 80, 160, 320 ms: at most 7 connections in
	// 500 ms (at MinBackoff it would be about 50).
	if n := s.stats.connects.Load(); n < 2 || n > 7 {
		t.Errorf("%d connections in 500 ms", n)
	}
	if len(rec.snapshot()) != 0 {
		t.Error("a leg with a wrong token was served")
	}
}
