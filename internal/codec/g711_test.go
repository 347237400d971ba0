package codec

import (
	"errors"
	"testing"
)

// TestG711KnownValues checks codes against values printed in G.711's
// tables (the end points of the segments and the zero codes).
func TestG711KnownValues(t *testing.T) {
	tests := []struct {
		alaw bool
		code byte
		want int16
	}{
		{false, 0x00, -32124}, {false, 0x80, 32124},
		{false, 0xFF, 0}, {false, 0x7F, 0},
		{false, 0xFE, 8}, {false, 0x7E, -8},
		{false, 0xEF, 132}, {false, 0xF0, 120},
		{true, 0xD5, 8}, {true, 0x55, -8},
		{true, 0xAA, 32256}, {true, 0x2A, -32256},
		{true, 0xD4, 24}, {true, 0xC5, 264},
	}
	for _, tt := range tests {
		var got int16
		if tt.alaw {
			got = AlawDecode(tt.code)
		} else {
			got = UlawDecode(tt.code)
		}
		if got != tt.want {
			t.Errorf("alaw=%v decode(%#02x) = %d, want %d", tt.alaw, tt.code, got, tt.want)
		}
	}
}

// TestG711RoundTripAllCodes decodes every code and encodes it back. The
// one exception is µ-law 0x7F, negative zero, which encodes as 0xFF.
func TestG711RoundTripAllCodes(t *testing.T) {
	for c := range 256 {
		code := byte(c)
		want := code
		if code == 0x7F {
			want = 0xFF
		}
		if got := UlawEncode(UlawDecode(code)); got != want {
			t.Errorf("µ-law %#02x → %d → %#02x", code, UlawDecode(code), got)
		}
		if got := AlawEncode(AlawDecode(code)); got != code {
			t.Errorf("A-law %#02x → %d → %#02x", code, AlawDecode(code), got)
		}
	}
}

// TestG711AllSamples checks the lookup tables against the segment
// arithmetic for every 16-bit input, and that quantising is monotonic and
// picks the nearest level, as G.711's decision values require.
func TestG711AllSamples(t *testing.T) {
	prevU, prevA := int16(-32768), int16(-32768)
	for v := -32768; v <= 32767; v++ {
		s := int16(v)
		if got, want := UlawEncode(s), ulawEncodeSlow(s); got != want {
			t.Fatalf("µ-law table(%d) = %#02x, arithmetic %#02x", s, got, want)
		}
		if got, want := AlawEncode(s), alawEncodeSlow(s); got != want {
			t.Fatalf("A-law table(%d) = %#02x, arithmetic %#02x", s, got, want)
		}
		u, a := UlawDecode(UlawEncode(s)), AlawDecode(AlawEncode(s))
		if u < prevU || a < prevA {
			t.Fatalf("not monotonic at %d: µ %d<%d or A %d<%d", s, u, prevU, a, prevA)
		}
		prevU, prevA = u, a
		// Error bounded by half the largest step (1024 µ-law, 1024 A-law)
		// plus the clipping at full scale.
		if d := abs(int(u) - v); d > 1024 && v > -32124 && v < 32124 {
			t.Fatalf("µ-law error %d at %d", d, v)
		}
		if d := abs(int(a) - v); d > 1024 && v > -32256 && v < 32256 {
			t.Fatalf("A-law error %d at %d", d, v)
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// TestG711SpeechSNR encodes and decodes the speech fixture; companding
// keeps about 38 dB SNR on speech at normal levels.
func TestG711SpeechSNR(t *testing.T) {
	speech := readWAV(t, "caller-8k.wav")
	for _, name := range []string{"PCMU", "PCMA"} {
		enc, _ := NewEncoder(name, 8000, 1)
		dec, _ := NewDecoder(name, 8000, 1)
		payload := make([]byte, len(speech))
		pcm := make([]int16, len(speech))
		for off := 0; off < len(speech); off += 160 {
			end := min(off+160, len(speech))
			n, err := enc.Encode(speech[off:end], payload[off:])
			if err != nil || n != end-off {
				t.Fatalf("%s encode: %d, %v", name, n, err)
			}
			if n, err = dec.Decode(payload[off:end], pcm[off:]); err != nil || n != end-off {
				t.Fatalf("%s decode: %d, %v", name, n, err)
			}
		}
		s := snr(speech, pcm)
		t.Logf("%s speech SNR %.1f dB", name, s)
		if s < 30 {
			t.Errorf("%s speech SNR %.1f dB < 30", name, s)
		}
	}
}

func TestG711Errors(t *testing.T) {
	dec := NewPCMUDecoder()
	if _, err := dec.Decode(make([]byte, 160), make([]int16, 159)); !errors.Is(err, ErrShortBuffer) {
		t.Errorf("short pcm: %v", err)
	}
	enc := NewPCMAEncoder()
	if _, err := enc.Encode(make([]int16, 160), make([]byte, 10)); !errors.Is(err, ErrShortBuffer) {
		t.Errorf("short out: %v", err)
	}
	if _, err := enc.Encode(nil, make([]byte, 10)); !errors.Is(err, ErrFrameSize) {
		t.Errorf("empty pcm: %v", err)
	}
}

func BenchmarkG711Decode(b *testing.B) {
	payload := make([]byte, 160)
	for i := range payload {
		payload[i] = byte(i * 7)
	}
	pcm := make([]int16, 160)
	dec := NewPCMUDecoder()
	b.ReportAllocs()
	b.SetBytes(160)
	for b.Loop() {
		if _, err := dec.Decode(payload, pcm); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkG711Encode(b *testing.B) {
	pcm := sine(160, 440, 8000, 10000)
	out := make([]byte, 160)
	enc := NewPCMAEncoder()
	b.ReportAllocs()
	b.SetBytes(160)
	for b.Loop() {
		if _, err := enc.Encode(pcm, out); err != nil {
			b.Fatal(err)
		}
	}
}
