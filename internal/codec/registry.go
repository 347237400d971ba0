package codec

import (
	"fmt"
	"slices"
	"strings"
)

// Format is one RTP audio encoding as an SDP rtpmap attribute names it
// (RFC 4566 §6, RFC 3551 §6): "PCMU/8000" is {Name: "PCMU", ClockRate:
// 8000, Channels: 1}.
type Format struct {
	// Name is the encoding name in its registered spelling (names compare
	// case-insensitively).
	Name string
	// ClockRate is the RTP timestamp clock rate in Hz.
	ClockRate int
	// Channels is the number of audio channels, 1 when SDP leaves it out.
	Channels int
}

// String formats f as an rtpmap value: "PCMU/8000", "opus/48000/2".
func (f Format) String() string {
	if f.Channels > 1 {
		return fmt.Sprintf("%s/%d/%d", f.Name, f.ClockRate, f.Channels)
	}
	return fmt.Sprintf("%s/%d", f.Name, f.ClockRate)
}

// staticTypes holds the audio payload types of RFC 3551 Table 4 that
// this package can decode or that a peer may send without an rtpmap.
var staticTypes = map[uint8]Format{
	0:  {"PCMU", 8000, 1},
	3:  {"GSM", 8000, 1},
	8:  {"PCMA", 8000, 1},
	9:  {"G722", 8000, 1},
	10: {"L16", 44100, 2},
	11: {"L16", 44100, 1},
	18: {"G729", 8000, 1},
}

// StaticPayloadType returns the format RFC 3551 Table 4 assigns to
// payload type pt, for the types this package knows (0, 3, 8, 9, 10, 11
// and 18). ok is false for dynamic and unknown types.
func StaticPayloadType(pt uint8) (f Format, ok bool) {
	f, ok = staticTypes[pt]
	return f, ok
}

// codecEntry builds the decoder and encoder of one encoding name after
// checking the clock rate and channel count.
type codecEntry struct {
	name   string
	newDec func(clockRate, channels int) (Decoder, error)
	newEnc func(clockRate, channels int) (Encoder, error)
}

// registry maps upper-case encoding names to codecs. It is filled by init
// functions only (the cgo codecs add themselves) and read-only afterwards.
var registry = map[string]codecEntry{}

func register(e codecEntry) { registry[strings.ToUpper(e.name)] = e }

// badFormat is the error for a known name with an unsupported rate or
// channel count.
func badFormat(name string, clockRate, channels int) error {
	return fmt.Errorf("%w: %s/%d/%d", ErrUnknownCodec, name, clockRate, channels)
}

// fixed returns a constructor that accepts only clockRate want and mono.
func fixed[T any](name string, want int, mk func() T) func(int, int) (T, error) {
	return func(clockRate, channels int) (T, error) {
		if clockRate != want || channels != 1 {
			var zero T
			return zero, badFormat(name, clockRate, channels)
		}
		return mk(), nil
	}
}

func init() {
	register(codecEntry{"PCMU", fixed("PCMU", 8000, NewPCMUDecoder), fixed("PCMU", 8000, NewPCMUEncoder)})
	register(codecEntry{"PCMA", fixed("PCMA", 8000, NewPCMADecoder), fixed("PCMA", 8000, NewPCMAEncoder)})
	// G722/16000 is a common mistake for G722/8000; the audio is the same.
	g722ok := func(r, c int) bool { return (r == 8000 || r == 16000) && c == 1 }
	register(codecEntry{"G722",
		func(r, c int) (Decoder, error) {
			if !g722ok(r, c) {
				return nil, badFormat("G722", r, c)
			}
			return NewG722Decoder(), nil
		},
		func(r, c int) (Encoder, error) {
			if !g722ok(r, c) {
				return nil, badFormat("G722", r, c)
			}
			return NewG722Encoder(), nil
		}})
	l16ok := func(clockRate, channels int) bool {
		return clockRate >= 1000 && clockRate <= 192000 && channels >= 1 && channels <= 8
	}
	register(codecEntry{"L16",
		func(r, c int) (Decoder, error) {
			if !l16ok(r, c) {
				return nil, badFormat("L16", r, c)
			}
			return NewL16Decoder(r, c), nil
		},
		func(r, c int) (Encoder, error) {
			if !l16ok(r, c) {
				return nil, badFormat("L16", r, c)
			}
			return NewL16Encoder(r, c), nil
		}})
}

// NewDecoder returns a decoder for the encoding an rtpmap names: name is
// compared case-insensitively, clockRate is the RTP clock rate and
// channels the rtpmap channel count (0 means 1). For G722 pass 8000, as
// SDP does (16000, a common mistake, is accepted too); the decoder writes
// 16 kHz either way. For opus, whose rtpmap always
// says 2 channels, channels chooses the PCM layout: 1 has libopus downmix.
// An unknown name or an unsupported rate or channel count is
// ErrUnknownCodec.
func NewDecoder(name string, clockRate, channels int) (Decoder, error) {
	e, ok := registry[strings.ToUpper(name)]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownCodec, name)
	}
	return e.newDec(clockRate, max(channels, 1))
}

// NewEncoder returns an encoder for the encoding an rtpmap names, with the
// same conventions as NewDecoder.
func NewEncoder(name string, clockRate, channels int) (Encoder, error) {
	e, ok := registry[strings.ToUpper(name)]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownCodec, name)
	}
	return e.newEnc(clockRate, max(channels, 1))
}

// Names lists the encoding names this build supports, sorted; the cgo
// codecs (opus, G729, GSM) appear only when built with cgo.
func Names() []string {
	names := make([]string, 0, len(registry))
	for _, e := range registry {
		names = append(names, e.name)
	}
	slices.Sort(names)
	return names
}
