package record

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/callrec/callrec/internal/codec"
)

// ParseRTPMap parses an SDP rtpmap value, "opus/48000/2" or "PCMU/8000".
func ParseRTPMap(s string) (codec.Format, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" {
		return codec.Format{}, fmt.Errorf("record: rtpmap %q: want name/rate[/channels]", s)
	}
	rate, err := strconv.Atoi(parts[1])
	if err != nil || rate <= 0 {
		return codec.Format{}, fmt.Errorf("record: rtpmap %q: bad clock rate", s)
	}
	f := codec.Format{Name: parts[0], ClockRate: rate, Channels: 1}
	if len(parts) == 3 {
		if f.Channels, err = strconv.Atoi(parts[2]); err != nil || f.Channels < 1 || f.Channels > 2 {
			return codec.Format{}, fmt.Errorf("record: rtpmap %q: bad channel count", s)
		}
	}
	return f, nil
}

// payloadRate is the recording rate a call's first payload type implies
// (its codec's natural rate), given the dynamic map.
func payloadRate(pt uint8, dyn map[uint8]codec.Format) int {
	f, ok := dyn[pt]
	if !ok {
		f, ok = codec.StaticPayloadType(pt)
	}
	if !ok {
		return 8000
	}
	switch strings.ToUpper(f.Name) {
	case "G722":
		return 16000 // RTP clock 8000, audio 16 kHz (RFC 3551 4.5.2)
	case "TELEPHONE-EVENT", "CN":
		return 8000
	}
	switch {
	case f.ClockRate >= 48000:
		return 48000
	case f.ClockRate >= 16000:
		return 16000
	}
	return 8000
}

// payloads merges the recorder's dynamic payload map with a call's.
func payloads(base, call map[uint8]codec.Format) map[uint8]codec.Format {
	if len(call) == 0 {
		return base
	}
	m := make(map[uint8]codec.Format, len(base)+len(call))
	for k, v := range base {
		m[k] = v
	}
	for k, v := range call {
		m[k] = v
	}
	return m
}
