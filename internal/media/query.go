package media

import (
	"fmt"
	"net/netip"
	"time"
)

// LegStats are the counters of what one party sent to the node.
type LegStats struct {
	Remote      netip.AddrPort // latched (or signalled) RTP address
	Latched     bool
	PacketsIn   uint64 // RTP and RTCP received from this party
	BytesIn     uint64
	Relayed     uint64 // forwarded to the other party
	DropBleed   uint64 // from a source other than the latched one
	DropNoDest  uint64 // the other party unknown or on hold
	DropSendErr uint64
	RTCPIn      uint64
	SSRC        uint32
	PayloadType uint8
	SSRCChanges uint64
	Expected    uint64 // RTP packets expected from the sequence numbers (RFC 3550 A.3)
	Lost        int64  // expected - received; negative with duplicates
	Reordered   uint64
	Duplicates  uint64
	Jitter      uint32 // interarrival jitter in RTP timestamp units (RFC 3550 6.4.1)
	ClockRate   uint32 // clock rate assumed for Jitter
}

// StreamStats describe one stream for Q.
type StreamStats struct {
	CallID   string
	FromTag  string
	ToTag    string
	MediaNum int
	Ports    [2]int // RTP port each party sends to
	TTL      time.Duration
	Legs     [2]LegStats // [caller, callee]
}

// Query handles Q: statistics of the stream matching the tags. Legs are
// ordered caller, callee whatever the tags' orientation.
func (m *Manager) Query(callID, fromTag, toTag string, mediaNum int) (StreamStats, error) {
	if mediaNum <= 0 {
		mediaNum = 1
	}
	m.mu.Lock()
	s, _ := m.find(callID, fromTag, toTag, mediaNum)
	var st StreamStats
	if s != nil {
		st = StreamStats{CallID: s.callID, FromTag: s.fromTag, ToTag: s.toTag, MediaNum: s.mediaNum,
			Ports: [2]int{s.port(0), s.port(1)}}
	}
	m.mu.Unlock()
	if s == nil {
		return st, fmt.Errorf("%w: call %q tags %q/%q", ErrNoSession, callID, fromTag, toTag)
	}
	ttl := m.cfg.Timeout - time.Duration(time.Now().UnixNano()-s.lastActivity())
	if ttl < 0 {
		ttl = 0
	}
	st.TTL = ttl
	for p := 0; p < 2; p++ {
		rtp, rtcp := s.ep[p][kindRTP], s.ep[p][kindRTCP]
		l := &st.Legs[p]
		for _, e := range []*endpoint{rtp, rtcp} {
			l.PacketsIn += e.c.packetsIn.Load()
			l.BytesIn += e.c.bytesIn.Load()
			l.Relayed += e.c.relayed.Load()
			l.DropBleed += e.c.dropBleed.Load()
			l.DropNoDest += e.c.dropNoDest.Load()
			l.DropSendErr += e.c.dropSendErr.Load()
		}
		l.RTCPIn = rtcp.c.packetsIn.Load()
		l.SSRC = rtp.c.rtp.ssrc.Load()
		l.PayloadType = uint8(rtp.c.rtp.payloadType.Load())
		r := &rtp.c.rtp
		l.SSRCChanges = r.ssrcChanges.Load()
		l.Expected, l.Lost = r.expected.Load(), r.lost.Load()
		l.Reordered, l.Duplicates = r.reordered.Load(), r.duplicates.Load()
		l.Jitter, l.ClockRate = r.jitter.Load(), r.clockRate.Load()
		if pr := s.peer[p].Load(); pr != nil {
			l.Remote = pr.addr.addrPort()
		}
	}
	return st, nil
}

// Info is the node-wide state for I and G.
type Info struct {
	Streams     int // active streams (m-lines)
	Calls       int // distinct Call-IDs
	PortsInUse  int // RTP/RTCP pairs bound
	PortsTotal  int
	Created     uint64
	Deleted     uint64
	TimedOut    uint64
	PacketsIn   uint64
	BytesIn     uint64
	Relayed     uint64
	DropBleed   uint64
	DropNoDest  uint64
	DropSendErr uint64
	Malformed   uint64
	Exhausted   uint64 // U commands refused because the port range was full
	Wakeups     uint64
	Batches     uint64
	Latches     uint64
}

// Info returns node-wide counters.
func (m *Manager) Info() Info {
	m.mu.Lock()
	in := Info{Streams: m.streams, Calls: len(m.calls)}
	m.mu.Unlock()
	in.PortsInUse, in.PortsTotal = m.pool.inUseCount()
	in.Created, in.Deleted, in.TimedOut = m.created.Load(), m.deleted.Load(), m.timedOut.Load()
	in.Exhausted = m.exhausted.Load()
	for _, w := range m.workers {
		t := &w.totals
		in.PacketsIn += t.packetsIn.Load()
		in.BytesIn += t.bytesIn.Load()
		in.Relayed += t.relayed.Load()
		in.DropBleed += t.dropBleed.Load()
		in.DropNoDest += t.dropNoDest.Load()
		in.DropSendErr += t.dropSendErr.Load()
		in.Malformed += t.malformed.Load()
		in.Wakeups += t.wakeups.Load()
		in.Batches += t.batches.Load()
		in.Latches += t.latches.Load()
	}
	return in
}

// Record starts recording every stream of the call that matches the
// tags (all of the call's streams when fromTag is ""). Without a
// TapFactory it is accepted and records nothing, as rtpproxy built
// without recording support does.
func (m *Manager) Record(callID, fromTag, toTag string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, s := range m.calls[callID] {
		if fromTag != "" && s.fromTag != fromTag && s.fromTag != toTag {
			continue
		}
		n++
		if m.cfg.Taps == nil {
			continue
		}
		if tb := s.tap.Load(); tb != nil {
			if f, ok := tb.t.(Finisher); !ok || !f.Finished() {
				continue // already recording
			}
		}
		t, err := m.cfg.Taps.Start(StreamInfo{CallID: s.callID, FromTag: s.fromTag, ToTag: s.toTag,
			MediaNum: s.mediaNum, Codecs: s.codecs})
		if err != nil {
			return fmt.Errorf("media: start recording %q: %w", callID, err)
		}
		if old := s.tap.Swap(&tapBox{t}); old != nil {
			m.closeTap(old.t) // finished: its recording is over
		}
	}
	if n == 0 {
		return fmt.Errorf("%w: call %q tags %q/%q", ErrNoSession, callID, fromTag, toTag)
	}
	return nil
}

// StopRecord stops recording the call's streams; relaying goes on.
func (m *Manager) StopRecord(callID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	ss := m.calls[callID]
	if len(ss) == 0 {
		return fmt.Errorf("%w: call %q", ErrNoSession, callID)
	}
	for _, s := range ss {
		s.w.post(workerOp{stopTap: s})
	}
	return nil
}
