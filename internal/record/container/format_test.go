package container

import (
	"errors"
	"strings"
	"testing"
)

func TestFormatValidate(t *testing.T) {
	tests := []struct {
		name string
		fm   Format
		want string // substring of the error, "" for valid
	}{
		{"pcm16 wav mono 8k", Format{"wav", "pcm16", 8000, 1, 16}, ""},
		{"pcm16 wav stereo 48k bits 0", Format{"wav", "pcm16", 48000, 2, 0}, ""},
		{"pcm8 wav", Format{"wav", "pcm8", 16000, 1, 8}, ""},
		{"pcmu wav", Format{"wav", "pcmu", 8000, 2, 8}, ""},
		{"pcma raw", Format{"raw", "pcma", 8000, 1, 0}, ""},
		{"gsm wav", Format{"wav", "gsm", 8000, 1, 0}, ""},
		{"opus ogg 16k", Format{"ogg", "opus", 16000, 2, 0}, ""},
		{"mp3", Format{"mp3", "mp3", 8000, 1, 0}, ""},
		{"opus in wav", Format{"wav", "opus", 48000, 1, 0}, "cannot go in the wav"},
		{"pcm16 in ogg", Format{"ogg", "pcm16", 48000, 1, 16}, "ogg container carries opus only"},
		{"pcmu 16 bits", Format{"wav", "pcmu", 8000, 1, 16}, "pcmu is 8 bits per sample, not 16"},
		{"gsm stereo", Format{"wav", "gsm", 8000, 2, 0}, "gsm is mono 8000 Hz only"},
		{"gsm 16k", Format{"wav", "gsm", 16000, 1, 0}, "gsm is mono 8000 Hz only"},
		{"gsm bits", Format{"wav", "gsm", 8000, 1, 8}, "no fixed sample size"},
		{"opus 44.1k", Format{"ogg", "opus", 44100, 1, 0}, "sample rate 44100"},
		{"three channels", Format{"wav", "pcm16", 8000, 3, 16}, "3 channels"},
		{"unknown encoding", Format{"wav", "flac", 8000, 1, 0}, `unknown encoding "flac"`},
		{"unknown container", Format{"mkv", "pcm16", 8000, 1, 16}, `unknown container "mkv"`},
		{"mp3 in raw", Format{"raw", "mp3", 8000, 1, 0}, "cannot go in the raw"},
		{"zero", Format{}, "sample rate 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.fm.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidFormat) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate = %v, want ErrInvalidFormat containing %q", err, tt.want)
			}
		})
	}
}

func TestCheckFrames(t *testing.T) {
	gsm := Format{"wav", "gsm", 8000, 1, 0}
	if err := gsm.checkFrames(130, 640); err != nil {
		t.Fatal(err)
	}
	if err := gsm.checkFrames(66, 320); !errors.Is(err, ErrFrameSize) {
		t.Fatalf("partial gsm block: %v", err)
	}
	st := Format{"wav", "pcm16", 8000, 2, 16}
	if err := st.checkFrames(640, 160); err != nil {
		t.Fatal(err)
	}
	if err := st.checkFrames(640, 320); !errors.Is(err, ErrFrameSize) {
		t.Fatalf("wrong sample count: %v", err)
	}
}
