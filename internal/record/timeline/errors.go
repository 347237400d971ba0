package timeline

import "errors"

// ErrConfig is returned by NewLeg for a LegConfig it cannot honour (an
// unsupported sample rate, a negative window).
var ErrConfig = errors.New("timeline: bad leg config")

// ErrMalformed is returned by Push for a packet that is not a well-formed
// RTP packet (short, wrong version, bad CSRC/extension/padding lengths, or
// a payload larger than MaxPayload). The packet is
// counted in Stats.Malformed and dropped.
var ErrMalformed = errors.New("timeline: malformed rtp packet")

// ErrClosed is returned by Push after Close.
var ErrClosed = errors.New("timeline: leg closed")

// ErrRTCP is returned by Push for an RTCP packet (RFC 5761 §4 packet
// types 192–223), which carries no audio. It is counted in Stats.RTCP and
// dropped.
var ErrRTCP = errors.New("timeline: rtcp packet")
