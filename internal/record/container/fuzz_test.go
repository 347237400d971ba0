package container

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"
)

func FuzzReadWAV(f *testing.F) {
	for _, fm := range wavFormats {
		var m memFile
		w, _ := writeWAV(f, &m, fm, 50*time.Millisecond)
		w.Close()
		f.Add(m.b)
		f.Add(m.b[:len(m.b)/2])
	}
	f.Add([]byte("RIFF\xff\xff\xff\xffWAVEfmt \xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		fm, data, err := parseWAV(b)
		if err != nil && !errors.Is(err, ErrTruncated) {
			return
		}
		if err := fm.Validate(); err != nil {
			t.Fatalf("parsed an invalid format %+v: %v", fm, err)
		}
		// Round trip: write what was read and read it back.
		data = data[:len(data)/fm.BlockAlign()*fm.BlockAlign()]
		var m memFile
		w, err := NewWAVWriter(&m, fm, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteFrames(data, len(data)/fm.BlockAlign()*fm.SamplesPerBlock()); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		fm2, data2, err := parseWAV(m.b)
		if err != nil || fm2 != fm || !bytes.Equal(data, data2) {
			t.Fatalf("round trip: %+v %+v %v", fm, fm2, err)
		}
	})
}

func FuzzReadOgg(f *testing.F) {
	var m memFile
	w, _ := NewOggOpusWriter(&m, Format{"ogg", "opus", 48000, 2, 0}, Options{Comments: []string{"A=b"}})
	for i := range 60 {
		w.WriteFrames(opusPacket(20+i, byte(i)), 960)
	}
	w.Close()
	f.Add(m.b)
	f.Add(m.b[:len(m.b)-7])
	f.Fuzz(func(t *testing.T, b []byte) {
		// Every page ParsePage accepts re-encodes to the same bytes.
		for off := 0; off < len(b); {
			p, n, err := ParsePage(b[off:])
			if err != nil {
				break
			}
			if n != p.Size() || !bytes.Equal(p.Marshal(), b[off:off+n]) {
				t.Fatalf("page at %d does not round trip", off)
			}
			off += n
		}
		// The walker agrees with ParsePage and never panics.
		or := NewOggReader(bytes.NewReader(b))
		for {
			if _, err := or.Next(); err != nil {
				if err != io.EOF && or.Offset() > int64(len(b)) {
					t.Fatal("offset past input")
				}
				break
			}
		}
		s, err := ReadOgg(bytes.NewReader(b))
		if err != nil {
			return
		}
		// Round trip the packets through the writer.
		var m memFile
		w, err := NewOggOpusWriter(&m, s.Format, Options{PreSkip: s.PreSkip, Serial: s.Serial, Comments: s.Comments})
		if err != nil {
			if errors.Is(err, ErrInvalidFormat) {
				return // a rate we do not write
			}
			t.Fatal(err)
		}
		for _, p := range s.Packets {
			if err := w.WriteFrames(p, 0); err != nil {
				t.Fatal(err)
			}
		}
		w.Close()
		s2, err := ReadOgg(bytes.NewReader(m.b))
		if err != nil || len(s2.Packets) != len(s.Packets) {
			t.Fatalf("round trip: %v, %d packets, want %d", err, len(s2.Packets), len(s.Packets))
		}
		for i := range s.Packets {
			if !bytes.Equal(s.Packets[i], s2.Packets[i]) {
				t.Fatalf("packet %d differs", i)
			}
		}
	})
}

func FuzzParseMP3Header(f *testing.F) {
	f.Add(mp3Frame()[:4])
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := ParseMP3Header(b)
		if err == nil && (fr.Size < 4 || fr.Samples == 0 || fr.SampleRate == 0) {
			t.Fatalf("accepted %+v", fr)
		}
	})
}
