// Package container writes and reads the files recordings are stored in:
// RIFF/WAVE (PCM16, unsigned PCM8, G.711 µ-law and A-law, GSM 06.10),
// Ogg Opus (RFC 3533, RFC 7845), bare MP3 frames, and headerless raw data.
// The recorder feeds a [Writer] encoded frames in timeline order; [Repair]
// fixes files left behind by a crash; [ReadWAV], [ReadOgg], [OggReader] and
// [ParseMP3Header] read them back for recovery and tests.
//
// # Buffering
//
// Writers copy frames into one buffer allocated at construction and write
// it in batches of [Options.BufferSize] (64 KiB by default), never one
// write per frame; WriteFrames does not allocate. They flush by themselves
// once [Options.FlushEvery] (1 s) of audio is pending, and the recorder also
// calls Flush on a timer. Written and Duration report the size and length
// for the recorder's limits.
//
// # Crash safety
//
// The goal: after kill -9 of the process, every recording in progress
// plays up to within FlushEvery of the kill without any repair, and
// [Repair] then makes it exactly consistent. (Data handed to write(2) is in
// the page cache and survives the death of the process; surviving a
// machine crash needs fsync, which the recorder may call on the *os.File.)
//
// WAV: the 44-60 byte header is written first with zero sizes. Every time
// data goes to the file (a full buffer, a Flush) the writer then rewrites
// the whole header in place with one WriteAt (pwrite, which does not move
// the append offset) carrying the RIFF, data and fact sizes of the data now
// in the file: one small pwrite per 64 KiB or per second, never per frame.
// The header is thus never ahead of the data, and a killed file is a valid
// WAV holding everything but the audio still in the buffer (at most
// FlushEvery). Only a kill between the data write and the header write
// leaves audio past the declared size; sox and ffmpeg ignore such trailing
// bytes (TestStaleWAVPlays). We chose this
// over a streaming header (sizes 0xFFFFFFFF, fixed at Close) because sox
// reports such a file as 74 hours long and warns of a premature EOF, while
// a correct header plays everywhere. Repair extends the sizes over any
// trailing bytes, cutting a
// partial sample frame or GSM block.
//
// Ogg: the OpusHead and OpusTags pages are written by the constructor. Each
// Flush closes the page being built, so pages span at most FlushEvery of
// audio and each carries the granule position of its last packet; only
// complete pages are written, so a killed file is a valid Ogg stream up to
// its last page (a write cut inside a page by the kill leaves a partial page,
// which ffmpeg skips and Repair truncates). There is no EOS page until
// Close; players do not need one.
//
// MP3 and raw: no header, so nothing goes stale; a kill loses only the
// buffered audio, and Repair cuts a partial last MP3 frame.
//
// # Concurrency
//
// The package starts no goroutines and never logs. A writer is used by one
// goroutine at a time; the recorder's Flush timer must run on the goroutine
// that writes, or take the same lock. Writers do not own their sink: Close
// finalises the file but neither closes nor syncs it.
package container
