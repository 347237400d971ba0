package test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/config"
	"github.com/callrec/callrec/internal/record"
	"github.com/callrec/callrec/internal/store"
)

// TestServeRecordsBaresipCall runs `callrec serve` in-process and two
// baresip user agents registered to it with digest authentication:
// alice calls bob (who answers automatically) with speech from a WAV
// file, talks for about three seconds and hangs up (a BYE through the
// proxy). Bob sends other speech.
// The proxy finds bob by his registration in the database, anchors the
// call, and the recording must be complete with alice's speech in the
// caller channel and bob's in the callee channel.
func TestServeRecordsBaresipCall(t *testing.T) {
	RequireBinary(t, "baresip", "baresip-core")
	realtime <- struct{}{}
	defer func() { <-realtime }()
	// Cancelled by the last cleanup, so that the proxy still answers the
	// user agents' un-REGISTERs when they are stopped.
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	t.Cleanup(cancel)

	c := config.Default()
	c.Serve.DataDir = t.TempDir()
	c.Serve.SIPListen = fmt.Sprintf("127.0.0.1:%d", FreeUDPPort(t, "127.0.0.1"))
	c.Serve.HTTPListen = "127.0.0.1:0"
	c.Media.PortMin = FreeUDPRange(t, "127.0.0.1", 32)
	c.Media.PortMax = c.Media.PortMin + 31
	n := StartServe(t, ctx, c)
	proxy := c.Serve.SIPListen
	// With users in the database, serve.auth: auto challenges the
	// REGISTERs (401) and the INVITE (407): baresip answers with digest
	// credentials in the realm of the proxy's address, the AORs' domain.
	for _, u := range []string{"alice", "bob"} {
		if err := n.Store.AddUser(ctx, store.User{Username: u, Domain: "127.0.0.1",
			HA1: store.HA1(u, "127.0.0.1", u+"-pw"), Enabled: true}); err != nil {
			t.Fatal(err)
		}
	}
	speech := Testdata(t, "audio", "caller-8k.wav")
	answer := Testdata(t, "audio", "agent-8k.wav")
	bob := StartBaresip(ctx, t, BaresipConfig{
		Label: "baresip bob", IP: "127.0.0.3", Source: answer,
		Account: "<sip:bob@" + proxy + ">;auth_pass=bob-pw;regint=60;answermode=auto;audio_codecs=PCMU",
	})
	alice := StartBaresip(ctx, t, BaresipConfig{
		Label: "baresip alice", IP: "127.0.0.2", Source: speech,
		Account: "<sip:alice@" + proxy + ">;auth_pass=alice-pw;regint=60;audio_codecs=PCMU",
	})
	// Both register at start-up, before the ctrl_tcp client is connected
	// (ctrl_tcp sends events only to connected clients): wait for the
	// bindings in the registrar's database instead.
	for _, user := range []string{"bob", "alice"} {
		for {
			bs, err := n.Store.Lookup(ctx, user)
			if err == nil && len(bs) > 0 {
				break
			}
			select {
			case <-ctx.Done():
				t.Fatalf("registrar has no binding for %s: %v %v", user, bs, err)
			case <-time.After(20 * time.Millisecond): // the store has no notification; poll
			}
		}
	}

	if _, err := alice.Command(ctx, "dial", "sip:bob@"+proxy); err != nil {
		t.Fatal(err)
	}
	est, err := alice.WaitEvent(ctx, "CALL_ESTABLISHED")
	if err != nil {
		t.Fatalf("%v (alice: %s; bob: %s)", err, alice.Events(), bob.Events())
	}
	callID, _ := est["id"].(string)
	if callID == "" {
		t.Fatalf("CALL_ESTABLISHED without a call id: %v", est)
	}
	// Talk for three seconds of speech (the call's length, not a wait for
	// an event), then hang up: alice sends BYE through the proxy.
	select {
	case <-time.After(3 * time.Second):
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	}
	if _, err := alice.Command(ctx, "hangup", ""); err != nil {
		t.Fatal(err)
	}
	for _, ua := range []*Baresip{alice, bob} {
		if _, err := ua.WaitEvent(ctx, "CALL_CLOSED"); err != nil {
			t.Fatal(err)
		}
	}

	if st := n.Proxy.Stats(); st.AuthChallenges < 3 || st.AuthFailures != 0 {
		t.Errorf("proxy stats %+v: want the two REGISTERs and the INVITE challenged, no failure", st)
	}

	var m *record.Meta
	var path string
	for m == nil || m.Status == record.StatusRecording {
		matches, _ := filepath.Glob(filepath.Join(c.Serve.DataDir, "recordings", "*", "*.json"))
		for _, p := range matches {
			if mm, err := record.ReadMeta(p); err == nil && mm.CallID == callID {
				m, path = mm, p
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no finished recording of %q (last %+v)", callID, m)
		case <-time.After(50 * time.Millisecond): // sidecars have no notification; poll
		}
	}
	if m.Status != record.StatusComplete {
		t.Errorf("recording %s: status %s (%s)", path, m.Status, m.Reason)
	}
	l, r, fm := readStereo(t, &RecordingNode{Dir: filepath.Join(c.Serve.DataDir, "recordings")}, m)
	t.Logf("recording %s: %+v, %d samples per channel", path, fm, len(l))
	if fm.Channels != 2 || len(l) < 2*8000 {
		t.Fatalf("recording %+v with %d samples per channel: want about 3 s of stereo", fm, len(l))
	}
	// Each channel holds its party's speech (sent as µ-law), alice's in
	// the caller channel and bob's in the callee channel, at some lag
	// within the first second; and not the other party's.
	for _, ch := range []struct {
		name       string
		pcm        []int16
		own, other string
	}{{"caller", l, speech, answer}, {"callee", r, answer, speech}} {
		own, other := fixture(t, ch.own), fixture(t, ch.other)
		corr, lag := BestCorrelation(ch.pcm, own, 8000)
		cross, _ := BestCorrelation(ch.pcm, other, 8000)
		t.Logf("%s channel: RMS %.0f, correlation %.2f at lag %d samples (other party's %.2f)", ch.name, RMS(ch.pcm), corr, lag, cross)
		if corr < 0.5 || cross > 0.3 {
			t.Errorf("%s channel: correlation with its party's speech %.2f at lag %d, with the other's %.2f", ch.name, corr, lag, cross)
		}
	}
}

// fixture is the first second of an 8 kHz speech fixture as heard
// through G.711 µ-law.
func fixture(t *testing.T, path string) []int16 {
	pcm, _ := ReadWAVMono16(t, path)
	return MulawRoundTrip(pcm[:8000])
}
