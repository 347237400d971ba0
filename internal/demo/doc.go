// Package demo holds the two built-in SIP user agents of `callrec demo`:
// phones that REGISTER to a proxy (as alice and bob), call each other
// through it and talk, each playing its own speech clip as G.711 µ-law
// RTP, so that a newcomer sees real recordings appear from one command.
// The end-to-end tests use them as a scripted caller and callee too.
//
// SIP is sipgo's (github.com/emiago/sipgo, the proxy's library too): its
// transactions retransmit over UDP and its dialog sessions build ACK and
// BYE from the route set the proxy recorded, which a hand-written UA
// would have to repeat. Only the SDP (one PCMU stream) and the RTP are
// written here.
//
// # Concurrency
//
// A [Phone] owns one UDP socket for SIP, served by sipgo's transport
// goroutine until [Phone.Close]. Each call, placed by [Phone.Call] or
// answered by the phone, opens one UDP socket for its RTP and runs two
// goroutines on it: one sends a packet every 20 ms (paced against the
// clock, not per packet) and one reads and counts what arrives. Both
// stop, and are waited for, when the call ends. Answered calls run in
// sipgo's INVITE handler goroutine and end on BYE, on Close, or after
// [Phone.MaxCall].
package demo
