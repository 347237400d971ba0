package sdp

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

// splitKeep splits b into lines that keep their endings.
func splitKeep(b string) []string {
	var out []string
	for b != "" {
		i := strings.IndexByte(b, '\n') + 1
		if i == 0 {
			i = len(b)
		}
		out, b = append(out, b[:i]), b[i:]
	}
	return out
}

// diff returns "-old" and "+new" lines (endings quoted) from a longest
// common subsequence of the lines of a and b.
func diff(a, b string) []string {
	x, y := splitKeep(a), splitKeep(b)
	lcs := make([][]int, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []string
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case i < len(x) && j < len(y) && x[i] == y[j]:
			i, j = i+1, j+1
		case i < len(x) && (j == len(y) || lcs[i+1][j] >= lcs[i][j+1]):
			out, i = append(out, "-"+quoteEOL(x[i])), i+1
		default:
			out, j = append(out, "+"+quoteEOL(y[j])), j+1
		}
	}
	return out
}

func quoteEOL(s string) string {
	return strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(s)
}

var (
	node  = netip.MustParseAddr("10.99.0.1")
	node2 = netip.MustParseAddr("10.99.0.2")
	node6 = netip.MustParseAddr("2001:db8:ff::1")
)

func TestRewrite(t *testing.T) {
	tests := []struct {
		name string
		file string
		edit Edit
		diff []string
		conn []string // effective address of each media after the rewrite
	}{
		{"polycom offer", "polycom-offer.sdp",
			Edit{Addr: node, Media: []MediaEdit{{Port: 30000}}},
			[]string{
				`-o=- 1700000000 1700000000 IN IP4 192.168.10.21\r\n`, `+o=- 1700000000 1700000001 IN IP4 192.168.10.21\r\n`,
				`-c=IN IP4 192.168.10.21\r\n`, `+c=IN IP4 10.99.0.1\r\n`,
				`-m=audio 2222 RTP/AVP 9 102 0 8 18 127\r\n`, `+m=audio 30000 RTP/AVP 9 102 0 8 18 127\r\n`,
			}, []string{"10.99.0.1"}},
		{"freeswitch rtcp with address", "freeswitch-answer.sdp",
			Edit{Addr: node, Media: []MediaEdit{{Port: 30000}}},
			[]string{
				`-o=FreeSWITCH 1700001234 1700001235 IN IP4 198.51.100.20\r\n`, `+o=FreeSWITCH 1700001234 1700001236 IN IP4 198.51.100.20\r\n`,
				`-c=IN IP4 198.51.100.20\r\n`, `+c=IN IP4 10.99.0.1\r\n`,
				`-m=audio 24618 RTP/AVP 8 101\r\n`, `+m=audio 30000 RTP/AVP 8 101\r\n`,
				`-a=rtcp:24619 IN IP4 198.51.100.20\r\n`, `+a=rtcp:30001 IN IP4 10.99.0.1\r\n`,
			}, []string{"10.99.0.1"}},
		{"explicit rtcp port", "kamailio-rtpproxy-offer.sdp",
			Edit{Addr: node, Media: []MediaEdit{{Port: 30000, RTCPPort: 40000}}},
			[]string{
				`-o=user1 53655765 2353687637 IN IP4 192.0.2.10\r\n`, `+o=user1 53655765 2353687638 IN IP4 192.0.2.10\r\n`,
				`-c=IN IP4 192.0.2.200\r\n`, `+c=IN IP4 10.99.0.1\r\n`,
				`-m=audio 35000 RTP/AVP 0 8 101\r\n`, `+m=audio 30000 RTP/AVP 0 8 101\r\n`,
				`-a=rtcp:35001\r\n`, `+a=rtcp:40000\r\n`,
			}, []string{"10.99.0.1"}},
		{"cisco media-level c=", "cisco-answer.sdp",
			Edit{Addr: node},
			[]string{
				`-o=CiscoSystemsSIP-GW-UserAgent 4367 8009 IN IP4 172.16.1.10\r\n`, `+o=CiscoSystemsSIP-GW-UserAgent 4367 8010 IN IP4 172.16.1.10\r\n`,
				`-c=IN IP4 172.16.1.10\r\n`, `+c=IN IP4 10.99.0.1\r\n`,
				`-c=IN IP4 172.16.1.11\r\n`, `+c=IN IP4 10.99.0.1\r\n`,
			}, []string{"10.99.0.1"}},
		{"video on another node gets its own c=", "video-phone-offer.sdp",
			Edit{Addr: node, Media: []MediaEdit{{Port: 30000}, {Addr: node2, Port: 30002}}},
			[]string{
				`-o=Yealink 1418 1418 IN IP4 10.20.30.40\r\n`, `+o=Yealink 1418 1419 IN IP4 10.20.30.40\r\n`,
				`-c=IN IP4 10.20.30.40\r\n`, `+c=IN IP4 10.99.0.1\r\n`,
				`-m=audio 11780 RTP/AVP 9 0 8 101\r\n`, `+m=audio 30000 RTP/AVP 9 0 8 101\r\n`,
				`-a=rtcp:11781\r\n`, `+a=rtcp:30001\r\n`,
				`-m=video 11782 RTP/AVP 99 34\r\n`, `+m=video 30002 RTP/AVP 99 34\r\n`,
				`+c=IN IP4 10.99.0.2\r\n`, // after i=, before b= (RFC 8866 §5 order)
				`-a=rtcp:11783\r\n`, `+a=rtcp:30003\r\n`,
			}, []string{"10.99.0.1", "10.99.0.2"}},
		{"webrtc to plain RTP", "webrtc-offer.sdp",
			Edit{Addr: node, DropICE: true, DropRTCPMux: true, Media: []MediaEdit{{Port: 30000}, {Port: 30002}}},
			[]string{
				`-o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n`, `+o=- 4611731400430051336 3 IN IP4 127.0.0.1\r\n`,
				`-m=audio 54400 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n`,
				`-c=IN IP4 203.0.113.77\r\n`,
				`-a=rtcp:9 IN IP4 0.0.0.0\r\n`,
				`-a=candidate:1467250027 1 udp 2122260223 192.168.0.196 46243 typ host generation 0 network-id 1\r\n`,
				`-a=candidate:1467250027 2 udp 2122260222 192.168.0.196 56280 typ host generation 0 network-id 1\r\n`,
				`-a=candidate:842163049 1 udp 1686052607 203.0.113.77 54400 typ srflx raddr 192.168.0.196 rport 46243 generation 0\r\n`,
				`-a=end-of-candidates\r\n`, `-a=ice-ufrag:EsAw\r\n`, `-a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y\r\n`, `-a=ice-options:trickle\r\n`,
				`+m=audio 30000 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n`,
				`+c=IN IP4 10.99.0.1\r\n`,
				`+a=rtcp:30001 IN IP4 10.99.0.1\r\n`,
				`-a=rtcp-mux\r\n`,
				`-m=video 54400 UDP/TLS/RTP/SAVPF 96 97 102\r\n`,
				`-c=IN IP4 203.0.113.77\r\n`,
				`-a=rtcp:9 IN IP4 0.0.0.0\r\n`,
				`-a=ice-ufrag:EsAw\r\n`, `-a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y\r\n`, `-a=ice-options:trickle\r\n`,
				`+m=video 30002 UDP/TLS/RTP/SAVPF 96 97 102\r\n`,
				`+c=IN IP4 10.99.0.1\r\n`,
				`+a=rtcp:30003 IN IP4 10.99.0.1\r\n`,
				`-a=rtcp-mux\r\n`,
			}, []string{"10.99.0.1", "10.99.0.1"}},
		{"rfc 2543 hold keeps 0.0.0.0", "hold-rfc2543.sdp",
			Edit{Addr: node, Media: []MediaEdit{{Port: 30000}}},
			[]string{
				`-o=- 3 4 IN IP4 10.1.1.2\r\n`, `+o=- 3 5 IN IP4 10.1.1.2\r\n`,
				`-m=audio 4000 RTP/AVP 0 101\r\n`, `+m=audio 30000 RTP/AVP 0 101\r\n`,
			}, []string{"0.0.0.0"}},
		{"rfc 2543 hold rewritten on request", "hold-rfc2543.sdp",
			Edit{Addr: node, RewriteHold: true},
			[]string{
				`-o=- 3 4 IN IP4 10.1.1.2\r\n`, `+o=- 3 5 IN IP4 10.1.1.2\r\n`,
				`-c=IN IP4 0.0.0.0\r\n`, `+c=IN IP4 10.99.0.1\r\n`,
			}, []string{"10.99.0.1"}},
		{"ipv6 to ipv4", "ipv6-offer.sdp",
			Edit{Addr: node, Media: []MediaEdit{{Port: 30000}}},
			[]string{
				`-o=- 1234 1234 IN IP6 2001:db8:0:1::10\r\n`, `+o=- 1234 1235 IN IP6 2001:db8:0:1::10\r\n`,
				`-c=IN IP6 2001:db8:0:1::10\r\n`, `+c=IN IP4 10.99.0.1\r\n`,
				`-m=audio 40000 RTP/AVP 8 0 101\r\n`, `+m=audio 30000 RTP/AVP 8 0 101\r\n`,
				`-a=rtcp:40001 IN IP6 2001:db8:0:1::10\r\n`, `+a=rtcp:30001 IN IP4 10.99.0.1\r\n`,
			}, []string{"10.99.0.1"}},
		{"ipv4 to ipv6", "asterisk-offer.sdp",
			Edit{Addr: node6, KeepVersion: true},
			[]string{`-c=IN IP4 203.0.113.5\r\n`, `+c=IN IP6 2001:db8:ff::1\r\n`},
			[]string{"2001:db8:ff::1"}},
		{"lf endings and trailing whitespace kept", "lf-only-trailing-ws.sdp",
			Edit{Addr: node, Media: []MediaEdit{{Port: 30000}}},
			[]string{
				`-o=root 5128 5128 IN IP4 10.9.8.7 \n`, `+o=root 5128 5129 IN IP4 10.9.8.7 \n`,
				`-c=IN IP4 10.9.8.7\n`, `+c=IN IP4 10.99.0.1\n`,
				"-m=audio 18000 RTP/AVP 18 0 101\t\\n", "+m=audio 30000 RTP/AVP 18 0 101\t\\n",
			}, []string{"10.99.0.1"}},
		{"late offer answer without session c=, rejected video", "late-offer-answer.sdp",
			Edit{Addr: node, Media: []MediaEdit{{Port: 30000}, {Port: 30002}}},
			[]string{
				`-o=- 8000 8001 IN IP4 10.2.0.7\r\n`, `+o=- 8000 8002 IN IP4 10.2.0.7\r\n`,
				`-c=IN IP4 10.2.0.7\r\n`, `+c=IN IP4 10.99.0.1\r\n`, // audio; rejected video keeps port 0
				`-c=IN IP4 10.2.0.7\r\n`, `+c=IN IP4 10.99.0.1\r\n`,
			}, []string{"10.99.0.1", "10.99.0.1"}},
		{"same values change nothing", "polycom-offer.sdp",
			Edit{Addr: netip.MustParseAddr("192.168.10.21"), Media: []MediaEdit{{Port: 2222}}},
			nil, []string{"192.168.10.21"}},
		{"t38 image stream", "t38-reinvite.sdp",
			Edit{Addr: node, Media: []MediaEdit{{Port: 30000}}},
			[]string{
				`-o=- 1182417012 1182417013 IN IP4 203.0.113.5\r\n`, `+o=- 1182417012 1182417014 IN IP4 203.0.113.5\r\n`,
				`-c=IN IP4 203.0.113.5\r\n`, `+c=IN IP4 10.99.0.1\r\n`,
				`-m=image 4446 udptl t38\r\n`, `+m=image 30000 udptl t38\r\n`,
			}, []string{"10.99.0.1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := readSample(t, tt.file)
			out, err := Rewrite(in, tt.edit)
			if err != nil {
				t.Fatal(err)
			}
			d := diff(string(in), string(out))
			if strings.Join(d, "\n") != strings.Join(tt.diff, "\n") {
				t.Errorf("diff:\n%s\nwant:\n%s", strings.Join(d, "\n"), strings.Join(tt.diff, "\n"))
			}
			s, err := Parse(out)
			if err != nil {
				t.Fatalf("rewritten body does not parse: %v", err)
			}
			for i, want := range tt.conn {
				if got := s.Connection(i).Address; got != want {
					t.Errorf("media %d connection %s, want %s", i, got, want)
				}
			}
		})
	}
}

func TestRewriteIdentity(t *testing.T) {
	for _, name := range sampleNames(t) {
		in := readSample(t, name)
		out, err := Rewrite(in, Edit{})
		if err != nil || !bytes.Equal(in, out) {
			t.Errorf("%s: zero edit changed the body (err %v):\n%s", name, err, strings.Join(diff(string(in), string(out)), "\n"))
		}
	}
}

func TestRewriteInsertIntoUnterminatedLastLine(t *testing.T) {
	in := "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0"
	want := "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 10.99.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\nc=IN IP4 10.99.0.2"
	out, err := Rewrite([]byte(in), Edit{Addr: node, Media: []MediaEdit{{Addr: node2}}})
	if err != nil || string(out) != want {
		t.Fatalf("got %q, %v\nwant %q", out, err, want)
	}
}

func TestRewriteNoConnection(t *testing.T) {
	in := "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nt=0 0\nm=audio 4000 RTP/AVP 0\na=sendrecv\n"
	want := "v=0\no=- 1 2 IN IP4 192.0.2.1\ns=-\nt=0 0\nm=audio 4000 RTP/AVP 0\nc=IN IP4 10.99.0.1\na=sendrecv\n"
	out, err := Rewrite([]byte(in), Edit{Addr: node})
	if err != nil || string(out) != want {
		t.Fatalf("got %q, %v\nwant %q", out, err, want)
	}
}

func TestRewriteMuxedRTCPFollowsPort(t *testing.T) {
	in := "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=rtcp:4000\r\na=rtcp-mux\r\n"
	out, err := Rewrite([]byte(in), Edit{Media: []MediaEdit{{Port: 5000}}})
	if err != nil || !strings.Contains(string(out), "a=rtcp:5000\r\na=rtcp-mux\r\n") {
		t.Fatalf("got %q, %v", out, err)
	}
	out, err = Rewrite([]byte(in), Edit{DropRTCPMux: true, Media: []MediaEdit{{Port: 5000}}})
	if err != nil || !strings.HasSuffix(string(out), "m=audio 5000 RTP/AVP 0\r\na=rtcp:5001\r\n") {
		t.Fatalf("demuxed: got %q, %v", out, err)
	}
}

func TestRewriteErrors(t *testing.T) {
	s, err := Parse(readSample(t, "polycom-offer.sdp"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []Edit{
		{Media: make([]MediaEdit, 2)},
		{Media: []MediaEdit{{Port: 70000}}},
		{Media: []MediaEdit{{RTCPPort: -1}}},
		{Version: "12a"},
	} {
		if _, err := s.AppendRewrite(nil, e); !errors.Is(err, ErrEdit) {
			t.Errorf("%+v: err %v, want ErrEdit", e, err)
		}
	}
	if _, err := Rewrite([]byte("garbage"), Edit{}); !errors.Is(err, ErrLine) {
		t.Errorf("garbage: err %v", err)
	}
}

func TestAppendIncrement(t *testing.T) {
	for in, want := range map[string]string{
		"0": "1", "9": "10", "1699": "1700", "999": "1000", "4611731400430051336": "4611731400430051337",
		"18446744073709551615": "18446744073709551616", "0099": "0100",
	} {
		if got := string(appendIncrement([]byte("x"), in)); got != "x"+want {
			t.Errorf("increment %s = %s, want %s", in, got, want)
		}
	}
}

func TestRewriteVersion(t *testing.T) {
	in := readSample(t, "hold-sendonly.sdp")
	for _, tt := range []struct {
		e    Edit
		want string
	}{
		{Edit{}, "o=- 20012 20013 IN IP4"},
		{Edit{Addr: node}, "o=- 20012 20014 IN IP4"},
		{Edit{Addr: node, KeepVersion: true}, "o=- 20012 20013 IN IP4"},
		{Edit{Version: "7"}, "o=- 20012 7 IN IP4"},
		{Edit{Addr: node, Version: "123456789012345678901234567890"}, "o=- 20012 123456789012345678901234567890 IN IP4"},
	} {
		out, err := Rewrite(in, tt.e)
		if err != nil || !strings.Contains(string(out), tt.want) {
			t.Errorf("%+v: want %q in\n%s (%v)", tt.e, tt.want, out, err)
		}
	}
}

func TestPayloadTypes(t *testing.T) {
	s, err := Parse(readSample(t, "polycom-offer.sdp"))
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(s.Media[0].PayloadTypes(nil)); got != "[9 102 0 8 18 127]" {
		t.Errorf("PayloadTypes = %s", got)
	}
	if f, ok := s.Media[0].Format(102); !ok || f.Name != "G7221" || f.Rate != 16000 || f.Fmtp != "bitrate=32000" {
		t.Errorf("Format(102) = %+v %v", f, ok)
	}
	if _, ok := s.Media[0].Format(96); ok {
		t.Error("Format(96) found")
	}
}
