package codec

import (
	"errors"
	"slices"
	"testing"
)

func TestL16(t *testing.T) {
	// RFC 3551 §4.5.11: network byte order, two's complement.
	payload := []byte{0x00, 0x01, 0xFF, 0xFF, 0x80, 0x00, 0x7F, 0xFF}
	want := []int16{1, -1, -32768, 32767}
	dec := NewL16Decoder(8000, 1)
	pcm := make([]int16, dec.MaxSamples(len(payload)))
	n, err := dec.Decode(payload, pcm)
	if err != nil || n != 4 || !slices.Equal(pcm, want) {
		t.Fatalf("decode = %v %d %v", pcm, n, err)
	}
	out := make([]byte, 8)
	if n, err := NewL16Encoder(8000, 1).Encode(want, out); err != nil || n != 8 || !slices.Equal(out, payload) {
		t.Fatalf("encode = %x %d %v", out, n, err)
	}
	// Stereo: samples per channel.
	st := NewL16Decoder(44100, 2)
	if n, err := st.Decode(payload, pcm); err != nil || n != 2 {
		t.Fatalf("stereo decode = %d %v", n, err)
	}
	if _, err := st.Decode(payload[:6], pcm); !errors.Is(err, ErrBadPayload) {
		t.Errorf("half a stereo frame: %v", err)
	}
	if _, err := dec.Decode(payload[:3], pcm); !errors.Is(err, ErrBadPayload) {
		t.Errorf("odd length: %v", err)
	}
	if _, err := dec.Decode(payload, pcm[:3]); !errors.Is(err, ErrShortBuffer) {
		t.Errorf("short pcm: %v", err)
	}
}
