package rtp

import "testing"

func TestStaticPayload(t *testing.T) {
	tests := []struct {
		pt   uint8
		name string
		rate uint32
		ok   bool
	}{
		{0, "PCMU", 8000, true},
		{3, "GSM", 8000, true},
		{8, "PCMA", 8000, true},
		{9, "G722", 8000, true},
		{10, "L16", 44100, true},
		{13, "CN", 8000, true},
		{18, "G729", 8000, true},
		{26, "JPEG", 90000, true},
		{34, "H263", 90000, true},
		{1, "", DefaultClockRate, false},  // reserved
		{19, "", DefaultClockRate, false}, // reserved
		{72, "", DefaultClockRate, false}, // reserved for RTCP conflict avoidance
		{101, "", DefaultClockRate, false},
		{127, "", DefaultClockRate, false},
		{255, "", DefaultClockRate, false},
	}
	for _, tt := range tests {
		name, rate, ok := StaticPayload(tt.pt)
		if name != tt.name || rate != tt.rate || ok != tt.ok {
			t.Errorf("StaticPayload(%d) = %q %d %v, want %q %d %v", tt.pt, name, rate, ok, tt.name, tt.rate, tt.ok)
		}
		if r := ClockRate(tt.pt); r != tt.rate {
			t.Errorf("ClockRate(%d) = %d", tt.pt, r)
		}
	}
	if p, ok := LookupPayload(10); !ok || p.Channels != 2 || p.Video {
		t.Errorf("L16 stereo: %+v", p)
	}
	if p, ok := LookupPayload(31); !ok || !p.Video || p.Channels != 0 {
		t.Errorf("H261: %+v", p)
	}
}
