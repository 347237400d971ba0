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
// A [Spotter] holds one decoder and serves one stream: Write, Detections,
// Skip and Close must not be called concurrently; different Spotters may
// be used on different goroutines. It starts no goroutines; Write does
// the decoding on the caller's goroutine, so the caller keeps it off any
// hot path.
//
// Each decoder loads its own acoustic model: PocketSphinx 0.8 has no
// public way to share one between decoders. What it can share it does:
// the model's largest file (mdef) is memory-mapped, so its pages are one
// copy in the page cache for every Spotter. And the decoder is given a
// dictionary of only the keywords' pronunciations, cut from the full
// one (which alone cost 20 MB and most of the start-up time of a
// decoder) and cached for the process. So a Spotter adds about 3 MB and
// 8 ms of CPU at New (BENCHMARKS.md). Memory is
// bounded: the decoder's utterance is restarted after each detection and
// every [maxUtterance] of audio, and at most [maxPending] detections wait
// to be taken (more are dropped and counted in [Spotter.Dropped]).
//
// Offsets are counted in decoder frames (10 ms) from the first sample
// written, with samples lost on the way counted in by [Spotter.Skip], so
// they are positions in the leg's audio, not wall-clock times.
package spot
