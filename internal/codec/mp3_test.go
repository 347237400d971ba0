//go:build cgo

package codec

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// mp3Encode encodes pcm in 20 ms chunks and flushes.
func mp3Encode(t testing.TB, e *MP3Encoder, pcm []int16) []byte {
	t.Helper()
	var stream []byte
	chunk := e.SampleRate() / 50 * e.Channels()
	buf := make([]byte, e.MaxPayload(chunk))
	for off := 0; off < len(pcm); off += chunk {
		n, err := e.Encode(pcm[off:min(off+chunk, len(pcm))], buf)
		if err != nil {
			t.Fatal(err)
		}
		stream = append(stream, buf[:n]...)
	}
	n, err := e.Flush(buf)
	if err != nil {
		t.Fatal(err)
	}
	return append(stream, buf[:n]...)
}

func TestMP3Encoder(t *testing.T) {
	speech := readWAV(t, "caller-8k.wav")
	e, err := NewMP3Encoder(8000, 1, 16)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	stream := mp3Encode(t, e, speech)
	secs := float64(len(speech)) / 8000
	kbps := float64(len(stream)) * 8 / secs / 1000
	t.Logf("%.1f s of speech → %d bytes, %.1f kbit/s", secs, len(stream), kbps)
	// Frame sync (11 bits) and MPEG-2.5 Layer III, no ID3 tag in front.
	if len(stream) < 4 || stream[0] != 0xFF || stream[1]&0xE0 != 0xE0 || stream[1]&0x18 != 0x00 || stream[1]&0x06 != 0x02 {
		t.Fatalf("stream starts %x, want an MPEG-2.5 Layer III frame header", stream[:min(4, len(stream))])
	}
	if math.Abs(kbps-16) > 1.5 {
		t.Errorf("bit rate %.1f kbit/s, want about 16", kbps)
	}
	if _, err := e.Encode(nil, make([]byte, 8000)); err != ErrFrameSize {
		t.Errorf("empty pcm: %v", err)
	}

	// Where FFmpeg is installed, decode the stream and compare.
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Log("ffmpeg not installed: skipping the decode check")
		return
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "a.mp3"), filepath.Join(dir, "a.raw")
	if err := os.WriteFile(in, stream, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(ffmpeg, "-hide_banner", "-loglevel", "error", "-i", in, "-f", "s16le", "-ar", "8000", "-ac", "1", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, b)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	dec := make([]int16, len(raw)/2)
	binary.Read(bytes.NewReader(raw), binary.LittleEndian, dec)
	// LAME's encoder delay is about 1105 samples (576 + 529) here;
	// search a window around it.
	best, lag := -2.0, 0
	for l := 0; l < 2500 && l < len(dec); l += 1 {
		if c, _ := bestCorrelation(speech[:16000], dec[l:], 0); c > best {
			best, lag = c, l
		}
	}
	t.Logf("ffmpeg decoded %d samples, correlation %.3f at delay %d", len(dec), best, lag)
	if best < 0.8 {
		t.Errorf("decoded correlation %.3f", best)
	}
}

func BenchmarkMP3Encode(b *testing.B) {
	e, _ := NewMP3Encoder(8000, 1, 16)
	pcm := sine(160, 440, 8000, 8000)
	out := make([]byte, e.MaxPayload(160))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Encode(pcm, out); err != nil {
			b.Fatal(err)
		}
	}
}
