package test

import (
	"encoding/binary"
	"math"
	"os"
	"testing"
)

func TestLinearToMulaw(t *testing.T) {
	// Reference values of the G.711 u-law encoder (bias 0x84, clip 32635).
	for _, c := range []struct {
		in   int16
		want byte
	}{
		{0, 0xff},
		{-1, 0x7f},
		{32767, 0x80},
		{-32768, 0x00},
		{1000, 0xce},
		{-1000, 0x4e},
	} {
		if got := LinearToMulaw(c.in); got != c.want {
			t.Errorf("LinearToMulaw(%d) = %#02x, want %#02x", c.in, got, c.want)
		}
	}
}

func TestSDPAudioTarget(t *testing.T) {
	for _, c := range []struct {
		name, msg string
		want      MediaTarget
		err       bool
	}{
		{"session c", "INVITE x SIP/2.0\nA: b\n\nv=0\nc=IN IP4 127.0.0.1\nm=audio 4000 RTP/AVP 0\n", MediaTarget{"127.0.0.1", 4000}, false},
		{"media c wins", "SIP/2.0 200 OK\n\nv=0\nc=IN IP4 10.0.0.1\nm=audio 4002 RTP/AVP 0\nc=IN IP4 127.0.0.5\nm=video 5000 RTP/AVP 96\nc=IN IP4 127.0.0.9\n", MediaTarget{"127.0.0.5", 4002}, false},
		{"audio after video", "X\n\nv=0\nm=video 5000 RTP/AVP 96\nc=IN IP4 127.0.0.9\nm=audio 6000 RTP/AVP 8\nc=IN IP4 127.0.0.7\n", MediaTarget{"127.0.0.7", 6000}, false},
		{"no body", "BYE x SIP/2.0\nA: b\n", MediaTarget{}, true},
		{"no audio", "X\n\nv=0\nm=video 5000 RTP/AVP 96\n", MediaTarget{}, true},
		{"bad port", "X\n\nv=0\nm=audio x RTP/AVP 0\n", MediaTarget{}, true},
	} {
		got, err := SDPAudioTarget(c.msg)
		if (err != nil) != c.err || (!c.err && got != c.want) {
			t.Errorf("%s: got %+v, %v; want %+v, err %v", c.name, got, err, c.want, c.err)
		}
	}
}

func TestParseQueryReply(t *testing.T) {
	s, err := ParseQueryReply("60 5 7 12 1")
	if err != nil || s.TTL != 60 || s.PktsA != 5 || s.PktsO != 7 || s.Relayed != 12 || s.Dropped != 1 {
		t.Errorf("got %+v, %v", s, err)
	}
	for _, bad := range []string{"", "E8", "60 5 7 12", "60 5 x 12 1", "-1 5 7 12 -1"} {
		if _, err := ParseQueryReply(bad); err == nil {
			t.Errorf("ParseQueryReply(%q): want an error", bad)
		}
	}
}

func TestWriteMulawWAV(t *testing.T) {
	b, err := os.ReadFile(WriteMulawWAV(t, "a.wav", 100))
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 58+800 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" ||
		binary.LittleEndian.Uint32(b[4:]) != uint32(len(b)-8) ||
		binary.LittleEndian.Uint16(b[20:]) != 7 || string(b[50:54]) != "data" {
		t.Errorf("bad WAV header % x", b[:58])
	}
}

func TestTonePower(t *testing.T) {
	tone := make([]int16, 8000)
	for i := range tone {
		tone[i] = int16(8000 * math.Sin(2*math.Pi*440*float64(i)/8000))
	}
	if p := TonePower(tone, 440, 8000); p < 0.95 || p > 1.05 {
		t.Errorf("440 Hz tone at 440 Hz: %.3f, want about 1", p)
	}
	if p := TonePower(tone, 1000, 8000); p > 0.01 {
		t.Errorf("440 Hz tone at 1000 Hz: %.3f, want about 0", p)
	}
	if p := TonePower(make([]int16, 100), 440, 8000); p != 0 {
		t.Errorf("silence: %.3f", p)
	}
}
