//go:build cgo

package codec

import "testing"

var (
	opusFuzz, _ = NewOpusDecoder(48000, 2)
	g729Fuzz    = NewG729Decoder()
	gsmFuzz     = NewGSMDecoder()
)

func FuzzDecodeOpus(f *testing.F) {
	enc, _ := NewOpusEncoder(48000, 2)
	out := make([]byte, 4000)
	n, _ := enc.Encode(sine(1920, 440, 48000, 8000), out)
	addSeeds(f, out[:n], []byte{0xF8, 0xFF, 0xFE}, []byte{0x03, 0x83})
	f.Fuzz(func(t *testing.T, payload []byte) {
		fuzzDecoder(t, opusFuzz, payload)
	})
}

func FuzzDecodeG729(f *testing.F) {
	enc := NewG729Encoder()
	out := make([]byte, 20)
	enc.Encode(sine(160, 440, 8000, 8000), out)
	addSeeds(f, out, append(out[:10:10], 0x50, 0x40))
	f.Fuzz(func(t *testing.T, payload []byte) {
		fuzzDecoder(t, g729Fuzz, payload)
	})
}

func FuzzDecodeGSM(f *testing.F) {
	enc := NewGSMEncoder()
	out := make([]byte, 66)
	enc.Encode(sine(320, 440, 8000, 8000), out)
	addSeeds(f, out, out[:33], make([]byte, 33))
	f.Fuzz(func(t *testing.T, payload []byte) {
		fuzzDecoder(t, gsmFuzz, payload)
	})
}
