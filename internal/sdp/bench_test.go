package sdp

import (
	"net/netip"
	"testing"
)

func BenchmarkParse(b *testing.B) {
	in := readSample(b, "yealink-srtp-offer.sdp")
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := Parse(in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseRewrite is the proxy's work per offer: parse, then
// rewrite address and port into a reused buffer.
func BenchmarkParseRewrite(b *testing.B) {
	in := readSample(b, "yealink-srtp-offer.sdp")
	e := Edit{Addr: netip.MustParseAddr("10.99.0.1"), Media: []MediaEdit{{Port: 30000}}}
	buf := make([]byte, 0, 2048)
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		s, err := Parse(in)
		if err != nil {
			b.Fatal(err)
		}
		if buf, err = s.AppendRewrite(buf[:0], e); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseWebRTC(b *testing.B) {
	in := readSample(b, "webrtc-offer.sdp")
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := Parse(in); err != nil {
			b.Fatal(err)
		}
	}
}
