package nettest

import (
	"net"
	"strconv"
	"testing"
)

// TestPicksBelowEphemeral: ports come from below the ephemeral range and
// can be bound as promised.
func TestPicksBelowEphemeral(t *testing.T) {
	hi := ephemeralLow()
	for range 20 {
		p := FreeUDPPort(t, "127.0.0.1")
		if p < lowPort || p >= hi {
			t.Fatalf("FreeUDPPort %d outside [%d, %d)", p, lowPort, hi)
		}
		c, err := net.ListenPacket("udp4", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			t.Fatal(err)
		}
		l, err := net.Listen("tcp4", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
		l.Close()
	}
	base := FreeUDPRange(t, "127.0.0.1", 256)
	if base%2 != 0 || base < lowPort || base+256 > hi {
		t.Fatalf("FreeUDPRange(256) = %d: want even, in [%d, %d)", base, lowPort, hi-256)
	}
	var held []net.PacketConn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for p := base; p < base+256; p++ {
		c, err := net.ListenPacket("udp4", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			t.Fatalf("port %d of the range: %v", p, err)
		}
		held = append(held, c)
	}
}
