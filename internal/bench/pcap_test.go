package bench

import (
	"bytes"
	"encoding/binary"
	"math"
	"net/netip"
	"testing"

	"github.com/callrec/callrec/internal/codec"
)

func TestRTPPcap(t *testing.T) {
	audio := make([]byte, 400) // 2.5 frames: 2 packets
	for i := range audio {
		audio[i] = codec.UlawEncode(int16(8000 * math.Sin(2*math.Pi*440*float64(i)/8000)))
	}
	b := RTPPcap(RTPCapture{
		Src:   netip.MustParseAddrPort("127.0.0.2:4000"),
		Dst:   netip.MustParseAddrPort("127.0.0.3:5000"),
		SSRC:  0x01020304,
		Audio: audio,
	})
	const rec = 16 + 14 + 20 + 8 + 12 + 160
	if len(b) != 24+2*rec {
		t.Fatalf("pcap is %d bytes, want %d", len(b), 24+2*rec)
	}
	p2 := b[24+rec:]
	if binary.LittleEndian.Uint32(p2[4:]) != 20000 {
		t.Errorf("second packet at %d us, want 20000", binary.LittleEndian.Uint32(p2[4:]))
	}
	ip := p2[16+14:]
	if ipChecksum(ip[:20]) != 0 {
		t.Error("IPv4 header checksum does not verify")
	}
	rtp := ip[28:]
	if rtp[0] != 0x80 || rtp[1] != 0 || binary.BigEndian.Uint16(rtp[2:]) != 1 ||
		binary.BigEndian.Uint32(rtp[4:]) != 160 || binary.BigEndian.Uint32(rtp[8:]) != 0x01020304 ||
		!bytes.Equal(rtp[12:], audio[160:320]) {
		t.Errorf("bad RTP packet % x", rtp[:12])
	}
}
