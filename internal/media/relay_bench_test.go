package media

import (
	"context"
	"encoding/binary"
	"net"
	"net/netip"
	"testing"
	"time"
)

// BenchmarkRelay sends one RTP packet per iteration from the caller
// through the relay to the callee over loopback and waits for it. The
// allocation count covers every goroutine, so it shows whether the
// relay's path allocates; the time includes both test sockets.
func BenchmarkRelay(b *testing.B) {
	t := &testing.T{}
	min, max := freeRange(t, 4)
	m, err := New(Config{Listen: loopback, PortMin: min, PortMax: max, Workers: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close(context.Background())
	a, _ := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	c, _ := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	defer a.Close()
	defer c.Close()
	ap := a.LocalAddr().(*net.UDPAddr).AddrPort()
	cp := c.LocalAddr().(*net.UDPAddr).AddrPort()
	if _, err := m.Update(Offer{CallID: "b", FromTag: "f", Addr: ap}); err != nil {
		b.Fatal(err)
	}
	toCaller, err := m.Lookup(Offer{CallID: "b", FromTag: "f", ToTag: "t", Addr: cp})
	if err != nil {
		b.Fatal(err)
	}
	dst := netip.AddrPortFrom(toCaller.Addr(), toCaller.Port())
	pkt := make([]byte, 172)
	pkt[0] = 0x80
	binary.BigEndian.PutUint32(pkt[8:], 0x1234)
	buf := make([]byte, 2048)
	c.SetReadDeadline(time.Now().Add(time.Minute))
	var seq uint16
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	for b.Loop() {
		seq++
		binary.BigEndian.PutUint16(pkt[2:], seq)
		if _, err := a.WriteToUDPAddrPort(pkt, dst); err != nil {
			b.Fatal(err)
		}
		if _, _, err := c.ReadFromUDPAddrPort(buf); err != nil {
			b.Fatal(err)
		}
	}
}
