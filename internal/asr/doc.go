// Package asr listens to calls while they are recorded: it takes each
// recording's decoded audio from the recorder (record.Config.Live), one
// stream per leg, and hands it to the built-in keyword spotter
// (internal/spot) and to an external speech engine through the streaming
// interface (docs/asr-stream.md). What they find comes back as Events:
// stored with the recording (record.Recorder.AddEvents, so the catalogue
// can search them), pushed to API clients and to a webhook.
//
// # Off the hot path
//
// The recorder's worker gives a recording's audio to Hub once per tick
// (20 ms); Hub copies it into a bounded per-leg queue and returns. A
// fixed pool of spotting goroutines takes legs with queued audio in turn
// and runs the spotter over them; a leg whose queue is full loses the
// new audio (counted, and the spotter is told how much so offsets stay
// right), never the recording's or the relay's. Nothing is done per
// packet.
//
// # An external engine
//
// With Config.Stream, every recorded leg is also streamed to an external
// engine (one connection per leg, one goroutine per connection: per leg,
// never per packet), through its own bounded queue, so a slow or absent
// engine drops its own audio (counted, reported to it as gaps) and the
// spotter and the recording go on. Its results are events like the
// spotter's (Source "stream"). StreamServer is the protocol's server
// side; with SpotEngine it is the reference engine `callrec spot
// --listen` runs.
//
// # Delivering events
//
// Events go to Sinks, which must not block. Broker fans them out to live
// subscribers (the API's server-sent event stream), each with a bounded
// queue: a slow reader loses events, counted. Webhook POSTs each one as
// JSON to a URL from one goroutine, with a bounded queue, a timeout,
// bounded retries with backoff, and an optional HMAC-SHA256 signature
// (SignatureHeader); Close drains it.
package asr
