// Package rtp is the RTP/RTCP wire layer of callrec: the RTP fixed header
// codec (RFC 3550 §5.1, §5.3.1), RTCP recognition and compound-packet
// walking (RFC 3550 §6.4, RFC 5761 §4), sequence-number unwrapping with the
// RFC 3550 Appendix A.1 source-validation algorithm, per-stream receive
// statistics with interarrival jitter (RFC 3550 §6.4.1, Appendix A.3 and
// A.8), and the RFC 3551 static payload-type table.
//
// The package is pure: it does no I/O, starts no goroutines and never
// logs. Every read is bounds-checked; malformed input yields an error that
// wraps one of the sentinels in errors.go and says where the problem is.
//
// # Hot path and allocations
//
// The media relay calls [Peek] and [Stats.Update] for every datagram, so
// both are allocation free, as are [Header.Unmarshal], [Header.MarshalTo],
// [RTCPReader.Next] and the RTCP block parsers on success. Values are
// filled in caller-owned structs ([Header] keeps its CSRC list in a fixed
// array) and variable data such as the header extension is a sub-slice of
// the input, never a copy; it is only valid while the caller keeps the
// packet buffer. Error paths allocate one small error value.
//
// # Why not pion/rtp
//
// pion/rtp's Header.Unmarshal is fine and reuses the caller's CSRC
// capacity, but it has no cheap "read SSRC, sequence number and timestamp
// only" entry point, and the RFC 3550 A.1 sequence validation and A.8
// jitter live in a different module (pion/interceptor) built around
// goroutines and its own interfaces. A relay needs the three in one place,
// with duplicate detection and counters shaped for rtpproxy-style queries,
// so this package is small and hand-written instead.
//
// # Concurrency
//
// Nothing here is safe for concurrent mutation: a [Stats] or [SeqUnwrap]
// belongs to the single goroutine that reads the stream's socket.
// Functions that only read their arguments ([Peek], [IsRTCP],
// [StaticPayload]) may be called from any goroutine.
package rtp
