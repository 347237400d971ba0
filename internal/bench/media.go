package bench

import (
	"encoding/binary"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Stream directions. dirOut is caller→callee (sent from the caller socket,
// received on the callee socket), dirBack is callee→caller.
const (
	dirOut  = 0
	dirBack = 1
)

// ssrcMagic tags the SSRCs this generator sends: the top byte is fixed,
// then 23 bits of call index and 1 bit of direction.
const ssrcMagic = 0xCB000000

func ssrcOf(call, dir int) uint32 { return ssrcMagic | uint32(call)<<1 | uint32(dir) }

// callOfSSRC reverses ssrcOf; ok is false for a foreign SSRC.
func callOfSSRC(ssrc uint32) (call, dir int, ok bool) {
	if ssrc&0xFF000000 != ssrcMagic {
		return 0, 0, false
	}
	return int(ssrc&0xFFFFFF) >> 1, int(ssrc & 1), true
}

// Call states.
const (
	statePending = iota
	stateActive
	stateFailed
)

// txStream is the send side of one call direction, owned by the call's
// sender goroutine.
type txStream struct {
	ssrc uint32
	seq  uint16
	ts   uint32
	sent uint64
}

// call is one benchmark call. dst is written by a control worker before
// state becomes stateActive and only read by the sender after it sees
// that state.
type call struct {
	ids   CallIDs
	state atomic.Int32
	dst   [2]unix.RawSockaddrInet4
	tx    [2]txStream
	rx    [2]rxStream
}

// writeRTP fills p (pktSize bytes) with the next packet of tx: an RTP
// header (RFC 3550 §5.1, PT 0 = PCMU) and the send time in the first 8
// payload bytes. The rest of the payload is left as the caller set it.
func writeRTP(p []byte, tx *txStream, stamp int64) {
	p[0] = 0x80
	p[1] = 0
	if tx.sent == 0 {
		p[1] = 0x80 // marker on the first packet of a talk spurt
	}
	binary.BigEndian.PutUint16(p[2:], tx.seq)
	binary.BigEndian.PutUint32(p[4:], tx.ts)
	binary.BigEndian.PutUint32(p[8:], tx.ssrc)
	binary.BigEndian.PutUint64(p[rtpHeader:], uint64(stamp))
	tx.seq++
	tx.ts += payloadLen
	tx.sent++
}

// sockPair is the caller and callee socket of one media worker.
type sockPair struct{ caller, callee *mmsgSocket }

// worker runs media worker s: it owns the calls senderOf(i) == s and the
// socket pair r.socks[s]. Each tick it sends the packets that are due and
// then reads whatever the relay forwarded to its sockets, so one wake-up
// serves both directions. It stops sending once r.stop is set and returns
// once r.stopRecv is set.
func (r *runner) worker(s int) {
	slots := wheelSlots(r.cfg.Ptime, r.cfg.Tick)
	lists := make([][]int32, slots)
	for i := s; i < len(r.calls); i += r.cfg.Senders {
		sl := slotOf(i, r.cfg.Senders, slots)
		lists[sl] = append(lists[sl], int32(i))
	}
	capacity := 1
	for _, l := range lists {
		capacity = max(capacity, len(l))
	}
	sp := r.socks[s]
	out := newSendBatch(sp.caller, capacity)
	back := newSendBatch(sp.callee, capacity)
	for i := range out.bufs {
		out.bufs[i], back.bufs[i] = 0xFF, 0xFF // µ-law silence
	}
	rxOut := newRecvBatch(sp.callee, 64)  // caller→callee packets land here
	rxBack := newRecvBatch(sp.caller, 64) // callee→caller packets land here
	rxOut.owner, rxBack.owner = s, s
	defer func() {
		r.sendErrs.Add(out.dropped + back.dropped)
		r.sendCalls.Add(out.syscalls + back.syscalls)
		r.recvCalls.Add(rxOut.syscalls + rxBack.syscalls)
		r.rxDrops.Add(uint64(rxOut.ovfl) + uint64(rxBack.ovfl))
	}()
	tick := r.cfg.Tick
	k := ticksElapsed(r.since(), tick) + 1
	for !r.stopRecv.Load() {
		sending := !r.stop.Load()
		el := r.since()
		for last := ticksElapsed(el, tick); sending && k <= last; k++ {
			list := lists[k%int64(slots)]
			if len(list) == 0 {
				continue
			}
			r.sched.Record(int64(el - tickDue(k, tick)))
			stamp := time.Now().UnixNano()
			for _, i := range list {
				c := &r.calls[i]
				if c.state.Load() != stateActive {
					continue
				}
				writeRTP(out.next(&c.dst[dirOut]), &c.tx[dirOut], stamp)
				writeRTP(back.next(&c.dst[dirBack]), &c.tx[dirBack], stamp)
			}
			n := out.n + back.n
			out.flush()
			back.flush()
			if n > 0 {
				r.sent.Add(uint64(n))
			}
			el = r.since()
		}
		r.drain(rxOut, dirOut)
		r.drain(rxBack, dirBack)
		// Sleep until the next tick that has calls to serve; the catch-up
		// loop above walks over the empty ones for free. While draining
		// after the last send, poll every tick.
		wake := k
		for j := 0; sending && j < slots && len(lists[wake%int64(slots)]) == 0; j++ {
			wake++
		}
		if d := tickDue(wake, tick) - r.since(); d > 0 {
			time.Sleep(d)
		} else if !sending {
			time.Sleep(tick)
		}
	}
}

// drain reads and accounts every packet queued on b's socket.
func (r *runner) drain(b *recvBatch, dir int) {
	for {
		n, err := b.poll()
		if n == 0 || err != nil {
			return
		}
		r.account(b, dir, time.Now().UnixNano())
		if n < len(b.hdrs) {
			return
		}
	}
}

// account processes the packets in b; now (Unix ns) stands in for a
// missing kernel timestamp.
func (r *runner) account(b *recvBatch, dir int, now int64) {
	var dups, foreign, misrouted uint64
	for i := 0; i < b.n; i++ {
		p := b.pkt(i)
		if len(p) < rtpHeader+8 || p[0]>>6 != 2 {
			foreign++
			continue
		}
		ci, d, ok := callOfSSRC(binary.BigEndian.Uint32(p[8:]))
		if !ok || ci >= len(r.calls) {
			foreign++
			continue
		}
		if d != dir || senderOf(ci, r.cfg.Senders) != b.owner {
			misrouted++
			continue
		}
		at := b.stamp(i)
		if at == 0 {
			at = now
		}
		transit := at - int64(binary.BigEndian.Uint64(p[rtpHeader:]))
		if r.calls[ci].rx[d].add(binary.BigEndian.Uint16(p[2:]), transit) {
			dups++
			continue
		}
		r.lat.Record(transit)
	}
	r.recv.Add(uint64(b.n))
	if dups|foreign|misrouted != 0 {
		r.dups.Add(dups)
		r.foreign.Add(foreign)
		r.misrouted.Add(misrouted)
	}
}
