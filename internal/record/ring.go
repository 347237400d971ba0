package record

import (
	"encoding/binary"
	"sync/atomic"
)

// ring is a single-producer single-consumer byte ring of packet records.
// The relay worker (the one producer of a stream: all of a stream's
// sockets belong to one worker) copies each packet in with put; the
// recording's goroutine drains them with get. put never blocks: when the
// ring is full the packet is dropped and counted, so a slow disk can cost
// recording audio but never relay packets.
//
// A record is a 12-byte header (arrival nanos, length, direction, flags)
// and the packet, padded to 8 bytes. A record never wraps: when it does
// not fit before the end of the buffer, a skip marker fills the tail and
// the record starts again at offset 0.
type ring struct {
	buf  []byte
	mask uint64

	head    atomic.Uint64 // next byte the producer writes (monotonic)
	tail    atomic.Uint64 // next byte the consumer reads (monotonic)
	dropped atomic.Uint64 // packets put could not fit
}

const (
	ringHdr  = 12
	skipMark = 0xffff
	// maxPacket bounds one record; larger packets are dropped and counted.
	maxPacket = 1500
)

// newRing makes a ring of size bytes, rounded up to a power of two.
func newRing(size int) *ring {
	n := 1024
	for n < size {
		n <<= 1
	}
	return &ring{buf: make([]byte, n), mask: uint64(n - 1)}
}

func pad8(n int) int { return (n + 7) &^ 7 }

// put copies one packet in. Producer only. It reports false when the
// packet was dropped (ring full or packet too large).
func (r *ring) put(arrival int64, dir uint8, flags uint8, pkt []byte) bool {
	if len(pkt) > maxPacket {
		r.dropped.Add(1)
		return false
	}
	need := uint64(pad8(ringHdr + len(pkt)))
	head := r.head.Load()
	tail := r.tail.Load()
	size := uint64(len(r.buf))
	off := head & r.mask
	if off+need > size { // does not fit before the end: skip the tail
		if head+(size-off)+need-tail > size {
			r.dropped.Add(1)
			return false
		}
		if size-off >= 12 {
			binary.LittleEndian.PutUint16(r.buf[off+8:], skipMark)
		}
		head += size - off
		off = 0
	}
	if head+need-tail > size {
		r.dropped.Add(1)
		return false
	}
	b := r.buf[off : off+need]
	binary.LittleEndian.PutUint64(b[0:], uint64(arrival))
	binary.LittleEndian.PutUint16(b[8:], uint16(len(pkt)))
	b[10] = dir
	b[11] = flags
	copy(b[ringHdr:], pkt)
	r.head.Store(head + need)
	return true
}

// get calls f for every record in the ring, in order, then frees them.
// Consumer only. pkt is valid only during the call.
func (r *ring) get(f func(arrival int64, dir, flags uint8, pkt []byte)) int {
	tail := r.tail.Load()
	head := r.head.Load()
	size := uint64(len(r.buf))
	n := 0
	for tail < head {
		off := tail & r.mask
		if size-off < 12 || binary.LittleEndian.Uint16(r.buf[off+8:]) == skipMark {
			tail += size - off
			continue
		}
		b := r.buf[off:]
		l := int(binary.LittleEndian.Uint16(b[8:]))
		f(int64(binary.LittleEndian.Uint64(b[0:])), b[10], b[11], b[ringHdr:ringHdr+l])
		tail += uint64(pad8(ringHdr + l))
		n++
	}
	r.tail.Store(tail)
	return n
}
