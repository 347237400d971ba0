// Package codec turns RTP audio payloads into 16-bit linear PCM and back.
//
// Every codec sits behind the same two interfaces, [Decoder] and [Encoder],
// and is found by its RTP/SDP encoding name (RFC 3551 §6, the rtpmap names
// PCMU, PCMA, G722, L16, GSM, G729, opus) or by its static payload type
// through the registry ([NewDecoder], [NewEncoder], [StaticPayloadType]).
// [Resampler] converts between sample rates (8000, 16000, 48000 Hz and any
// other pair with a small rational ratio).
//
// The package is a wire package: it does no I/O, starts no goroutines and
// never logs. Decoders and encoders write into buffers the caller owns and
// allocate nothing per frame; they keep state between frames (ADPCM
// predictors, filter histories), so one value serves one stream and is not
// safe for concurrent use.
//
// G.711, L16 and G.722 are written in Go. Opus (libopus), G.729 (bcg729) and
// GSM 06.10 (libgsm) call the Debian C libraries through cgo and are built
// only when cgo is enabled; without cgo the registry simply does not list
// them. MP3Encoder (libmp3lame, cgo) writes MP3 for recordings; it is not
// an RTP codec and not in the registry. The cgo codecs hold C memory: they implement io.Closer, and a
// cleanup frees it if Close is never called.
//
// Decoders that can fill gaps left by lost packets implement [Concealer]:
// PCMU, PCMA and G722 (pitch repetition, fading out over 60 ms), opus and
// G729 (the libraries' own concealment). GSM and L16 leave gaps to the
// caller.
//
// Payload sizes per codec (samples are per channel):
//
//	codec  clock  PCM rate  bytes → samples
//	PCMU   8000   8000      1 → 1
//	PCMA   8000   8000      1 → 1
//	L16    any    = clock   2·ch → 1 (big-endian, interleaved)
//	G722   8000   16000     1 → 2 (RFC 3551 §4.5.2: the clock rate is 8000 by mistake)
//	GSM    8000   8000      33 → 160
//	G729   8000   8000      10 → 80 (a trailing 2-byte SID frame is comfort noise)
//	opus   48000  48000     packet → 120..5760 (RFC 7587)
package codec
