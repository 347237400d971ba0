//go:build cgo

package codec

import (
	"errors"
	"slices"
	"testing"
)

func TestCgoCodecsRegistered(t *testing.T) {
	for _, n := range []string{"G722", "G729", "GSM", "L16", "PCMA", "PCMU", "opus"} {
		if !slices.Contains(Names(), n) {
			t.Errorf("%s missing from %v", n, Names())
		}
	}
}

func TestOpusDecoderRates(t *testing.T) {
	enc, err := NewOpusEncoder(48000, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	if err := enc.SetBitrate(32000); err != nil {
		t.Fatal(err)
	}
	dec, err := NewOpusDecoder(16000, 1) // decode straight to wideband
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	in := sine(48000, 440, 48000, 8000)
	payload := make([]byte, enc.MaxPayload(960))
	pcm := make([]int16, dec.MaxSamples(0))
	var out []int16
	for off := 0; off+960 <= len(in); off += 960 {
		n, err := enc.Encode(in[off:off+960], payload)
		if err != nil {
			t.Fatal(err)
		}
		m, err := dec.Decode(payload[:n], pcm)
		if err != nil || m != 320 {
			t.Fatalf("decode: %d, %v", m, err)
		}
		out = append(out, pcm[:m]...)
	}
	if f := zeroCrossFreq(out[1600:], 16000); f < 430 || f > 450 {
		t.Errorf("tone at %.1f Hz", f)
	}
	// Concealment continues the tone rather than going silent.
	if n := dec.Conceal(pcm, 320); n != 320 {
		t.Fatalf("Conceal = %d", n)
	}
	if r := rms(pcm[:320]); r < 500 {
		t.Errorf("concealed rms %.0f", r)
	}
	if _, err := enc.Encode(in[:480], payload); !errors.Is(err, ErrFrameSize) {
		t.Errorf("10 ms to a 20 ms encoder: %v", err)
	}
	if err := enc.SetFrameMs(10); err != nil || enc.FrameSamples() != 480 {
		t.Errorf("SetFrameMs(10): %v, %d", err, enc.FrameSamples())
	}
	if _, err := dec.Decode(nil, pcm); !errors.Is(err, ErrBadPayload) {
		t.Errorf("empty packet: %v", err)
	}
	if _, err := dec.Decode(payload[:10], pcm[:10]); !errors.Is(err, ErrShortBuffer) && !errors.Is(err, ErrBadPayload) {
		t.Errorf("short pcm: %v", err)
	}
	dec.Close()
	if _, err := dec.Decode(payload, pcm); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
	if _, err := NewOpusDecoder(44100, 1); !errors.Is(err, ErrUnknownCodec) {
		t.Errorf("44.1 kHz: %v", err)
	}
}

func TestG729Framing(t *testing.T) {
	enc, dec := NewG729Encoder(), NewG729Decoder()
	defer enc.Close()
	defer dec.Close()
	in := sine(160, 500, 8000, 6000)
	payload := make([]byte, 22)
	n, err := enc.Encode(in, payload)
	if err != nil || n != 20 {
		t.Fatalf("encode two frames: %d, %v", n, err)
	}
	pcm := make([]int16, dec.MaxSamples(22))
	if m, err := dec.Decode(payload[:20], pcm); err != nil || m != 160 {
		t.Fatalf("decode two frames: %d, %v", m, err)
	}
	// Two frames and an Annex B SID frame (RFC 3551 §4.5.6).
	payload[20], payload[21] = 0x50, 0x40
	if m, err := dec.Decode(payload, pcm); err != nil || m != 240 {
		t.Fatalf("decode frames + SID: %d, %v", m, err)
	}
	for _, l := range []int{0, 1, 5, 13} {
		if _, err := dec.Decode(payload[:l], pcm); !errors.Is(err, ErrBadPayload) {
			t.Errorf("%d bytes: %v", l, err)
		}
	}
	if _, err := dec.Decode(payload[:20], pcm[:100]); !errors.Is(err, ErrShortBuffer) {
		t.Errorf("short pcm: %v", err)
	}
	if got := dec.Conceal(pcm, 170); got != 160 {
		t.Errorf("Conceal(170) = %d, want 160", got)
	}
	if _, err := enc.Encode(in[:100], payload); !errors.Is(err, ErrFrameSize) {
		t.Errorf("partial frame: %v", err)
	}
}

func TestGSMFraming(t *testing.T) {
	enc, dec := NewGSMEncoder(), NewGSMDecoder()
	defer enc.Close()
	defer dec.Close()
	payload := make([]byte, 66)
	if n, err := enc.Encode(sine(320, 500, 8000, 6000), payload); err != nil || n != 66 {
		t.Fatalf("encode: %d, %v", n, err)
	}
	if payload[0]>>4 != 0xD || payload[33]>>4 != 0xD {
		t.Errorf("frames lack the 0xD signature: %#02x %#02x", payload[0], payload[33])
	}
	pcm := make([]int16, 320)
	if m, err := dec.Decode(payload, pcm); err != nil || m != 320 {
		t.Fatalf("decode: %d, %v", m, err)
	}
	if _, err := dec.Decode(payload[:40], pcm); !errors.Is(err, ErrBadPayload) {
		t.Errorf("40 bytes: %v", err)
	}
	payload[33] = 0x00
	if _, err := dec.Decode(payload, pcm); !errors.Is(err, ErrBadPayload) {
		t.Errorf("bad signature: %v", err)
	}
}

// TestGSMSpeech checks GSM full rate on speech: it is a vocoder-like
// codec, so the measure is correlation, not waveform SNR.
func TestGSMSpeech(t *testing.T) {
	speech := readWAV(t, "caller-8k.wav")
	speech = speech[:len(speech)/160*160]
	enc, dec := NewGSMEncoder(), NewGSMDecoder()
	defer enc.Close()
	defer dec.Close()
	payload := make([]byte, enc.MaxPayload(len(speech)))
	n, err := enc.Encode(speech, payload)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int16, len(speech))
	if _, err := dec.Decode(payload[:n], out); err != nil {
		t.Fatal(err)
	}
	c, lag := bestCorrelation(speech, out, 8)
	t.Logf("GSM speech: %d bytes for %d samples, correlation %.3f at lag %d, SNR %.1f dB",
		n, len(speech), c, lag, snr(speech, out))
	if c < 0.8 {
		t.Errorf("correlation %.3f", c)
	}
}

func BenchmarkOpusDecode(b *testing.B) {
	enc, _ := NewOpusEncoder(48000, 1)
	dec, _ := NewOpusDecoder(48000, 1)
	payload := make([]byte, 4000)
	n, _ := enc.Encode(sine(960, 440, 48000, 8000), payload)
	pcm := make([]int16, 5760)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := dec.Decode(payload[:n], pcm); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkG729Decode(b *testing.B) {
	enc, dec := NewG729Encoder(), NewG729Decoder()
	payload := make([]byte, 20)
	enc.Encode(sine(160, 440, 8000, 8000), payload)
	pcm := make([]int16, 160)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := dec.Decode(payload, pcm); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGSMDecode(b *testing.B) {
	enc, dec := NewGSMEncoder(), NewGSMDecoder()
	payload := make([]byte, 33)
	enc.Encode(sine(160, 440, 8000, 8000), payload)
	pcm := make([]int16, 160)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := dec.Decode(payload, pcm); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGSMEncode(b *testing.B) {
	enc := NewGSMEncoder()
	pcm := sine(160, 440, 8000, 8000)
	out := make([]byte, 33)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := enc.Encode(pcm, out); err != nil {
			b.Fatal(err)
		}
	}
}
