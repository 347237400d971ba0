package rtpp

import (
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

// TestParse covers every command, its argument counts and the commands
// Kamailio's rtpproxy module actually sends.
func TestParse(t *testing.T) {
	ap := netip.MustParseAddrPort
	tests := []struct {
		name   string
		line   string
		cookie bool
		want   Command
	}{
		{"V", "V", false, Command{Op: OpVersion}},
		{"V lowercase newline", "v\r\n", false, Command{Op: OpVersion}},
		{"VF kamailio", "VF 20050322", false, Command{Op: OpVersion, FeatureCheck: true, Args: []string{"20050322"}}},
		{"VF cookie", "123_4 VF 20081102\n", true, Command{Cookie: "123_4", Op: OpVersion, FeatureCheck: true, Args: []string{"20081102"}}},
		{"U offer kamailio", "Uc0,8,101 1234@host 192.0.2.1 4000 ftag;1", false, Command{
			Op: OpUpdate, Mods: Modifiers{Codecs: []int{0, 8, 101}, Raw: "c0,8,101"},
			CallID: "1234@host", Addr: "192.0.2.1", Port: 4000, FromTag: "ftag", MediaNum: 1,
			AddrPort: ap("192.0.2.1:4000")}},
		{"U answer with to tag", "UAIZ20 c;branch 10.0.0.1 5000 f;2 t;2", false, Command{
			Op: OpUpdate, Mods: Modifiers{Asymmetric: true, Internal: true, Legs: "I", ZeroPTime: 20, Raw: "AIZ20"},
			CallID: "c;branch", Addr: "10.0.0.1", Port: 5000, FromTag: "f", ToTag: "t", MediaNum: 2,
			AddrPort: ap("10.0.0.1:5000")}},
		{"U notify no to tag", "U c 10.0.0.1 5000 f;1 /var/run/n.sock a%20b+c", false, Command{
			Op: OpUpdate, CallID: "c", Addr: "10.0.0.1", Port: 5000, FromTag: "f", MediaNum: 1,
			AddrPort: ap("10.0.0.1:5000"), NotifySocket: "/var/run/n.sock", NotifyTag: "a b c"}},
		{"U notify with to tag", "U c 10.0.0.1 5000 f;1 t;1 udp:1.2.3.4:9 tag", false, Command{
			Op: OpUpdate, CallID: "c", Addr: "10.0.0.1", Port: 5000, FromTag: "f", ToTag: "t", MediaNum: 1,
			AddrPort: ap("10.0.0.1:5000"), NotifySocket: "udp:1.2.3.4:9", NotifyTag: "tag"}},
		{"U ipv6 bridging", "UEI6 c 2001:db8::1 6000 f", false, Command{
			Op: OpUpdate, Mods: Modifiers{IPv6: true, External: true, Internal: true, Legs: "EI", Raw: "EI6"},
			CallID: "c", Addr: "2001:db8::1", Port: 6000, FromTag: "f", MediaNum: 1,
			AddrPort: ap("[2001:db8::1]:6000")}},
		{"U hold", "U c 0.0.0.0 4000 f", false, Command{
			Op: OpUpdate, CallID: "c", Addr: "0.0.0.0", Port: 4000, FromTag: "f", MediaNum: 1, OnHold: true}},
		{"U short address ignored", "U c host 4000 f", false, Command{
			Op: OpUpdate, CallID: "c", Addr: "host", Port: 4000, FromTag: "f", MediaNum: 1}},
		{"U all modifiers", "usawn6L[::1]R[2001:db8::2]z30C0", false, Command{}}, // arg count error checked below
		{"U modifiers", "UaswnL10.0.0.2R192.0.2.9 c 1.2.3.4 1 f", false, Command{
			Op: OpUpdate, Mods: Modifiers{Symmetric: true, Weak: true, NewPort: true, Local: "10.0.0.2", Remote: "192.0.2.9", Raw: "aswnL10.0.0.2R192.0.2.9"},
			CallID: "c", Addr: "1.2.3.4", Port: 1, FromTag: "f", MediaNum: 1, AddrPort: ap("1.2.3.4:1")}},
		{"U S last wins", "UAS c 1.2.3.4 1 f", false, Command{
			Op: OpUpdate, Mods: Modifiers{Symmetric: true, Raw: "AS"},
			CallID: "c", Addr: "1.2.3.4", Port: 1, FromTag: "f", MediaNum: 1, AddrPort: ap("1.2.3.4:1")}},
		{"U label", "UL{pub}W c 1.2.3.4 1 f", false, Command{
			Op: OpUpdate, Mods: Modifiers{LocalLabel: "pub", Weak: true, Raw: "L{pub}W"},
			CallID: "c", Addr: "1.2.3.4", Port: 1, FromTag: "f", MediaNum: 1, AddrPort: ap("1.2.3.4:1")}},
		{"U subcommand", "U c 1.2.3.4 1 f && L c 1.2.3.4 2 f t", false, Command{
			Op: OpUpdate, CallID: "c", Addr: "1.2.3.4", Port: 1, FromTag: "f", MediaNum: 1, AddrPort: ap("1.2.3.4:1"),
			Sub: [][]string{{"L", "c", "1.2.3.4", "2", "f", "t"}}}},
		{"L", "Lc8 c 1.2.3.4 1 f;1 t;1", false, Command{
			Op: OpLookup, Mods: Modifiers{Codecs: []int{8}, Raw: "c8"},
			CallID: "c", Addr: "1.2.3.4", Port: 1, FromTag: "f", ToTag: "t", MediaNum: 1, AddrPort: ap("1.2.3.4:1")}},
		{"D", "D c f", false, Command{Op: OpDelete, CallID: "c", FromTag: "f", MediaNum: 1}},
		{"D weak to tag", "Dw c f t", false, Command{Op: OpDelete, Mods: Modifiers{Weak: true, Raw: "w"}, CallID: "c", FromTag: "f", ToTag: "t", MediaNum: 1}},
		{"R", "R c f t", false, Command{Op: OpRecord, CallID: "c", FromTag: "f", ToTag: "t", MediaNum: 1}},
		{"R single", "Rs c f", false, Command{Op: OpRecord, Mods: Modifiers{SingleFile: true, Raw: "s"}, CallID: "c", FromTag: "f", MediaNum: 1}},
		{"C", "CP c udp:1.2.3.4:5 f;1 t;1", false, Command{Op: OpCopy, Mods: Modifiers{ReplyPort: true, Raw: "P"}, CallID: "c", Args: []string{"udp:1.2.3.4:5"}, FromTag: "f", ToTag: "t", MediaNum: 1}},
		{"N", "N c f", false, Command{Op: OpNoRecord, CallID: "c", FromTag: "f", MediaNum: 1}},
		{"Na", "Na c f t", false, Command{Op: OpNoRecord, Mods: Modifiers{NoRecordAll: true, Raw: "a"}, CallID: "c", FromTag: "f", ToTag: "t", MediaNum: 1}},
		{"P", "P c prompt 0,8 f", false, Command{Op: OpPlay, Mods: Modifiers{PlayCount: 1}, CallID: "c", Args: []string{"prompt", "0,8"}, FromTag: "f", MediaNum: 1}},
		{"P count", "P3 c prompt session f t", false, Command{Op: OpPlay, Mods: Modifiers{PlayCount: 3, Raw: "3"}, CallID: "c", Args: []string{"prompt", "session"}, FromTag: "f", ToTag: "t", MediaNum: 1}},
		{"S", "S c f t", false, Command{Op: OpStopPlay, CallID: "c", FromTag: "f", ToTag: "t", MediaNum: 1}},
		{"Q kamailio", "Q c f;1 t;1", false, Command{Op: OpQuery, CallID: "c", FromTag: "f", ToTag: "t", MediaNum: 1}},
		{"Q verbose names", "Qv c f t ttl rtpa_nlost", false, Command{Op: OpQuery, Mods: Modifiers{Verbose: true, Raw: "v"}, CallID: "c", FromTag: "f", ToTag: "t", MediaNum: 1, Args: []string{"ttl", "rtpa_nlost"}}},
		{"I", "I", false, Command{Op: OpInfo}},
		{"Ibl", "Ibl", false, Command{Op: OpInfo, Mods: Modifiers{Brief: true, Load: true, Raw: "bl"}}},
		{"G", "Gv nsess_created ncmds_rcvd", false, Command{Op: OpGetStats, Mods: Modifiers{Verbose: true, Raw: "v"}, Args: []string{"nsess_created", "ncmds_rcvd"}}},
		{"G none", "G", false, Command{Op: OpGetStats}},
		{"X", "  X\t", false, Command{Op: OpDeleteAll}},
		{"tag non-numeric suffix", "D c f;x", false, Command{Op: OpDelete, CallID: "c", FromTag: "f", MediaNum: 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.line), tt.cookie)
			if tt.want.Op == 0 {
				if err == nil {
					t.Fatalf("Parse(%q) = nil error, want one", tt.line)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.line, err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("Parse(%q)\n got %+v\nwant %+v", tt.line, *got, tt.want)
			}
		})
	}
}

// TestParseErrors checks the E-code of each rejection against the code
// rtpproxy replies with.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		line   string
		cookie bool
		code   ECode
	}{
		{"", false, ECodeSyntax},
		{" \r\n", false, ECodeSyntax},
		{"", true, ECodeSyntax},
		{"cookieonly", true, ECodeSyntax},
		{"V\x00", false, ECodeSyntax},
		{"V " + strings.Repeat("a ", 23), false, ECodeSyntax},
		{"U c 1.2.3.4 1 f &&", false, ECodeSyntax},
		{"U c 1.2.3.4 1 f" + strings.Repeat(" && L", 16), false, ECodeSyntax},
		{"Z", false, ECodeUnknownCommand},
		{"#comment", false, ECodeUnknownCommand},
		{"V 1", false, ECodeArgCount},
		{"VF", false, ECodeArgCount},
		{"VF a b", false, ECodeArgCount},
		{"U c 1.2.3.4 1", false, ECodeArgCount},
		{"U c 1.2.3.4 1 f t s g x", false, ECodeArgCount},
		{"L c 1.2.3.4 1 f t s", false, ECodeArgCount},
		{"D c", false, ECodeArgCount},
		{"Q c f t " + strings.Repeat("ttl ", 12), false, ECodeArgCount},
		{"X 1", false, ECodeArgCount},
		{"Vx", false, ECodeModifiers},
		{"VFx 20040107", false, ECodeModifiers},
		{"Xa", false, ECodeModifiers},
		{"Sx c f", false, ECodeModifiers},
		{"D c f && X", false, ECodeSubcommand},
		{"Ux c 1.2.3.4 1 f", false, ECodeBadULMod},
		{"UEIE c 1.2.3.4 1 f", false, ECodeBadExternal},
		{"UIEI c 1.2.3.4 1 f", false, ECodeBadInternal},
		{"UZ c 1.2.3.4 1 f", false, ECodeBadPtime},
		{"UZ0 c 1.2.3.4 1 f", false, ECodeBadPtime},
		{"UZ1000 c 1.2.3.4 1 f", false, ECodeBadPtime},
		{"UC c 1.2.3.4 1 f", false, ECodeBadCodecs},
		{"UC0C8 c 1.2.3.4 1 f", false, ECodeBadCodecs},
		{"UL c 1.2.3.4 1 f", false, ECodeBadLocalMod},
		{"UL[1.2.3.4] c 1.2.3.4 1 f", false, ECodeBadLocalMod},
		{"UL{} c 1.2.3.4 1 f", false, ECodeBadLocalMod},
		{"UL1.2 c 1.2.3.4 1 f", false, ECodeLocalAddr},
		{"UR c 1.2.3.4 1 f", false, ECodeBadRemoteMod},
		{"UR999.1.1.1 c 1.2.3.4 1 f", false, ECodeRemoteAddr},
		{"U c 1.2.3.4 1 f /sock %zz", false, ECodeBadNotifyTag},
		{"U c 1.2.3.4 1 f /sock a%2", false, ECodeBadNotifyTag},
		{"U c 1.2.3.400 1 f", false, ECodeBadAddress},
		{"U c 1.2.3.4 70000 f", false, ECodeBadAddress},
		{"U c 1.2.3.4 http f", false, ECodeBadAddress},
		{"U6 c 1.2.3.4 1 f", false, ECodeBadAddress},
		{"U c ::ffff:1.2.3.4 1 f", false, ECodeBadAddress},
		{"Dx c f", false, ECodeBadDeleteMod},
		{"Rp c f", false, ECodeModNotAllowed},
		{"Rx c f", false, ECodeBadRecordMod},
		{"Cx c t f", false, ECodeBadRecordMod},
		{"Nab c f", false, ECodeModNotAllowed},
		{"Nx c f", false, ECodeBadRecordMod},
		{"Px c p 0 f", false, ECodeBadPlayCount},
		{"P1x c p 0 f", false, ECodeBadPlayCount},
		{"Qx c f t", false, ECodeBadQueryMod},
		{"Gx", false, ECodeBadStatsMod},
		{"Ix", false, ECodeBadInfoMod},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.line), tt.cookie)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Parse(%q) error = %v, want *Error %v", tt.line, err, tt.code)
			continue
		}
		if e.Code != tt.code {
			t.Errorf("Parse(%q) code = %v (%v), want %v", tt.line, e.Code, err, tt.code)
		}
		if !errors.Is(err, &Error{Code: tt.code}) {
			t.Errorf("errors.Is(%v, code %v) = false", err, tt.code)
		}
		if !strings.HasPrefix(err.Error(), "rtpp: ") {
			t.Errorf("error %q lacks package prefix", err)
		}
	}
}

// TestParseKeepsCookieOnError: the server must be able to answer
// "<cookie> E<n>" to a malformed command.
func TestParseKeepsCookieOnError(t *testing.T) {
	c, err := Parse([]byte("abc Zzz"), true)
	if CodeOf(err) != ECodeUnknownCommand || c.Cookie != "abc" {
		t.Fatalf("got cookie %q err %v", c.Cookie, err)
	}
}

// TestParseNoAlias: fields stay valid after the input buffer is reused.
func TestParseNoAlias(t *testing.T) {
	buf := []byte("U call 1.2.3.4 4000 ftag;1")
	c, err := Parse(buf, false)
	if err != nil {
		t.Fatal(err)
	}
	for i := range buf {
		buf[i] = 'x'
	}
	if c.CallID != "call" || c.FromTag != "ftag" {
		t.Fatalf("fields alias the input: %q %q", c.CallID, c.FromTag)
	}
}

func TestAppendTextRoundTrip(t *testing.T) {
	for _, line := range []string{
		"UAW6EIZ20C0,8L[::1]R[2001:db8::9] c 2001:db8::1 4000 f;2 t;2 /s a%20b",
		"UL{pub}NC, c 1.2.3.4 0 f;1",
		"Q c f;1 ;1 ttl npkts_ina",
		"P0 c p session f;1",
		"VF 20080403",
		"Gv a b",
		"U c 1.2.3.4 1 f;1 && S ttl 5",
	} {
		c1, err := Parse([]byte(line), false)
		if err != nil {
			t.Fatalf("Parse(%q): %v", line, err)
		}
		text := c1.String()
		c2, err := Parse([]byte(text), false)
		if err != nil {
			t.Fatalf("Parse(String() = %q): %v", text, err)
		}
		c1.Mods.Raw, c2.Mods.Raw = "", ""
		if !reflect.DeepEqual(c1, c2) {
			t.Errorf("round trip of %q via %q\n got %+v\nwant %+v", line, text, c2, c1)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	line := []byte("4242_17 Uc0,8,101 a84b4c76e66710@192.0.2.4;branch=z9hG4bK776asdhds 192.0.2.4 49170 1928301774;1\n")
	var c Command
	b.ReportAllocs()
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if err := c.Unmarshal(line, true); err != nil {
			b.Fatal(err)
		}
	}
}
