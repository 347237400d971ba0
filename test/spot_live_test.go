package test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/app"
	"github.com/callrec/callrec/internal/asr"
	"github.com/callrec/callrec/internal/catalog"
	"github.com/callrec/callrec/internal/codec"
	"github.com/callrec/callrec/internal/config"
	"github.com/callrec/callrec/internal/record"
	"github.com/callrec/callrec/internal/spot"
	"github.com/callrec/callrec/internal/spot/spottest"
)

// liveKeywords are the spotter tests' keywords and thresholds
// (internal/spot).
var liveKeywords = []string{"cancel/1e-30", "refund/1e-20", "account/1e-30"}

// fixtureMulaw reads a speech fixture (8 kHz) as µ-law bytes.
func fixtureMulaw(t *testing.T, name string) ([]byte, []int16) {
	t.Helper()
	pcm, f := ReadWAVMono16(t, filepath.Join(RepoRoot(t), "test", "testdata", "audio", name))
	if f.SampleRate != 8000 {
		t.Fatalf("%s: %d Hz", name, f.SampleRate)
	}
	b := make([]byte, len(pcm))
	for i, v := range pcm {
		b[i] = LinearToMulaw(v)
	}
	return b, pcm
}

// fixtureG722 reads a 16 kHz speech fixture as G.722 bytes, with what
// the far end decodes of it.
func fixtureG722(t *testing.T, name string) ([]byte, []int16) {
	t.Helper()
	pcm, f := ReadWAVMono16(t, filepath.Join(RepoRoot(t), "test", "testdata", "audio", name))
	if f.SampleRate != 16000 {
		t.Fatalf("%s: %d Hz", name, f.SampleRate)
	}
	pcm = pcm[:len(pcm)/320*320]
	b := make([]byte, len(pcm)/2)
	if _, err := codec.NewG722Encoder().Encode(pcm, b); err != nil {
		t.Fatal(err)
	}
	dec, err := codec.NewDecoder("G722", 8000, 1)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int16, len(pcm))
	n, err := dec.Decode(b, out)
	if err != nil {
		t.Fatal(err)
	}
	return b, out[:n]
}

// callerPcap is the caller's side of a narrowband speech call: 1 s of
// µ-law silence, caller-8k.wav, 1 s of silence, as RTP from
// 127.0.0.2:40000 with ssrc, for sipp's pcap play. It returns the pcap,
// how many 20 ms packets it holds and the fixture as the caller spoke it.
func callerPcap(t *testing.T, ssrc uint32) (pcap []byte, packets int, spoken []int16) {
	t.Helper()
	callerULaw, callerPCM := fixtureMulaw(t, "caller-8k.wav")
	silence := []byte(strings.Repeat("\xff", 8000))
	audio := append(append(append([]byte(nil), silence...), callerULaw...), silence...)
	pcap, err := os.ReadFile(WriteRTPPcap(t, "call.pcap", RTPCapture{
		Src: netip.MustParseAddrPort("127.0.0.2:40000"), Dst: netip.MustParseAddrPort("127.0.0.1:40000"), SSRC: ssrc,
		PayloadType: 0, Audio: audio,
	}))
	if err != nil {
		t.Fatal(err)
	}
	return pcap, len(audio) / 160, callerPCM
}

// waitReceived waits until media node n has received want packets on
// the stream of fromTag (the caller's pcap has played) of callID,
// failing the test if one of peers exits first or ctx ends.
func (n *MediaNode) waitReceived(ctx context.Context, t *testing.T, callID, fromTag, toTag string, want uint64, peers ...*Sipp) {
	t.Helper()
	var last SessionStats
	var err error
	for last.PktsA < want {
		qctx, qcancel := context.WithTimeout(ctx, time.Second)
		var s SessionStats
		s, err = n.Control.Query(qctx, callID, fromTag, toTag)
		qcancel()
		if err == nil {
			last = s
		}
		for _, p := range peers {
			if ok, err := p.Proc.Exited(); ok {
				t.Fatalf("interop: %s exited during the call (%v); last Q %q", p.Proc.Name, err, last.RawReply)
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("interop: caller's audio not relayed: last Q %q, %v", last.RawReply, err)
		case <-time.After(100 * time.Millisecond): // counters have no change notification; poll
		}
	}
}

// TestServeSpotsKeywordsLive is issue 8's check: the speech fixtures go
// as real RTP (G.711 µ-law) through a real call placed by sipp through
// callrec serve: the caller plays caller-8k.wav once as G.711 µ-law
// (narrowband) or caller-16k.wav as G.722 (wideband, recorded at 16 kHz),
// the callee (the agent) loops agent-8k.wav. With asr.keywords set, the built-in
// spotter listens to both legs while the call runs: "cancel", "refund"
// and "account" are found on the caller's leg within 0.5 s of where they
// are spoken in the recording (narrowband: "cancel" is not required) (located by correlating the recording's
// left channel with the fixture), the agent's leg yields no "cancel";
// the detections are in the sidecar and the catalogue (search by
// keyword finds the call) and counted in /metrics. Recall and false
// hits are logged.
func TestServeSpotsKeywordsLive(t *testing.T) {
	RequireBinary(t, "sipp", "sip-tester")
	spottest.RequireModel(t)
	t.Run("g711-narrowband", func(t *testing.T) { spotLive(t, liveCall{}) })
	t.Run("g722-wideband", func(t *testing.T) { spotLive(t, liveCall{wideband: true}) })
	// Recorded on demand (serve.recording.default on_demand, no
	// asr.keywords): POST /api/calls/ID/record names the keywords.
	t.Run("g722-on-demand", func(t *testing.T) { spotLive(t, liveCall{wideband: true, onDemand: true}) })
	// The built-in spotter off; the legs streamed instead to an external
	// engine over TCP (docs/asr-stream.md): the reference engine of
	// `callrec spot --listen`, on loopback, whose results come back as the
	// recording's events (source "stream").
	t.Run("g722-external-engine", func(t *testing.T) { spotLive(t, liveCall{wideband: true, engine: true}) })
}

// liveCall is a variant of TestServeSpotsKeywordsLive's call.
type liveCall struct {
	wideband bool // G.722 at 16 kHz, else G.711 µ-law
	engine   bool // spotted by the external engine, not the built-in spotter
	onDemand bool // recorded on demand, with the keywords given then
}

// spotLive runs one call of TestServeSpotsKeywordsLive: narrowband
// (G.711 µ-law, caller-8k.wav) or wideband (the caller sends G.722 of
// caller-16k.wav, recorded at 16 kHz).
func spotLive(t *testing.T, lc liveCall) {
	wideband := lc.wideband
	realtime <- struct{}{}
	defer func() { <-realtime }()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)

	agentULaw, _ := fixtureMulaw(t, "agent-8k.wav")
	// The caller's speech after 1 s of silence, with 1 s after it.
	callerEnc, callerPCM := fixtureMulaw(t, "caller-8k.wav")
	silence := func(s float64) []byte { return []byte(strings.Repeat("\xff", int(s*8000))) }
	pt, rate, uacXML, uasXML := uint8(0), 8000, "uac_rtp_dtmf.xml", "uas_rtp.xml"
	if wideband {
		callerEnc, callerPCM = fixtureG722(t, "caller-16k.wav")
		silence = func(s float64) []byte {
			b := make([]byte, int(s*8000))
			codec.NewG722Encoder().Encode(make([]int16, 2*len(b)), b)
			return b
		}
		pt, rate, uacXML, uasXML = 9, 16000, "uac_pcap_wb.xml", "uas_rtp_wb.xml"
	}
	audio := append(append(silence(1), callerEnc...), silence(1)...)
	pcap, err := os.ReadFile(WriteRTPPcap(t, "call.pcap", RTPCapture{
		Src: netip.MustParseAddrPort("127.0.0.2:40000"), Dst: netip.MustParseAddrPort("127.0.0.1:40000"), SSRC: 0x5907,
		PayloadType: pt, Audio: audio,
	}))
	if err != nil {
		t.Fatal(err)
	}
	uas := StartSipp(t, SippConfig{Label: "sipp uas", Scenario: Testdata(t, "sipp", uasXML), IP: "127.0.0.3",
		Files: map[string][]byte{"callee.ulaw": agentULaw}})

	c := config.Default()
	c.Serve.DataDir = t.TempDir()
	c.Serve.SIPListen = fmt.Sprintf("127.0.0.1:%d", FreeUDPPort(t, "127.0.0.1"))
	c.Serve.HTTPListen = "127.0.0.1:0"
	c.Serve.Routes = []config.Route{{Destination: "sip:" + uas.Addr()}}
	c.Media.PortMin = FreeUDPRange(t, "127.0.0.1", 32)
	c.Media.PortMax = c.Media.PortMin + 31
	c.ASR.Keywords = liveKeywords
	if lc.onDemand {
		c.ASR.Keywords = nil
		c.Serve.Recording.Default = "on_demand"
	}
	c.Serve.APITokens = []config.APIToken{{Name: "viewer", Token: "spot-viewer-token", Role: "viewer"},
		{Name: "admin", Token: "spot-admin-token", Role: "admin"}}
	hook := startHookServer(t, "s3cret")
	c.ASR.Webhook.URL, c.ASR.Webhook.Secret = hook.url, "s3cret"
	if wideband {
		c.Media.RecordProfiles = map[string]record.Profile{"default": {SampleRate: 16000}}
	}
	source := "spot"
	if lc.engine {
		c.ASR.Spotter = "off"
		c.ASR.Stream.URL, c.ASR.Stream.Token = "tcp://"+startEngine(t, "engine-token"), "engine-token"
		source = "stream"
	}
	n := StartServe(t, ctx, c)
	callID := fmt.Sprintf("callrec-spot-%d", os.Getpid())
	pushed := subscribeEvents(ctx, t, "http://"+n.HTTP+"/api/events?call_id="+callID+"-1", "spot-viewer-token")

	uac := StartSipp(t, SippConfig{
		Label: "sipp uac", Scenario: Testdata(t, "sipp", uacXML), IP: "127.0.0.2",
		Remote: c.Serve.SIPListen, CallID: callID + "-%u", Keys: map[string]string{"target": c.Serve.SIPListen},
		Files: map[string][]byte{"call.pcap": pcap},
	})
	callID += "-1"
	if lc.onDemand {
		recordWithKeywords(ctx, t, n, callID)
	}
	// The caller's pcap plays for len(audio)/8000 s from the answer;
	// release the call once the node has relayed that much.
	want := uint64(len(audio)/160) - 10
	for {
		st, err := n.Media.Manager.Query(callID, "uactag1", "uastag1", 1)
		if err == nil && st.Legs[0].Relayed >= want {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("caller's audio not relayed: %+v %v", st, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
	time.Sleep(300 * time.Millisecond) // the last packets
	// Pushed live: GET /api/events delivered the caller's "account"
	// (spoken 3 s in) while the call was still up.
	if e, ok := pushed.first(func(e asr.Event) bool { return e.Leg == "caller" && e.Keyword == "account" }); !ok {
		t.Errorf("no caller account pushed on /api/events during the call")
	} else if e.CallID != callID || e.Recording == "" || e.Source != source {
		t.Errorf("pushed event %+v", e)
	}
	sendInfo(t, uac, uas, callID)
	if err := uac.Proc.Wait(ctx); err != nil {
		t.Fatalf("sipp uac: %v", err)
	}

	// The recording ends; its spotters finish the legs and store their
	// last detections a moment later.
	recDir := filepath.Join(c.Serve.DataDir, "recordings")
	m, path := waitSpotted(ctx, t, recDir, callID)
	// Where the caller's speech starts in the recording: its first
	// word (0.5 s), as the far end hears it.
	ref := callerPCM[:rate/2]
	if !wideband {
		ref = MulawRoundTrip(ref)
	}
	// Narrowband (8 kHz) telephone audio lacks the upper band the en-US
	// model was trained on: "cancel" is a known miss there (BENCHMARKS.md,
	// spot), so it is required of the wideband call only.
	required := map[string]bool{"cancel": wideband, "refund": true, "account": true}
	kw := checkSpotted(t, recDir, m, ref, rate, source, required)
	t.Logf("sidecar %s", filepath.Base(path))

	// The catalogue has them: search by keyword finds the call.
	for {
		p, err := n.Catalog.Search(ctx, catalog.Query{Event: "keyword=refund"})
		if err == nil && len(p.Recordings) == 1 && p.Recordings[0].CallID == callID {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("catalogue: search keyword=refund: %+v %v", p, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
	// The webhook got every detection, signed.
	hook.check(t, m, callID)
	if got := pushed.count(); got != kw {
		t.Errorf("/api/events pushed %d events, the sidecar holds %d", got, kw)
	}
	// How long after the word ended each detection was pushed (the
	// recording's clock started at m.Started).
	var lat []string
	for _, e := range pushed.all() {
		spokenEnd := m.Started.Add(time.Duration(e.End * float64(time.Second)))
		lat = append(lat, fmt.Sprintf("%s %.2fs", e.Keyword, e.Time.Sub(spokenEnd).Seconds()))
	}
	t.Logf("pushed after the word ended: %s", strings.Join(lat, ", "))
	s := ScrapeMetrics(t, "http://"+n.HTTP+"/metrics")
	if v, _ := s.Value("callrec_asr_detections_total"); v < 3 {
		t.Errorf("callrec_asr_detections_total %v, want >= 3", v)
	}
	if lc.engine {
		return
	}
	if v, _ := s.Value("callrec_asr_legs_total", "result", "started"); v != 2 {
		t.Errorf(`callrec_asr_legs_total{result="started"} %v, want 2`, v)
	}
	if v, ok := s.Value("callrec_asr_audio_seconds_total", "result", "dropped"); !ok || v != 0 {
		t.Errorf("dropped %v s of audio", v)
	}
}

// checkSpotted checks the keyword events of m, a finished recording in
// recDir of a call whose caller spoke caller-8k.wav or caller-16k.wav
// (timings in internal/spot/testdata/timings.txt) and whose callee
// spoke the agent fixture. It finds where the caller's speech starts by
// correlating ref (the fixture's first 0.5 s as the far end hears it)
// with the recording's left channel over its first 4 s, and checks that
// the left channel is the caller's (the speech is not in the right
// one). Each word that required marks true must be found on the
// caller's leg within 0.5 s of where it is spoken; the callee's leg
// must not yield "cancel"; every event must come from source with
// sane fields. It logs recall and false hits and returns the number
// of keyword events.
func checkSpotted(t *testing.T, recDir string, m *record.Meta, ref []int16, rate int, source string, required map[string]bool) int {
	t.Helper()
	l, r, _ := readStereo(t, &RecordingNode{Dir: recDir}, m)
	corr, lag := BestCorrelation(l, ref, min(len(l)-len(ref), 4*rate))
	if corr < 0.9 {
		t.Fatalf("caller's speech not found in the recording's left channel (correlation %.2f)", corr)
	}
	if cr, _ := BestCorrelation(r, ref, min(len(r)-len(ref), 4*rate)); cr > 0.5 {
		t.Errorf("caller's speech in the recording's right channel too (correlation %.2f)", cr)
	}
	t0 := float64(lag) / float64(rate)
	t.Logf("caller's speech starts at %.3f s of the recording (correlation %.3f)", t0, corr)

	words := map[string]float64{} // the caller says each keyword once
	for w, at := range spottest.WordStarts(t, "caller") {
		words[w] = at[0]
	}
	agentWords := spottest.WordStarts(t, "agent")
	found := map[string]float64{}
	falses, kw := 0, 0
	for _, e := range m.Events {
		if e.Type != "keyword" {
			continue
		}
		kw++
		t.Logf("%-6s %-7s at %6.2f s (%.2f s) conf %.3f source %s", e.Party, e.Value, e.At, e.Duration, e.Confidence, e.Source)
		if e.Source != source || e.Confidence <= 0 || e.Confidence > 1 || e.Duration <= 0 {
			t.Errorf("event fields: %+v", e)
		}
		switch e.Party {
		case "caller":
			if at, ok := words[e.Value]; ok && math.Abs(e.At-(t0+at)) <= 0.5 {
				found[e.Value] = e.At - (t0 + at)
				continue
			}
			falses++
		case "callee":
			if e.Value == "cancel" {
				t.Errorf("the agent's leg yields %q at %.2f s", e.Value, e.At)
			}
			if _, ok := agentWords[e.Value]; !ok {
				falses++ // the agent loops, so only unspoken words count
			}
		default:
			t.Errorf("event party %q", e.Party)
		}
	}
	for _, w := range []string{"cancel", "refund", "account"} {
		if d, ok := found[w]; ok {
			t.Logf("caller %q found %+.2f s from where it is spoken (%.2f s)", w, d, t0+words[w])
		} else if required[w] {
			t.Errorf("caller %q (spoken at %.2f s of the recording) not found within 0.5 s", w, t0+words[w])
		} else {
			t.Logf("caller %q (spoken at %.2f s) missed (known narrowband miss)", w, t0+words[w])
		}
	}
	t.Logf("recall %d/3 on the caller's leg; %d false hits", len(found), falses)
	return kw
}

// waitSpotted waits for the call's finished recording in recDir (the
// recordings directory, sidecars one level down as the default name
// template puts them) and for its spotters' last events in its sidecar
// (they come after the recording ends).
func waitSpotted(ctx context.Context, t *testing.T, recDir, callID string) (*record.Meta, string) {
	t.Helper()
	var m *record.Meta
	var path string
	stable := 0
	last := -1
	for {
		matches, _ := filepath.Glob(filepath.Join(recDir, "*", "*.json"))
		for _, p := range matches {
			if mm, err := record.ReadMeta(p); err == nil && mm.CallID == callID {
				m, path = mm, p
			}
		}
		if m != nil && m.Status != record.StatusRecording {
			if len(m.Events) == last {
				stable++
			} else {
				stable, last = 0, len(m.Events)
			}
			if stable >= 10 { // a second without new events
				return m, path
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no finished recording of %s (last %+v)", callID, m)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// hookServer is a webhook receiver on loopback that checks signatures.
type hookServer struct {
	url string
	mu  sync.Mutex
	got []asr.Event
	bad []string
}

func startHookServer(t *testing.T, secret string) *hookServer {
	t.Helper()
	h := &hookServer{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(body)
		h.mu.Lock()
		defer h.mu.Unlock()
		if want := "sha256=" + hex.EncodeToString(mac.Sum(nil)); err != nil || r.Header.Get(asr.SignatureHeader) != want {
			h.bad = append(h.bad, fmt.Sprintf("signature %q, want %q (%v)", r.Header.Get(asr.SignatureHeader), want, err))
		}
		var e asr.Event
		if err := json.Unmarshal(body, &e); err != nil {
			h.bad = append(h.bad, fmt.Sprintf("body %q: %v", body, err))
		}
		h.got = append(h.got, e)
	}))
	t.Cleanup(srv.Close)
	h.url = srv.URL + "/hook"
	return h
}

// events returns what was posted, failing the test on a bad post.
func (h *hookServer) events(t *testing.T) []asr.Event {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, b := range h.bad {
		t.Errorf("webhook: %s", b)
	}
	return append([]asr.Event(nil), h.got...)
}

// check fails the test unless the webhook got exactly the keyword
// events of m's sidecar, each once, for callID, and no bad post.
func (h *hookServer) check(t *testing.T, m *record.Meta, callID string) {
	t.Helper()
	want := map[record.Event]int{}
	for _, e := range m.Events {
		if e.Type == "keyword" {
			want[e]++
		}
	}
	hooked := h.events(t)
	for _, e := range hooked {
		if e.CallID != callID || e.Recording == "" {
			t.Errorf("webhook event %+v", e)
		}
		if re := asr.RecordEvent(e); want[re] > 0 {
			want[re]--
		} else {
			t.Errorf("webhook event not in the sidecar (or twice): %+v", e)
		}
	}
	for e, n := range want {
		if n > 0 {
			t.Errorf("sidecar event never posted to the webhook: %+v", e)
		}
	}
	t.Logf("webhook got %d events", len(hooked))
}

// eventStream reads GET /api/events (server-sent events) in the
// background.
type eventStream struct {
	mu  sync.Mutex
	got []asr.Event
}

func subscribeEvents(ctx context.Context, t *testing.T, url, token string) *eventStream {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("GET /api/events: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	es := &eventStream{}
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		event := ""
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: ") && event == "keyword":
				var e asr.Event
				if json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &e) == nil {
					es.mu.Lock()
					es.got = append(es.got, e)
					es.mu.Unlock()
				}
			}
		}
	}()
	return es
}

// first returns the first event so far that f accepts.
func (es *eventStream) first(f func(asr.Event) bool) (asr.Event, bool) {
	es.mu.Lock()
	defer es.mu.Unlock()
	for _, e := range es.got {
		if f(e) {
			return e, true
		}
	}
	return asr.Event{}, false
}

func (es *eventStream) all() []asr.Event {
	es.mu.Lock()
	defer es.mu.Unlock()
	return append([]asr.Event(nil), es.got...)
}

func (es *eventStream) count() int {
	es.mu.Lock()
	defer es.mu.Unlock()
	return len(es.got)
}

// startEngine serves the ASR streaming interface on loopback with the
// reference engine (the built-in spotter, as `callrec spot --listen`
// runs it) and returns its address.
func startEngine(t *testing.T, token string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &asr.StreamServer{NewEngine: asr.SpotEngine(spot.Config{}), Token: token}
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close(); <-done })
	return ln.Addr().String()
}

// recordWithKeywords starts recording the call once it is answered, by
// POST /api/calls/ID/record with liveKeywords, as a supervisor would.
func recordWithKeywords(ctx context.Context, t *testing.T, n *app.Node, callID string) {
	t.Helper()
	post := func(keywords []string) (int, string) {
		body, _ := json.Marshal(map[string]any{"keywords": keywords})
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+n.HTTP+"/api/calls/"+callID+"/record", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer spot-admin-token")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		msg, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(msg)
	}
	// A word the spotter does not know is refused up front.
	if code, msg := post([]string{"cancel", "frobnicatorz"}); code != http.StatusBadRequest || !strings.Contains(msg, "frobnicatorz") {
		t.Errorf("POST record with an unknown keyword: %d %s", code, msg)
	}
	for {
		code, msg := post(liveKeywords)
		if code == http.StatusOK {
			return
		}
		// 404 before the INVITE arrives, 409 before the answer.
		select {
		case <-ctx.Done():
			t.Fatalf("POST record: %d %s", code, msg)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
