package asr

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"
)

// The streaming interface's wire format (docs/asr-stream.md), version 1.
// This file does no I/O: it builds and checks headers, frames and
// results; stream_tcp.go and stream_ws.go move them.

// StreamVersion is the protocol version a header carries.
const StreamVersion = 1

// StreamHeader opens each connection: one leg of one recording.
type StreamHeader struct {
	Version int `json:"version"`
	// CallID is the SIP Call-ID; Recording the recording's name (the
	// catalogue's key).
	CallID    string `json:"call_id"`
	Recording string `json:"recording"`
	// Leg is "caller" or "callee".
	Leg        string `json:"leg"`
	SampleRate int    `json:"sample_rate"`
	// Encoding is "s16le" (signed 16-bit little-endian PCM), Channels 1.
	Encoding string `json:"encoding"`
	Channels int    `json:"channels"`
	Caller   string `json:"caller"`
	Callee   string `json:"callee"`
	// Started is when the recording started (RFC 3339).
	Started time.Time `json:"started"`
	// OffsetSeconds is where in the recording this connection's first
	// sample is: 0 on the first connection, more after a reconnect.
	OffsetSeconds float64 `json:"offset_seconds"`
	// Keywords are the call's keywords (may be empty).
	Keywords []string `json:"keywords"`
	// Token is the configured bearer token, if any.
	Token string `json:"token,omitempty"`
}

// check reports what makes h unusable by a version-1 engine.
func (h *StreamHeader) check() error {
	switch {
	case h.Version != StreamVersion:
		return fmt.Errorf("%w: version %d (want %d)", ErrStreamHeader, h.Version, StreamVersion)
	case h.Encoding != "s16le" || h.Channels != 1:
		return fmt.Errorf("%w: encoding %q channels %d (want s16le, 1)", ErrStreamHeader, h.Encoding, h.Channels)
	case h.SampleRate < 8000 || h.SampleRate > 192000:
		return fmt.Errorf("%w: sample_rate %d", ErrStreamHeader, h.SampleRate)
	case h.Leg != "caller" && h.Leg != "callee":
		return fmt.Errorf("%w: leg %q", ErrStreamHeader, h.Leg)
	case h.OffsetSeconds < 0:
		return fmt.Errorf("%w: offset_seconds %g", ErrStreamHeader, h.OffsetSeconds)
	}
	return nil
}

// StreamResult is one message from the engine: a keyword found (Type
// "keyword"), or an error it reports before closing (Type "error").
// Other types are ignored, so engines may send more.
type StreamResult struct {
	Type    string `json:"type"`
	Keyword string `json:"keyword,omitempty"`
	// StartSeconds and EndSeconds are offsets in the recording (the
	// header's offset_seconds plus the position in this connection).
	StartSeconds float64 `json:"start_seconds"`
	EndSeconds   float64 `json:"end_seconds"`
	Confidence   float64 `json:"confidence"`
	Message      string  `json:"message,omitempty"`
}

// parseResult decodes and checks one result message.
func parseResult(b []byte) (r StreamResult, err error) {
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("%w: %w", ErrStreamResult, err)
	}
	if r.Type == "keyword" {
		switch {
		case r.Keyword == "":
			return r, fmt.Errorf("%w: keyword without keyword", ErrStreamResult)
		case r.StartSeconds < 0 || r.EndSeconds < r.StartSeconds:
			return r, fmt.Errorf("%w: %q at %g..%g s", ErrStreamResult, r.Keyword, r.StartSeconds, r.EndSeconds)
		}
	}
	return r, nil
}

// TCP frames: after the header line, each frame is a 4-byte header and
// its payload.
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|     type      |        payload length (big-endian)            |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                      payload ...                              |
const (
	frameAudio byte = 1 // payload: s16le samples (even length)
	frameGap   byte = 2 // payload: uint32 big-endian, samples dropped here
	frameEnd   byte = 3 // no payload: no more audio on this connection
)

// frameHeaderLen is the size of a TCP frame's header; maxFrame bounds a
// payload (an engine refuses more: a frame is 100 ms in practice).
const (
	frameHeaderLen = 4
	maxFrame       = 1 << 20
)

// putFrameHeader writes a frame header into b[:4].
func putFrameHeader(b []byte, typ byte, n int) {
	binary.BigEndian.PutUint32(b, uint32(typ)<<24|uint32(n))
}

// parseFrameHeader checks a frame header.
func parseFrameHeader(b []byte) (typ byte, n int, err error) {
	if len(b) < frameHeaderLen {
		return 0, 0, fmt.Errorf("%w: header of %d bytes", ErrStreamFrame, len(b))
	}
	v := binary.BigEndian.Uint32(b)
	typ, n = byte(v>>24), int(v&0xffffff)
	switch {
	case n > maxFrame:
		return typ, n, fmt.Errorf("%w: type %d payload %d > %d", ErrStreamFrame, typ, n, maxFrame)
	case typ == frameAudio && n%2 != 0:
		return typ, n, fmt.Errorf("%w: audio payload of %d bytes (odd)", ErrStreamFrame, n)
	case typ == frameGap && n != 4:
		return typ, n, fmt.Errorf("%w: gap payload of %d bytes (want 4)", ErrStreamFrame, n)
	case typ == frameEnd && n != 0:
		return typ, n, fmt.Errorf("%w: end payload of %d bytes (want 0)", ErrStreamFrame, n)
	case typ < frameAudio || typ > frameEnd:
		return typ, n, fmt.Errorf("%w: unknown type %d", ErrStreamFrame, typ)
	}
	return typ, n, nil
}

// putPCM encodes pcm as s16le into b (2*len(pcm) bytes).
func putPCM(b []byte, pcm []int16) {
	for i, v := range pcm {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
	}
}

// getPCM decodes s16le b into dst (len(b)/2 samples) and returns them.
func getPCM(dst []int16, b []byte) []int16 {
	dst = dst[:len(b)/2]
	for i := range dst {
		dst[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
	}
	return dst
}

// wsControl is a text message from client to engine over WebSocket:
// {"type":"gap","samples":N} or {"type":"end"}.
type wsControl struct {
	Type    string `json:"type"`
	Samples int    `json:"samples,omitempty"`
}
