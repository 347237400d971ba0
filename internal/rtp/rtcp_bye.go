package rtp

import (
	"encoding/binary"
	"fmt"
)

// Bye is a BYE packet (RFC 3550 §6.6):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|V=2|P|    SC   |   PT=BYE=203  |             length            |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                           SSRC/CSRC                           |  SC times
//	+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
//	|     length    |               reason for leaving            ...  optional
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// SSRCs[:Count] are the sources leaving; Reason aliases the packet.
type Bye struct {
	Count  uint8
	SSRCs  [MaxReports]uint32
	Reason []byte
}

// Unmarshal parses p, which must be a TypeBYE packet, into b.
func (b *Bye) Unmarshal(p *RTCPPacket) error {
	if p.Type != TypeBYE {
		return fmt.Errorf("%w: %d at offset %d, want BYE", ErrWrongRTCPType, p.Type, p.Offset)
	}
	body := p.Body
	need := 4 * int(p.Count)
	if len(body) < need {
		return fmt.Errorf("%w: BYE at offset %d with %d sources needs %d body bytes, has %d",
			ErrBadRTCPLength, p.Offset, p.Count, need, len(body))
	}
	b.Count = p.Count
	for i := range int(p.Count) {
		b.SSRCs[i] = binary.BigEndian.Uint32(body[4*i:])
	}
	b.Reason = nil
	if len(body) > need {
		n := int(body[need])
		if len(body)-need-1 < n {
			return fmt.Errorf("%w: BYE reason at offset %d of %d bytes, have %d",
				ErrShortPacket, p.Offset+RTCPHeaderSize+need, n, len(body)-need-1)
		}
		b.Reason = body[need+1 : need+1+n : need+1+n]
	}
	return nil
}

// App is an APP packet (RFC 3550 §6.7):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|V=2|P| subtype |   PT=APP=204  |             length            |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                           SSRC/CSRC                           |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                          name (ASCII)                         |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                   application-dependent data                ...
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Data aliases the packet.
type App struct {
	Subtype uint8
	SSRC    uint32
	Name    [4]byte
	Data    []byte
}

// Unmarshal parses p, which must be a TypeAPP packet, into a.
func (a *App) Unmarshal(p *RTCPPacket) error {
	if p.Type != TypeAPP {
		return fmt.Errorf("%w: %d at offset %d, want APP", ErrWrongRTCPType, p.Type, p.Offset)
	}
	if len(p.Body) < 8 {
		return fmt.Errorf("%w: APP at offset %d needs 8 body bytes, has %d", ErrBadRTCPLength, p.Offset, len(p.Body))
	}
	a.Subtype = p.Count
	a.SSRC = binary.BigEndian.Uint32(p.Body[0:4])
	copy(a.Name[:], p.Body[4:8])
	a.Data = p.Body[8:]
	return nil
}
