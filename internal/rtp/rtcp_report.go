package rtp

import (
	"encoding/binary"
	"fmt"
	"time"
)

// MaxReports is the largest number of report blocks an SR or RR carries
// (the RC field is 5 bits wide).
const MaxReports = 31

// reportBlockSize is the size of one reception report block.
const reportBlockSize = 24

// SenderInfo is the sender information section of an SR (RFC 3550 §6.4.1):
//
//	+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
//	|              NTP timestamp, most significant word             |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|             NTP timestamp, least significant word             |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                         RTP timestamp                         |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                     sender's packet count                     |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                      sender's octet count                     |
//	+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
type SenderInfo struct {
	NTPTime     uint64 // 32.32 fixed point seconds since 1900
	RTPTime     uint32 // the same instant in the RTP clock
	PacketCount uint32 // packets sent since the start of transmission
	OctetCount  uint32 // payload octets sent since the start of transmission
}

// MiddleNTP returns the middle 32 bits of the NTP timestamp: the value a
// receiver echoes as LSR in its reports.
func (s *SenderInfo) MiddleNTP() uint32 {
	return uint32(s.NTPTime >> 16)
}

// ReceptionReport is one report block of an SR or RR (RFC 3550 §6.4.1):
//
//	+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
//	|                 SSRC_n (SSRC of source being reported)        |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	| fraction lost |       cumulative number of packets lost       |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|           extended highest sequence number received           |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                      interarrival jitter                      |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                         last SR (LSR)                         |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                   delay since last SR (DLSR)                  |
//	+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
type ReceptionReport struct {
	SSRC         uint32 // the source this block reports on
	FractionLost uint8  // lost/expected since the previous report, in 1/256
	TotalLost    int32  // cumulative lost, signed 24 bits (duplicates make it negative)
	HighestSeq   uint32 // extended highest sequence number received
	Jitter       uint32 // interarrival jitter, in RTP timestamp units
	LSR          uint32 // middle 32 bits of the last SR's NTP time, 0 if none
	DLSR         uint32 // delay since that SR, in 1/65536 s
}

// LossRatio returns FractionLost as a number in [0, 1).
func (r *ReceptionReport) LossRatio() float64 {
	return float64(r.FractionLost) / 256
}

// DelaySinceLastSR returns DLSR as a duration.
func (r *ReceptionReport) DelaySinceLastSR() time.Duration {
	return time.Duration(uint64(r.DLSR) * uint64(time.Second) >> 16)
}

func (r *ReceptionReport) unmarshal(b []byte) {
	r.SSRC = binary.BigEndian.Uint32(b[0:4])
	r.FractionLost = b[4]
	// Sign-extend the 24-bit cumulative count (RFC 3550 §6.4.1, A.3).
	r.TotalLost = int32(binary.BigEndian.Uint32(b[4:8])<<8) >> 8
	r.HighestSeq = binary.BigEndian.Uint32(b[8:12])
	r.Jitter = binary.BigEndian.Uint32(b[12:16])
	r.LSR = binary.BigEndian.Uint32(b[16:20])
	r.DLSR = binary.BigEndian.Uint32(b[20:24])
}

// SenderReport is an SR packet (RFC 3550 §6.4.1). Reports[:ReportCount]
// are the report blocks; Extension is the profile-specific extension, if
// any, aliasing the packet.
type SenderReport struct {
	SSRC        uint32
	Info        SenderInfo
	ReportCount uint8
	Reports     [MaxReports]ReceptionReport
	Extension   []byte
}

// Unmarshal parses p, which must be a TypeSR packet, into s.
func (s *SenderReport) Unmarshal(p *RTCPPacket) error {
	if p.Type != TypeSR {
		return fmt.Errorf("%w: %d at offset %d, want SR", ErrWrongRTCPType, p.Type, p.Offset)
	}
	b := p.Body
	need := 4 + 20 + reportBlockSize*int(p.Count)
	if len(b) < need {
		return fmt.Errorf("%w: SR at offset %d with %d blocks needs %d body bytes, has %d",
			ErrBadRTCPLength, p.Offset, p.Count, need, len(b))
	}
	s.SSRC = binary.BigEndian.Uint32(b[0:4])
	s.Info = SenderInfo{
		NTPTime:     binary.BigEndian.Uint64(b[4:12]),
		RTPTime:     binary.BigEndian.Uint32(b[12:16]),
		PacketCount: binary.BigEndian.Uint32(b[16:20]),
		OctetCount:  binary.BigEndian.Uint32(b[20:24]),
	}
	s.ReportCount = p.Count
	for i := range int(p.Count) {
		s.Reports[i].unmarshal(b[24+reportBlockSize*i:])
	}
	s.Extension = nil
	if len(b) > need {
		s.Extension = b[need:]
	}
	return nil
}

// ReceiverReport is an RR packet (RFC 3550 §6.4.2). Reports[:ReportCount]
// are the report blocks; Extension is the profile-specific extension, if
// any, aliasing the packet.
type ReceiverReport struct {
	SSRC        uint32
	ReportCount uint8
	Reports     [MaxReports]ReceptionReport
	Extension   []byte
}

// Unmarshal parses p, which must be a TypeRR packet, into r.
func (r *ReceiverReport) Unmarshal(p *RTCPPacket) error {
	if p.Type != TypeRR {
		return fmt.Errorf("%w: %d at offset %d, want RR", ErrWrongRTCPType, p.Type, p.Offset)
	}
	b := p.Body
	need := 4 + reportBlockSize*int(p.Count)
	if len(b) < need {
		return fmt.Errorf("%w: RR at offset %d with %d blocks needs %d body bytes, has %d",
			ErrBadRTCPLength, p.Offset, p.Count, need, len(b))
	}
	r.SSRC = binary.BigEndian.Uint32(b[0:4])
	r.ReportCount = p.Count
	for i := range int(p.Count) {
		r.Reports[i].unmarshal(b[4+reportBlockSize*i:])
	}
	r.Extension = nil
	if len(b) > need {
		r.Extension = b[need:]
	}
	return nil
}

// ReceptionReports walks the compound RTCP packet b and copies the report
// blocks of its SRs and RRs into dst, in order, up to len(dst). It returns
// how many blocks it stored, the SSRC of the first SR/RR's sender (the
// peer reporting), and the first structural error. It does not allocate on
// success, so a relay can read the peer's loss and jitter per packet.
func ReceptionReports(b []byte, dst []ReceptionReport) (n int, reporter uint32, err error) {
	r := NewRTCPReader(b)
	var p RTCPPacket
	seen := false
	for r.Next(&p) {
		var off, hdr int
		switch p.Type {
		case TypeSR:
			hdr = 24
		case TypeRR:
			hdr = 4
		default:
			continue
		}
		need := hdr + reportBlockSize*int(p.Count)
		if len(p.Body) < need {
			return n, reporter, fmt.Errorf("%w: report packet type %d at offset %d with %d blocks needs %d body bytes, has %d",
				ErrBadRTCPLength, p.Type, p.Offset, p.Count, need, len(p.Body))
		}
		if !seen {
			reporter, seen = binary.BigEndian.Uint32(p.Body[0:4]), true
		}
		for off = hdr; off < need && n < len(dst); off += reportBlockSize {
			dst[n].unmarshal(p.Body[off:])
			n++
		}
	}
	return n, reporter, r.Err()
}
