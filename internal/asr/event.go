package asr

import "time"

// Event is something a speech engine found in a call's audio: a keyword
// spoken on one leg.
type Event struct {
	// CallID is the SIP Call-ID; Recording is the recording's name (its
	// path below the recordings directory without extension, the
	// catalogue's key).
	CallID    string `json:"call_id"`
	Recording string `json:"recording"`
	// Leg is "caller" or "callee".
	Leg string `json:"leg"`
	// Type is "keyword".
	Type string `json:"type"`
	// Keyword is the phrase as configured.
	Keyword string `json:"keyword"`
	// Start and End are offsets in the recording, in seconds.
	Start float64 `json:"start_seconds"`
	End   float64 `json:"end_seconds"`
	// Confidence is the engine's, in [0, 1].
	Confidence float64 `json:"confidence"`
	// Source is "spot" (built-in spotter) or "stream" (external engine).
	Source string `json:"source"`
	// Caller and Callee are the parties' URIs, when known.
	Caller string `json:"caller,omitempty"`
	Callee string `json:"callee,omitempty"`
	// Time is when the event was found (wall clock).
	Time time.Time `json:"time"`
}

// Sink is told of every Event as it is found. Detected runs on the
// spotting goroutines and must not block (queue and return).
type Sink interface {
	Detected(Event)
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(Event)

// Detected calls f(e).
func (f SinkFunc) Detected(e Event) { f(e) }
