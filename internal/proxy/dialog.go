package proxy

import (
	"sort"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// The two parties of a call, and the two directions of its requests
// (a direction is named by the party that sends).
const (
	partyCaller = 0 // sent the initial INVITE
	partyCallee = 1 // answered it
)

// call is the state the proxy keeps per Call-ID between the initial
// INVITE and the BYE (or the INVITE's failure): about 400 bytes plus the
// strings, one map entry; an answered call that is not anchored also
// keeps what mid-call anchoring needs (dialogInfo, about 1 KB with the
// parties' SDP). SIP transaction state lives in sipgo and ends with each
// transaction (Timer D/K, at most 32 s after the final response).
type call struct {
	id, fromTag, toTag string
	created            time.Time
	// lateOfferer is the tag of the party whose offer came in a 2xx
	// (late offer) and whose answer is due in the ACK; "" otherwise.
	lateOfferer string
	// calleeFirst: the node's streams were created by the callee's late
	// offer, so they are oriented callee first (Call.CalleeFirst).
	calleeFirst bool

	caller, callee, ruri string // From and To URIs, initial Request-URI
	decision             Decision
	answered             time.Time
	anchored, recording  bool
	// busy: a mid-call anchoring is in progress (one at a time).
	busy bool
	// seq is the CSeq state of each direction (caller→callee,
	// callee→caller); see seqSpace.
	seq [2]seqSpace
	// dlg is kept for answered calls that are not anchored.
	dlg *dialogInfo
}

// dialogInfo is what the proxy needs to send requests of its own into
// the dialog (RFC 3261 §12.2.1.1): each party's remote target and the
// route from the proxy towards it, the dialog's From and To, and the
// last SDP each party sent (to restore the session when mid-call
// anchoring fails half-way).
type dialogInfo struct {
	from   *sip.FromHeader // the caller's From, with its tag
	to     *sip.ToHeader   // the callee's To, with its tag
	target [2]sip.Uri      // Contact of caller and callee
	route  [2][]sip.Uri    // Route set from the proxy towards each
	sdp    [2][]byte
}

// seqSpace keeps one direction's CSeq numbers consistent once the proxy
// has sent requests of its own in that direction (RFC 3261 §12.2.2: a
// UAS refuses a CSeq lower than the last it saw). Requests the party
// sends are forwarded with off added; their responses get it taken off
// again.
type seqSpace struct {
	last uint32 // highest CSeq the receiving party has seen, as sent to it
	off  uint32 // added to the sending party's CSeq numbers
	seen bool   // the sending party has sent a request
}

// out maps a party's CSeq number to the one forwarded.
func (q *seqSpace) out(n uint32) uint32 {
	n += q.off
	q.seen = true
	if n > q.last {
		q.last = n
	}
	return n
}

// inject returns the CSeq number of a request the proxy sends in this
// direction, and raises the offset so that the party's next request is
// forwarded above it. A party that has sent nothing yet may start at
// any number (RFC 3261 §8.1.1.5): its first request is forwarded above
// the injected one if it starts at 1 or more.
func (q *seqSpace) inject() uint32 {
	q.last++
	if q.seen {
		q.off++
	} else {
		q.off = q.last
	}
	return q.last
}

type calls struct {
	mu sync.Mutex
	m  map[string]*call
}

func (c *calls) get(id string) *call {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[id]
}

func (c *calls) put(k *call) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k.id]; !ok {
		c.m[k.id] = k
	}
}

// update runs f on the call under the lock; false when there is none.
func (c *calls) update(id string, f func(*call)) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := c.m[id]
	if ok {
		f(k)
	}
	return ok
}

func (c *calls) remove(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, id)
}

func (c *calls) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

// party returns which party of k sent a message with From tag fromTag,
// -1 when neither.
func (k *call) party(fromTag string) int {
	switch {
	case fromTag == k.fromTag:
		return partyCaller
	case fromTag != "" && fromTag == k.toTag:
		return partyCallee
	}
	return -1
}

// seqOut rewrites the CSeq of an in-dialog request (not ACK) from the
// party with fromTag and returns the offset added, which the request's
// responses must have taken off.
func (c *calls) seqOut(id, fromTag string, h *sip.CSeqHeader) uint32 {
	if h == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	k := c.m[id]
	if k == nil {
		return 0
	}
	p := k.party(fromTag)
	if p < 0 {
		return 0
	}
	off := k.seq[p].off
	h.SeqNo = k.seq[p].out(h.SeqNo)
	return off
}

// seqAck rewrites the CSeq of an ACK as its INVITE's was.
func (c *calls) seqAck(id, fromTag string, h *sip.CSeqHeader) {
	if h == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if k := c.m[id]; k != nil {
		if p := k.party(fromTag); p >= 0 {
			h.SeqNo += k.seq[p].off
		}
	}
}

// noteSDP remembers the last SDP a party of an unanchored call sent.
func (c *calls) noteSDP(id, fromTag string, body []byte, fromOther bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := c.m[id]
	if k == nil || k.dlg == nil {
		return
	}
	p := k.party(fromTag)
	if p < 0 {
		return
	}
	if fromOther {
		p = 1 - p
	}
	k.dlg.sdp[p] = append([]byte(nil), body...)
}

// info returns k as a Call.
func (k *call) info() Call {
	return Call{CallID: k.id, FromTag: k.fromTag, ToTag: k.toTag, Caller: k.caller, Callee: k.callee,
		InitialRequestURI: k.ruri, Started: k.created, Answered: k.answered, Anchored: k.anchored, Recording: k.recording,
		CalleeFirst: k.calleeFirst}
}

// list returns every call, oldest first.
func (c *calls) list() []Call {
	c.mu.Lock()
	out := make([]Call, 0, len(c.m))
	for _, k := range c.m {
		out = append(out, k.info())
	}
	c.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Started.Before(out[j].Started) })
	return out
}

// expired removes and returns calls created before t.
func (c *calls) expired(t time.Time) []*call {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*call
	for id, k := range c.m {
		if k.created.Before(t) {
			out = append(out, k)
			delete(c.m, id)
		}
	}
	return out
}
