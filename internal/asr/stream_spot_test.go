package asr

import (
	"encoding/binary"
	"math"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/record/container"
	"github.com/callrec/callrec/internal/spot"
	"github.com/callrec/callrec/internal/spot/spottest"
)

// TestStreamSpotEngine: end to end through the streaming interface: a
// streamer sends the caller fixture (16 kHz) to a StreamServer running
// the built-in spotter on the header's keywords, and the words come
// back as Events at their offsets in the recording.
func TestStreamSpotEngine(t *testing.T) {
	spottest.RequireModel(t)
	pcm := load16k(t)
	srv := &StreamServer{NewEngine: SpotEngine(spot.Config{}), Logger: testLogger(t)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()

	ev := newEvents()
	// The whole call is pushed at once: the queue holds it, and the
	// engine gets time to decode it after the end.
	s, err := newStreamer(StreamConfig{URL: "tcp://" + ln.Addr().String(), Queue: time.Minute, CloseWait: 30 * time.Second}, testLogger(t), ev.emit)
	if err != nil {
		t.Fatal(err)
	}
	info := testInfo(16000)
	info.Keywords = strings.Split(testKeywords, ",")
	leg := s.openLeg(info, "caller")
	for i := 0; i < len(pcm); i += 320 {
		leg.push(pcm[i:min(i+320, len(pcm))])
	}
	start := time.Now()
	leg.close()
	closeStreamer(t, s)
	t.Logf("%.1f s of audio spotted remotely; last results %v after the end", float64(len(pcm))/16000, time.Since(start).Round(time.Millisecond))

	words := spottest.WordStarts(t, "caller")
	evs := ev.all()
	for _, w := range []string{"refund", "account"} {
		found := false
		for _, e := range evs {
			if e.Keyword == w && e.Source == "stream" && e.Leg == "caller" && e.Recording == info.Name &&
				math.Abs(e.Start-words[w][0]) <= tolerance {
				found = true
			}
		}
		if !found {
			t.Errorf("%q (at %.2f s) not among the events %+v", w, words[w][0], evs)
		}
	}
	if s.stats.samplesDropped.Load() != 0 || s.stats.samplesSent.Load() != int64(len(pcm)) {
		t.Errorf("sent %d dropped %d of %d", s.stats.samplesSent.Load(), s.stats.samplesDropped.Load(), len(pcm))
	}
}

// load16k reads the 16 kHz caller fixture.
func load16k(t *testing.T) []int16 {
	f, err := os.Open(audioDir + "caller-16k.wav")
	if err != nil {
		t.Fatal(err)
	}
	ft, data, err := container.ReadWAV(f)
	f.Close()
	if err != nil || ft.Channels != 1 || ft.SampleRate != 16000 || ft.Encoding != container.EncodingPCM16 {
		t.Fatalf("caller-16k.wav: %+v %v", ft, err)
	}
	pcm := make([]int16, len(data)/2)
	for i := range pcm {
		pcm[i] = int16(binary.LittleEndian.Uint16(data[2*i:]))
	}
	return pcm
}

// TestSpotEngineOffsets: the reference engine adds the header's offset
// and the gaps to what the spotter finds, also across a gap long enough
// to restart the spotter rather than decode silence.
func TestSpotEngineOffsets(t *testing.T) {
	spottest.RequireModel(t)
	pcm := load16k(t)
	kws := strings.Split(testKeywords, ",")
	eng, err := SpotEngine(spot.Config{})(&StreamHeader{SampleRate: 16000, Keywords: kws, OffsetSeconds: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	var got []StreamResult
	step := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, eng.Results()...)
	}
	step(eng.Audio(pcm[:16000])) // 1 s, then 2 s of silence, then 15 s lost
	step(eng.Gap(2 * 16000))
	step(eng.Gap(15 * 16000))
	step(eng.Audio(pcm[16000:]))
	step(eng.End())
	words := spottest.WordStarts(t, "caller")
	for _, w := range []string{"refund", "account"} {
		want := 5 + 2 + 15 + words[w][0]
		found := false
		for _, r := range got {
			found = found || r.Type == "keyword" && r.Keyword == w && math.Abs(r.StartSeconds-want) <= tolerance
		}
		if !found {
			t.Errorf("%q not found at %.2f s: %+v", w, want, got)
		}
	}
}
