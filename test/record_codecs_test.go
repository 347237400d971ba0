package test

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/codec"
	"github.com/callrec/callrec/internal/config"
	"github.com/callrec/callrec/internal/record"
	"github.com/callrec/callrec/internal/record/container"
)

// wideband returns seconds of the 16 kHz fixtures.
func wideband(t *testing.T, seconds float64) (caller, agent []int16) {
	caller, _ = ReadWAVMono16(t, Testdata(t, "audio", "caller-16k.wav"))
	agent, _ = ReadWAVMono16(t, Testdata(t, "audio", "agent-16k.wav"))
	n := int(seconds*16000) / 320 * 320
	return caller[:n], agent[:n]
}

func g722Frames(t *testing.T, pcm []int16) [][]byte {
	e := codec.NewG722Encoder()
	var frames [][]byte
	for off := 0; off+320 <= len(pcm); off += 320 {
		out := make([]byte, e.MaxPayload(320))
		n, err := e.Encode(pcm[off:off+320], out)
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, out[:n])
	}
	return frames
}

func opusFrames(t *testing.T, pcm16k []int16) [][]byte {
	rs, err := codec.NewResampler(16000, 48000)
	if err != nil {
		t.Fatal(err)
	}
	up := make([]int16, rs.MaxOut(len(pcm16k)))
	k, err := rs.Process(pcm16k, up)
	if err != nil {
		t.Fatal(err)
	}
	up = up[:k]
	e, err := codec.NewOpusEncoder(48000, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	var frames [][]byte
	for off := 0; off+960 <= len(up); off += 960 {
		out := make([]byte, e.MaxPayload(960))
		n, err := e.Encode(up[off:off+960], out)
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, out[:n])
	}
	return frames
}

// readStereo reads a recording's first file as stereo PCM16.
func readStereo(t *testing.T, n *RecordingNode, m *record.Meta) ([]int16, []int16, container.Format) {
	f, err := os.Open(filepath.Join(n.Dir, m.Files[0].Path))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fm, data, err := container.ReadWAV(f)
	if err != nil {
		t.Fatal(err)
	}
	pcm := make([]int16, len(data)/2)
	for i := range pcm {
		pcm[i] = int16(binary.LittleEndian.Uint16(data[2*i:]))
	}
	l, r := Deinterleave(pcm)
	return l, r, fm
}

func playAndRecord(t *testing.T, n *RecordingNode, id string, a, b *Stream) *record.Meta {
	c := n.Anchor(id)
	n.Do("R " + id + " ftag ttag")
	c.Play(t, a, b)
	time.Sleep(100 * time.Millisecond)
	n.Do("D " + id + " ftag ttag")
	m, _ := n.WaitRecording(id)
	if m.Status != record.StatusComplete {
		t.Fatalf("status %s: %s", m.Status, m.Reason)
	}
	return m
}

func TestRecordG722At16k(t *testing.T) {
	t.Parallel()
	n := StartRecordingNode(t, nil)
	caller, agent := wideband(t, 3)
	m := playAndRecord(t, n, "g722-1",
		&Stream{Frames: g722Frames(t, caller), PT: 9, Step: 160, SSRC: 1},
		&Stream{Frames: g722Frames(t, agent), PT: 9, Step: 160, SSRC: 2})
	l, r, fm := readStereo(t, n, m)
	if fm.SampleRate != 16000 {
		t.Fatalf("recorded at %d Hz, want 16000 for G.722", fm.SampleRate)
	}
	cl, _ := BestCorrelation(l, caller, 8000)
	cr, _ := BestCorrelation(r, agent, 8000)
	t.Logf("G.722: left~caller %.3f right~agent %.3f", cl, cr)
	if cl < 0.8 || cr < 0.8 {
		t.Errorf("G.722 recording correlates %.3f / %.3f with the speech: want > 0.8", cl, cr)
	}
}

func TestRecordOpusAt48k(t *testing.T) {
	t.Parallel()
	n := StartRecordingNode(t, func(c *config.Media) {
		c.RecordPayloads = map[int]string{111: "opus/48000/2"}
	})
	caller, agent := wideband(t, 3)
	m := playAndRecord(t, n, "opus-1",
		&Stream{Frames: opusFrames(t, caller), PT: 111, Step: 960, SSRC: 1},
		&Stream{Frames: opusFrames(t, agent), PT: 111, Step: 960, SSRC: 2})
	l, r, fm := readStereo(t, n, m)
	if fm.SampleRate != 48000 {
		t.Fatalf("recorded at %d Hz, want 48000 for Opus", fm.SampleRate)
	}
	// Compare at 16 kHz: take every third sample of the recording.
	down := func(s []int16) []int16 {
		out := make([]int16, len(s)/3)
		for i := range out {
			out[i] = s[3*i]
		}
		return out
	}
	cl, _ := BestCorrelation(down(l), caller, 8000)
	cr, _ := BestCorrelation(down(r), agent, 8000)
	t.Logf("Opus: left~caller %.3f right~agent %.3f", cl, cr)
	if cl < 0.7 || cr < 0.7 {
		t.Errorf("Opus recording correlates %.3f / %.3f with the speech: want > 0.7", cl, cr)
	}
}
