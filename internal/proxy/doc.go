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
// 482 loop; sipgo answers unparsable ones 400), Route headers naming the proxy are removed (loose routing,
// RFC 3261 §16.4), in-dialog requests and requests with a remaining Route
// go to their next hop, initial requests to the Router's targets. Targets
// of equal priority fork in parallel; the first 2xx is relayed and the
// other branches are CANCELled; priority groups are tried in turn while
// the best final answer is 408, 5xx or a timeout (failover). A CANCEL from
// upstream is answered 200 and the INVITE 487 by sipgo's transaction layer,
// and the proxy CANCELs every pending branch. Timer C (Config.InviteTimeout)
// CANCELs branches that ring too long and answers 408. ACKs for non-2xx are
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
// Anchors: ManagerAnchor drives the in-process media node, RTPPAnchor and
// RTPPNode a remote one over the rtpproxy protocol, and NodePool
// (anchor_pool.go) spreads calls over several of them by weight and
// Call-ID hash, keeps each call on its node, health-checks the nodes and
// fails new calls over to the next live node; when none answers it
// returns ErrNoMediaNode, which the proxy treats like any anchor failure
// (fail-open or 503) while the pool counts it and raises a rate-limited
// alarm.
//
// Recording: the RecordingPolicy (policy.go: first-match caller/callee
// rules, sampling by Call-ID hash, profile and labels) is asked at each
// initial INVITE; an answered, anchored call it chose is recorded through
// the Anchor's Recorder. Server.Record and StopRecord record on demand.
// With Config.AnchorOnRecord, calls not recorded at their answer stay
// unanchored until Server.Record moves them through the node with
// re-INVITEs of the proxy's own (midcall.go), after which the proxy
// rewrites the CSeq of each direction it injected into (seqSpace).
//
// # Goroutines and state
//
// sipgo runs one reader goroutine per UDP socket and per TCP connection
// and hands each message to a goroutine of its own. The proxy's handler
// runs on that goroutine for the life of the server transaction: it
// routes, anchors the offer, forks and waits for the branches' answers,
// then returns (sipgo then ends the transaction gracefully). Each forked
// branch has one goroutine that relays its client transaction's responses
// to the handler and sends the branch's CANCEL when asked; it ends at the
// branch's final response or its Timer B, and keeps draining after the
// handler has moved on (a won fork, Timer C) so that sipgo's state machine
// can ACK and finish. Each CANCEL sent has a goroutine until its answer.
// Serve runs the sockets' readers and a sweeper; Close stops them. A
// NodePool's Run is the caller's goroutine: it checks the nodes each
// interval, one short-lived goroutine per node per round, and returns when
// its ctx ends.
//
// Server.Record runs a mid-call anchoring on its caller's goroutine,
// one at a time per call; its re-INVITEs are client transactions like
// any other.
//
// Transactions live in sipgo (one map entry per transaction, the parsed
// request and last response, its timers): a server INVITE transaction
// until Timer G/H/I end (at most 32 s on UDP after the final response), a
// client transaction until Timer B/D/K/M. The proxy keeps no dialog state
// beyond one small record per Call-ID for media (tags, late-offer state:
// about 250 bytes with its map entry), from the initial INVITE until its
// BYE or failure, or DialogTimeout (a lost BYE); everything else the
// dialog needs travels in the Record-Route/Route headers the endpoints
// carry. A call in progress costs its transactions' messages (a few KB
// each) and the goroutines' stacks (starting at 8 KB).

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
// included). A 2xx retransmitted by a callee after its client transaction
// ended is forwarded over UDP only. TLS (tls.go) record-routes with
// sip:...;transport=tls rather than sips: URIs, and reaches TLS next hops
// only with a TLS listener of its own. Mid-call anchoring assumes no
// request of a party is pending when it starts (a party's ACK straddling
// it would get the new CSeq offset) and needs a Contact in both the
// INVITE and its 2xx.
//
// # Authentication
//
// Config.Auth (auth.go) challenges REGISTER with 401 and other initial
// requests with 407 (RFC 3261 §22, RFC 2617/7616 digest, qop=auth), and
// in-dialog requests that belong to no call it knows (a forged To tag);
// it lets requests from trunks' networks in without a challenge, and
// checks that the authenticated user is the From (To for REGISTER) user.
// Nonces are stateless HMACs of their issue time (nonce.go), so
// challenges cost no memory; the nonce count is not tracked, so a
// captured Authorization can be replayed for the same method and URI
// until its nonce expires (NonceTTL, 5 minutes). SHA-256 (RFC 7616) is
// offered when Auth.Algorithms lists it, one challenge per algorithm.
// Credentials are parsed here (digest.go) without copies: checking valid
// credentials costs about 4 µs and 16 allocations (BenchmarkAuthenticate),
// against 71 allocations and several times the time when
// github.com/icholy/digest parsed them; the tests use that library's
// client side as an independent implementation.
package proxy
