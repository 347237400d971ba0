package container

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func writeTemp(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// repairOK repairs p, checks the result and that a second Repair changes
// nothing, and returns the repaired bytes.
func repairOK(t *testing.T, p string, want Result) []byte {
	t.Helper()
	res, err := Repair(p)
	if err != nil {
		t.Fatalf("Repair: %v", err)
	}
	if res.Duration != want.Duration || res.Truncated != want.Truncated || res.Changed != want.Changed {
		t.Fatalf("Repair = %+v, want %+v", res, want)
	}
	again, err := Repair(p)
	if err != nil || again.Changed || again.Duration != res.Duration {
		t.Fatalf("second Repair = %+v, %v: not idempotent", again, err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRepairWAV(t *testing.T) {
	le := binary.LittleEndian
	for _, fm := range []Format{{"wav", "pcm16", 16000, 2, 16}, {"wav", "gsm", 8000, 1, 0}, {"wav", "pcmu", 8000, 1, 8}} {
		var f memFile
		w, data := writeWAV(t, &f, fm, 2*time.Second)
		w.Close()
		good := f.b
		h, err := ParseWAVHeader(good)
		if err != nil {
			t.Fatal(err)
		}
		dur := samplesDuration(int64(len(data)/fm.BlockAlign()*fm.SamplesPerBlock()), fm.SampleRate)
		withSizes := func(data, riff uint32, tail int) []byte {
			b := append(bytes.Clone(good), make([]byte, tail)...)
			le.PutUint32(b[h.DataSizeOffset:], data)
			le.PutUint32(b[4:], riff)
			return b
		}
		short := uint32(len(data)/2) / uint32(fm.BlockAlign()) * uint32(fm.BlockAlign())
		cases := []struct {
			name string
			b    []byte
			want Result
		}{
			{"consistent", good, Result{Duration: dur}},
			{"stale sizes and partial block", withSizes(short, short+uint32(h.DataOffset-8), fm.BlockAlign()-1), Result{Duration: dur, Truncated: int64(fm.BlockAlign() - 1), Changed: true}},
			{"zero sizes", withSizes(0, 0, 0), Result{Duration: dur, Changed: true}},
			{"streaming sizes", withSizes(0xFFFFFFFF, 0xFFFFFFFF, 0), Result{Duration: dur, Changed: true}},
			{"header longer than file", withSizes(uint32(len(data))*2, uint32(len(data))*2+36, 0), Result{Duration: dur, Changed: true}},
		}
		for _, c := range cases {
			t.Run(fm.Encoding+"/"+c.name, func(t *testing.T) {
				b := repairOK(t, writeTemp(t, "r.wav", c.b), c.want)
				got, gd, err := ReadWAV(bytes.NewReader(b))
				if err != nil || !bytes.Equal(gd, data) || got.Encoding != fm.Encoding {
					t.Fatalf("after repair: %d bytes, %v", len(gd), err)
				}
				if !bytes.Equal(b, good) {
					t.Fatalf("repaired file differs from the cleanly closed one")
				}
			})
		}
	}
}

func TestRepairWAVKeepsTrailingChunk(t *testing.T) {
	var f memFile
	w, data := writeWAV(t, &f, Format{"wav", "pcm16", 8000, 1, 16}, time.Second)
	w.Close()
	b := append(f.b, "LIST\x04\x00\x00\x00INFO"...)
	p := writeTemp(t, "l.wav", b) // RIFF size does not cover LIST
	out := repairOK(t, p, Result{Duration: time.Second, Changed: true})
	if len(out) != len(b) || binary.LittleEndian.Uint32(out[4:]) != uint32(len(b)-8) {
		t.Fatalf("len %d riff %d", len(out), binary.LittleEndian.Uint32(out[4:]))
	}
	if _, gd, err := ReadWAV(bytes.NewReader(out)); err != nil || !bytes.Equal(gd, data) {
		t.Fatalf("data changed: %v", err)
	}
}

func TestRepairRefuses(t *testing.T) {
	for _, c := range []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrUnsupported},
		{"text", []byte("hello world"), ErrUnsupported},
		{"cut wav header", []byte("RIFF\x00\x00\x00\x00WAVEfmt \x10\x00"), ErrShort},
		{"ogg without opus", appendPage(nil, PageBOS, 0, 1, 0, []byte{5}, []byte("hello")), ErrUnsupported},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := writeTemp(t, "x", c.b)
			if _, err := Repair(p); !errors.Is(err, c.want) {
				t.Fatalf("Repair: %v, want %v", err, c.want)
			}
			if b, _ := os.ReadFile(p); !bytes.Equal(b, c.b) {
				t.Fatal("file modified")
			}
		})
	}
}

func TestRepairOgg(t *testing.T) {
	var f memFile
	w, _ := NewOggOpusWriter(&f, Format{"ogg", "opus", 48000, 1, 0}, Options{PreSkip: 312})
	var pageEnds []int
	for i := range 150 {
		w.WriteFrames(opusPacket(80, byte(i)), 960)
		if i%25 == 24 {
			w.Flush()
			pageEnds = append(pageEnds, len(f.b))
		}
	}
	// the stream as of the sixth flush, without EOS: what a kill leaves
	live := f.b[:pageEnds[5]]
	w.Close()
	t.Run("closed", func(t *testing.T) {
		repairOK(t, writeTemp(t, "c.opus", f.b), Result{Duration: 3 * time.Second})
	})
	t.Run("killed at page boundary", func(t *testing.T) {
		repairOK(t, writeTemp(t, "k.opus", live), Result{Duration: 3 * time.Second})
	})
	t.Run("partial page", func(t *testing.T) {
		cut := live[:pageEnds[4]+100]
		b := repairOK(t, writeTemp(t, "p.opus", cut), Result{Duration: 2500 * time.Millisecond, Truncated: 100, Changed: true})
		if !bytes.Equal(b, live[:pageEnds[4]]) {
			t.Fatal("not cut at the page boundary")
		}
	})
	t.Run("damaged last page", func(t *testing.T) {
		b := bytes.Clone(live)
		b[len(b)-10] ^= 0x55
		repairOK(t, writeTemp(t, "d.opus", b), Result{Duration: 2500 * time.Millisecond, Truncated: int64(len(b) - pageEnds[4]), Changed: true})
	})
	t.Run("damage before good pages", func(t *testing.T) {
		b := bytes.Clone(live)
		b[pageEnds[2]+40] ^= 0x55
		p := writeTemp(t, "m.opus", b)
		if _, err := Repair(p); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("Repair: %v, want ErrCorrupt", err)
		}
		if got, _ := os.ReadFile(p); !bytes.Equal(got, b) {
			t.Fatal("file modified")
		}
	})
}

// mp3Frame is a silent MPEG-1 layer III frame, 48 kHz, 64 kbit/s, mono:
// 144*64000/48000 = 192 bytes, 1152 samples.
func mp3Frame() []byte {
	b := make([]byte, 192)
	copy(b, []byte{0xFF, 0xFB, 0x54, 0xC0})
	return b
}

func TestRepairMP3(t *testing.T) {
	var f memFile
	w, err := NewRawWriter(&f, Format{"mp3", "mp3", 48000, 1, 0}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for range 100 {
		if err := w.WriteFrames(mp3Frame(), 1152); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	dur := samplesDuration(100*1152, 48000)
	if w.Duration() != dur || w.Written() != int64(len(f.b)) {
		t.Fatalf("Duration %v Written %d", w.Duration(), w.Written())
	}
	repairOK(t, writeTemp(t, "a.mp3", f.b), Result{Duration: dur})
	repairOK(t, writeTemp(t, "b.mp3", f.b[:len(f.b)-50]), Result{Duration: dur - samplesDuration(1152, 48000), Truncated: 142, Changed: true})
	id3 := append([]byte("ID3\x04\x00\x00\x00\x00\x00\x05hello"), f.b...)
	repairOK(t, writeTemp(t, "c.mp3", id3), Result{Duration: dur})
}

// TestMP3Interop checks the frame walker on an MP3 file made by lame.
func TestMP3Interop(t *testing.T) {
	for _, rate := range []string{"8000", "16000", "48000"} {
		p := filepath.Join(t.TempDir(), "x.mp3")
		tool(t, "ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=2",
			"-ar", rate, "-ac", "1", "-c:a", "libmp3lame", "-b:a", "32k", "-write_xing", "0", "-id3v2_version", "0", p)
		res, err := Repair(p)
		if err != nil {
			t.Fatal(err)
		}
		if res.Changed || res.Duration < 2*time.Second || res.Duration > 2200*time.Millisecond || res.Format.SampleRate != atoi(rate) {
			t.Errorf("%s Hz: %+v", rate, res)
		}
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// TestStaleWAVPlays checks that players read a WAV whose header lags the
// data (a kill between the data write and the header write): sox and
// ffmpeg play the declared part and ignore the trailing bytes.
func TestStaleWAVPlays(t *testing.T) {
	fm := Format{"wav", "pcm16", 8000, 1, 16}
	var f memFile
	w, _ := writeWAV(t, &f, fm, 2*time.Second)
	w.Close()
	b := bytes.Clone(f.b)
	binary.LittleEndian.PutUint32(b[40:], 16000) // 1 s declared of 2 s present
	binary.LittleEndian.PutUint32(b[4:], 16036)
	p := writeTemp(t, "s.wav", append(b, 0x55)) // and half a sample
	if d := toolSeconds(t, tool(t, "soxi", "-D", p)); d != time.Second {
		t.Errorf("soxi: %v, want the declared 1s", d)
	}
	tool(t, "sox", p, "-n", "stat")
	tool(t, "ffmpeg", "-nostdin", "-v", "error", "-xerror", "-i", p, "-f", "null", "-")
	repairOK(t, p, Result{Duration: 2 * time.Second, Truncated: 1, Changed: true})
}
