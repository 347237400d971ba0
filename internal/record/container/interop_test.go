package container

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// TestWAVInterop reads WAV files made by ffmpeg (real GSM and G.711 data,
// ffmpeg's own chunk layout with LIST), writes their data back through
// WAVWriter and checks that sox and ffmpeg decode the copy to the same
// number of samples.
func TestWAVInterop(t *testing.T) {
	for _, c := range []struct {
		codec, rate, ch string
		enc             string
	}{
		{"pcm_s16le", "16000", "2", EncodingPCM16},
		{"pcm_u8", "8000", "1", EncodingPCM8},
		{"pcm_mulaw", "8000", "1", EncodingPCMU},
		{"pcm_alaw", "48000", "2", EncodingPCMA},
		{"libgsm_ms", "8000", "1", EncodingGSM},
	} {
		t.Run(c.codec, func(t *testing.T) {
			dir := t.TempDir()
			src, dst := filepath.Join(dir, "src.wav"), filepath.Join(dir, "dst.wav")
			tool(t, "ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=2",
				"-ar", c.rate, "-ac", c.ch, "-c:a", c.codec, src)
			b, err := os.ReadFile(src)
			if err != nil {
				t.Fatal(err)
			}
			fm, data, err := ReadWAV(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("ReadWAV of ffmpeg's file: %v", err)
			}
			if fm.Encoding != c.enc || strconv.Itoa(fm.SampleRate) != c.rate || strconv.Itoa(fm.Channels) != c.ch {
				t.Fatalf("format %+v", fm)
			}
			out, err := os.Create(dst)
			if err != nil {
				t.Fatal(err)
			}
			defer out.Close()
			w, err := NewWAVWriter(out, fm, Options{})
			if err != nil {
				t.Fatal(err)
			}
			samples := len(data) / fm.BlockAlign() * fm.SamplesPerBlock()
			if err := w.WriteFrames(data, samples); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if n := tool(t, "soxi", "-s", dst); n != strconv.Itoa(samples) {
				t.Errorf("soxi: %s samples, want %d", n, samples)
			}
			tool(t, "sox", dst, "-n", "stat")
			tool(t, "ffmpeg", "-nostdin", "-v", "error", "-xerror", "-i", dst, "-f", "null", "-")
		})
	}
}

// TestRawGSMInterop writes 33-byte GSM frames from a sox-made .gsm file
// through a raw writer and checks that sox reads the copy.
func TestRawGSMInterop(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src.gsm"), filepath.Join(dir, "dst.gsm")
	tool(t, "sox", "-n", "-r", "8000", "-c", "1", src, "synth", "1", "sine", "440")
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	fm := Format{"raw", "gsm", 8000, 1, 0}
	if len(b)%GSMFrameSize != 0 {
		t.Fatalf("sox wrote %d bytes, not whole 33-byte frames", len(b))
	}
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	w, err := NewRawWriter(out, fm, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(b); i += GSMFrameSize {
		if err := w.WriteFrames(b[i:i+GSMFrameSize], GSMFrameSamples); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, want := tool(t, "sox", dst, "-t", "s16", "-"), tool(t, "sox", src, "-t", "s16", "-")
	if got != want || len(got) < 15000 { // raw .gsm has no length field: decode both
		t.Errorf("sox decodes %d bytes of the copy, %d of the source", len(got), len(want))
	}
}
