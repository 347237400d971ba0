// Package spot is callrec's built-in offline keyword spotter: it listens
// to one leg of a call (mono 16-bit PCM, typically 8000 or 16000 Hz) and reports
// when one of a list of keywords ("cancel", "refund") is spoken, with its
// start and end offset in the stream and a confidence.
//
// # Engine
//
// Spotting runs CMU PocketSphinx (0.8+5prealpha, Debian packages
// libpocketsphinx-dev, libsphinxbase-dev and the en-US acoustic model and
// dictionary pocketsphinx-en-us) through cgo, in its keyword search mode
// (ps_set_kws: one phrase per line with its own detection threshold,
// "cancel /1e-20/"). It was chosen because it works offline inside the
// recorder's process: no network, no separate server, no model download,
// and everything installs from Debian (scripts/deps.sh). Heavier engines
// (Vosk, whisper) are for the external ASR streaming interface.
//
// The en-US model is trained on 16 kHz speech. Telephone audio (8 kHz
// G.711) is resampled up with [codec.Resampler]; the missing upper band
// costs some accuracy (see BENCHMARKS.md).
//
// # Concurrency and memory
//
// A [Spotter] holds one decoder (its own copy of the model, about 30 MB)
// and serves one stream: Write, Detections and Close must not be called
// concurrently. It starts no goroutines; Write does the decoding on the
// caller's goroutine, so the caller keeps it off any hot path. Memory is
// bounded: the decoder's utterance is restarted after each detection and
// every [maxUtterance] of audio, and at most [maxPending] detections wait
// to be taken (more are dropped and counted in [Spotter.Dropped]).
//
// Offsets are counted in decoder frames (10 ms) from the first sample
// written, so they are positions in the leg's audio, not wall-clock times.
package spot
