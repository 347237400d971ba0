package container

import "testing"

func BenchmarkWAVWriteFrames(b *testing.B) {
	fm := Format{"wav", "pcm16", 8000, 1, 16}
	w, err := NewWAVWriter(discardFile{}, fm, Options{})
	if err != nil {
		b.Fatal(err)
	}
	fr := frameOf(fm, 160)
	b.SetBytes(int64(len(fr)))
	b.ReportAllocs()
	for b.Loop() {
		if w.data > 1<<30 {
			w.data = 0 // stay below the 4 GiB limit
		}
		if err := w.WriteFrames(fr, 160); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOggWriteFrames(b *testing.B) {
	w, err := NewOggOpusWriter(discardFile{}, Format{"ogg", "opus", 48000, 1, 0}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	p := opusPacket(80, 1)
	b.SetBytes(int64(len(p)))
	b.ReportAllocs()
	for b.Loop() {
		if err := w.WriteFrames(p, 960); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRawWriteFrames(b *testing.B) {
	fm := Format{"raw", "pcmu", 8000, 1, 8}
	w, err := NewRawWriter(discardFile{}, fm, Options{})
	if err != nil {
		b.Fatal(err)
	}
	fr := frameOf(fm, 160)
	b.ReportAllocs()
	for b.Loop() {
		if err := w.WriteFrames(fr, 160); err != nil {
			b.Fatal(err)
		}
	}
}
