package bench

import (
	"encoding/binary"
	"net/netip"
)

// RTPCapture describes an RTP stream to write as a pcap file, for sipp's
// play_pcap_audio (which replays the UDP payloads to the SDP's address and
// keeps the capture's timing).
type RTPCapture struct {
	Src, Dst    netip.AddrPort // IPv4 endpoints written in the packets
	PayloadType uint8          // 0 for PCMU
	SSRC        uint32
	Frame       int    // payload bytes per packet (160 for 20 ms of G.711)
	Audio       []byte // encoded audio, cut into Frame-sized payloads
	// Replace, when set, may replace packet i (ok true) by one of
	// payload type pt with RTP timestamp ts, the marker bit and payload:
	// RFC 4733 events in a stream of audio.
	Replace func(i int) (pt uint8, ts uint32, payload []byte, marker, ok bool)
}

// RTPPcap returns c as a classic pcap file (Ethernet link type).
// Packets are 20 ms apart with RTP sequence numbers and timestamps
// counting from zero; a trailing partial frame is dropped.
func RTPPcap(c RTPCapture) []byte {
	if c.Frame <= 0 {
		c.Frame = 160
	}
	out := make([]byte, 0, 24+(len(c.Audio)/c.Frame)*(16+14+20+8+12+c.Frame))
	// Global header: magic, version 2.4, tz 0, sigfigs 0, snaplen, linktype 1.
	out = binary.LittleEndian.AppendUint32(out, 0xa1b2c3d4)
	out = binary.LittleEndian.AppendUint16(out, 2)
	out = binary.LittleEndian.AppendUint16(out, 4)
	out = binary.LittleEndian.AppendUint32(out, 0)
	out = binary.LittleEndian.AppendUint32(out, 0)
	out = binary.LittleEndian.AppendUint32(out, 65535)
	out = binary.LittleEndian.AppendUint32(out, 1)
	src, dst := c.Src.Addr().As4(), c.Dst.Addr().As4()
	for i := 0; (i+1)*c.Frame <= len(c.Audio); i++ {
		payload := c.Audio[i*c.Frame : (i+1)*c.Frame]
		pt, ts, mark := c.PayloadType, uint32(i*c.Frame), i == 0
		if c.Replace != nil {
			if rpt, rts, rp, rm, ok := c.Replace(i); ok {
				pt, ts, payload, mark = rpt, rts, rp, rm
			}
		}
		udpLen := 8 + 12 + len(payload)
		ipLen := 20 + udpLen
		frameLen := 14 + ipLen
		usec := uint32(i) * 20000
		out = binary.LittleEndian.AppendUint32(out, usec/1e6)
		out = binary.LittleEndian.AppendUint32(out, usec%1e6)
		out = binary.LittleEndian.AppendUint32(out, uint32(frameLen))
		out = binary.LittleEndian.AppendUint32(out, uint32(frameLen))
		// Ethernet: zero MACs, type IPv4.
		out = append(out, make([]byte, 12)...)
		out = binary.BigEndian.AppendUint16(out, 0x0800)
		// IPv4 header (RFC 791), no options, TTL 64, protocol UDP.
		ip := make([]byte, 20)
		ip[0] = 0x45
		binary.BigEndian.PutUint16(ip[2:], uint16(ipLen))
		binary.BigEndian.PutUint16(ip[4:], uint16(i))
		ip[8], ip[9] = 64, 17
		copy(ip[12:16], src[:])
		copy(ip[16:20], dst[:])
		binary.BigEndian.PutUint16(ip[10:], ipChecksum(ip))
		out = append(out, ip...)
		// UDP header (RFC 768); checksum 0 = none, valid over IPv4.
		out = binary.BigEndian.AppendUint16(out, c.Src.Port())
		out = binary.BigEndian.AppendUint16(out, c.Dst.Port())
		out = binary.BigEndian.AppendUint16(out, uint16(udpLen))
		out = binary.BigEndian.AppendUint16(out, 0)
		// RTP fixed header (RFC 3550 section 5.1): V=2, marker on the
		// first (or as Replace says).
		m := byte(0)
		if mark {
			m = 0x80
		}
		out = append(out, 0x80, m|pt&0x7f)
		out = binary.BigEndian.AppendUint16(out, uint16(i))
		out = binary.BigEndian.AppendUint32(out, ts)
		out = binary.BigEndian.AppendUint32(out, c.SSRC)
		out = append(out, payload...)
	}
	return out
}

// ipChecksum is the RFC 791 header checksum of h (checksum field zero).
func ipChecksum(h []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(h); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(h[i:]))
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}
