// Package media is callrec's media node: the session manager and RTP
// relay that the rtpproxy control protocol drives (the seed's "RTP proxy
// session manager").
//
// # Sessions
//
// A stream is one m-line of a call, keyed as rtpproxy keys it: Call-ID,
// the caller's From tag and the media number (the ";n" suffix of the
// tags). A U matching no stream creates one and binds two RTP/RTCP port
// pairs (RTP even, RTCP odd), one facing each party. The party whose tag
// is the stream's From tag is the caller (party 0); a U whose From tag
// is the stream's To tag (a re-INVITE from the callee) signals the
// callee, and L inverts U's match, exactly as rtpproxy's find_stream and
// NOT(i). The reply to a U or L is the port the other party must send to.
//
// # Relay
//
// Packets a party sends to its socket go out of the other party's socket
// (so each side sees one consistent address) to the other party's
// latched source, or to its signalled address until it has sent. The
// first packet latches (symmetric RTP behind NAT). Once latched, packets
// from another source are bleed and dropped, except within RelatchWindow
// of a re-signal, or when they continue the latched SSRC's sequence (the
// party's NAT rebinding). A party signalled with 0.0.0.0 or port 0 is on
// hold: nothing is sent to it.
//
// # Design of the hot path
//
// A goroutine per socket doing ReadFromUDP/WriteToUDP costs 10-13 µs of
// CPU per forwarded packet here, most of it in the netpoller and the
// scheduler. Instead each of Workers goroutines (GOMAXPROCS by default)
// owns an epoll set over its streams' raw non-blocking sockets; a stream's
// four sockets all belong to one worker. On readiness (edge-triggered)
// it drains a socket with recvmmsg (up to 32 datagrams), decides each
// packet (latch, bleed, destination) and sends the batch with one
// sendmmsg from the other party's socket; the non-blocking calls use
// RawSyscall, skipping the scheduler's syscall bookkeeping. Buffers and
// message headers live in the worker, so the path allocates nothing,
// takes no lock and logs nothing; counters are per endpoint and per
// worker with a single writer. Collector reads them at scrape time. The
// loss and jitter histograms are observed once per party when a stream
// ends (on the control path, from the statistics the worker publishes
// once per batch), never per packet.
//
// Profiling showed 90% of the relay's CPU in the kernel and a fifth of it
// in context switches: a worker blocking in epoll_wait through the Go
// scheduler costs a P hand-off to another thread and back on every
// wake-up (13,000 switches a second at 500 calls). Each worker therefore
// runs on a locked OS thread and waits in epoll_pwait with RawSyscall,
// keeping its P; GOMAXPROCS is raised by the number of live workers over
// every Manager in the process (and lowered again on Close), so the rest
// of the process keeps as many Ps as before. That cut switches to
// about 3,000 a second and CPU per forwarded packet by 30%.
// BENCHMARKS.md has the numbers and the commands.
//
// # Goroutines
//
// New starts Workers relay goroutines and a timer goroutine that ends
// streams past Timeout or SetupTimeout. Control calls (Update, Lookup,
// Delete...) run on the caller's goroutine under one mutex and hand
// socket changes to the owning worker through a queue and an eventfd.
// Closing a stream's sockets happens on its worker, after which its ports
// return to the pool and its Tap is closed on a goroutine of its own.
// Close ends every stream, stops the workers and the timer and waits for
// them and for the taps.
package media
