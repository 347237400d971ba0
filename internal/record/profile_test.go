package record

import (
	"errors"
	"testing"
)

func TestProfileValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    Profile
		rate int
		ok   bool
	}{
		{"default", Profile{}, 8000, true},
		{"default wideband", Profile{}, 16000, true},
		{"mulaw 8 bit", Profile{Encoding: "pcmu", BitsPerSample: 8}, 8000, true},
		{"mulaw 16 bit", Profile{Encoding: "pcmu", BitsPerSample: 16}, 8000, false},
		{"pcm8", Profile{Encoding: "pcm8", Layout: "mixed"}, 8000, true},
		{"opus implies ogg", Profile{Encoding: "opus"}, 48000, true},
		{"opus in wav", Profile{Container: "wav", Encoding: "opus"}, 48000, false},
		{"gsm stereo", Profile{Encoding: "gsm"}, 8000, false},
		{"gsm mixed", Profile{Encoding: "gsm", Layout: "mixed"}, 8000, true},
		{"gsm at 16k", Profile{Encoding: "gsm", Layout: "mixed", SampleRate: 16000}, 8000, false},
		{"mp3", Profile{Encoding: "mp3", Layout: "mixed"}, 8000, true},
		{"rate 44100", Profile{SampleRate: 44100}, 8000, false},
		{"layout", Profile{Layout: "quad"}, 8000, false},
		{"on_limit", Profile{OnLimit: "explode"}, 8000, false},
		{"negative", Profile{MaxBytes: -1}, 8000, false},
	} {
		err := tc.p.Validate(tc.rate)
		if (err == nil) != tc.ok {
			t.Errorf("%s: Validate = %v, want ok=%v", tc.name, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrBadProfile) {
			t.Errorf("%s: error %v does not wrap ErrBadProfile", tc.name, err)
		}
	}
}
