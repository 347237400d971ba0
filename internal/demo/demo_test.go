package demo

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestAudioTarget(t *testing.T) {
	for _, c := range []struct {
		name, body string
		want       string // "" for an error
	}{
		{"own offer", string(offer("alice", "127.0.0.1", 40000)), "127.0.0.1:40000"},
		{"media-level c=", "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 5004 RTP/AVP 8 0\r\nc=IN IP4 127.0.0.2\r\n", "127.0.0.2:5004"},
		{"video first", "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=video 6000 RTP/AVP 96\r\nm=audio 6002 RTP/AVP 0\r\n", "127.0.0.1:6002"},
		{"no PCMU", "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6002 RTP/AVP 8\r\n", ""},
		{"rejected audio", "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\n", ""},
		{"not sdp", "hello", ""},
	} {
		got, err := audioTarget([]byte(c.body))
		if c.want == "" {
			if err == nil {
				t.Errorf("%s: %v, want an error", c.name, got)
			}
			continue
		}
		if err != nil || got.String() != c.want {
			t.Errorf("%s: %v %v, want %s", c.name, got, err, c.want)
		}
	}
}

func TestSpeechClips(t *testing.T) {
	c, a := CallerSpeech(), AgentSpeech()
	if len(c) < 10*8000 || len(a) < 10*8000 || bytes.Equal(c[:8000], a[:8000]) {
		t.Fatalf("clips of %d and %d samples: want two different clips of over 10 s", len(c), len(a))
	}
}

// TestPlay: a stream sends the clip in order as 20 ms PCMU packets with
// consecutive sequence numbers and timestamps, about 50 a second, and
// the other stream counts them.
func TestPlay(t *testing.T) {
	speech := CallerSpeech()[:8000] // one second: the clip loops
	a, err := openStream("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	sink, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	start := time.Now()
	a.play(sink.LocalAddr().(*net.UDPAddr).AddrPort(), speech)
	var got []byte
	buf := make([]byte, 1500)
	var seq uint16
	var ts uint32
	for i := 0; i < 60; i++ {
		sink.SetReadDeadline(time.Now().Add(2 * time.Second))
		n, err := sink.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		if n != headerLen+frame || buf[0] != 0x80 || buf[1] != payloadPCMU {
			t.Fatalf("packet %d: %d bytes, header % x", i, n, buf[:2])
		}
		s, stamp := uint16(buf[2])<<8|uint16(buf[3]), uint32(buf[4])<<24|uint32(buf[5])<<16|uint32(buf[6])<<8|uint32(buf[7])
		if i > 0 && (s != seq+1 || stamp != ts+frame) {
			t.Fatalf("packet %d: seq %d ts %d after %d %d", i, s, stamp, seq, ts)
		}
		seq, ts = s, stamp
		got = append(got, buf[headerLen:n]...)
	}
	took := time.Since(start)
	a.close()
	if !bytes.Equal(got[:8000], speech) || !bytes.Equal(got[8000:], speech[:len(got)-8000]) {
		t.Error("payloads are not the clip, looped")
	}
	// 60 packets are 59 intervals of 20 ms: 1.18 s, allow a loaded machine.
	if took < 1100*time.Millisecond || took > 3*time.Second {
		t.Errorf("60 packets took %s, want about 1.18 s", took)
	}
	if a.sent.Load() < 60 {
		t.Errorf("sent %d packets, want at least 60", a.sent.Load())
	}
	if p := netip.MustParseAddrPort(a.conn.LocalAddr().String()); p.Port() == 0 || !strings.HasPrefix(p.Addr().String(), "127.") {
		t.Errorf("stream bound to %s", p)
	}
}

// TestDirectCall: alice calls bob with bob's own address as her proxy
// (no proxy between them): INVITE, 180, 200 with SDP, ACK, a second of
// RTP each way, BYE from alice, and bob's answered call ends with it.
func TestDirectCall(t *testing.T) {
	bob, err := NewPhone(Config{User: "bob", Proxy: "127.0.0.1:9", Speech: AgentSpeech()})
	if err != nil {
		t.Fatal(err)
	}
	defer bob.Close()
	alice, err := NewPhone(Config{User: "alice", Proxy: bob.Addr(), Speech: CallerSpeech()})
	if err != nil {
		t.Fatal(err)
	}
	defer alice.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	c, err := alice.Call(ctx, "bob", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", c)
	// A second of 20 ms packets is 50; allow a loaded machine.
	if c.CallID == "" || c.Talked < time.Second || c.Sent < 40 || c.Received < 30 {
		t.Errorf("call %+v: want a second of RTP each way", c)
	}
	if n := bob.Answered(); n != 1 {
		t.Errorf("bob answered %d calls, want 1", n)
	}
	// bob's side of the call ends with the BYE, not at Close or MaxCall.
	for bob.talking.Load() != 0 {
		select {
		case <-ctx.Done():
			t.Fatal("bob's answered call outlived alice's BYE")
		case <-time.After(5 * time.Millisecond): // nothing to wait on; poll
		}
	}
}
