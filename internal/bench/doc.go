// Package bench is a load generator for RTP relays: it sets up calls on an
// rtpproxy-compatible media node (rtpproxy control protocol over UDP or a
// UNIX socket) or on rtpengine (the "ng" bencode protocol), sends G.711
// µ-law RTP through every call in both directions and measures what comes
// back: loss, duplicates, reordering, one-way latency, jitter, and the CPU
// time the relay (and the generator itself) spends per forwarded packet.
//
// # Concurrency
//
// Run owns every goroutine it starts and waits for all of them before it
// returns:
//   - S sender goroutines (Config.Senders, default GOMAXPROCS). Each owns a
//     fixed share of the calls laid out on a timer wheel of 20 ms / tick
//     slots, wakes on an absolute schedule and hands one batch per socket
//     to sendmmsg(2).
//   - two receiver goroutines, one per socket (the "caller" socket and the
//     "callee" socket), each reading batches with recvmmsg(2) through the
//     runtime poller. Each call direction has its own SSRC, and only one
//     receiver ever sees a given SSRC, so per-stream statistics need no
//     locks.
//   - Config.Workers control goroutines that set calls up and tear them
//     down over the control protocol (one control socket each).
//   - one progress goroutine that prints a line a second.
//
// The send and receive paths allocate nothing per packet: buffers,
// iovecs and mmsghdrs are allocated once per goroutine.
package bench
