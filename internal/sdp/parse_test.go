package sdp

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// summary renders what the proxy and the recorder read of media i.
func summary(s *Session, i int) string {
	m := &s.Media[i]
	var b strings.Builder
	fmt.Fprintf(&b, "%s %d", m.Type, m.Port)
	if m.NumPorts != 0 {
		fmt.Fprintf(&b, "/%d", m.NumPorts)
	}
	fmt.Fprintf(&b, " %s conn=%s dir=%s hold=%d", m.Proto, s.Connection(i).Address, s.MediaDirection(i), s.Hold(i))
	if m.RTCP.Port != 0 {
		fmt.Fprintf(&b, " rtcp=%d", m.RTCP.Port)
		if m.RTCP.Conn.Address != "" {
			fmt.Fprintf(&b, "@%s", m.RTCP.Conn.Address)
		}
	}
	if m.RTCPMux {
		b.WriteString(" mux")
	}
	if m.Ptime != 0 {
		fmt.Fprintf(&b, " ptime=%d", m.Ptime)
	}
	if m.Crypto != 0 {
		fmt.Fprintf(&b, " crypto=%d", m.Crypto)
	}
	if m.Candidates+m.ICE != 0 {
		fmt.Fprintf(&b, " ice=%d/%d", m.Candidates, m.ICE)
	}
	if !m.IsRTP() {
		fmt.Fprintf(&b, " fmts=%q", m.Fmts)
	}
	for _, f := range m.Formats {
		fmt.Fprintf(&b, " %d:%s/%d", f.PT, f.Name, f.Rate)
		if f.Channels > 1 {
			fmt.Fprintf(&b, "/%d", f.Channels)
		}
		if !f.Rtpmap {
			b.WriteString("*")
		}
		if f.Fmtp != "" {
			fmt.Fprintf(&b, "[%s]", f.Fmtp)
		}
	}
	return b.String()
}

func readSample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseSamples(t *testing.T) {
	tests := []struct {
		file    string
		version string
		media   []string
	}{
		{"polycom-offer.sdp", "1700000000", []string{
			"audio 2222 RTP/AVP conn=192.168.10.21 dir=sendrecv hold=0 9:G722/8000 102:G7221/16000[bitrate=32000] 0:PCMU/8000 8:PCMA/8000 18:G729/8000[annexb=no] 127:telephone-event/8000"}},
		{"yealink-srtp-offer.sdp", "20012", []string{
			"audio 11798 RTP/SAVP conn=10.0.0.55 dir=sendrecv hold=0 ptime=20 crypto=2 0:PCMU/8000 8:PCMA/8000 18:G729/8000[annexb=no] 9:G722/8000 101:telephone-event/8000[0-15]"}},
		{"cisco-answer.sdp", "8009", []string{
			"audio 17024 RTP/AVP conn=172.16.1.11 dir=sendrecv hold=0 ptime=20 0:PCMU/8000 101:telephone-event/8000[0-15]"}},
		{"asterisk-offer.sdp", "1182417012", []string{
			"audio 14260 RTP/AVP conn=203.0.113.5 dir=sendrecv hold=0 ptime=20 0:PCMU/8000 8:PCMA/8000 3:GSM/8000 111:G726-32/8000 101:telephone-event/8000[0-16]"}},
		{"freeswitch-answer.sdp", "1700001235", []string{
			"audio 24618 RTP/AVP conn=198.51.100.20 dir=sendrecv hold=0 rtcp=24619@198.51.100.20 ptime=20 8:PCMA/8000 101:telephone-event/8000[0-16]"}},
		{"kamailio-rtpproxy-offer.sdp", "2353687637", []string{
			"audio 35000 RTP/AVP conn=192.0.2.200 dir=sendrecv hold=0 rtcp=35001 0:PCMU/8000 8:PCMA/8000 101:telephone-event/8000[0-15]"}},
		{"webrtc-offer.sdp", "2", []string{
			"audio 54400 UDP/TLS/RTP/SAVPF conn=203.0.113.77 dir=sendrecv hold=0 rtcp=9@0.0.0.0 mux ice=3/4 111:opus/48000/2[minptime=10;useinbandfec=1] 63:red/48000/2[111/111] 9:G722/8000 0:PCMU/8000 8:PCMA/8000 13:CN/8000 110:telephone-event/48000 126:telephone-event/8000",
			"video 54400 UDP/TLS/RTP/SAVPF conn=203.0.113.77 dir=sendrecv hold=0 rtcp=9@0.0.0.0 mux ice=0/3 96:VP8/90000 97:rtx/90000[apt=96] 102:H264/90000[level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f]"}},
		{"video-phone-offer.sdp", "1418", []string{
			"audio 11780 RTP/AVP conn=10.20.30.40 dir=sendrecv hold=0 rtcp=11781 ptime=20 9:G722/8000 0:PCMU/8000 8:PCMA/8000 101:telephone-event/8000[0-15]",
			"video 11782 RTP/AVP conn=10.20.30.40 dir=sendrecv hold=0 rtcp=11783 99:H264/90000[profile-level-id=42801F;packetization-mode=1] 34:H263/90000"}},
		{"hold-rfc2543.sdp", "4", []string{
			"audio 4000 RTP/AVP conn=0.0.0.0 dir=sendrecv hold=2 0:PCMU/8000 101:telephone-event/8000"}},
		{"hold-sendonly.sdp", "20013", []string{
			"audio 11798 RTP/AVP conn=10.0.0.55 dir=sendonly hold=3 ptime=20 0:PCMU/8000 8:PCMA/8000 101:telephone-event/8000[0-15]"}},
		{"hold-inactive-session.sdp", "80", []string{
			"audio 5004 RTP/AVP conn=10.0.0.9 dir=inactive hold=4 8:PCMA/8000"}},
		{"ipv6-offer.sdp", "1234", []string{
			"audio 40000 RTP/AVP conn=2001:db8:0:1::10 dir=sendrecv hold=0 rtcp=40001@2001:db8:0:1::10 8:PCMA/8000 0:PCMU/8000 101:telephone-event/8000"}},
		{"late-offer-answer.sdp", "8001", []string{
			"audio 30000 RTP/AVP conn=10.2.0.7 dir=recvonly hold=0 0:PCMU/8000 101:telephone-event/8000",
			"video 0 RTP/AVP conn=10.2.0.7 dir=sendrecv hold=1 96:/0*"}},
		{"t38-reinvite.sdp", "1182417013", []string{
			`image 4446 udptl conn=203.0.113.5 dir=sendrecv hold=0 fmts="t38"`}},
		{"lf-only-trailing-ws.sdp", "5128", []string{
			"audio 18000 RTP/AVP conn=10.9.8.7 dir=sendrecv hold=0 ptime=20 18:G729/8000[annexb=no] 0:PCMU/8000 101:telephone-event/8000[0-15]"}},
		{"mixed-endings.sdp", "1", []string{
			"audio 7078 RTP/AVP conn=192.0.2.33 dir=sendrecv hold=0 0:PCMU/8000 8:PCMA/8000*"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			s, err := Parse(readSample(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if s.Origin.Version != tt.version {
				t.Errorf("o= version %q, want %q", s.Origin.Version, tt.version)
			}
			if len(s.Media) != len(tt.media) {
				t.Fatalf("%d media, want %d", len(s.Media), len(tt.media))
			}
			for i, want := range tt.media {
				if got := summary(s, i); got != want {
					t.Errorf("media %d:\n got %s\nwant %s", i, got, want)
				}
			}
		})
	}
}

// Offsets must describe the body exactly: Text is body[Start:End] and the
// lines with the gaps between them tile the body.
func TestParseOffsets(t *testing.T) {
	for _, name := range sampleNames(t) {
		b := readSample(t, name)
		s, err := Parse(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		prev := 0
		for _, l := range s.Lines {
			if string(b[l.Start:l.End]) != l.Text || strings.TrimSpace(string(b[prev:l.Start])) != "" ||
				strings.Trim(string(b[l.End:l.Next]), " \t\r\n") != "" {
				t.Fatalf("%s: line %d offsets %d-%d-%d wrong", name, l.Num, l.Start, l.End, l.Next)
			}
			prev = l.Next
		}
		if s.Body() != string(b) {
			t.Fatalf("%s: Body differs", name)
		}
	}
}

func sampleNames(t testing.TB) []string {
	t.Helper()
	m, err := filepath.Glob("testdata/*.sdp")
	if err != nil || len(m) == 0 {
		t.Fatal("no samples", err)
	}
	for i := range m {
		m[i] = filepath.Base(m[i])
	}
	return m
}

func TestParseErrors(t *testing.T) {
	const head = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n"
	tests := []struct {
		name string
		in   string
		err  error
		line int
	}{
		{"empty", "", ErrVersion, 1},
		{"blank only", "\r\n\r\n", ErrVersion, 1},
		{"not sdp", "INVITE sip:bob@example.com SIP/2.0\r\n", ErrLine, 1},
		{"html", "<html><body>hi</body></html>", ErrLine, 1},
		{"first not v", "o=- 1 1 IN IP4 192.0.2.1\r\nv=0\r\n", ErrVersion, 1},
		{"v=1", "v=1\r\no=- 1 1 IN IP4 192.0.2.1\r\n", ErrVersion, 1},
		{"second v", head + "v=0\r\n", ErrVersion, 4},
		{"no origin", "v=0\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n", ErrOrigin, 3},
		{"two origins", head + "o=- 1 1 IN IP4 192.0.2.1\r\n", ErrOrigin, 4},
		{"origin fields", "v=0\r\no=- 1 IN IP4 192.0.2.1\r\n", ErrOrigin, 2},
		{"origin extra", "v=0\r\no=- 1 1 IN IP4 192.0.2.1 x\r\n", ErrOrigin, 2},
		{"origin version", "v=0\r\no=- 1 v2 IN IP4 192.0.2.1\r\n", ErrOrigin, 2},
		{"uppercase type", head + "C=IN IP4 192.0.2.1\r\n", ErrLine, 4},
		{"no equals", head + "c IN IP4 192.0.2.1\r\n", ErrLine, 4},
		{"leading space", head + " c=IN IP4 192.0.2.1\r\n", ErrLine, 4},
		{"nul", head + "a=x\x00y\r\n", ErrLine, 4},
		{"bare cr", head + "a=x\ry\r\n", ErrLine, 4},
		{"final bare cr", head + "a=x\r", ErrLine, 4},
		{"line counts blank", head + "\r\n\r\nc=IN\r\n", ErrConnection, 6},
		{"conn nettype", head + "c=ATM IP4 192.0.2.1\r\n", ErrConnection, 4},
		{"conn addrtype", head + "c=IN IP5 192.0.2.1\r\n", ErrConnection, 4},
		{"conn no addr", head + "c=IN IP4\r\n", ErrConnection, 4},
		{"conn v6 as v4", head + "c=IN IP4 2001:db8::1\r\n", ErrConnection, 4},
		{"conn v4 as v6", head + "c=IN IP6 192.0.2.1\r\n", ErrConnection, 4},
		{"conn zone", head + "c=IN IP6 fe80::1%eth0\r\n", ErrConnection, 4},
		{"conn junk", head + "c=IN IP4 192.0.2.1;x\r\n", ErrConnection, 4},
		{"conn extra", head + "c=IN IP4 192.0.2.1 192.0.2.2\r\n", ErrConnection, 4},
		{"conn multicast bad", head + "c=IN IP4 224.2.1.1/ttl\r\n", ErrConnection, 4},
		{"conn twice", head + "c=IN IP4 192.0.2.1\r\nc=IN IP4 192.0.2.2\r\n", ErrConnection, 5},
		{"media fields", head + "m=audio 4000\r\n", ErrMedia, 4},
		{"media port", head + "m=audio 70000 RTP/AVP 0\r\n", ErrMedia, 4},
		{"media port text", head + "m=audio x RTP/AVP 0\r\n", ErrMedia, 4},
		{"media nports", head + "m=audio 4000/0 RTP/AVP 0\r\n", ErrMedia, 4},
		{"media no fmt", head + "m=audio 4000 RTP/AVP\r\n", ErrMedia, 4},
		{"media pt 128", head + "m=audio 4000 RTP/AVP 0 128\r\n", ErrMedia, 4},
		{"media pt text", head + "m=audio 4000 RTP/AVP PCMU\r\n", ErrMedia, 4},
		{"rtpmap no rate", head + "m=audio 4000 RTP/AVP 96\r\na=rtpmap:96 opus\r\n", ErrAttribute, 5},
		{"rtpmap rate 0", head + "m=audio 4000 RTP/AVP 96\r\na=rtpmap:96 opus/0\r\n", ErrAttribute, 5},
		{"rtpmap pt", head + "m=audio 4000 RTP/AVP 96\r\na=rtpmap:300 opus/48000\r\n", ErrAttribute, 5},
		{"rtpmap channels", head + "m=audio 4000 RTP/AVP 96\r\na=rtpmap:96 opus/48000/x\r\n", ErrAttribute, 5},
		{"rtcp port", head + "m=audio 4000 RTP/AVP 0\r\na=rtcp:abc\r\n", ErrAttribute, 5},
		{"rtcp addr", head + "m=audio 4000 RTP/AVP 0\r\na=rtcp:4001 IN IP4\r\n", ErrConnection, 5},
		{"ptime", head + "m=audio 4000 RTP/AVP 0\r\na=ptime:twenty\r\n", ErrAttribute, 5},
		{"too large", "v=0\r\n" + strings.Repeat("a=x\r\n", MaxSize/5), ErrTooLarge, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in))
			if !errors.Is(err, tt.err) {
				t.Fatalf("err %v, want %v", err, tt.err)
			}
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Line != tt.line {
				t.Fatalf("err %v: want line %d", err, tt.line)
			}
			if !strings.HasPrefix(err.Error(), "sdp: ") {
				t.Fatalf("err %q lacks the package prefix", err)
			}
		})
	}
}

// Accepted oddities of real phones.
func TestParseTolerant(t *testing.T) {
	const head = "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\n"
	tests := []struct {
		name, in, want string
	}{
		{"rejected without fmt", head + "c=IN IP4 192.0.2.1\nm=video 0 RTP/AVP\n", "video 0 RTP/AVP conn=192.0.2.1 dir=sendrecv hold=1"},
		{"fqdn", head + "c=IN IP4 media.example.com\nm=audio 4000 RTP/AVP 8\n", "audio 4000 RTP/AVP conn=media.example.com dir=sendrecv hold=0 8:PCMA/8000*"},
		{"multicast", head + "c=IN IP4 224.2.1.1/127/3\nm=audio 4000/2 RTP/AVP 0\n", "audio 4000/2 RTP/AVP conn=224.2.1.1 dir=sendrecv hold=0 0:PCMU/8000*"},
		{"tabs and spaces", head + "c=IN  IP4\t192.0.2.9 \nm=audio  4000 RTP/AVP  0   8\t\n", "audio 4000 RTP/AVP conn=192.0.2.9 dir=sendrecv hold=0 0:PCMU/8000* 8:PCMA/8000*"},
		{"ptime decimal", head + "c=IN IP4 192.0.2.1\nm=audio 4000 RTP/AVP 0\na=ptime:20.0\n", "audio 4000 RTP/AVP conn=192.0.2.1 dir=sendrecv hold=0 ptime=20 0:PCMU/8000*"},
		{"rtpmap for unlisted pt", head + "c=IN IP4 192.0.2.1\nm=audio 4000 RTP/AVP 0\na=rtpmap:96 opus/48000/2\n", "audio 4000 RTP/AVP conn=192.0.2.1 dir=sendrecv hold=0 0:PCMU/8000*"},
		{"rtpmap overrides static", head + "c=IN IP4 192.0.2.1\nm=audio 4000 RTP/AVP 13\na=rtpmap:13 CN/16000\n", "audio 4000 RTP/AVP conn=192.0.2.1 dir=sendrecv hold=0 13:CN/16000"},
		{"ipv6 hold", head + "c=IN IP6 ::\nm=audio 4000 RTP/AVP 0\n", "audio 4000 RTP/AVP conn=:: dir=sendrecv hold=2 0:PCMU/8000*"},
		{"webrtc 0.0.0.0 is not hold", head + "m=audio 9 UDP/TLS/RTP/SAVPF 111\nc=IN IP4 0.0.0.0\na=ice-ufrag:x\na=rtpmap:111 opus/48000/2\n", "audio 9 UDP/TLS/RTP/SAVPF conn=0.0.0.0 dir=sendrecv hold=0 ice=0/1 111:opus/48000/2"},
		{"media direction overrides", head + "c=IN IP4 192.0.2.1\na=sendonly\nm=audio 4000 RTP/AVP 0\na=sendrecv\n", "audio 4000 RTP/AVP conn=192.0.2.1 dir=sendrecv hold=0 0:PCMU/8000*"},
		{"no connection at all", head + "m=audio 4000 RTP/AVP 0\n", "audio 4000 RTP/AVP conn= dir=sendrecv hold=0 0:PCMU/8000*"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if got := summary(s, 0); got != tt.want {
				t.Errorf("\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestStaticFormat(t *testing.T) {
	for pt, want := range map[uint8]string{0: "PCMU/8000", 8: "PCMA/8000", 9: "G722/8000", 18: "G729/8000", 34: "H263/90000", 10: "L16/44100"} {
		f, ok := StaticFormat(pt)
		if got := fmt.Sprintf("%s/%d", f.Name, f.Rate); !ok || got != want {
			t.Errorf("StaticFormat(%d) = %s %v, want %s", pt, got, ok, want)
		}
	}
	for _, pt := range []uint8{1, 2, 19, 35, 96, 127} {
		if _, ok := StaticFormat(pt); ok {
			t.Errorf("StaticFormat(%d) found", pt)
		}
	}
}
