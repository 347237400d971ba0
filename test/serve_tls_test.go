package test

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/callrec/callrec/internal/config"
	"github.com/callrec/callrec/internal/media"
	"github.com/callrec/callrec/internal/nettest"
	"github.com/callrec/callrec/internal/record"
)

// sipStream is a raw SIP endpoint on one stream connection (TLS here).
type sipStream struct {
	t    testing.TB
	conn net.Conn
	r    *textproto.Reader
}

func (p *sipStream) send(msg string) {
	p.t.Helper()
	if _, err := io.WriteString(p.conn, msg); err != nil {
		p.t.Fatal(err)
	}
}

// expect reads messages until one whose start line begins with prefix
// (others, such as 100 and 180, are skipped), failing after 5 s.
func (p *sipStream) expect(prefix string) sip.Message {
	p.t.Helper()
	p.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		var head strings.Builder
		length := 0
		for {
			line, err := p.r.ReadLine()
			if err != nil {
				p.t.Fatalf("waiting for %q: %v", prefix, err)
			}
			if line == "" && head.Len() == 0 {
				continue // keep-alive CRLF
			}
			if line == "" {
				break
			}
			if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(strings.TrimSpace(k), "Content-Length") {
				length, _ = strconv.Atoi(strings.TrimSpace(v))
			}
			head.WriteString(line + "\r\n")
		}
		body := make([]byte, length)
		if _, err := io.ReadFull(p.r.R, body); err != nil {
			p.t.Fatal(err)
		}
		if strings.HasPrefix(head.String(), prefix) {
			m, err := sip.ParseMessage(append([]byte(head.String()+"\r\n"), body...))
			if err != nil {
				p.t.Fatalf("parse %q: %v", head.String(), err)
			}
			return m
		}
	}
}

// TestServeTLSCall: a caller on SIP over TLS calls a sipp callee on UDP
// through callrec serve with serve.sip_tls_listen and a certificate from
// a CA made here. Debian's sipp is built without TLS (`sipp -t l1`: "To
// use a TLS transport you must compile SIPp with OpenSSL"), so the
// caller is the test itself: raw SIP on a tls.Conn and a 440 Hz tone as
// RTP from a UDP socket. The callee streams 1000 Hz. The call must be
// record-routed for both transports, relayed both ways through the node
// (the caller receives the callee's audio), and recorded with each tone
// in its channel.
func TestServeTLSCall(t *testing.T) {
	RequireBinary(t, "sipp", "sip-tester")
	realtime <- struct{}{}
	defer func() { <-realtime }()
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	ca := nettest.NewCA(t)
	cert, key := ca.Issue(t, "serve", "127.0.0.1")
	tlsAddr := fmt.Sprintf("127.0.0.1:%d", FreeUDPPort(t, "127.0.0.1")) // free for TCP too
	r := startServe(t, func(c *config.Config) {
		c.Serve.SIPTLSListen, c.Serve.TLSCert, c.Serve.TLSKey = tlsAddr, cert, key
	})
	uas := StartSipp(t, SippConfig{Label: "sipp uas", Scenario: Testdata(t, "sipp", "uas_rtp.xml"), IP: "127.0.0.3",
		Files: map[string][]byte{"callee.ulaw": MulawTone(8000, calleeHz, 8000)}})
	r.route(t, "sip:"+uas.Addr())

	conn, err := tls.Dial("tcp", tlsAddr, &tls.Config{RootCAs: ca.Pool})
	if err != nil {
		t.Fatalf("TLS handshake with callrec serve: %v", err)
	}
	defer conn.Close()
	sc := &sipStream{t: t, conn: conn, r: textproto.NewReader(bufio.NewReader(conn))}
	audio, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2)})
	if err != nil {
		t.Fatal(err)
	}
	defer audio.Close()
	local, rtpPort := conn.LocalAddr().String(), audio.LocalAddr().(*net.UDPAddr).Port
	callID := fmt.Sprintf("callrec-tls-%d", os.Getpid())
	ruri := "sip:uas@" + tlsAddr + ";transport=tls"
	from := "From: <sip:uac@" + local + ">;tag=uactag1\r\n"
	sdp := fmt.Sprintf("v=0\r\no=uac 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\n"+
		"m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\n", rtpPort)
	sc.send("INVITE " + ruri + " SIP/2.0\r\nVia: SIP/2.0/TLS " + local + ";branch=z9hG4bK-tls-inv\r\n" + from +
		"To: <" + ruri + ">\r\nCall-ID: " + callID + "\r\nCSeq: 1 INVITE\r\n" +
		"Contact: <sip:uac@" + local + ";transport=tls>\r\nMax-Forwards: 70\r\n" +
		"Content-Type: application/sdp\r\nContent-Length: " + strconv.Itoa(len(sdp)) + "\r\n\r\n" + sdp)
	ok := sc.expect("SIP/2.0 200").(*sip.Response)
	node, err := SDPAudioTarget(strings.ReplaceAll(ok.String(), "\r\n", "\n"))
	if err != nil || !r.owns(node) {
		t.Fatalf("200 over TLS offers %+v (%v), want the node", node, err)
	}
	var rr []string
	for _, h := range ok.GetHeaders("Record-Route") {
		rr = append(rr, h.Value())
	}
	if len(rr) != 2 || !strings.Contains(rr[0], "transport=udp") || !strings.Contains(rr[1], tlsAddr+";transport=tls") {
		t.Fatalf("Record-Route %q: want the UDP side, then the TLS side", rr)
	}
	// The caller's route set is the Record-Route reversed (RFC 3261
	// §12.1.2); requests go to the callee's Contact.
	target, to := ok.Contact().Address.String(), "To: "+ok.To().Value()+"\r\n"
	inDialog := func(method string, cseq int) string {
		return method + " " + target + " SIP/2.0\r\nVia: SIP/2.0/TLS " + local + ";branch=z9hG4bK-tls-" + method + "\r\n" +
			"Route: " + rr[1] + "\r\nRoute: " + rr[0] + "\r\n" + from + to + "Call-ID: " + callID + "\r\n" +
			"CSeq: " + strconv.Itoa(cseq) + " " + method + "\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
	}
	sc.send(inDialog("ACK", 1))

	// The caller talks: 440 Hz in 20 ms packets to the node, and counts
	// what the node relays from the callee.
	var heard atomic.Int64
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		buf := make([]byte, 1500)
		for {
			n, src, err := audio.ReadFromUDP(buf)
			if err != nil {
				return
			}
			if n > 12 && buf[1]&0x7f == 0 && src.IP.Equal(net.ParseIP(node.IP)) {
				heard.Add(1)
			}
		}
	}()
	go func() {
		defer close(done)
		tone, to := MulawTone(8000, callerHz, 8000), &net.UDPAddr{IP: net.ParseIP(node.IP), Port: node.Port}
		pkt := make([]byte, 12+160)
		pkt[0], pkt[1] = 0x80, 0
		binary.BigEndian.PutUint32(pkt[8:], 0x7e57c0de)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			binary.BigEndian.PutUint16(pkt[2:], uint16(i))
			binary.BigEndian.PutUint32(pkt[4:], uint32(160*i))
			copy(pkt[12:], tone[(160*i)%len(tone):])
			audio.WriteToUDP(pkt, to)
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	r.waitRelayed(t, ctx, callID, media.StreamStats{}, 50, uas)
	close(stop)
	<-done
	sc.send(inDialog("BYE", 2))
	sc.expect("SIP/2.0 200")
	if err := uas.Proc.Wait(ctx); err != nil {
		t.Fatalf("sipp uas: %v (exit %d)", err, uas.Proc.ExitCode())
	}
	if n := heard.Load(); n < 40 {
		t.Errorf("the caller heard %d packets of the callee from the node, want at least 40", n)
	}
	if got := receivedSDP(t, uas, "INVITE "); !r.owns(got) {
		t.Errorf("the callee was offered %+v, want the node", got)
	}
	r.gone(t, callID)
	r.checkTones(t, ctx, callID, 0.9)
}

// TestServeBinaryTLSFlags runs the callrec binary with --sip-tls-listen,
// --tls-cert and --tls-key: a client that trusts the CA completes the
// handshake and its OPTIONS to the proxy is answered 200 over TLS. A
// TLS listener without a key is refused at start with a clear error.
func TestServeBinaryTLSFlags(t *testing.T) {
	bin := BuildCallrec(t)
	ca := nettest.NewCA(t)
	cert, key := ca.Issue(t, "serve", "127.0.0.1")
	tlsAddr := fmt.Sprintf("127.0.0.1:%d", FreeUDPPort(t, "127.0.0.1"))
	min := FreeUDPRange(t, "127.0.0.1", 8)
	args := []string{"serve", "--data-dir", t.TempDir(), "--http-listen", "127.0.0.1:0",
		"--sip-listen", fmt.Sprintf("127.0.0.1:%d", FreeUDPPort(t, "127.0.0.1")),
		"--port-min", strconv.Itoa(min), "--port-max", strconv.Itoa(min + 7),
		"--sip-tls-listen", tlsAddr, "--tls-cert", cert, "--invite-timeout", "5s"}

	bad := StartProcess(t, "callrec serve without key", t.TempDir(), bin, args...)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := bad.Wait(ctx); err == nil || !strings.Contains(bad.Output(), "serve.sip_tls_listen needs serve.tls_cert and serve.tls_key") {
		t.Errorf("serve without --tls-key: %v\n%s", err, bad.Output())
	}

	p := StartProcess(t, "callrec serve", t.TempDir(), bin, append(args, "--tls-key", key)...)
	if err := p.WaitOutput(ctx, "callrec ready"); err != nil {
		t.Fatal(err)
	}
	conn, err := tls.Dial("tcp", tlsAddr, &tls.Config{RootCAs: ca.Pool})
	if err != nil {
		t.Fatalf("TLS handshake with callrec serve: %v", err)
	}
	defer conn.Close()
	sc := &sipStream{t: t, conn: conn, r: textproto.NewReader(bufio.NewReader(conn))}
	local := conn.LocalAddr().String()
	sc.send("OPTIONS sip:" + tlsAddr + ";transport=tls SIP/2.0\r\nVia: SIP/2.0/TLS " + local + ";branch=z9hG4bK-tls-opt\r\n" +
		"From: <sip:probe@" + local + ">;tag=p1\r\nTo: <sip:" + tlsAddr + ">\r\nCall-ID: tls-options\r\n" +
		"CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n")
	sc.expect("SIP/2.0 200")
}

// TestServeBaresipTLSCallee: alice (baresip) registers over TLS with a
// certificate from a CA made here; bob (baresip, UDP) calls her through
// callrec serve, which dials alice's TLS Contact and verifies her
// certificate against serve.tls_ca. Bob hangs up after three seconds of
// speech; the recording holds bob's speech in the caller channel and
// alice's in the callee channel.
func TestServeBaresipTLSCallee(t *testing.T) {
	RequireBinary(t, "baresip", "baresip-core")
	realtime <- struct{}{}
	defer func() { <-realtime }()
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	t.Cleanup(cancel) // the proxy outlives the UAs' un-REGISTERs
	ca := nettest.NewCA(t)
	cert, key := ca.Issue(t, "serve", "127.0.0.1")
	tlsAddr := fmt.Sprintf("127.0.0.1:%d", FreeUDPPort(t, "127.0.0.1"))
	r := startServe(t, func(c *config.Config) {
		c.Serve.SIPTLSListen, c.Serve.TLSCert, c.Serve.TLSKey, c.Serve.TLSCA = tlsAddr, cert, key, ca.CAFile()
	})
	bobSpeech, aliceSpeech := Testdata(t, "audio", "caller-8k.wav"), Testdata(t, "audio", "agent-8k.wav")
	alice := StartBaresip(ctx, t, BaresipConfig{
		Label: "baresip alice (tls)", IP: "127.0.0.2", Source: aliceSpeech,
		CertFile: ca.IssueCombined(t, "alice", "127.0.0.2"), CAFile: ca.CAFile(),
		Account: "<sip:alice@" + tlsAddr + ";transport=tls>;regint=60;answermode=auto;audio_codecs=PCMU",
	})
	bob := StartBaresip(ctx, t, BaresipConfig{
		Label: "baresip bob", IP: "127.0.0.3", Source: bobSpeech,
		Account: "<sip:bob@" + r.sip + ">;regint=0;audio_codecs=PCMU",
	})
	for {
		bs, err := r.n.Store.Lookup(ctx, "alice")
		if err == nil && len(bs) == 1 {
			if !strings.Contains(bs[0].Contact, alice.TLS) || !strings.Contains(strings.ToLower(bs[0].Contact), "transport=tls") {
				t.Fatalf("alice registered %q, want her TLS listener %s", bs[0].Contact, alice.TLS)
			}
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("registrar has no TLS binding for alice: %v %v (alice: %s)", bs, err, alice.Events())
		case <-time.After(20 * time.Millisecond): // the store has no notification; poll
		}
	}

	if _, err := bob.Command(ctx, "dial", "sip:alice@"+r.sip); err != nil {
		t.Fatal(err)
	}
	est, err := bob.WaitEvent(ctx, "CALL_ESTABLISHED")
	if err != nil {
		t.Fatalf("%v (bob: %s; alice: %s)", err, bob.Events(), alice.Events())
	}
	callID, _ := est["id"].(string)
	select { // three seconds of speech: the call's length, not a wait for an event
	case <-time.After(3 * time.Second):
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	}
	if _, err := bob.Command(ctx, "hangup", ""); err != nil {
		t.Fatal(err)
	}
	for _, ua := range []*Baresip{bob, alice} {
		if _, err := ua.WaitEvent(ctx, "CALL_CLOSED"); err != nil {
			t.Fatal(err)
		}
	}
	r.gone(t, callID)

	var m *record.Meta
	for m == nil || m.Status == record.StatusRecording {
		if recs := r.recordings(callID); len(recs) == 1 {
			m = recs[0]
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no finished recording of %q (last %+v)", callID, m)
		case <-time.After(50 * time.Millisecond): // sidecars have no notification; poll
		}
	}
	l, rt, fm := readStereo(t, &RecordingNode{Dir: r.recs}, m)
	t.Logf("recording %s: legs %+v", m.Status, m.Legs)
	if m.Status != record.StatusComplete || fm.Channels != 2 || len(l) < 2*8000 {
		t.Fatalf("recording %s (%s) %+v with %d samples per channel: want about 3 s of stereo", m.Status, m.Reason, fm, len(l))
	}
	// Each channel's second second is found in its party's speech (sent
	// as µ-law) and not in the other's. The callee may start talking a
	// few ms before the recording does (it sends RTP with its 200), so
	// the search runs both ways from the start of the file.
	for _, ch := range []struct {
		name       string
		pcm        []int16
		own, other string
	}{{"caller (bob, udp)", l, bobSpeech, aliceSpeech}, {"callee (alice, tls)", rt, aliceSpeech, bobSpeech}} {
		corr, at := speechAt(t, ch.pcm[8000:16000], ch.own)
		cross, _ := speechAt(t, ch.pcm[8000:16000], ch.other)
		t.Logf("%s channel: RMS %.0f, second 2 is its party's speech from sample %d (correlation %.2f; other party's %.2f)",
			ch.name, RMS(ch.pcm), at, corr, cross)
		if corr < 0.5 || cross > 0.3 {
			t.Errorf("%s channel: correlation with its party's speech %.2f, with the other's %.2f", ch.name, corr, cross)
		}
	}
}

// speechAt finds seg (8 kHz) in the first three seconds of the speech
// fixture at path as heard through G.711 µ-law: the best correlation and
// the sample where seg starts.
func speechAt(t *testing.T, seg []int16, path string) (float64, int) {
	pcm, _ := ReadWAVMono16(t, path)
	return BestCorrelation(MulawRoundTrip(pcm[:3*8000]), seg, 2*8000)
}
