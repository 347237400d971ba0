package sdp

import (
	"bytes"
	"net/netip"
	"testing"
)

// FuzzParse checks that Parse never panics, that offsets stay inside the
// body, that the zero Edit returns the input unchanged, and that a full
// rewrite yields a body that parses again with the new ports and
// addresses.
func FuzzParse(f *testing.F) {
	for _, name := range sampleNames(f) {
		f.Add(readSample(f, name))
	}
	f.Add([]byte("v=0\no=- 1 9 IN IP4 0.0.0.0\nm=audio 1 RTP/AVP 0\na=rtcp:1 IN IP6 ::"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 8192 {
			return // bound the work per input
		}
		s, err := Parse(b)
		if err != nil {
			return
		}
		for _, l := range s.Lines {
			if l.Start < 0 || l.Start > l.End || l.End > l.Next || l.Next > len(b) || string(b[l.Start:l.End]) != l.Text {
				t.Fatalf("line %d: bad offsets %d %d %d", l.Num, l.Start, l.End, l.Next)
			}
		}
		for i := range s.Media {
			_ = s.Hold(i)
			_ = s.MediaDirection(i)
		}
		out, err := s.AppendRewrite(nil, Edit{})
		if err != nil || !bytes.Equal(out, b) {
			t.Fatalf("zero edit changed the body: %v\n%q\n%q", err, b, out)
		}
		e := Edit{Addr: netip.MustParseAddr("10.0.0.1"), DropICE: true, DropRTCPMux: true, RewriteHold: true}
		for i := range s.Media {
			e.Media = append(e.Media, MediaEdit{Port: 20000 + 2*i})
		}
		out, err = s.AppendRewrite(nil, e)
		if err != nil {
			t.Fatal(err)
		}
		s2, err := Parse(out)
		if err != nil {
			t.Fatalf("rewritten body does not parse: %v\n%q\n%q", err, b, out)
		}
		if len(s2.Media) != len(s.Media) {
			t.Fatalf("media count %d -> %d", len(s.Media), len(s2.Media))
		}
		for i := range s2.Media {
			if want := e.Media[i].Port; s.Media[i].Port != 0 && s2.Media[i].Port != want {
				t.Fatalf("media %d port %d, want %d", i, s2.Media[i].Port, want)
			}
			if c := s2.Connection(i); c.Addr != e.Addr {
				t.Fatalf("media %d address %q, want %s\n%q", i, c.Address, e.Addr, out)
			}
			if s2.Media[i].Candidates+s2.Media[i].ICE != 0 || s2.Media[i].RTCPMux {
				t.Fatalf("media %d: ICE or rtcp-mux left", i)
			}
		}
	})
}
