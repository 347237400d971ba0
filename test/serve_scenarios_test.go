package test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/app"
	"github.com/callrec/callrec/internal/config"
	"github.com/callrec/callrec/internal/media"
	"github.com/callrec/callrec/internal/record"
	"github.com/callrec/callrec/internal/store"
)

// The sipp acceptance scenarios through `callrec serve`
// (in-process, embedded defaults): sipp as caller (127.0.0.2) and callee
// (127.0.0.3), each learning the other's media address only from the SDP
// the proxy rewrote. In answered calls the caller streams a 440 Hz tone
// and the callee a 1000 Hz tone, so the recording must hold each party's
// tone in its own channel. Failed calls must leave no media session, no
// tracked call and no recording.

const (
	callerHz, calleeHz = 440, 1000
)

// serveRig is `callrec serve` started in-process for one test; it is
// stopped by a cleanup, after the peers started later.
type serveRig struct {
	n    *app.Node
	sip  string // SIP address, UDP and TCP
	recs string // recordings directory
	min  int    // RTP port range
	max  int
}

func startServe(t *testing.T, mod func(*config.Config)) *serveRig {
	t.Helper()
	c := config.Default()
	c.Serve.DataDir = t.TempDir()
	c.Serve.SIPListen = fmt.Sprintf("127.0.0.1:%d", FreeUDPPort(t, "127.0.0.1"))
	c.Serve.HTTPListen = "127.0.0.1:0"
	c.Media.PortMin = FreeUDPRange(t, "127.0.0.1", 32)
	c.Media.PortMax = c.Media.PortMin + 31
	if mod != nil {
		mod(&c)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	n, err := app.StartServe(context.Background(), c, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		n.Close(ctx)
	})
	return &serveRig{n: n, sip: c.Serve.SIPListen, recs: filepath.Join(c.Serve.DataDir, "recordings"),
		min: c.Media.PortMin, max: c.Media.PortMax}
}

// route sends calls to user uas to dest (the routes table, as `callrec
// routes add` would).
func (r *serveRig) route(t *testing.T, dest string) {
	t.Helper()
	if _, err := r.n.Store.AddRoute(context.Background(), store.Route{Pattern: "uas", Destination: dest, Enabled: true}); err != nil {
		t.Fatal(err)
	}
}

func (r *serveRig) owns(mt MediaTarget) bool {
	return mt.IP == "127.0.0.1" && mt.Port >= r.min && mt.Port <= r.max
}

// recordings returns the sidecars of callID's recordings.
func (r *serveRig) recordings(callID string) []*record.Meta {
	var out []*record.Meta
	matches, _ := filepath.Glob(filepath.Join(r.recs, "*", "*.json"))
	for _, p := range matches {
		if m, err := record.ReadMeta(p); err == nil && m.CallID == callID {
			out = append(out, m)
		}
	}
	return out
}

// gone checks that the call left no media session and no call state.
func (r *serveRig) gone(t *testing.T, callID string) {
	t.Helper()
	if _, err := r.n.Media.Manager.Query(callID, "uactag1", "uastag1", 1); err == nil {
		t.Errorf("media session of %s still present", callID)
	}
	if in := r.n.Media.Manager.Info(); in.Calls != 0 || in.PortsInUse != 0 {
		t.Errorf("media node still holds %d calls, %d ports", in.Calls, in.PortsInUse)
	}
	if d := r.n.Proxy.Stats().Dialogs; d != 0 {
		t.Errorf("proxy still tracks %d calls", d)
	}
}

// waitRelayed polls the media node until each leg of callID's stream has
// relayed at least min packets more than in base, failing if a sipp
// exits first or ctx ends.
func (r *serveRig) waitRelayed(t *testing.T, ctx context.Context, callID string, base media.StreamStats, min uint64, peers ...*Sipp) media.StreamStats {
	t.Helper()
	for {
		st, err := r.n.Media.Manager.Query(callID, "uactag1", "uastag1", 1)
		if err == nil && st.Legs[0].Relayed >= base.Legs[0].Relayed+min && st.Legs[1].Relayed >= base.Legs[1].Relayed+min {
			return st
		}
		for _, p := range peers {
			if ok, err := p.Proc.Exited(); ok {
				t.Fatalf("%s exited during the call: %v", p.Proc.Name, err)
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("media of %s not relayed both ways (%d more packets each): %+v, %v", callID, min, st, err)
		case <-time.After(50 * time.Millisecond): // counters have no notification; poll
		}
	}
}

// release sends the n-th INFO that the scenario at s waits for before
// its next step, straight to s over its transport.
func release(t *testing.T, s *Sipp, callID string, n int) {
	t.Helper()
	network := "udp4"
	if s.TCP {
		network = "tcp4"
	}
	conn, err := net.Dial(network, s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	local := conn.LocalAddr().String()
	msg := fmt.Sprintf("INFO sip:%s SIP/2.0\r\n"+
		"Via: SIP/2.0/%s %s;branch=z9hG4bK-callrec-release-%d\r\n"+
		"From: <sip:test@%s>;tag=test\r\nTo: <sip:%s>;tag=sipp\r\n"+
		"Call-ID: %s\r\nCSeq: %d INFO\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
		s.Addr(), strings.ToUpper(network[:3]), local, n, local, s.Addr(), callID, 10+n)
	if _, err := conn.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
}

// checkTones waits for callID's one recording and checks that it is
// complete, stereo, at least want seconds long, with the caller's tone
// in the left channel and the callee's in the right.
func (r *serveRig) checkTones(t *testing.T, ctx context.Context, callID string, want float64) {
	t.Helper()
	var recs []*record.Meta
	for {
		recs = r.recordings(callID)
		if len(recs) > 0 && recs[0].Status != record.StatusRecording {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no finished recording of %s (%+v)", callID, recs)
		case <-time.After(50 * time.Millisecond): // sidecars have no notification; poll
		}
	}
	m := recs[0]
	if len(recs) != 1 || m.Status != record.StatusComplete {
		t.Fatalf("%d recordings of %s, the first %s (%s)", len(recs), callID, m.Status, m.Reason)
	}
	l, rt, fm := readStereo(t, &RecordingNode{Dir: r.recs}, m)
	secs := float64(len(l)) / float64(fm.SampleRate)
	t.Logf("recording: %+v, %.2f s; caller channel %.0f%% %d Hz, callee channel %.0f%% %d Hz", fm, secs,
		100*TonePower(l, callerHz, fm.SampleRate), callerHz, 100*TonePower(rt, calleeHz, fm.SampleRate), calleeHz)
	if fm.Channels != 2 || secs < want {
		t.Errorf("recording %+v of %.2f s: want stereo of at least %.2f s", fm, secs, want)
	}
	// Each party's tone in its own channel, and not the other's.
	for _, ch := range []struct {
		name      string
		pcm       []int16
		own, othr float64
	}{{"caller", l, callerHz, calleeHz}, {"callee", rt, calleeHz, callerHz}} {
		if own, other := TonePower(ch.pcm, ch.own, fm.SampleRate), TonePower(ch.pcm, ch.othr, fm.SampleRate); own < 0.5 || other > 0.05 {
			t.Errorf("%s channel: %.2f of its power at %.0f Hz (its party's tone), %.2f at %.0f Hz", ch.name, own, ch.own, other, ch.othr)
		}
	}
}

// answeredCall is one answered sipp call through callrec serve.
type answeredCall struct {
	uac, uas string // scenario files
	tcp      bool
	register bool // the callee REGISTERs itself and is found by its AOR
	// uacSDP and uasSDP start the message that brought each party the
	// other's (anchored) SDP.
	uacSDP, uasSDP string
	// during runs while media flows, before the hangup.
	during func(t *testing.T, ctx context.Context, r *serveRig, uac, uas *Sipp, callID string)
}

func (a answeredCall) run(t *testing.T) {
	RequireBinary(t, "sipp", "sip-tester")
	realtime <- struct{}{}
	defer func() { <-realtime }()
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	r := startServe(t, nil)
	id := fmt.Sprintf("callrec-%s-%d", strings.ReplaceAll(t.Name(), "/", "-"), os.Getpid())

	uasCfg := SippConfig{Label: "sipp uas", Scenario: Testdata(t, "sipp", a.uas), IP: "127.0.0.3", TCP: a.tcp,
		Files: map[string][]byte{"callee.ulaw": MulawTone(8000, calleeHz, 8000)}}
	if a.register {
		uasCfg.Scenario = Testdata(t, "sipp", "uas_register.xml")
		uasCfg.Extra = []string{"-oocsf", Testdata(t, "sipp", a.uas)}
		uasCfg.Remote, uasCfg.CallID = r.sip, id+"-reg-%u"
	}
	uas := StartSipp(t, uasCfg)
	if a.register {
		for {
			bs, err := r.n.Store.Lookup(ctx, "uas")
			if err == nil && len(bs) == 1 && strings.Contains(bs[0].Contact, uas.Addr()) {
				break
			}
			select {
			case <-ctx.Done():
				t.Fatalf("the callee's REGISTER left bindings %+v, %v", bs, err)
			case <-time.After(20 * time.Millisecond): // the store has no notification; poll
			}
		}
	} else {
		dest := "sip:" + uas.Addr()
		if a.tcp {
			dest += ";transport=tcp"
		}
		r.route(t, dest)
	}
	uac := StartSipp(t, SippConfig{
		Label: "sipp uac", Scenario: Testdata(t, "sipp", a.uac), IP: "127.0.0.2", TCP: a.tcp,
		Remote: r.sip, CallID: id + "-%u", Keys: map[string]string{"target": r.sip},
		Files: map[string][]byte{"tone.ulaw": MulawTone(8000, callerHz, 8000)},
	})
	callID := uac.CallID

	// A second of audio each way through the node, then whatever the
	// scenario does mid-call, then the hangup.
	st := r.waitRelayed(t, ctx, callID, media.StreamStats{Legs: [2]media.LegStats{}}, 50, uac, uas)
	start := time.Now()
	if a.during != nil {
		a.during(t, ctx, r, uac, uas, callID)
	}
	talked := time.Since(start)
	t.Logf("relayed after the first second: caller %d, callee %d packets; then %v more", st.Legs[0].Relayed, st.Legs[1].Relayed, talked.Round(time.Millisecond))
	release(t, uac, callID, 9)
	if err := uac.Proc.Wait(ctx); err != nil {
		t.Fatalf("sipp uac: %v (exit %d)", err, uac.Proc.ExitCode())
	}
	if a.register {
		release(t, uas, uas.CallID, 9) // now unREGISTER
	}
	if err := uas.Proc.Wait(ctx); err != nil {
		t.Fatalf("sipp uas: %v (exit %d)", err, uas.Proc.ExitCode())
	}
	if a.register {
		if bs, err := r.n.Store.Lookup(ctx, "uas"); err != nil || len(bs) != 0 {
			t.Errorf("bindings after the callee's unREGISTER: %+v, %v", bs, err)
		}
	}

	// Each party was given a port of the node, not the other party.
	uasGot, uacGot := receivedSDP(t, uas, a.uasSDP), receivedSDP(t, uac, a.uacSDP)
	if !r.owns(uasGot) || !r.owns(uacGot) || uasGot.Port == uacGot.Port {
		t.Errorf("SDP received by the callee %+v and the caller %+v: want distinct ports of the node 127.0.0.1:%d-%d",
			uasGot, uacGot, r.min, r.max)
	}
	r.gone(t, callID)

	// The recording covers at least the 50 packets (0.98 s) waited for
	// and the middle of the call.
	r.checkTones(t, ctx, callID, 0.9+talked.Seconds())
}

// TestServeSippRegisteredUser: the callee REGISTERs with sipp and the
// caller calls its AOR; the proxy finds it in the registrar's database.
// After the call the callee unREGISTERs.
func TestServeSippRegisteredUser(t *testing.T) {
	answeredCall{uac: "uac_rtp.xml", uas: "uas_rtp.xml", register: true, uacSDP: "SIP/2.0 200", uasSDP: "INVITE "}.run(t)
}

// TestServeSippLateOffer: the INVITE carries no SDP; the callee's offer
// in the 200 and the caller's answer in the ACK are anchored.
func TestServeSippLateOffer(t *testing.T) {
	answeredCall{uac: "proxy_uac_late.xml", uas: "uas_rtp.xml", uacSDP: "SIP/2.0 200", uasSDP: "ACK "}.run(t)
}

// TestServeSippTCP: caller and callee on TCP (sipp -t t1).
func TestServeSippTCP(t *testing.T) {
	answeredCall{uac: "uac_rtp.xml", uas: "uas_rtp.xml", tcp: true, uacSDP: "SIP/2.0 200", uasSDP: "INVITE "}.run(t)
}

// TestServeSippHoldResume: the caller holds (re-INVITE a=sendonly, the
// callee answers recvonly), holds both ways (a=inactive) and resumes
// (a=sendrecv). The media session survives each re-INVITE, audio is
// relayed after each, and the one recording covers the whole call.
func TestServeSippHoldResume(t *testing.T) {
	answeredCall{uac: "uac_hold.xml", uas: "uas_hold.xml", uacSDP: "SIP/2.0 200", uasSDP: "INVITE ",
		during: func(t *testing.T, ctx context.Context, r *serveRig, uac, uas *Sipp, callID string) {
			st, _ := r.n.Media.Manager.Query(callID, "uactag1", "uastag1", 1)
			for i := 1; i <= 3; i++ { // hold, inactive, resume
				release(t, uac, callID, i)
				// The stream outlives the re-INVITE (Query fails once it
				// is gone) and keeps relaying both ways.
				st = r.waitRelayed(t, ctx, callID, st, 25, uac, uas)
			}
			msgs, err := uas.ReceivedMessages()
			if err != nil {
				t.Fatal(err)
			}
			var invites []string
			for _, m := range msgs {
				if strings.HasPrefix(m, "INVITE ") {
					invites = append(invites, m)
				}
			}
			if len(invites) != 4 || !strings.Contains(invites[1], "a=sendonly") || !strings.Contains(invites[2], "a=inactive") ||
				!strings.Contains(invites[3], "a=sendrecv") {
				t.Fatalf("the callee received %d INVITEs, want the call, a=sendonly, a=inactive, a=sendrecv:\n%s", len(invites), strings.Join(invites, "\n"))
			}
			for i, inv := range invites {
				if mt, err := SDPAudioTarget(inv); err != nil || !r.owns(mt) {
					t.Errorf("INVITE %d offers the callee %+v (%v), want the node", i, mt, err)
				}
			}
		}}.run(t)
}

// failedCall runs a call that is never answered and checks that both
// scenarios finish, that the callee was offered the node's address, and
// that nothing is left: no media session, no call state, no recording.
func failedCall(t *testing.T, uacScenario, uasScenario string, mod func(*config.Config)) time.Duration {
	RequireBinary(t, "sipp", "sip-tester")
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	r := startServe(t, mod)
	uas := StartSipp(t, SippConfig{Label: "sipp uas", Scenario: Testdata(t, "sipp", uasScenario), IP: "127.0.0.3"})
	r.route(t, "sip:"+uas.Addr())
	start := time.Now()
	uac := StartSipp(t, SippConfig{
		Label: "sipp uac", Scenario: Testdata(t, "sipp", uacScenario), IP: "127.0.0.2", Remote: r.sip,
		CallID: fmt.Sprintf("callrec-%s-%d-%%u", t.Name(), os.Getpid()), Keys: map[string]string{"target": r.sip},
	})
	if err := uac.Proc.Wait(ctx); err != nil {
		t.Fatalf("sipp uac: %v (exit %d)", err, uac.Proc.ExitCode())
	}
	took := time.Since(start)
	if err := uas.Proc.Wait(ctx); err != nil {
		t.Fatalf("sipp uas: %v (exit %d)", err, uas.Proc.ExitCode())
	}
	if got := receivedSDP(t, uas, "INVITE "); !r.owns(got) {
		t.Errorf("the callee was offered %+v, want the node", got)
	}
	// The proxy deletes the media before it relays the final answer.
	r.gone(t, uac.CallID)
	if in := r.n.Media.Manager.Info(); in.Created == 0 || in.Deleted+in.TimedOut != in.Created {
		t.Errorf("media node created %d sessions, deleted %d, timed out %d", in.Created, in.Deleted, in.TimedOut)
	}
	if recs := r.recordings(uac.CallID); len(recs) != 0 {
		t.Errorf("unanswered call recorded: %+v", recs[0])
	}
	matches, _ := filepath.Glob(filepath.Join(r.recs, "*", "*"))
	if len(matches) != 0 {
		t.Errorf("files in the recordings directory: %q", matches)
	}
	return took
}

// TestServeSippCancel: the caller CANCELs while the callee rings.
func TestServeSippCancel(t *testing.T) {
	failedCall(t, "proxy_uac_cancel.xml", "proxy_uas_ring.xml", nil)
}

// TestServeSippBusy: the callee answers 486 Busy Here.
func TestServeSippBusy(t *testing.T) {
	failedCall(t, "proxy_uac_busy.xml", "proxy_uas_busy.xml", nil)
}

// TestServeSippNoAnswer: the callee rings and never answers; after
// serve.invite_timeout (Timer C) the proxy CANCELs it and answers 408.
func TestServeSippNoAnswer(t *testing.T) {
	const timerC = 2 * time.Second
	took := failedCall(t, "proxy_uac_noanswer.xml", "proxy_uas_ring.xml", func(c *config.Config) {
		c.Serve.InviteTimeout = config.Duration(timerC)
	})
	if took < timerC || took > timerC+5*time.Second {
		t.Errorf("408 after %v, want about Timer C (%v)", took, timerC)
	}
}
