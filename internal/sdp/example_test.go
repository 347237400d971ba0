package sdp_test

import (
	"fmt"
	"net/netip"

	"github.com/callrec/callrec/internal/sdp"
)

// The proxy anchors the media of an offer (here with LF endings, which
// are kept) on its media node: one address for the whole description,
// one port per m= line.
func Example() {
	offer := []byte("v=0\n" +
		"o=- 20012 20012 IN IP4 10.0.0.55\n" +
		"s=-\n" +
		"c=IN IP4 10.0.0.55\n" +
		"t=0 0\n" +
		"m=audio 11798 RTP/AVP 0 101\n" +
		"a=rtpmap:101 telephone-event/8000\n" +
		"a=sendonly\n")
	s, err := sdp.Parse(offer)
	if err != nil {
		fmt.Println(err)
		return
	}
	for i, m := range s.Media {
		fmt.Println(m.Type, s.Connection(i).Address, m.Port, s.MediaDirection(i), s.Hold(i) == sdp.HoldSendOnly)
		for _, f := range m.Formats {
			fmt.Printf("  %d %s/%d\n", f.PT, f.Name, f.Rate)
		}
	}
	out, err := s.AppendRewrite(nil, sdp.Edit{
		Addr:  netip.MustParseAddr("192.0.2.1"),
		Media: []sdp.MediaEdit{{Port: 30000}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s", out)
	// Output:
	// audio 10.0.0.55 11798 sendonly true
	//   0 PCMU/8000
	//   101 telephone-event/8000
	// v=0
	// o=- 20012 20013 IN IP4 10.0.0.55
	// s=-
	// c=IN IP4 192.0.2.1
	// t=0 0
	// m=audio 30000 RTP/AVP 0 101
	// a=rtpmap:101 telephone-event/8000
	// a=sendonly
}
