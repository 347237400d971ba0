package container

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestOggCRC checks the checksum's parameters (poly 0x04c11db7, init 0,
// no reflection, no xorout) against its check value over "123456789".
// TestOggInterop checks real pages both ways: ReadOgg verifies the CRCs of
// ffmpeg's pages and ffmpeg reads ours.
func TestOggCRC(t *testing.T) {
	if got := oggCRC(0, []byte("123456789")); got != 0x89a1897f {
		t.Fatalf("crc %#08x, want 0x89a1897f", got)
	}
}

// opusPacket returns a 20 ms CELT-only fullband mono packet (TOC config 31,
// code 0) with n bytes of payload; any payload decodes.
func opusPacket(n int, seed byte) []byte {
	b := make([]byte, n+1)
	b[0] = 31 << 3
	for i := 1; i < len(b); i++ {
		b[i] = byte(i)*13 + seed
	}
	return b
}

func TestOggRoundTrip(t *testing.T) {
	for _, rate := range []int{8000, 16000, 48000} {
		for _, ch := range []int{1, 2} {
			t.Run(fmt.Sprintf("%d/%d", rate, ch), func(t *testing.T) {
				fm := Format{"ogg", "opus", rate, ch, 0}
				var f memFile
				w, err := NewOggOpusWriter(&f, fm, Options{PreSkip: 312, Serial: 7, Comments: []string{"CALL=abc"}})
				if err != nil {
					t.Fatal(err)
				}
				var want [][]byte
				per := rate / 50
				// 3 s of 20 ms packets, with one huge packet spanning pages
				// and an empty one.
				for i := range 150 {
					p := opusPacket(60+i%40, byte(i))
					switch i {
					case 70:
						p = opusPacket(70000, 1)
					case 71:
						p = []byte{}
					}
					want = append(want, p)
					if err := w.WriteFrames(p, per); err != nil {
						t.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				if w.Written() != int64(len(f.b)) {
					t.Errorf("Written %d, file %d", w.Written(), len(f.b))
				}
				s, err := ReadOgg(bytes.NewReader(f.b))
				if err != nil {
					t.Fatal(err)
				}
				if s.Format != fm || s.PreSkip != 312 || s.Serial != 7 || !s.EOS || s.Vendor != OpusVendor ||
					len(s.Comments) != 1 || s.Comments[0] != "CALL=abc" {
					t.Errorf("stream %+v", s)
				}
				if s.Granule != 312+150*960 || s.Duration() != 3*time.Second {
					t.Errorf("granule %d duration %v", s.Granule, s.Duration())
				}
				if len(s.Packets) != len(want) {
					t.Fatalf("%d packets, want %d", len(s.Packets), len(want))
				}
				for i := range want {
					if !bytes.Equal(s.Packets[i], want[i]) {
						t.Fatalf("packet %d differs", i)
					}
				}
			})
		}
	}
}

// TestOggFullPages fills pages to 255 lacing values with tiny packets and
// packets of exactly 255 bytes, so packets end exactly at page ends.
func TestOggFullPages(t *testing.T) {
	var f memFile
	w, err := NewOggOpusWriter(&f, Format{"ogg", "opus", 48000, 1, 0}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var want [][]byte
	for i := range 700 {
		p := []byte{byte(i)}
		if i%50 == 0 {
			p = opusPacket(254+i%4/2, byte(i)) // 255 or 256 bytes: 2 lacing values; 51 per 50 packets
		}
		want = append(want, p)
		if err := w.WriteFrames(p, 1); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := ReadOgg(bytes.NewReader(f.b))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Packets) != len(want) || s.Granule != 700 {
		t.Fatalf("%d packets, granule %d", len(s.Packets), s.Granule)
	}
	for i := range want {
		if !bytes.Equal(s.Packets[i], want[i]) {
			t.Fatalf("packet %d differs", i)
		}
	}
}

// TestOggPagesPerSecond checks that Flush (automatic after FlushEvery of
// audio) closes pages so no page spans more than a second.
func TestOggPagesPerSecond(t *testing.T) {
	var f memFile
	w, err := NewOggOpusWriter(&f, Format{"ogg", "opus", 48000, 1, 0}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 500 {
		if err := w.WriteFrames(opusPacket(40, byte(i)), 960); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	or := NewOggReader(bytes.NewReader(f.b))
	prev := int64(0)
	for {
		p, err := or.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if p.Granule-prev > 48000 {
			t.Fatalf("page %d spans %d samples", p.Sequence, p.Granule-prev)
		}
		prev = p.Granule
	}
	if f.writes > 10+2 { // one per second of audio, plus headers and Close
		t.Errorf("%d writes for %d bytes: pages not batched", f.writes, len(f.b))
	}
}

func TestReadOggErrors(t *testing.T) {
	var f memFile
	w, _ := NewOggOpusWriter(&f, Format{"ogg", "opus", 48000, 1, 0}, Options{})
	for i := range 100 {
		w.WriteFrames(opusPacket(50, byte(i)), 960)
	}
	w.Close()
	good := f.b
	bad := bytes.Clone(good)
	bad[len(bad)-60] ^= 0xff
	if _, err := ReadOgg(bytes.NewReader(bad)); !errors.Is(err, ErrBadCRC) {
		t.Errorf("flipped byte: %v", err)
	}
	if _, err := ReadOgg(bytes.NewReader(good[:len(good)-5])); !errors.Is(err, ErrShort) {
		t.Errorf("cut: %v", err)
	}
	if _, err := ReadOgg(bytes.NewReader(good[:30])); !errors.Is(err, ErrShort) {
		t.Errorf("cut header: %v", err)
	}
	if _, _, err := ParsePage([]byte("OggT")); !errors.Is(err, ErrShort) {
		t.Errorf("short: %v", err)
	}
}

// TestOggInterop feeds the packets of an Ogg Opus file made by ffmpeg
// (libopus) through ReadOgg and OggOpusWriter and checks that ffprobe
// reads the copy with the same duration and ffmpeg decodes it cleanly.
func TestOggInterop(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src.opus"), filepath.Join(dir, "dst.opus")
	tool(t, "ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=3",
		"-ar", "48000", "-ac", "2", "-c:a", "libopus", "-frame_duration", "20", src)
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ReadOgg(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("ReadOgg of ffmpeg's file: %v", err)
	}
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	w, err := NewOggOpusWriter(out, Format{"ogg", "opus", 48000, 2, 0}, Options{PreSkip: s.PreSkip})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range s.Packets {
		if err := w.WriteFrames(p, 960); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	d := toolSeconds(t, tool(t, "ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", dst))
	if diff := d - 3*time.Second; diff < -30*time.Millisecond || diff > 30*time.Millisecond {
		t.Errorf("ffprobe duration %v, want 3s", d)
	}
	tool(t, "ffmpeg", "-nostdin", "-v", "error", "-xerror", "-i", dst, "-f", "null", "-")
}
