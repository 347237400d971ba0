// Package proxy is callrec's stateful SIP proxy (RFC 3261 §16), the seed's
// SER role: it finds each call's destination through a Router (a static
// routes table, the registrar's locations, or a database behind the same
// interfaces), stays in the dialog with Record-Route, and rewrites the SDP
// of INVITE, 18x/2xx, ACK and UPDATE through an Anchor so that RTP flows
// through callrec's media node and can be recorded.
//
// # What it does
//
// Requests are validated (Max-Forwards 0 → 483, a Via of this proxy →
// 482 loop), Route headers naming the proxy are removed (loose routing,
// RFC 3261 §16.4), in-dialog requests and requests with a remaining Route
// go to their next hop, initial requests to the Router's targets. Targets
// of equal priority fork in parallel; the first 2xx is relayed and the
// other branches are CANCELled; priority groups are tried in turn while
// the best final answer is 408, 5xx or a timeout (failover). A CANCEL from
// upstream is answered 200 and the INVITE 487 by sipgo's transaction layer,
// and the proxy CANCELs every pending branch. ACKs for non-2xx are
// absorbed hop by hop by the transaction layer; ACKs for 2xx follow their
// Route headers end to end. 2xx retransmissions that arrive after the
// client transaction ended are forwarded statelessly.
//
// Media: an INVITE or UPDATE with SDP is an offer (rtpproxy U), SDP in a
// 183 or 2xx is the answer (L). A 2xx to an INVITE without SDP carries a
// late offer (U with the callee as offerer) whose answer comes in the ACK
// (L). Re-INVITEs and UPDATEs re-signal the streams, so hold (c=0.0.0.0,
// a=sendonly, port 0) and resume reach the node. BYE, a failed or
// cancelled initial INVITE, and an initial INVITE that timed out delete
// the streams (D). When the Anchor fails on an initial offer the call goes
// through unanchored and the failure is counted (fail-open, default) or it
// is refused with 503 (Config.FailClosed).
//
// # Goroutines and state
//
// sipgo runs one reader goroutine per socket (UDP) or connection (TCP) and
// hands each message to a new goroutine; the proxy's handler runs on that
// goroutine for the life of the server transaction, plus one goroutine per
// forked branch that relays the client transaction's responses to it, and
// one per CANCEL sent. Serve also runs a sweeper that drops call state
// older than Config.DialogTimeout. Transaction state lives in sipgo for
// the transaction's life (an INVITE server transaction until its final
// response is sent and Timer G/H/I end, at most 32 s on UDP; a client
// transaction until Timer B/D/K). Dialog state is not kept beyond a small
// per-Call-ID record for media (tags, late-offer state: about 250 bytes
// with its map entry) from the initial INVITE until the BYE or failure;
// everything else a dialog needs is in the Record-Route/Route headers the
// endpoints carry. A call in progress costs the transactions' messages
// (a few KB each, parsed once) and the goroutines' stacks (8 KB each).
//
// # Why sipgo
//
// github.com/emiago/sipgo gives a fast SIP parser (it answers malformed
// requests 400 statelessly), UDP/TCP/TLS/WS transports and RFC 3261
// transaction state machines with retransmission timers, built as a
// library for proxies (its example is a stateful proxy benchmarked with
// sipp). Writing those again would take weeks; the parts that are
// callrec's own (routing, anchoring, forking policy) stay here. sipgo has
// no client-side CANCEL, so the proxy builds CANCEL itself (RFC 3261 §9.1).
//
// # Limits
//
// Loop detection refuses any request carrying this proxy's Via (spirals
// included). Timer C is not run: a branch that rings forever ends with
// Timer B only if no provisional response came, else when the caller
// cancels. Digest authentication, TLS listeners, trunk allow-lists and
// mid-call anchoring are not here yet.
package proxy
