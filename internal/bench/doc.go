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
//   - Config.Senders media workers (default GOMAXPROCS). Worker s owns the
//     calls i with i%Senders == s and a socket pair of its own: a "caller"
//     socket and a "callee" socket, shared by all its calls. Its calls are
//     laid out on a timer wheel (Ptime/Tick slots); it wakes on an absolute
//     schedule, hands one batch per socket to sendmmsg(2), then drains
//     both sockets with non-blocking recvmmsg(2). Receiving is polled, not
//     woken per packet; latency uses the kernel's SO_TIMESTAMPNS receive
//     time, so the polling interval does not show in it. Each call
//     direction has its own SSRC and comes back only to its owner's
//     sockets, so per-stream statistics need no locks.
//   - Config.Workers control goroutines that set calls up and tear them
//     down over the control protocol (one control socket each).
//   - one progress goroutine that prints a line a second.
//
// The send and receive paths allocate nothing per packet: buffers,
// iovecs and mmsghdrs are allocated once per worker.
//
// # Clocks
//
// Packets carry their send time as CLOCK_REALTIME nanoseconds (the clock
// SO_TIMESTAMPNS uses) in the first 8 payload bytes; both ends are this
// process, so the difference is the one-way time through the relay. A
// step of the wall clock during a run would show as a latency outlier.
// Pacing and the measurement window use the monotonic clock.
//
// # CPU accounting
//
// The relay's CPU time is utime+stime of all its threads from
// /proc/<pid>/stat (10 ms resolution), the generator's from getrusage.
// Both are divided by the packets forwarded during the hold window. On
// loopback the kernel runs the receiver's network stack in the sender's
// context, so each side is also charged for delivering into the other's
// socket.
package bench
