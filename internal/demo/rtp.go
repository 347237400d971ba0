package demo

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/callrec/callrec/internal/sdp"
)

// Packetization: G.711 µ-law (RTP/AVP payload type 0, RFC 3551 §4.5.14)
// in 20 ms packets of 160 samples.
const (
	payloadPCMU = 0
	frame       = 160
	ptime       = 20 * time.Millisecond
	headerLen   = 12
)

// stream is one party's RTP for one call: a socket, a sender paced at
// 20 ms and a reader that counts what the other side (the media node)
// sends back.
type stream struct {
	conn *net.UDPConn
	sent atomic.Int64
	recv atomic.Int64
	stop chan struct{}
	wg   sync.WaitGroup
}

// openStream binds a UDP socket for RTP on ip (port chosen by the
// kernel) and starts reading from it.
func openStream(ip string) (*stream, error) {
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.ParseIP(ip)})
	if err != nil {
		return nil, fmt.Errorf("demo: rtp socket: %w", err)
	}
	s := &stream{conn: conn, stop: make(chan struct{})}
	s.wg.Add(1)
	go s.read()
	return s, nil
}

// port is the local RTP port, put in SDP.
func (s *stream) port() int { return s.conn.LocalAddr().(*net.UDPAddr).Port }

func (s *stream) read() {
	defer s.wg.Done()
	buf := make([]byte, 1500)
	for {
		n, err := s.conn.Read(buf)
		if err != nil {
			return // closed
		}
		if n >= headerLen && buf[0]>>6 == 2 {
			s.recv.Add(1)
		}
	}
}

// play sends speech to dst as µ-law RTP, 160 samples every 20 ms from
// the start, looping the clip, until close. Packets are sent on a
// schedule (start + i·20 ms), so a late wake-up is caught up rather than
// drifting the stream.
func (s *stream) play(dst netip.AddrPort, speech []byte) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		to := net.UDPAddrFromAddrPort(dst)
		pkt := make([]byte, headerLen+frame)
		pkt[0], pkt[1] = 0x80, payloadPCMU
		binary.BigEndian.PutUint32(pkt[8:], rand.Uint32()) // SSRC
		seq, ts := uint16(rand.Uint32()), rand.Uint32()
		start := time.Now()
		timer := time.NewTimer(0)
		defer timer.Stop()
		off := 0
		for i := 0; ; i++ {
			select {
			case <-s.stop:
				return
			case <-timer.C:
			}
			binary.BigEndian.PutUint16(pkt[2:], seq+uint16(i))
			binary.BigEndian.PutUint32(pkt[4:], ts+uint32(i*frame))
			for n := headerLen; n < len(pkt); {
				c := copy(pkt[n:], speech[off:])
				n += c
				off = (off + c) % len(speech)
			}
			if _, err := s.conn.WriteToUDP(pkt, to); err == nil {
				s.sent.Add(1)
			}
			timer.Reset(time.Until(start.Add(time.Duration(i+1) * ptime)))
		}
	}()
}

// close stops the sender, closes the socket and waits for both
// goroutines.
func (s *stream) close() {
	close(s.stop)
	s.conn.Close()
	s.wg.Wait()
}

// offer is the SDP of a party that sends and receives PCMU at ip:port.
func offer(user, ip string, port int) []byte {
	id := strconv.FormatUint(uint64(rand.Uint32()), 10)
	return []byte("v=0\r\n" +
		"o=" + user + " " + id + " 1 IN IP4 " + ip + "\r\n" +
		"s=callrec demo\r\n" +
		"c=IN IP4 " + ip + "\r\n" +
		"t=0 0\r\n" +
		"m=audio " + strconv.Itoa(port) + " RTP/AVP 0\r\n" +
		"a=rtpmap:0 PCMU/8000\r\n" +
		"a=ptime:20\r\n" +
		"a=sendrecv\r\n")
}

// audioTarget is where the SDP body asks its party's audio to be sent:
// the first audio stream's address and port. It needs PCMU, the only
// payload these phones send.
func audioTarget(body []byte) (netip.AddrPort, error) {
	s, err := sdp.Parse(body)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("demo: sdp: %w", err)
	}
	for i, m := range s.Media {
		if m.Type != "audio" || m.Rejected() {
			continue
		}
		pcmu := false
		for _, f := range m.Formats {
			pcmu = pcmu || f.PT == payloadPCMU
		}
		c := s.Connection(i)
		if !pcmu || !c.Addr.IsValid() {
			return netip.AddrPort{}, fmt.Errorf("demo: sdp audio stream without PCMU or address: %q", m.Fmts)
		}
		return netip.AddrPortFrom(c.Addr, uint16(m.Port)), nil
	}
	return netip.AddrPort{}, fmt.Errorf("demo: sdp has no audio stream")
}

// sleep waits d or until ctx or done ends, whichever is first.
func sleep(ctx context.Context, d time.Duration, done <-chan struct{}) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-done:
	case <-t.C:
	}
}
