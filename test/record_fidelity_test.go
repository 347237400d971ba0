package test

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/config"
	"github.com/callrec/callrec/internal/record"
	"github.com/callrec/callrec/internal/record/container"
)

// fixtures returns seconds of the caller and agent speech at 8 kHz.
func fixtures(t *testing.T, seconds float64) (caller, agent []int16) {
	caller, _ = ReadWAVMono16(t, Testdata(t, "audio", "caller-8k.wav"))
	agent, _ = ReadWAVMono16(t, Testdata(t, "audio", "agent-8k.wav"))
	n := int(seconds*8000) / 160 * 160
	return caller[:n], agent[:n]
}

// span is the wall time a recording covered, bracketed by when the R
// and D commands were sent and answered: the node acted somewhere
// within each bracket.
type span struct{ min, max time.Duration }

// check fails the test unless got is within tol of the span.
func (s span) check(t *testing.T, got time.Duration, tol time.Duration) {
	t.Helper()
	if got < s.min-tol || got > s.max+tol {
		t.Errorf("file holds %v of audio for %v-%v of wall time between R and D", got, s.min, s.max)
	}
}

// recordCall anchors a call, starts recording with R, plays the
// streams, ends the call with D and returns the finished sidecar, the
// recorded stereo WAV and the wall time between R and D.
func recordCall(t *testing.T, n *RecordingNode, id string, caller, callee *Stream) (*record.Meta, []int16, span) {
	t.Helper()
	c := n.Anchor(id)
	tR0 := time.Now()
	n.Do("R " + id + " ftag ttag")
	tR1 := time.Now()
	c.Play(t, caller, callee)
	time.Sleep(100 * time.Millisecond) // let the last jittered packets land
	tD0 := time.Now()
	n.Do("D " + id + " ftag ttag")
	wall := span{tD0.Sub(tR1), time.Since(tR0)}
	m, _ := n.WaitRecording(id)
	if m.Status != record.StatusComplete {
		t.Fatalf("status %s (%s)", m.Status, m.Reason)
	}
	f, err := os.Open(filepath.Join(n.Dir, m.Files[0].Path))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fm, data, err := container.ReadWAV(f)
	if err != nil {
		t.Fatal(err)
	}
	if fm.Channels != 2 || fm.SampleRate != 8000 || fm.Encoding != container.EncodingPCM16 {
		t.Fatalf("format %+v, want stereo 8 kHz pcm16", fm)
	}
	pcm := make([]int16, len(data)/2)
	for i := range pcm {
		pcm[i] = int16(binary.LittleEndian.Uint16(data[2*i:]))
	}
	return m, pcm, wall
}

func TestRecordStereoCallerLeft(t *testing.T) {
	t.Parallel()
	n := StartRecordingNode(t, nil)
	caller, agent := fixtures(t, 4)
	m, pcm, wall := recordCall(t, n, "stereo-1", &Stream{PCM: caller, SSRC: 1}, &Stream{PCM: agent, SSRC: 2})
	left, right := Deinterleave(pcm)
	callerRef, agentRef := MulawRoundTrip(caller), MulawRoundTrip(agent)
	cl, lagL := BestCorrelation(left, callerRef, 4000)
	cr, lagR := BestCorrelation(right, agentRef, 4000)
	xl, _ := BestCorrelation(left, agentRef, 4000)
	t.Logf("left~caller %.3f at %d, right~agent %.3f at %d, left~agent %.3f; wall %v, recorded %.3fs",
		cl, lagL, cr, lagR, xl, wall, m.Duration)
	if cl < 0.95 || cr < 0.95 {
		t.Errorf("correlation left~caller %.3f, right~agent %.3f: want > 0.95", cl, cr)
	}
	if xl > 0.3 {
		t.Errorf("left channel correlates %.3f with the agent: the legs are mixed up", xl)
	}
	got := time.Duration(float64(len(left)) / 8000 * float64(time.Second))
	wall.check(t, got, 20*time.Millisecond)
	if math.Abs(m.Duration-got.Seconds()) > 0.02 {
		t.Errorf("sidecar says %.3fs, file %.3fs", m.Duration, got.Seconds())
	}
	if m.Legs[0].Packets != 200 || m.Legs[1].Packets != 200 {
		t.Errorf("legs saw %d/%d packets, want 200/200", m.Legs[0].Packets, m.Legs[1].Packets)
	}
}

func TestRecordLegsAligned(t *testing.T) {
	t.Parallel()
	n := StartRecordingNode(t, nil)
	caller, _ := fixtures(t, 3)
	// Both parties send the same audio in the same 20 ms slots: the two
	// channels must line up within 1 ms (8 samples).
	_, pcm, _ := recordCall(t, n, "align-1", &Stream{PCM: caller, SSRC: 1}, &Stream{PCM: caller, SSRC: 2})
	left, right := Deinterleave(pcm)
	ref := MulawRoundTrip(caller)
	_, lagL := BestCorrelation(left, ref, 4000)
	_, lagR := BestCorrelation(right, ref, 4000)
	if d := lagL - lagR; d < -8 || d > 8 {
		t.Errorf("legs misaligned by %d samples (%.2f ms)", d, float64(d)/8)
	}
}

func TestRecordUnderLossReorderAndJitter(t *testing.T) {
	t.Parallel()
	n := StartRecordingNode(t, nil)
	caller, agent := fixtures(t, 4)
	// 5 % loss and 0-60 ms of jitter, which reorders packets too.
	m, pcm, wall := recordCall(t, n, "impaired-1",
		&Stream{PCM: caller, SSRC: 1, Impair: Impairment(1, 0.05, 60*time.Millisecond)},
		&Stream{PCM: agent, SSRC: 2, Impair: Impairment(2, 0.05, 60*time.Millisecond)})
	left, right := Deinterleave(pcm)
	cl, _ := BestCorrelation(left, MulawRoundTrip(caller), 4000)
	cr, _ := BestCorrelation(right, MulawRoundTrip(agent), 4000)
	got := time.Duration(float64(len(left)) / 8000 * float64(time.Second))
	t.Logf("left %.3f right %.3f; %v recorded for %v wall (sidecar %.4fs); legs %+v", cl, cr, got, wall, m.Duration, m.Legs)
	if cl < 0.8 || cr < 0.8 {
		t.Errorf("correlation %.3f / %.3f under 5%% loss: want > 0.8", cl, cr)
	}
	wall.check(t, got, 20*time.Millisecond)
	if m.Legs[0].Lost == 0 {
		t.Error("no loss counted on the caller's leg")
	}
}

func TestRecordHoldIsSilenceOfTheRightLength(t *testing.T) {
	t.Parallel()
	n := StartRecordingNode(t, nil)
	caller, agent := fixtures(t, 5)
	// The caller sends nothing for 2 s (packets 75..175): a hold.
	_, pcm, _ := recordCall(t, n, "hold-1", &Stream{PCM: caller, SSRC: 1, HoldFrom: 75, HoldTo: 175},
		&Stream{PCM: agent, SSRC: 2})
	left, _ := Deinterleave(pcm)
	ref := MulawRoundTrip(caller)
	_, lag := BestCorrelation(left, ref[:75*160], 4000)
	// The held span is silent...
	held := left[lag+80*160 : lag+170*160]
	if r := RMS(held); r > 1 {
		t.Errorf("RMS %.1f during hold, want silence", r)
	}
	// ...and the audio after it sits exactly where it was sent.
	after, lag2 := BestCorrelation(left[lag+175*160:], ref[175*160:], 200)
	if after < 0.9 || lag2 > 8 {
		t.Errorf("audio after hold correlates %.3f at lag %d samples; want in place", after, lag2)
	}
}

func TestRecordMulawIsByteIdentical(t *testing.T) {
	t.Parallel()
	n := StartRecordingNode(t, func(c *config.Media) {
		c.RecordProfiles = map[string]record.Profile{"default": {Encoding: "pcmu", Layout: "separate"}}
	})
	caller, agent := fixtures(t, 2)
	c := n.Anchor("ulaw-1")
	n.Do("R ulaw-1 ftag ttag")
	s := &Stream{PCM: caller, SSRC: 1}
	c.Play(t, s, &Stream{PCM: agent, SSRC: 2})
	time.Sleep(50 * time.Millisecond)
	n.Do("D ulaw-1 ftag ttag")
	m, _ := n.WaitRecording("ulaw-1")
	var sent []byte
	buf := make([]byte, 2048)
	for i := 0; i < s.Packets(); i++ {
		sent = append(sent, s.packet(i, buf)[12:]...)
	}
	f, err := os.Open(filepath.Join(n.Dir, m.Files[0].Path))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fm, data, err := container.ReadWAV(f)
	if err != nil {
		t.Fatal(err)
	}
	if fm.Encoding != container.EncodingPCMU || fm.Channels != 1 || m.Files[0].Party != "caller" {
		t.Fatalf("file %s: %+v, want the caller's mono µ-law", m.Files[0].Path, fm)
	}
	if !bytes.Contains(data, sent) {
		t.Errorf("the caller's µ-law file does not contain the %d payload bytes sent, byte for byte", len(sent))
	}
}
