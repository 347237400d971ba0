package codec

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"testing"
)

// readWAV returns the samples of a 16-bit mono PCM WAV file in testdata.
func readWAV(t testing.TB, name string) []int16 {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 12 || !bytes.Equal(b[:4], []byte("RIFF")) || !bytes.Equal(b[8:12], []byte("WAVE")) {
		t.Fatalf("%s: not a WAV file", name)
	}
	for off := 12; off+8 <= len(b); {
		id, size := string(b[off:off+4]), int(binary.LittleEndian.Uint32(b[off+4:]))
		off += 8
		if id == "data" {
			size = min(size, len(b)-off)
			s := make([]int16, size/2)
			for i := range s {
				s[i] = int16(binary.LittleEndian.Uint16(b[off+2*i:]))
			}
			return s
		}
		off += size + size&1
	}
	t.Fatalf("%s: no data chunk", name)
	return nil
}

// snr returns the signal-to-noise ratio in dB of got against want.
func snr(want, got []int16) float64 {
	var sig, noise float64
	for i := range want {
		d := float64(want[i]) - float64(got[i])
		sig += float64(want[i]) * float64(want[i])
		noise += d * d
	}
	if noise == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(sig/noise)
}

// rms returns the root mean square of s.
func rms(s []int16) float64 {
	var e float64
	for _, v := range s {
		e += float64(v) * float64(v)
	}
	return math.Sqrt(e / float64(max(len(s), 1)))
}
