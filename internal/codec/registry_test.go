package codec

import (
	"errors"
	"io"
	"math"
	"slices"
	"strings"
	"testing"
)

func TestStaticPayloadType(t *testing.T) {
	tests := []struct {
		pt   uint8
		want string
		ok   bool
	}{
		{0, "PCMU/8000", true},
		{3, "GSM/8000", true},
		{8, "PCMA/8000", true},
		{9, "G722/8000", true},
		{10, "L16/44100/2", true},
		{11, "L16/44100", true},
		{18, "G729/8000", true},
		{13, "", false}, // CN: not audio this package decodes
		{96, "", false},
	}
	for _, tt := range tests {
		f, ok := StaticPayloadType(tt.pt)
		if ok != tt.ok || (ok && f.String() != tt.want) {
			t.Errorf("StaticPayloadType(%d) = %v, %v; want %s, %v", tt.pt, f, ok, tt.want, tt.ok)
		}
	}
}

func TestRegistryErrors(t *testing.T) {
	tests := []struct {
		name            string
		clock, channels int
	}{
		{"iLBC", 8000, 1},
		{"PCMU", 16000, 1},
		{"PCMA", 8000, 2},
		{"G722", 48000, 1},
		{"L16", 0, 1},
		{"L16", 8000, 9},
	}
	for _, tt := range tests {
		if d, err := NewDecoder(tt.name, tt.clock, tt.channels); !errors.Is(err, ErrUnknownCodec) || d != nil {
			t.Errorf("NewDecoder(%s/%d/%d) = %v, %v", tt.name, tt.clock, tt.channels, d, err)
		}
		if e, err := NewEncoder(tt.name, tt.clock, tt.channels); !errors.Is(err, ErrUnknownCodec) || e != nil {
			t.Errorf("NewEncoder(%s/%d/%d) = %v, %v", tt.name, tt.clock, tt.channels, e, err)
		}
	}
}

// registryCases lists, per supported encoding, the rtpmap to ask for, the
// PCM rate expected and the minimum correlation of a 1 kHz tone after an
// encode/decode round trip.
var registryCases = []struct {
	name            string
	clock, channels int
	rate            int
	minCorr         float64
}{
	{"pcmu", 8000, 0, 8000, 0.999},
	{"PCMA", 8000, 1, 8000, 0.999},
	{"G722", 8000, 1, 16000, 0.99},
	{"L16", 16000, 1, 16000, 1},
	{"L16", 48000, 2, 48000, 1},
	{"opus", 48000, 2, 48000, 0.9},
	{"opus", 48000, 1, 48000, 0.9},
	{"G729", 8000, 1, 8000, 0.9},
	{"GSM", 8000, 1, 8000, 0.9},
}

// TestRegistryRoundTrip drives every codec through the interfaces only:
// one second of a 1 kHz tone, encoded frame by frame and decoded back.
func TestRegistryRoundTrip(t *testing.T) {
	for _, tc := range registryCases {
		if !slices.ContainsFunc(Names(), func(n string) bool { return strings.EqualFold(n, tc.name) }) {
			t.Logf("%s not in this build", tc.name)
			continue
		}
		enc, err := NewEncoder(tc.name, tc.clock, tc.channels)
		if err != nil {
			t.Fatalf("NewEncoder(%s): %v", tc.name, err)
		}
		dec, err := NewDecoder(tc.name, tc.clock, tc.channels)
		if err != nil {
			t.Fatalf("NewDecoder(%s): %v", tc.name, err)
		}
		ch := max(tc.channels, 1)
		if enc.SampleRate() != tc.rate || dec.SampleRate() != tc.rate || enc.Channels() != ch || dec.Channels() != ch {
			t.Fatalf("%s: rates %d/%d channels %d/%d", tc.name, enc.SampleRate(), dec.SampleRate(), enc.Channels(), dec.Channels())
		}
		mono := sine(tc.rate, 1000, float64(tc.rate), 8000)
		in := make([]int16, len(mono)*ch)
		for i, s := range mono {
			for c := range ch {
				in[i*ch+c] = s
			}
		}
		frame := tc.rate / 50 // 20 ms, a whole number of frames for all
		if frame%enc.FrameSamples() != 0 || (!enc.MultiFrame() && frame != enc.FrameSamples()) {
			t.Fatalf("%s: frame %d does not fit FrameSamples %d", tc.name, frame, enc.FrameSamples())
		}
		payload := make([]byte, enc.MaxPayload(frame))
		var out []int16
		pcm := make([]int16, dec.MaxSamples(len(payload))*ch)
		for off := 0; off+frame*ch <= len(in); off += frame * ch {
			n, err := enc.Encode(in[off:off+frame*ch], payload)
			if err != nil {
				t.Fatalf("%s encode: %v", tc.name, err)
			}
			m, err := dec.Decode(payload[:n], pcm)
			if err != nil {
				t.Fatalf("%s decode: %v", tc.name, err)
			}
			if m != frame {
				t.Fatalf("%s: decoded %d samples from %d", tc.name, m, frame)
			}
			out = append(out, pcm[:m*ch]...)
		}
		// Compare the first channel after the codec's start-up.
		skip := tc.rate / 10
		got := make([]int16, 0, len(mono))
		for i := 0; i < len(out); i += ch {
			got = append(got, out[i])
		}
		c, lag := bestCorrelation(mono[skip:], got[skip:], tc.rate/100)
		f := zeroCrossFreq(got[skip:], float64(tc.rate))
		t.Logf("%s/%d/%d: correlation %.4f at lag %d, %.1f Hz", tc.name, tc.clock, ch, c, lag, f)
		if c < tc.minCorr {
			t.Errorf("%s: correlation %.4f < %.4f", tc.name, c, tc.minCorr)
		}
		if math.Abs(f-1000) > 20 {
			t.Errorf("%s: decoded tone at %.1f Hz", tc.name, f)
		}
		for _, x := range []any{enc, dec} {
			if cl, ok := x.(io.Closer); ok {
				if err := cl.Close(); err != nil {
					t.Errorf("%s: close: %v", tc.name, err)
				}
			}
		}
	}
}
