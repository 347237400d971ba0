package blobstore

import (
	"context"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"runtime"
	"testing"

	"github.com/callrec/callrec/internal/store/storetest"
)

// writeBlob writes size bytes of pattern to key in writes of step
// bytes, as the Shipper does, without holding more than one write in
// memory; sample is called every 5 MB.
func writeBlob(tb testing.TB, tg *Target, key string, size, step int, sample func()) (sum [32]byte) {
	tb.Helper()
	ctx := context.Background()
	o, err := tg.Open(ctx, key)
	if err != nil {
		tb.Fatal(err)
	}
	h := sha256.New()
	buf := make([]byte, step)
	for off := 0; off < size; off += step {
		p := buf[:min(step, size-off)]
		fill(p, off)
		if err := o.WriteAt(ctx, p, int64(off)); err != nil {
			tb.Fatal(err)
		}
		h.Write(p)
		if sample != nil && (off/step)%(5<<20/step) == 0 {
			sample()
		}
	}
	h.Sum(sum[:0])
	if err := o.Commit(ctx, int64(size), sum); err != nil {
		tb.Fatal(err)
	}
	return sum
}

func fill(p []byte, off int) {
	for i := range p {
		p[i] = byte((off + i) * 7 / 3)
	}
}

// sampledWriter hashes what it is given and samples every 5 MB.
type sampledWriter struct {
	h      hash.Hash
	n      int
	sample func()
}

func (w *sampledWriter) Write(p []byte) (int, error) {
	if w.n/(5<<20) != (w.n+len(p))/(5<<20) {
		w.sample()
	}
	w.n += len(p)
	return w.h.Write(p)
}

// TestLargeBlobMemory writes a 50 MB blob and reads it back on both
// databases, sampling the live heap (after a GC) every 5 MB: it stays
// within a few chunks of where it started, so neither path ever holds
// the blob whole.
func TestLargeBlobMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("50 MB through the database")
	}
	const size = 50 << 20
	for _, d := range dialects {
		t.Run(d, func(t *testing.T) {
			tg, _ := openTarget(t, storetest.DSN(t, d), 0)
			var ms runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&ms)
			base, peak := ms.HeapInuse, uint64(0)
			sample := func() {
				runtime.GC()
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
			sum := writeBlob(t, tg, "big.wav", size, 256<<10, sample)
			writePeak := peak
			b, err := tg.OpenBlob(context.Background(), "big.wav")
			if err != nil {
				t.Fatal(err)
			}
			w := &sampledWriter{h: sha256.New(), sample: sample}
			if _, err := io.CopyBuffer(w, b, make([]byte, 32<<10)); err != nil {
				t.Fatal(err)
			}
			if got := [32]byte(w.h.Sum(nil)); got != sum || w.n != size {
				t.Fatalf("read back %d bytes, sha256 %x, want %x", w.n, got, sum)
			}
			const bound = 16 << 20 // a handful of 256 KiB chunks and driver buffers; the blob is 50 MB
			t.Logf("heap in use: %d KiB at start, peak %d KiB writing, %d KiB reading 50 MB",
				base>>10, writePeak>>10, peak>>10)
			if writePeak > base+bound || peak > base+bound {
				t.Errorf("heap grew to %d KiB from %d KiB: the blob is held in memory", peak>>10, base>>10)
			}
		})
	}
}

// BenchmarkWrite ships 8 MB blobs in 256 KiB appends (the Shipper's
// largest write) with a header rewrite every 32 appends, and commits
// them (which reads the blob back to check the checksum).
func BenchmarkWrite(b *testing.B) {
	const size = 8 << 20
	for _, d := range dialects {
		b.Run(d, func(b *testing.B) {
			tg, _ := openTarget(b, storetest.DSN(b, d), 0)
			b.SetBytes(size)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				writeBlob(b, tg, fmt.Sprintf("w%d.wav", i), size, 256<<10, nil)
			}
		})
	}
}

// BenchmarkRead reads an 8 MB blob through a Blob: written in 256 KiB
// appends (a bulk copy, a resumed upload), and written live, in appends
// of one second of 8 kHz stereo PCM (32 000 bytes per row).
func BenchmarkRead(b *testing.B) {
	const size = 8 << 20
	for _, c := range []struct {
		name string
		step int
	}{{"bulk", 256 << 10}, {"live", 32000}} {
		for _, d := range dialects {
			b.Run(c.name+"/"+d, func(b *testing.B) { benchRead(b, d, size, c.step) })
		}
	}
}

func benchRead(b *testing.B, d string, size, step int) {
	tg, _ := openTarget(b, storetest.DSN(b, d), 0)
	writeBlob(b, tg, "r.wav", size, step, nil)
	buf := make([]byte, 32<<10)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		r, err := tg.OpenBlob(context.Background(), "r.wav")
		if err != nil {
			b.Fatal(err)
		}
		if n, err := io.CopyBuffer(io.Discard, r, buf); err != nil || n != int64(size) {
			b.Fatal(n, err)
		}
		r.Close()
	}
}

// BenchmarkLiveInterval is one Shipper interval of one live call: an
// append of one second of 8 kHz 16-bit stereo audio (32 000 bytes) and
// the rewritten 44-byte WAV header, two transactions. Intervals per
// second is how many live calls one database keeps up with at the
// default storage.interval of 1 s.
func BenchmarkLiveInterval(b *testing.B) {
	for _, d := range dialects {
		b.Run(d, func(b *testing.B) {
			tg, _ := openTarget(b, storetest.DSN(b, d), 0)
			ctx := context.Background()
			o, err := tg.Open(ctx, "live.wav")
			if err != nil {
				b.Fatal(err)
			}
			p, hdr := make([]byte, 32000), make([]byte, 44)
			fill(p, 0)
			b.SetBytes(int64(len(p)))
			b.ReportAllocs()
			for b.Loop() {
				if err := o.WriteAt(ctx, p, o.Size()); err != nil {
					b.Fatal(err)
				}
				if err := o.WriteAt(ctx, hdr, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
