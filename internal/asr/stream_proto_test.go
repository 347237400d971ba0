package asr

import (
	"errors"
	"testing"
)

// TestParseFrameHeader: docs/asr-stream.md's frame table, and what an
// engine must refuse.
func TestParseFrameHeader(t *testing.T) {
	for _, c := range []struct {
		in   []byte
		typ  byte
		n    int
		fail bool
	}{
		{[]byte{1, 0, 0x06, 0x40}, frameAudio, 1600, false},
		{[]byte{2, 0, 0, 4}, frameGap, 4, false},
		{[]byte{3, 0, 0, 0}, frameEnd, 0, false},
		{[]byte{1, 0x10, 0, 0}, frameAudio, maxFrame, false},
		{[]byte{1, 0x10, 0, 2}, 0, 0, true}, // over 1 MiB
		{[]byte{1, 0, 0, 3}, 0, 0, true},    // odd audio
		{[]byte{2, 0, 0, 8}, 0, 0, true},    // gap of 8 bytes
		{[]byte{3, 0, 0, 1}, 0, 0, true},    // end with payload
		{[]byte{0, 0, 0, 0}, 0, 0, true},    // unknown type
		{[]byte{9, 0, 0, 0}, 0, 0, true},
		{[]byte{1, 0, 0}, 0, 0, true}, // short
	} {
		typ, n, err := parseFrameHeader(c.in)
		if c.fail {
			if !errors.Is(err, ErrStreamFrame) {
				t.Errorf("% x: err %v, want ErrStreamFrame", c.in, err)
			}
			continue
		}
		if err != nil || typ != c.typ || n != c.n {
			t.Errorf("% x: %d %d %v, want %d %d", c.in, typ, n, err, c.typ, c.n)
		}
	}
}

// TestParseResult: keyword results need a keyword and ordered offsets;
// other types pass for the caller to ignore.
func TestParseResult(t *testing.T) {
	for in, ok := range map[string]bool{
		`{"type":"keyword","keyword":"cancel","start_seconds":12.3,"end_seconds":12.8,"confidence":0.91}`: true,
		`{"type":"transcript","text":"hello"}`:                                true,
		`{"type":"error","message":"bad token"}`:                              true,
		`{"type":"keyword","start_seconds":1,"end_seconds":2}`:                false,
		`{"type":"keyword","keyword":"x","start_seconds":2,"end_seconds":1}`:  false,
		`{"type":"keyword","keyword":"x","start_seconds":-1,"end_seconds":1}`: false,
		`{"type":"keyword","keyword":"x","start_seconds":"1"}`:                false,
		`not json`: false,
	} {
		if _, err := parseResult([]byte(in)); (err == nil) != ok {
			t.Errorf("%s: err %v", in, err)
		}
	}
}

// FuzzFrameHeader: any 4 bytes either fail or round-trip.
func FuzzFrameHeader(f *testing.F) {
	f.Add([]byte{1, 0, 6, 0x40})
	f.Add([]byte{2, 0, 0, 4})
	f.Fuzz(func(t *testing.T, b []byte) {
		typ, n, err := parseFrameHeader(b)
		if err != nil {
			return
		}
		var out [4]byte
		putFrameHeader(out[:], typ, n)
		if string(out[:]) != string(b[:4]) {
			t.Fatalf("% x -> %d %d -> % x", b, typ, n, out)
		}
	})
}

// TestPCMRoundTrip: s16le both ways, extremes included.
func TestPCMRoundTrip(t *testing.T) {
	in := []int16{0, 1, -1, 32767, -32768, 258}
	b := make([]byte, 2*len(in))
	putPCM(b, in)
	if b[10] != 2 || b[11] != 1 || b[6] != 0xff || b[7] != 0x7f {
		t.Fatalf("not little-endian: % x", b)
	}
	out := getPCM(make([]int16, len(in)), b)
	for i := range in {
		if out[i] != in[i] {
			t.Fatalf("sample %d: %d -> %d", i, in[i], out[i])
		}
	}
}

func BenchmarkStreamPush(b *testing.B) {
	s, err := newStreamer(StreamConfig{URL: "tcp://127.0.0.1:9", MinBackoff: 1 << 62}, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	leg := s.openLeg(testInfo(8000), "caller")
	pcm := make([]int16, 160)
	b.ReportAllocs()
	for b.Loop() {
		leg.push(pcm)
	}
	leg.close()
	s.Close(b.Context())
}
