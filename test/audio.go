package test

import (
	"encoding/binary"
	"math"
	"os"
	"testing"
)

// MulawTone returns n samples (8 kHz) of a sine tone at freq Hz and the
// given peak amplitude (of 32767), encoded as G.711 u-law. It is the audio
// fixture for RTP tests: made at run time, so no binary files are checked
// in.
func MulawTone(n int, freq float64, amplitude float64) []byte {
	out := make([]byte, n)
	for i := range out {
		v := amplitude * math.Sin(2*math.Pi*freq*float64(i)/8000)
		out[i] = LinearToMulaw(int16(v))
	}
	return out
}

// LinearToMulaw encodes one 16-bit linear PCM sample as G.711 u-law
// (ITU-T G.711 section 2, with the usual bias of 0x84 and clip at 32635).
func LinearToMulaw(sample int16) byte {
	const bias, clip = 0x84, 32635
	s := int(sample)
	sign := 0
	if s < 0 {
		s = -s
		sign = 0x80
	}
	if s > clip {
		s = clip
	}
	s += bias
	exp := 7
	for mask := 0x4000; s&mask == 0 && exp > 0; mask >>= 1 {
		exp--
	}
	mant := (s >> (exp + 3)) & 0x0f
	return ^byte(sign | exp<<4 | mant)
}

// WriteMulawRaw writes a raw u-law file (no header) of the given length in
// milliseconds: a 440 Hz tone, the format sipp's rtp_stream plays with
// payload type 0. It returns the file's path under the test's temp dir.
func WriteMulawRaw(t testing.TB, name string, ms int) string {
	t.Helper()
	path := t.TempDir() + "/" + name
	if err := os.WriteFile(path, MulawTone(ms*8, 440, 8000), 0o644); err != nil {
		t.Fatalf("interop: write %s: %v", path, err)
	}
	return path
}

// WriteMulawWAV writes a WAV file (format 7, G.711 u-law, 8 kHz mono) of
// the given length in milliseconds holding a 440 Hz tone, for peers that
// play WAV files (baresip's aufile, sox). It returns the file's path.
func WriteMulawWAV(t testing.TB, name string, ms int) string {
	t.Helper()
	data := MulawTone(ms*8, 440, 8000)
	// RIFF header with a WAVE_FORMAT_MULAW fmt chunk (18 bytes, cbSize 0)
	// and a fact chunk, as non-PCM WAV files require.
	h := make([]byte, 0, 58)
	h = append(h, "RIFF"...)
	h = binary.LittleEndian.AppendUint32(h, uint32(50+len(data)))
	h = append(h, "WAVEfmt "...)
	h = binary.LittleEndian.AppendUint32(h, 18)
	h = binary.LittleEndian.AppendUint16(h, 7)    // WAVE_FORMAT_MULAW
	h = binary.LittleEndian.AppendUint16(h, 1)    // channels
	h = binary.LittleEndian.AppendUint32(h, 8000) // sample rate
	h = binary.LittleEndian.AppendUint32(h, 8000) // bytes per second
	h = binary.LittleEndian.AppendUint16(h, 1)    // block align
	h = binary.LittleEndian.AppendUint16(h, 8)    // bits per sample
	h = binary.LittleEndian.AppendUint16(h, 0)    // cbSize
	h = append(h, "fact"...)
	h = binary.LittleEndian.AppendUint32(h, 4)
	h = binary.LittleEndian.AppendUint32(h, uint32(len(data)))
	h = append(h, "data"...)
	h = binary.LittleEndian.AppendUint32(h, uint32(len(data)))
	path := t.TempDir() + "/" + name
	if err := os.WriteFile(path, append(h, data...), 0o644); err != nil {
		t.Fatalf("interop: write %s: %v", path, err)
	}
	return path
}

// TonePower is the share of s's power at freq Hz (sampled at rate Hz),
// by the Goertzel algorithm over blocks of 50 ms so that phase jumps
// (a stream restarted, a lost packet) do not cancel out: about 1 for a
// tone at freq, about 0 for other tones (at least 20 Hz away) and
// silence.
func TonePower(s []int16, freq float64, rate int) float64 {
	block := rate / 20
	coeff := 2 * math.Cos(2*math.Pi*freq/float64(rate))
	var tone, total float64
	for len(s) >= block {
		var s1, s2 float64
		for _, v := range s[:block] {
			x := float64(v)
			s1, s2 = x+coeff*s1-s2, s1
			total += x * x
		}
		// A tone of amplitude A over N samples gives a bin power of
		// (A N / 2)^2 and a total power of A^2 N / 2: scale by 2/N.
		tone += (s1*s1 + s2*s2 - coeff*s1*s2) * 2 / float64(block)
		s = s[block:]
	}
	if total == 0 {
		return 0
	}
	return tone / total
}
