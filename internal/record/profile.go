package record

import (
	"errors"
	"fmt"
	"time"

	"github.com/callrec/callrec/internal/record/container"
)

// Channel layouts of a recording.
const (
	LayoutStereo   = "stereo"   // caller left, callee right
	LayoutMixed    = "mixed"    // both parties mixed into one mono channel
	LayoutSeparate = "separate" // one mono file per party
)

// Profile is how a recording is made. Profiles are named in the config;
// a recording starts from one and may override single fields. The zero
// value of each field takes the default documented on it.
type Profile struct {
	// Container is wav (default), ogg or mp3.
	Container string `json:"container" yaml:"container"`
	// Encoding is pcm16 (default), pcm8, pcmu, pcma, gsm, opus or mp3.
	Encoding string `json:"encoding" yaml:"encoding"`
	// SampleRate is 8000, 16000 or 48000; 0 is the call's codec rate
	// (8000 for G.711/G.729/GSM, 16000 for G.722, 48000 for Opus).
	SampleRate int `json:"sample_rate" yaml:"sample_rate"`
	// BitsPerSample is 8 or 16 where the encoding allows; 0 is the
	// encoding's own.
	BitsPerSample int `json:"bits_per_sample" yaml:"bits_per_sample"`
	// Layout is stereo (default), mixed or separate.
	Layout string `json:"layout" yaml:"layout"`
	// Bitrate in kbit/s for opus and mp3; 0: 24 for opus, 32 for mp3.
	Bitrate int `json:"bitrate,omitempty" yaml:"bitrate"`
	// MaxDuration and MaxBytes limit one file; 0 is no limit.
	MaxDuration time.Duration `json:"max_duration,omitempty" yaml:"max_duration"`
	MaxBytes    int64         `json:"max_bytes,omitempty" yaml:"max_bytes"`
	// OnLimit is stop (default) or rollover (continue in a numbered next
	// part).
	OnLimit string `json:"on_limit,omitempty" yaml:"on_limit"`
	// Pause is silence (default: the paused span is kept as silence) or
	// cut (the paused span is left out of the file).
	Pause string `json:"pause,omitempty" yaml:"pause"`
	// MaskDTMF leaves DTMF events out of the metadata.
	MaskDTMF bool `json:"mask_dtmf,omitempty" yaml:"mask_dtmf"`
	// Keywords are spotted live in this profile's recordings
	// ("cancel", "refund/1e-25": a phrase with an optional threshold;
	// see internal/asr). The recorder only passes them on (LiveInfo).
	Keywords []string `json:"keywords,omitempty" yaml:"keywords"`
}

// withDefaults fills zero fields; rate is the call's codec rate.
func (p Profile) withDefaults(rate int) Profile {
	if p.Container == "" {
		p.Container = container.ContainerWAV
		if p.Encoding == container.EncodingOpus {
			p.Container = container.ContainerOgg
		} else if p.Encoding == container.EncodingMP3 {
			p.Container = container.ContainerMP3
		}
	}
	if p.Encoding == "" {
		switch p.Container {
		case container.ContainerOgg:
			p.Encoding = container.EncodingOpus
		case container.ContainerMP3:
			p.Encoding = container.EncodingMP3
		default:
			p.Encoding = container.EncodingPCM16
		}
	}
	if p.SampleRate == 0 {
		p.SampleRate = rate
		if p.Encoding == container.EncodingGSM {
			p.SampleRate = 8000
		}
	}
	if p.Layout == "" {
		p.Layout = LayoutStereo
	}
	if p.Bitrate == 0 {
		p.Bitrate = 24
		if p.Encoding == container.EncodingMP3 {
			p.Bitrate = 32
		}
	}
	if p.OnLimit == "" {
		p.OnLimit = "stop"
	}
	if p.Pause == "" {
		p.Pause = "silence"
	}
	return p
}

// channels is the channel count of one output file.
func (p Profile) channels() int {
	if p.Layout == LayoutStereo {
		return 2
	}
	return 1
}

// format is the container format of one output file.
func (p Profile) format() container.Format {
	return container.Format{Container: p.Container, Encoding: p.Encoding, SampleRate: p.SampleRate,
		Channels: p.channels(), BitsPerSample: p.BitsPerSample}
}

// Validate refuses a profile that makes no sense, before any call
// records with it. rate is the call's codec rate (0 for "any": only the
// fields that do not depend on the call are checked with 8000).
func (p Profile) Validate(rate int) error {
	if rate == 0 {
		rate = 8000
	}
	q := p.withDefaults(rate)
	var errs []error
	switch q.Layout {
	case LayoutStereo, LayoutMixed, LayoutSeparate:
	default:
		errs = append(errs, fmt.Errorf("layout %q: want stereo, mixed or separate", q.Layout))
	}
	if q.OnLimit != "stop" && q.OnLimit != "rollover" {
		errs = append(errs, fmt.Errorf("on_limit %q: want stop or rollover", q.OnLimit))
	}
	if q.Pause != "silence" && q.Pause != "cut" {
		errs = append(errs, fmt.Errorf("pause %q: want silence or cut", q.Pause))
	}
	if q.MaxDuration < 0 || q.MaxBytes < 0 {
		errs = append(errs, errors.New("max_duration/max_bytes must not be negative"))
	}
	if q.Bitrate < 6 || q.Bitrate > 320 {
		errs = append(errs, fmt.Errorf("bitrate %d kbit/s: want 6-320", q.Bitrate))
	}
	if err := q.format().Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrBadProfile, err)
	}
	return nil
}
