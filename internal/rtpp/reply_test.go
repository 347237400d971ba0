package rtpp

import (
	"errors"
	"net/netip"
	"testing"
	"time"
)

func TestPortReply(t *testing.T) {
	tests := []struct {
		port int
		addr netip.Addr
		want string
	}{
		{35000, netip.MustParseAddr("192.0.2.1"), "35000 192.0.2.1"},
		{35000, netip.MustParseAddr("2001:db8::1"), "35000 2001:db8::1 6"},
		{35000, netip.MustParseAddr("::ffff:192.0.2.1"), "35000 192.0.2.1"},
		{35000, netip.MustParseAddr("0.0.0.0"), "35000"},
		{35000, netip.Addr{}, "35000"},
		{0, netip.Addr{}, "0"},
	}
	for _, tt := range tests {
		if got := PortReply(tt.port, tt.addr); got != tt.want {
			t.Errorf("PortReply(%d, %v) = %q, want %q", tt.port, tt.addr, got, tt.want)
		}
		port, addr, err := ParsePortReply(tt.want)
		if err != nil || port != tt.port || (addr.IsValid() && addr != tt.addr.Unmap()) {
			t.Errorf("ParsePortReply(%q) = %d %v %v", tt.want, port, addr, err)
		}
	}
	if got := PortReplyAdv(4000, "203.0.113.5", false); got != "4000 203.0.113.5" {
		t.Errorf("PortReplyAdv = %q", got)
	}
	for _, bad := range []string{"", "x", "1 2 3 4", "1 1.2.3.4 6", "1 ::1", "70000"} {
		if _, _, err := ParsePortReply(bad); !errors.Is(err, ErrBadReply) {
			t.Errorf("ParsePortReply(%q) err = %v, want ErrBadReply", bad, err)
		}
	}
	if _, _, err := ParsePortReply("E71"); !errors.Is(err, &Error{Code: ECodeListenerFailed}) {
		t.Errorf("ParsePortReply(E71) err = %v", err)
	}
}

func TestSimpleReplies(t *testing.T) {
	if ErrorReply(ECodeNoSession) != "E50" || ErrorReply(ECodeUnknownCommand) != "E0" {
		t.Error("ErrorReply")
	}
	if ReplyOK != "0" || ProtocolVersion != "20040107" {
		t.Error("constants")
	}
	if FeatureReply(true) != "1" || FeatureReply(false) != "0" {
		t.Error("FeatureReply")
	}
	for _, s := range []string{"0", "35000 1.2.3.4", "E", "Ex", "1 E2"} {
		if ReplyError(s) != nil {
			t.Errorf("ReplyError(%q) != nil", s)
		}
	}
	if CodeOf(ReplyError("E99")) != ECodeShutdown {
		t.Error("ReplyError(E99)")
	}
}

func TestCapabilities(t *testing.T) {
	for _, d := range []string{ProtocolVersion, CapMultiStream, CapStats, CapRepacketize, CapCodecs, CapNoRecord, "20260309"} {
		if _, ok := LookupCapability(d); !ok {
			t.Errorf("capability %s unknown", d)
		}
	}
	if _, ok := LookupCapability("20000101"); ok {
		t.Error("unknown date found")
	}
	seen := map[string]bool{}
	for i, c := range Capabilities {
		if len(c.Date) != 8 || seen[c.Date] || (i > 0 && c.Date <= Capabilities[i-1].Date) {
			t.Errorf("capability %d %q: bad, duplicate or out of order", i, c.Date)
		}
		seen[c.Date] = true
	}
}

func TestQueryReply(t *testing.T) {
	st := &QueryStats{TTL: 60, NPktsInA: 10, NPktsInO: 20, NRelayed: 29, NDropped: 1, RtpaNLost: 3, RtpaJMax: 1.5}
	tests := []struct {
		names   []string
		verbose bool
		want    string
	}{
		{nil, false, "60 10 20 29 1"},
		{nil, true, "ttl=60 npkts_ina=10 npkts_ino=20 nrelayed=29 ndropped=1"},
		{[]string{"rtpa_nlost", "rtpa_jmax"}, false, "3 1.500000"},
		{[]string{"rtpa_nlost", "rtpa_jmax"}, true, "rtpa_nlost=3 rtpa_jmax=1.500000"},
	}
	for _, tt := range tests {
		got, err := AppendQueryReply(nil, st, tt.names, tt.verbose)
		if err != nil || string(got) != tt.want {
			t.Errorf("AppendQueryReply(%v, %v) = %q, %v; want %q", tt.names, tt.verbose, got, err, tt.want)
		}
	}
	for _, name := range QueryCounters {
		if _, err := AppendQueryReply(nil, st, []string{name}, false); err != nil {
			t.Errorf("counter %s: %v", name, err)
		}
	}
	if _, err := AppendQueryReply(nil, st, []string{"ttl", "bogus"}, false); CodeOf(err) != ECodeQueryFailed {
		t.Errorf("unknown counter err = %v", err)
	}
}

func TestInfoReply(t *testing.T) {
	in := &Info{SessionsCreated: 5, ActiveSessions: 2, ActiveStreams: 4, PacketsReceived: 100, PacketsTransmitted: 90, AverageLoad: 0.25}
	want := "sessions created: 5\nactive sessions: 2\nactive streams: 4\npackets received: 100\npackets transmitted: 90"
	if got := string(AppendInfoReply(nil, in, false)); got != want {
		t.Errorf("I reply = %q", got)
	}
	if got := string(AppendInfoReply(nil, in, true)); got != want+"\naverage load: 0.250000" {
		t.Errorf("Il reply = %q", got)
	}
}

func TestStatsReply(t *testing.T) {
	val := func(b []byte, name string) ([]byte, bool) {
		if name == "nsess_created" {
			return append(b, '7'), true
		}
		return b, false
	}
	got, err := AppendValues(nil, []string{"nsess_created", "nsess_created"}, true, ECodeStatsFailed, val)
	if err != nil || string(got) != "nsess_created=7 nsess_created=7" {
		t.Errorf("G reply = %q, %v", got, err)
	}
	if _, err := AppendValues(nil, []string{"x"}, false, ECodeStatsFailed, val); CodeOf(err) != ECodeStatsFailed {
		t.Errorf("unknown G counter err = %v", err)
	}
}

func TestParseSpec(t *testing.T) {
	tests := []struct {
		in   string
		want Spec
		ok   bool
	}{
		{"unix:/run/x.sock", Spec{"unix", "/run/x.sock"}, true},
		{"/run/x.sock", Spec{"unix", "/run/x.sock"}, true},
		{"udp:127.0.0.1:7722", Spec{"udp", "127.0.0.1:7722"}, true},
		{"udp:127.0.0.1", Spec{"udp", "127.0.0.1:22222"}, true},
		{"udp6:[::1]:7722", Spec{"udp6", "[::1]:7722"}, true},
		{"udp6:[::1]", Spec{"udp6", "[::1]:22222"}, true},
		{"tcp:localhost:9", Spec{"tcp", "localhost:9"}, true},
		{"sctp:1.2.3.4:5", Spec{}, false},
		{"unix:", Spec{}, false},
		{"nonsense", Spec{}, false},
	}
	for _, tt := range tests {
		got, err := ParseSpec(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseSpec(%q) = %v, %v", tt.in, got, err)
		}
		if err != nil && !errors.Is(err, ErrBadSpec) {
			t.Errorf("ParseSpec(%q) err %v is not ErrBadSpec", tt.in, err)
		}
	}
}

func TestRcache(t *testing.T) {
	now := netipTime()
	c := newRcache(30e9, 2)
	c.put("a", []byte("1"), now)
	c.put("b", []byte("2"), now)
	c.put("c", []byte("3"), now)
	if _, ok := c.get("a", now); ok || c.len() != 2 {
		t.Fatalf("oldest entry not evicted, len %d", c.len())
	}
	if r, ok := c.get("c", now); !ok || string(r) != "3" {
		t.Fatal("entry c missing")
	}
	if _, ok := c.get("b", now.Add(31e9)); ok {
		t.Fatal("expired entry returned")
	}
}

func netipTime() (t0 time.Time) { return time.Unix(1700000000, 0) }
