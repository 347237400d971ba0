package codec

import (
	"errors"
	"testing"
)

// fuzzDecoder decodes payload with a fresh and with a long-lived decoder
// (state from earlier inputs) and checks the contract: no panic, a count
// within MaxSamples, and only the documented errors.
func fuzzDecoder(t *testing.T, d Decoder, payload []byte) int {
	pcm := make([]int16, d.MaxSamples(len(payload))*d.Channels())
	n, err := d.Decode(payload, pcm)
	if err != nil {
		if !errors.Is(err, ErrBadPayload) {
			t.Fatalf("Decode(%x): unexpected error %v", payload, err)
		}
		return 0
	}
	if n < 0 || n > d.MaxSamples(len(payload)) {
		t.Fatalf("Decode(%x) = %d samples, MaxSamples %d", payload, n, d.MaxSamples(len(payload)))
	}
	if c, ok := d.(Concealer); ok {
		if m := c.Conceal(pcm, n); m < 0 || m > n {
			t.Fatalf("Conceal(%d) = %d", n, m)
		}
	}
	return n
}

func addSeeds(f *testing.F, seeds ...[]byte) {
	f.Add([]byte{})
	f.Add([]byte{0})
	f.Add(make([]byte, 160))
	for _, s := range seeds {
		f.Add(s)
	}
}

// FuzzDecodeG711 also checks that decode then encode gives back the
// payload (µ-law's negative zero 0x7F excepted).
func FuzzDecodeG711(f *testing.F) {
	addSeeds(f, []byte{0x7F, 0xFF, 0x00, 0x80, 0xD5, 0x55})
	f.Fuzz(func(t *testing.T, payload []byte) {
		for _, alaw := range []bool{false, true} {
			dec, enc := NewPCMUDecoder(), NewPCMUEncoder()
			if alaw {
				dec, enc = NewPCMADecoder(), NewPCMAEncoder()
			}
			n := fuzzDecoder(t, dec, payload)
			if n != len(payload) || n == 0 {
				continue
			}
			// A fresh decoder: after Conceal the next frame is cross-faded.
			dec = NewPCMUDecoder()
			if alaw {
				dec = NewPCMADecoder()
			}
			pcm := make([]int16, n)
			dec.Decode(payload, pcm)
			out := make([]byte, n)
			enc.Encode(pcm, out)
			for i := range out {
				if out[i] != payload[i] && !(!alaw && payload[i] == 0x7F && out[i] == 0xFF) {
					t.Fatalf("alaw=%v byte %d: %#02x → %#02x", alaw, i, payload[i], out[i])
				}
			}
		}
	})
}

func FuzzDecodeL16(f *testing.F) {
	addSeeds(f, []byte{0x80, 0x00, 0x7F})
	f.Fuzz(func(t *testing.T, payload []byte) {
		fuzzDecoder(t, NewL16Decoder(8000, 1), payload)
		fuzzDecoder(t, NewL16Decoder(44100, 2), payload)
	})
}

var g722Fuzz = NewG722Decoder()

func FuzzDecodeG722(f *testing.F) {
	addSeeds(f, []byte{0xFF, 0x00, 0x3F, 0xC0, 0x7F, 0x80})
	f.Fuzz(func(t *testing.T, payload []byte) {
		fuzzDecoder(t, NewG722Decoder(), payload)
		fuzzDecoder(t, g722Fuzz, payload)
	})
}
