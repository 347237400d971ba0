// Package record is callrec's recorder (the seed's Dialogic HMP
// "transaction record"): it turns both half-duplex RTP streams of a call
// into one synchronized recording, per recording in its own format,
// encoding, rate and layout, with limits, pause, stop, crash safety and a
// JSON sidecar per recording.
//
// # How audio flows
//
// The media node calls Recorder.Start (media.TapFactory) for each stream it
// is asked to record and gives every relayed packet to the returned tap on
// the relay goroutine. The tap copies the packet into a lock-free
// single-producer ring (ring.go) and returns: the relay never waits for the
// recorder, and when a ring is full the packet is dropped from the
// recording and counted (Meta.Dropped, callrec_recording_packets_dropped_total),
// never from the call.
//
// Every Tick (20 ms) a worker drains its recordings' rings into one
// timeline.Leg per direction (reorder, decode, place on the recording
// clock, DTMF as events), pulls both legs up to now minus the jitter
// window, lays them out (stereo with the caller left, mixed, or separate
// files), encodes them for the profile (sink.go) and writes them through
// the crash-safe container writers in batches.
//
// # Crash safety
//
// The sidecar (NAME.json) is written before any audio and names the files,
// with status "recording". Files are flushed twice a second, which keeps
// their headers valid up to what reached the disk; after kill -9 a file
// plays to within about 0.7 s of the kill. New runs Recover, which repairs
// such files (container.Repair) and marks them "interrupted". Sidecars
// reserve space, so that even a full disk can still record "failed".
//
// # Goroutines
//
// New starts Workers goroutines (GOMAXPROCS by default), each owning a
// share of the recordings and everything in them but the rings' producer
// side. Close finishes every recording (files closed and synced, sidecars
// written) and waits for the workers. Nothing else runs in the background.
package record
