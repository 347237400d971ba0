package container

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

var wavFormats = []Format{
	{"wav", "pcm16", 8000, 1, 16},
	{"wav", "pcm16", 16000, 2, 16},
	{"wav", "pcm16", 48000, 2, 0},
	{"wav", "pcm8", 8000, 1, 8},
	{"wav", "pcm8", 16000, 2, 8},
	{"wav", "pcmu", 8000, 1, 8},
	{"wav", "pcmu", 8000, 2, 8},
	{"wav", "pcma", 8000, 1, 8},
	{"wav", "pcma", 16000, 2, 8},
	{"wav", "gsm", 8000, 1, 0},
}

// writeWAV writes d of audio in 20 ms frames (GSM: 40 ms blocks).
func writeWAV(t testing.TB, f File, fm Format, d time.Duration) (*WAVWriter, []byte) {
	w, err := NewWAVWriter(f, fm, Options{})
	if err != nil {
		t.Fatal(err)
	}
	per := fm.SampleRate / 50
	if fm.Encoding == EncodingGSM {
		per = GSMSamplesPerBlock
	}
	var all []byte
	for n := 0; n < int(int64(d)*int64(fm.SampleRate)/int64(time.Second)); n += per {
		fr := frameOf(fm, per)
		all = append(all, fr...)
		if err := w.WriteFrames(fr, per); err != nil {
			t.Fatal(err)
		}
	}
	return w, all
}

func TestWAVRoundTrip(t *testing.T) {
	for _, fm := range wavFormats {
		t.Run(fm.Encoding+"/"+strconv.Itoa(fm.SampleRate)+"/"+strconv.Itoa(fm.Channels), func(t *testing.T) {
			var f memFile
			w, want := writeWAV(t, &f, fm, 3*time.Second)
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			got, data, err := ReadWAV(bytes.NewReader(f.b))
			if err != nil {
				t.Fatal(err)
			}
			fm.BitsPerSample = fm.Bits()
			if got != fm {
				t.Errorf("format %+v, want %+v", got, fm)
			}
			if !bytes.Equal(data, want) {
				t.Errorf("data differs: %d bytes, want %d", len(data), len(want))
			}
			if w.Duration() != 3*time.Second && fm.Encoding != EncodingGSM {
				t.Errorf("Duration %v", w.Duration())
			}
			if w.Written() != int64(len(f.b)) {
				t.Errorf("Written %d, file %d", w.Written(), len(f.b))
			}
			if max := len(f.b)/DefaultBufferSize + 8; f.writes > max {
				t.Errorf("%d writes for %d bytes, want batching (<= %d)", f.writes, len(f.b), max)
			}
			h, _ := ParseWAVHeader(f.b)
			if h.FactOffset >= 0 && int64(h.FactSamples) != int64(len(want)/fm.BlockAlign()*fm.SamplesPerBlock()) {
				t.Errorf("fact %d", h.FactSamples)
			}
			// sox must agree on rate, channels and sample count.
			p := filepath.Join(t.TempDir(), "x.wav")
			if err := os.WriteFile(p, f.b, 0o644); err != nil {
				t.Fatal(err)
			}
			samples := tool(t, "soxi", "-s", p)
			if want := strconv.Itoa(len(want) / fm.BlockAlign() * fm.SamplesPerBlock()); samples != want {
				t.Errorf("soxi samples %s, want %s", samples, want)
			}
			if r := tool(t, "soxi", "-r", p); r != strconv.Itoa(fm.SampleRate) {
				t.Errorf("soxi rate %s", r)
			}
			if c := tool(t, "soxi", "-c", p); c != strconv.Itoa(fm.Channels) {
				t.Errorf("soxi channels %s", c)
			}
		})
	}
}

func TestWAVHeaderPCM16(t *testing.T) {
	var f memFile
	w, err := NewWAVWriter(&f, Format{"wav", "pcm16", 8000, 1, 16}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteFrames(make([]byte, 320), 160); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := []byte("RIFF\x64\x01\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x40\x1f\x00\x00\x80\x3e\x00\x00\x02\x00\x10\x00data\x40\x01\x00\x00")
	if !bytes.Equal(f.b[:44], want) {
		t.Fatalf("header\n got %q\nwant %q", f.b[:44], want)
	}
}

func TestWAVOddPad(t *testing.T) {
	var f memFile
	w, err := NewWAVWriter(&f, Format{"wav", "pcm8", 8000, 1, 8}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteFrames([]byte{1, 2, 3}, 3); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if len(f.b) != 44+4 || binary.LittleEndian.Uint32(f.b[4:]) != 40 || binary.LittleEndian.Uint32(f.b[40:]) != 3 {
		t.Fatalf("odd data: len %d riff %d data %d", len(f.b), binary.LittleEndian.Uint32(f.b[4:]), binary.LittleEndian.Uint32(f.b[40:]))
	}
	_, data, err := ReadWAV(bytes.NewReader(f.b))
	if err != nil || !bytes.Equal(data, []byte{1, 2, 3}) {
		t.Fatalf("ReadWAV %v %v", data, err)
	}
}

// TestWAVHeaderNeverAhead checks the crash-safety invariant after every
// write: the header claims no more than the file holds, and no less than
// the audio accepted minus FlushEvery.
func TestWAVHeaderNeverAhead(t *testing.T) {
	fm := Format{"wav", "pcm16", 48000, 2, 16}
	var f memFile
	w, err := NewWAVWriter(&f, fm, Options{BufferSize: 10000, FlushEvery: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	fr := frameOf(fm, 960)
	for i := range 200 {
		if err := w.WriteFrames(fr, 960); err != nil {
			t.Fatal(err)
		}
		h, err := ParseWAVHeader(f.b)
		if err != nil {
			t.Fatal(err)
		}
		if int64(h.DataSize) > int64(len(f.b))-h.DataOffset {
			t.Fatalf("frame %d: header claims %d, file holds %d", i, h.DataSize, int64(len(f.b))-h.DataOffset)
		}
		if lag := w.Written() - h.DataOffset - int64(h.DataSize); lag > int64(fm.SampleRate*fm.BlockAlign()/2) {
			t.Fatalf("frame %d: header lags by %d bytes", i, lag)
		}
		if h.RIFFSize != uint32(h.DataOffset-8)+h.DataSize {
			t.Fatalf("riff %d data %d", h.RIFFSize, h.DataSize)
		}
	}
}

func TestWAVErrors(t *testing.T) {
	var f memFile
	if _, err := NewWAVWriter(&f, Format{"ogg", "opus", 48000, 1, 0}, Options{}); !errors.Is(err, ErrInvalidFormat) {
		t.Fatalf("ogg format: %v", err)
	}
	w, err := NewWAVWriter(&f, Format{"wav", "pcm16", 8000, 1, 16}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteFrames(make([]byte, 3), 1); !errors.Is(err, ErrFrameSize) {
		t.Fatalf("odd bytes: %v", err)
	}
	w.data = w.limit - 1
	if err := w.WriteFrames(make([]byte, 2), 1); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("4 GiB: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteFrames(make([]byte, 2), 1); !errors.Is(err, ErrClosed) {
		t.Fatalf("after close: %v", err)
	}
}

func TestParseWAVHeaderErrors(t *testing.T) {
	var f memFile
	w, _ := writeWAV(t, &f, Format{"wav", "gsm", 8000, 1, 0}, 100*time.Millisecond)
	w.Close()
	good := f.b
	for _, tt := range []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrShort},
		{"not riff", append([]byte("RIFX"), good[4:]...), ErrBadHeader},
		{"cut in fmt", good[:30], ErrShort},
		{"no data chunk", good[:52], ErrShort},
		{"huge fmt", append(append([]byte{}, good[:16]...), 0xff, 0xff, 0xff, 0x7f), ErrShort},
	} {
		if _, err := ParseWAVHeader(tt.b); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	_, data, err := ReadWAV(bytes.NewReader(good[:len(good)-10]))
	if !errors.Is(err, ErrTruncated) || len(data)%GSMBlockSize != 0 {
		t.Errorf("truncated: %d bytes, %v", len(data), err)
	}
}
