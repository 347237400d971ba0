// Package collect is the central recording server (`callrec collector`)
// and its client, a ship.Target that streams recordings to it live from
// the media nodes.
//
// # Protocol
//
// One TLS connection per media node carries all of its recordings,
// multiplexed as streams. Everything is a length-prefixed binary frame
// (integers big-endian, see frame.go for the layout of each body):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|               length (of type, stream and body)               |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|     type      |                    stream                     |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|    stream     |                 body ...                      |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// The client speaks first: HELLO(version, token, node). The collector
// compares the token in constant time and answers WELCOME, or ERROR and
// closes. Then, per recording file, the client picks a stream number
// and sends OPEN(key); the collector answers OPENED(size, committed)
// with how many bytes of the object it holds durably: the offset the
// client resumes from. DATA(offset, crc32c, bytes) appends at the
// offset, HEADER(offset, crc32c, bytes) rewrites within the first
// ship.HeaderWindow bytes, META(recording, sidecar JSON) hands over the
// recording's sidecar (caller, callee, times, quality...) and
// COMMIT(size, sha256) ends the object. The collector acknowledges
// appends with ACK(durable offset) once written durably to its storage
// (one sync and one ACK per batch of a stream's frames; header rewrites
// are not acknowledged: the client resends the header whenever it
// reopens an object and before committing), and a COMMIT with
// COMMITTED(size, location) once the object is complete where it lives,
// its SHA-256 verified against the bytes stored, and, when every file of
// the recording is committed, its catalogue row written. CLOSE releases a
// stream without committing; REMOVE(key) deletes an object (retention).
//
// A frame that fails its CRC-32C fails its stream: ERROR(stream), the
// stream is dropped and the client reopens it and resumes from the
// acknowledged offset. A malformed frame (bad length, unknown type,
// short body) is a connection ERROR(0) and the connection is closed.
// Either way the collector counts it and carries on.
//
// Nothing is lost across reconnects or a collector killed with SIGKILL:
// bytes are acknowledged only once durable, the client's Size is the
// acknowledged offset, and the media node keeps every byte on its own
// disk (the ship.Shipper's spool) until its object is committed, so a
// reconnect resends what was not acknowledged. Commits are idempotent
// and catalogue rows are upserts by key, so a commit repeated after a
// crash leaves one row.
//
// # Concurrency
//
// Server: one goroutine accepts; per connection one reader goroutine
// decodes frames and hands each stream's frames to that stream's
// goroutine (storage writes and fsyncs of different recordings run in
// parallel; a stream's frames stay in order), and writes to the
// connection are serialised by a mutex. Close closes the listener and
// every connection and waits for all of them.
//
// Client (Target): per connection one writer goroutine, which writes
// what callers queued in one batch per wake-up, and one reader goroutine
// that routes acks and replies to objects. A dead connection fails every
// object on it; the next Open dials again (after a backoff once a dial
// failed). Frame buffers are reused; the hot path allocates nothing per
// write.
//
// Only the standard library is used: crypto/tls for the transport,
// hash/crc32 (Castagnoli) for frame checksums.
package collect
