package timeline

import (
	"fmt"
	"time"

	"github.com/callrec/callrec/internal/codec"
)

// Defaults for a zero LegConfig field.
const (
	// DefaultSampleRate is the recording rate when LegConfig.SampleRate is 0.
	DefaultSampleRate = 8000
	// DefaultWindow is the reorder window when LegConfig.Window is 0.
	DefaultWindow = 120 * time.Millisecond
	// DefaultBuffer is the PCM span a leg holds ahead of the last Pull
	// when LegConfig.Buffer is 0.
	DefaultBuffer = 4 * time.Second
	// DefaultEventPT is the payload type taken as telephone-event/8000
	// (RFC 4733) when LegConfig.Payloads does not name 101 otherwise.
	DefaultEventPT = 101
	// MaxPayload is the largest RTP payload a leg buffers; larger packets
	// are malformed (no voice codec frame comes near it).
	MaxPayload = 1500
)

// Tuning of placement; see the package documentation.
const (
	jumpLimit      = time.Second            // timestamp jump: re-anchor
	talkspurtGap   = 200 * time.Millisecond // marker after this silence may re-anchor
	driftTrigger   = 10 * time.Millisecond  // start correcting drift beyond this
	driftSettle    = time.Millisecond       // stop correcting within this
	driftBucket    = time.Second            // min filter spans 1–2 buckets
	forcedEvery    = 500 * time.Millisecond // without a cut point, step this often
	forcedStep     = 2 * time.Millisecond   // at most this per forced step
	quietStep      = 5 * time.Millisecond   // at most this per quiet packet
	maxConceal     = 60 * time.Millisecond  // longest loss concealed by the codec
	quietMeanAbs   = 64                     // mean |sample| of a quiet packet (≈ -54 dBFS)
	jitterSlots    = 32                     // packets held for reordering: 640 ms of 20 ms packets, 5 windows
	eventQueueSize = 64                     // events held until drained
)

// LegConfig configures one Leg. A zero value records 8 kHz PCMU/PCMA/
// G.722/L16 (static payload types) with a 120 ms reorder window and a
// recording clock starting at 0.
type LegConfig struct {
	// Start is the recording clock origin in nanoseconds, on the same
	// clock as the arrival times given to Push: sample 0 of the leg's
	// output is the instant Start. Both legs of a recording share it.
	Start int64
	// SampleRate is the recording rate in Hz: 8000, 16000 or 48000
	// (0 means 8000).
	SampleRate int
	// Window is how long a packet waits for a missing predecessor before
	// the gap is given up (0 means 120 ms). The caller should Pull up to
	// now minus at least Window.
	Window time.Duration
	// Buffer is the span of PCM held ahead of the last Pull (0 means 4 s).
	// Audio placed further ahead is dropped and counted in Stats.Overrun,
	// so Pull at least every Buffer minus Window.
	Buffer time.Duration
	// Payloads maps dynamic (and overridden static) payload types to
	// their rtpmap, as the SDP or the controller's codec list says, e.g.
	// 101 → {"telephone-event", 8000, 1}, 111 → {"opus", 48000, 2}.
	// Types missing here fall back to RFC 3551 (codec.StaticPayloadType,
	// rtp.StaticPayload) and 101 to telephone-event/8000.
	Payloads map[uint8]codec.Format
	// NewDecoder builds a decoder for an rtpmap (nil means
	// codec.NewDecoder). A decoder implementing io.Closer is closed by
	// Leg.Close.
	NewDecoder func(name string, clockRate, channels int) (codec.Decoder, error)
	// OnRaw, if set, receives every packet whose payload could not be
	// decoded (unknown payload type, no decoder, decode error), from
	// within Push or Pull on the caller's goroutine. The RawPacket's
	// payload is only valid during the call. Such packets are always
	// counted in Stats.Undecodable and replaced by silence.
	OnRaw func(RawPacket)
}

func (c *LegConfig) withDefaults() (LegConfig, error) {
	out := *c
	if out.SampleRate == 0 {
		out.SampleRate = DefaultSampleRate
	}
	switch out.SampleRate {
	case 8000, 16000, 48000:
	default:
		return out, fmt.Errorf("%w: sample rate %d not 8000, 16000 or 48000", ErrConfig, out.SampleRate)
	}
	if out.Window < 0 || out.Buffer < 0 {
		return out, fmt.Errorf("%w: negative window %v or buffer %v", ErrConfig, out.Window, out.Buffer)
	}
	if out.Window == 0 {
		out.Window = DefaultWindow
	}
	if out.Buffer == 0 {
		out.Buffer = DefaultBuffer
	}
	if out.Buffer < 2*out.Window+time.Second/10 {
		return out, fmt.Errorf("%w: buffer %v shorter than twice the window %v", ErrConfig, out.Buffer, out.Window)
	}
	if out.NewDecoder == nil {
		out.NewDecoder = codec.NewDecoder
	}
	return out, nil
}

// RawPacket is an RTP payload the leg could not decode, for the recorder
// to keep in a raw dump.
type RawPacket struct {
	Arrival     int64  // arrival time, nanoseconds, as given to Push
	PayloadType uint8  // RTP payload type
	SSRC        uint32 // RTP synchronisation source
	Timestamp   uint32 // RTP timestamp
	Payload     []byte // valid only during the OnRaw call
}

// Stats counts what a leg did with its packets. All counters only grow.
type Stats struct {
	Packets       uint64 // packets given to Push
	Malformed     uint64 // rejected by Push with ErrMalformed
	RTCP          uint64 // rejected by Push with ErrRTCP
	Decoded       uint64 // audio payloads decoded into the timeline
	Late          uint64 // arrived after their slot was pulled or their gap given up
	Duplicates    uint64 // same sequence number seen before
	Lost          uint64 // sequence numbers never received in time
	Concealed     uint64 // lost packets filled by codec concealment
	Reanchors     uint64 // hard re-anchors (SSRC change, timestamp jump, talkspurt)
	DriftSteps    uint64 // smooth corrections applied
	DriftNanos    int64  // sum of |correction|, nanoseconds of audio inserted or dropped
	Undecodable   uint64 // payloads replaced by silence and handed to OnRaw
	ComfortNoise  uint64 // CN packets (RFC 3389), rendered as silence
	Events        uint64 // telephone events extracted
	EventsDropped uint64 // events lost because Events was not drained
	Overrun       uint64 // packets placed beyond Buffer ahead of the last Pull
}

// Event is one RFC 4733 telephone event, de-duplicated across its
// repeated and redundant end packets.
type Event struct {
	// Code is the RFC 4733 §3.2 event code (0–9 digits, 10 '*', 11 '#',
	// 12–15 A–D, 16 flash).
	Code uint8
	// Digit is the DTMF character for codes 0–15, else 0.
	Digit byte
	// Start is the event's start on the recording clock, nanoseconds on
	// the arrival clock (LegConfig.Start is sample 0).
	Start int64
	// Duration is the event length the last packet reported.
	Duration time.Duration
	// Volume is the power level in -dBm0 (0–63).
	Volume uint8
	// Ended is false when the event was cut short (no end packet before
	// the next event, a stream change or Close).
	Ended bool
}
