package proxy

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// userTable is an in-memory Users: "user@realm" → password (HA1s are
// computed from it, as `callrec users add` stores them). A user whose
// key ends in "/md5" has no SHA-256 HA1, as one stored before it was.
type userTable map[string]string

func (u userTable) HA1(_ context.Context, user, realm, alg string) (string, bool, error) {
	pw, ok := u[user+"@"+realm]
	if !ok {
		if pw, ok = u[user+"@"+realm+"/md5"]; !ok || alg != "MD5" {
			return "", false, nil
		}
	}
	if alg == "SHA-256" {
		return hashHex("SHA-256", user+":"+realm+":"+pw), true, nil
	}
	return md5hex(user + ":" + realm + ":" + pw), true, nil
}

// trunkTable is an in-memory Trunks.
type trunkTable map[string]netip.Prefix

func (t trunkTable) Trunk(_ context.Context, ip netip.Addr) (string, bool, error) {
	for name, p := range t {
		if p.Contains(ip) {
			return name, true, nil
		}
	}
	return "", false, nil
}

// sipReq builds an out-of-dialog request from p (From user from, To and
// Request-URI ruri) with a branch and CSeq of its own, and extra header
// lines.
func sipReq(p *peer, method, ruri, from, callID string, cseq int, extra string) string {
	to := ruri
	if method == "REGISTER" {
		to = "sip:" + from + "@" + strings.TrimPrefix(ruri, "sip:")
	}
	return fmt.Sprintf("%s %s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-%s-%d\r\n"+
		"From: <sip:%s@%s>;tag=f%s\r\nTo: <%s>\r\nCall-ID: %s\r\nCSeq: %d %s\r\n"+
		"Contact: <sip:%s@%s>\r\nMax-Forwards: 70\r\n%sContent-Length: 0\r\n\r\n",
		method, ruri, p.addr(), callID, cseq, from, strings.Split(p.addr(), ":")[0], callID, to, callID, cseq, method,
		from, p.addr(), extra)
}

// expectCall is expect for a message of the given Call-ID (skipping
// retransmissions of earlier calls' messages).
func expectCall(p *peer, prefix, callID string) sip.Message {
	p.t.Helper()
	for {
		if m := p.expect(prefix); m.CallID().Value() == callID {
			return m
		}
	}
}

// ackNon2xx acknowledges to the proxy px a non-2xx final response to an
// INVITE sent as raw (same branch, RFC 3261 §17.1.1.3), so that it stops
// retransmitting the response.
func ackNon2xx(p *peer, px, raw string, res sip.Message) {
	p.t.Helper()
	r := res.(*sip.Response)
	lines := strings.Split(raw, "\r\n")
	lines[0] = strings.Replace(lines[0], "INVITE ", "ACK ", 1)
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l, "CSeq:"):
			lines[i] = strings.Replace(l, "INVITE", "ACK", 1)
		case strings.HasPrefix(l, "To:"):
			lines[i] = "To: " + r.To().Value()
		}
	}
	p.send(px, strings.Join(lines, "\r\n"))
}

// answer computes credentials for a challenge in res with the digest
// library's client side (an implementation independent of auth.go).
func answer(t *testing.T, res sip.Message, method, uri, user, password string) string {
	t.Helper()
	name, hdr := "Proxy-Authenticate", "Proxy-Authorization"
	if res.(*sip.Response).StatusCode == 401 {
		name, hdr = "WWW-Authenticate", "Authorization"
	}
	h := res.(*sip.Response).GetHeader(name)
	if h == nil {
		t.Fatalf("challenge without %s:\n%s", name, res)
	}
	chal, err := digest.ParseChallenge(h.Value())
	if err != nil {
		t.Fatal(err)
	}
	c, err := digest.Digest(chal, digest.Options{Method: method, URI: uri, Username: user, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	return hdr + ": " + c.String() + "\r\n"
}

func challengeOf(t *testing.T, res sip.Message) *digest.Challenge {
	t.Helper()
	h := res.(*sip.Response).GetHeader("Proxy-Authenticate")
	if h == nil {
		h = res.(*sip.Response).GetHeader("WWW-Authenticate")
	}
	if h == nil {
		t.Fatalf("no challenge in:\n%s", res)
	}
	c, err := digest.ParseChallenge(h.Value())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestAuthRegister: REGISTER is challenged 401 (RFC 3261 §22.2); the
// right password registers, a wrong one and another user's credentials
// are 403 and register nothing.
func TestAuthRegister(t *testing.T) {
	reg := NewRegistrar()
	users := userTable{"alice@127.0.0.1": "secret", "bob@127.0.0.1": "bobpw"}
	s := startServer(t, Config{Router: LocationRouter{reg}, Locations: reg, Auth: &Auth{Users: users}})
	px := s.Addr("udp")
	ua := newPeer(t)
	ruri := "sip:" + px

	ua.send(px, sipReq(ua, "REGISTER", ruri, "alice", "r1", 1, "Expires: 60\r\n"))
	ch := ua.expect("SIP/2.0 401")
	if c := challengeOf(t, ch); c.Realm != "127.0.0.1" || !c.SupportsQOP("auth") || c.Algorithm != "MD5" || c.Stale {
		t.Errorf("challenge %+v", c)
	}
	if bs, _ := reg.Lookup(context.Background(), "alice"); len(bs) != 0 {
		t.Fatalf("bound before authentication: %v", bs)
	}

	ua.send(px, sipReq(ua, "REGISTER", ruri, "alice", "r1", 2, "Expires: 60\r\n"+answer(t, ch, "REGISTER", ruri, "alice", "wrong")))
	ua.expect("SIP/2.0 403")
	// bob's own credentials on a REGISTER for alice: the To user is not
	// the authenticated user.
	ua.send(px, sipReq(ua, "REGISTER", ruri, "alice", "r1", 3, "Expires: 60\r\n"+answer(t, ch, "REGISTER", ruri, "bob", "bobpw")))
	ua.expect("SIP/2.0 403")
	// An unknown user is refused like a wrong password.
	ua.send(px, sipReq(ua, "REGISTER", ruri, "carol", "r1", 4, "Expires: 60\r\n"+answer(t, ch, "REGISTER", ruri, "carol", "x")))
	ua.expect("SIP/2.0 403")
	if bs, _ := reg.Lookup(context.Background(), "alice"); len(bs) != 0 {
		t.Fatalf("bound with wrong credentials: %v", bs)
	}

	ua.send(px, sipReq(ua, "REGISTER", ruri, "alice", "r1", 5, "Expires: 60\r\n"+answer(t, ch, "REGISTER", ruri, "alice", "secret")))
	ua.expect("SIP/2.0 200")
	if bs, _ := reg.Lookup(context.Background(), "alice"); len(bs) != 1 {
		t.Fatalf("bindings after authenticated REGISTER: %v", bs)
	}
	// A nonce this proxy did not make is challenged afresh, not refused.
	forged := strings.Replace(answer(t, ch, "REGISTER", ruri, "alice", "secret"), `nonce="`, `nonce="AAAA`, 1)
	ua.send(px, sipReq(ua, "REGISTER", ruri, "alice", "r1", 6, "Expires: 60\r\n"+forged))
	ua.expect("SIP/2.0 401")

	st := s.Stats()
	if st.AuthChallenges != 2 || st.AuthFailures != 3 {
		t.Errorf("stats %+v: want 2 challenges, 3 failures", st)
	}
}

// TestAuthInvite: an initial INVITE is challenged 407; with the caller's
// credentials it is forwarded without them (but with another realm's);
// the in-dialog BYE is not challenged; a wrong password or credentials
// of a user other than the From user are 403.
func TestAuthInvite(t *testing.T) {
	uas := newPeer(t)
	r, _ := NewStaticRouter([]StaticRule{{Destination: "sip:" + uas.addr()}})
	users := userTable{"alice@callrec": "secret", "bob@callrec": "bobpw"}
	s := startServer(t, Config{Router: r, Auth: &Auth{Users: users, Realm: "callrec"}})
	px := s.Addr("udp")
	uac := newPeer(t)
	ruri := "sip:bob@" + px

	inv := sipReq(uac, "INVITE", ruri, "alice", "i1", 1, "")
	uac.send(px, inv)
	ch := uac.expect("SIP/2.0 407")
	ackNon2xx(uac, px, inv, ch)
	if c := challengeOf(t, ch); c.Realm != "callrec" {
		t.Errorf("realm %q, want the configured callrec", c.Realm)
	}

	for i, bad := range []string{
		answer(t, ch, "INVITE", ruri, "alice", "wrong"),
		answer(t, ch, "INVITE", ruri, "bob", "bobpw"),               // not the From user
		answer(t, ch, "INVITE", "sip:carol@"+px, "alice", "secret"), // digest for another URI
	} {
		inv := sipReq(uac, "INVITE", ruri, "alice", "i1", 2+i, bad)
		uac.send(px, inv)
		ackNon2xx(uac, px, inv, uac.expect("SIP/2.0 403"))
	}

	other := `Proxy-Authorization: Digest username="alice", realm="upstream", nonce="n", uri="` + ruri + `", response="00"` + "\r\n"
	inv = sipReq(uac, "INVITE", ruri, "alice", "i1", 9, other+answer(t, ch, "INVITE", ruri, "alice", "secret"))
	uac.send(px, inv)
	fwd := uas.expect("INVITE").(*sip.Request)
	pa := fwd.GetHeaders("Proxy-Authorization")
	if len(pa) != 1 || !strings.Contains(pa[0].Value(), `realm="upstream"`) {
		t.Errorf("forwarded Proxy-Authorization %v: want only the upstream realm's", pa)
	}
	uas.replySDP(fwd, "b1", sdpBody("127.0.0.1", 4000, ""))
	uac.expect("SIP/2.0 200")

	// In-dialog BYE: no credentials, not challenged.
	bye := fmt.Sprintf("BYE sip:x@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-bye1\r\n"+
		"Route: <sip:%s;lr>\r\nFrom: <sip:alice@127.0.0.1>;tag=fi1\r\nTo: <%s>;tag=b1\r\nCall-ID: i1\r\n"+
		"CSeq: 10 BYE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n", uas.addr(), uac.addr(), px, ruri)
	uac.send(px, bye)
	uas.reply(uas.expect("BYE"), 200, "OK", "")
	uac.expect("SIP/2.0 200")

	// OPTIONS to the proxy itself is answered without a challenge
	// (keepalives), OPTIONS to a user is challenged.
	uac.send(px, options(uac, px, "o1"))
	uac.expect("SIP/2.0 200")
	uac.send(px, options(uac, "bob@"+px, "o2"))
	uac.expect("SIP/2.0 407")

	// A REGISTER for another registrar is forwarded, so it is challenged
	// with 407 (RFC 3261 §22.3) and forwarded without this realm's
	// credentials.
	registrar := "sip:" + uas.addr()
	uac.send(px, sipReq(uac, "REGISTER", registrar, "alice", "rf", 1, "Expires: 60\r\n"))
	ch = uac.expect("SIP/2.0 407")
	uac.send(px, sipReq(uac, "REGISTER", registrar, "alice", "rf", 2, "Expires: 60\r\n"+answer(t, ch, "REGISTER", registrar, "alice", "secret")))
	fr := expectCall(uas, "REGISTER", "rf").(*sip.Request)
	if h := fr.GetHeader("Proxy-Authorization"); h != nil {
		t.Errorf("forwarded REGISTER kept %s", h)
	}
	uas.reply(fr, 200, "OK", "")
	uac.expect("SIP/2.0 200")

	st := s.Stats()
	if st.AuthChallenges != 3 || st.AuthFailures != 3 {
		t.Errorf("stats %+v: want 3 challenges, 3 failures", st)
	}
}

// TestAuthStaleNonce: credentials on a nonce older than NonceTTL are
// answered 407 with stale=true and a fresh nonce, which then works.
func TestAuthStaleNonce(t *testing.T) {
	uas := newPeer(t)
	r, _ := NewStaticRouter([]StaticRule{{Destination: "sip:" + uas.addr()}})
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s := startServer(t, Config{Router: r, Auth: &Auth{Users: userTable{"alice@127.0.0.1": "secret"},
		NonceTTL: time.Minute, Now: clock}})
	px := s.Addr("udp")
	uac := newPeer(t)
	ruri := "sip:bob@" + px

	inv := sipReq(uac, "INVITE", ruri, "alice", "s1", 1, "")
	uac.send(px, inv)
	ch := uac.expect("SIP/2.0 407")
	ackNon2xx(uac, px, inv, ch)
	mu.Lock()
	now = now.Add(61 * time.Second)
	mu.Unlock()

	inv = sipReq(uac, "INVITE", ruri, "alice", "s1", 2, answer(t, ch, "INVITE", ruri, "alice", "secret"))
	uac.send(px, inv)
	ch2 := uac.expect("SIP/2.0 407")
	ackNon2xx(uac, px, inv, ch2)
	if c := challengeOf(t, ch2); !c.Stale || c.Nonce == challengeOf(t, ch).Nonce {
		t.Errorf("challenge on an expired nonce %+v: want stale=true and a new nonce", c)
	}
	// A wrong password on an expired nonce is still refused, not stale.
	inv = sipReq(uac, "INVITE", ruri, "alice", "s1", 3, answer(t, ch, "INVITE", ruri, "alice", "wrong"))
	uac.send(px, inv)
	ackNon2xx(uac, px, inv, uac.expect("SIP/2.0 403"))

	uac.send(px, sipReq(uac, "INVITE", ruri, "alice", "s1", 4, answer(t, ch2, "INVITE", ruri, "alice", "secret")))
	uas.reply(expectCall(uas, "INVITE", "s1"), 486, "Busy Here", "b")
	uac.expect("SIP/2.0 486")
}

// TestAuthTrunk: a request from an address in a trunk's network is
// forwarded without a challenge; the same request from elsewhere is
// challenged. Required=false (auth: auto with no users) lets everyone in.
func TestAuthTrunk(t *testing.T) {
	uas := newPeer(t)
	r, _ := NewStaticRouter([]StaticRule{{Destination: "sip:" + uas.addr()}})
	var required bool
	var mu sync.Mutex
	auth := &Auth{Users: userTable{}, Trunks: trunkTable{"carrier": netip.MustParsePrefix("127.0.0.64/30")},
		Required: func(context.Context) bool { mu.Lock(); defer mu.Unlock(); return required }}
	s := startServer(t, Config{Router: r, Auth: auth})
	px := s.Addr("udp")
	trunk, stranger := newPeerOn(t, "127.0.0.65"), newPeerOn(t, "127.0.0.70")

	stranger.send(px, sipReq(stranger, "INVITE", "sip:+441234@"+px, "x", "t0", 1, ""))
	uas.reply(expectCall(uas, "INVITE", "t0"), 486, "Busy Here", "b")
	stranger.expect("SIP/2.0 486")

	mu.Lock()
	required = true
	mu.Unlock()
	trunk.send(px, sipReq(trunk, "INVITE", "sip:+441234@"+px, "x", "t1", 1, ""))
	uas.reply(expectCall(uas, "INVITE", "t1"), 486, "Busy Here", "b")
	trunk.expect("SIP/2.0 486")
	inv := sipReq(stranger, "INVITE", "sip:+441234@"+px, "x", "t2", 1, "")
	stranger.send(px, inv)
	ackNon2xx(stranger, px, inv, stranger.expect("SIP/2.0 407"))

	if st := s.Stats(); st.TrunkRequests != 1 || st.AuthChallenges != 1 {
		t.Errorf("stats %+v: want 1 trunk request, 1 challenge", st)
	}
}

func TestNonces(t *testing.T) {
	n := newNonces(nil, time.Minute)
	now := time.Unix(1_800_000_000, 0)
	v := n.make("r", now)
	for _, c := range []struct {
		nonce, realm string
		at           time.Time
		valid, stale bool
	}{
		{v, "r", now, true, false},
		{v, "r", now.Add(time.Minute), true, false},
		{v, "r", now.Add(time.Minute + time.Second), true, true},
		{v, "other", now, false, false},
		{v, "r", now.Add(-time.Minute), false, false}, // from the future
		{v[:len(v)-1] + "A", "r", now, false, false},
		{"", "r", now, false, false},
		{"not base64!", "r", now, false, false},
		{newNonces(nil, time.Minute).make("r", now), "r", now, false, false}, // another secret
	} {
		valid, stale := n.check(c.nonce, c.realm, c.at)
		if valid != c.valid || stale != c.stale {
			t.Errorf("check(%q, %q, %v) = %v, %v; want %v, %v", c.nonce, c.realm, c.at, valid, stale, c.valid, c.stale)
		}
	}
}

// FuzzAuthorization: whatever Proxy-Authorization a request carries,
// authentication answers it (never panics) and never lets it through
// without the password.
func FuzzAuthorization(f *testing.F) {
	f.Add(`Digest username="alice", realm="r", nonce="x", uri="sip:bob@h", response="0"`)
	f.Add(`Digest username="alice", realm="r", nonce="x", uri="sip:bob@h", qop=auth, nc=zz, cnonce="c", response="0"`)
	f.Add(`Digest realm="r"`)
	f.Add(`Basic YWxhZGRpbjpvcGVuc2VzYW1l`)
	f.Fuzz(func(t *testing.T, v string) {
		s := &Server{cfg: Config{Auth: &Auth{Users: userTable{"alice@r": "pw"}, Realm: "r"}}, nonces: newNonces(nil, time.Minute),
			algorithms: []string{"SHA-256", "MD5"}}
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
		req := mustRequest(t, invite("sip:bob@h"))
		req.AppendHeader(sip.NewHeader("Proxy-Authorization", v))
		if _, ok := s.authenticate(context.Background(), req, nil); ok {
			t.Fatalf("authenticated with %q", v)
		}
	})
}

// BenchmarkAuthenticate is the per-request cost of checking valid
// credentials (parse, nonce HMAC, user lookup in a map, MD5 response):
// go test ./internal/proxy -run '^$' -bench Authenticate
func BenchmarkAuthenticate(b *testing.B) {
	now := time.Unix(1_800_000_000, 0)
	s := &Server{cfg: Config{Auth: &Auth{Users: userTable{"a@192.0.2.1": "pw"}, Now: func() time.Time { return now }}},
		nonces: newNonces(nil, time.Minute), algorithms: []string{"MD5"}, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	chal := &digest.Challenge{Realm: "192.0.2.1", Nonce: s.nonces.make("192.0.2.1", now), Algorithm: "MD5", QOP: []string{"auth"}}
	c, err := digest.Digest(chal, digest.Options{Method: "INVITE", URI: "sip:bob@h", Username: "a", Password: "pw"})
	if err != nil {
		b.Fatal(err)
	}
	m, err := sip.ParseMessage([]byte(invite("sip:bob@h")))
	if err != nil {
		b.Fatal(err)
	}
	req := m.(*sip.Request)
	req.AppendHeader(sip.NewHeader("Proxy-Authorization", c.String()))
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := s.authenticate(context.Background(), req, nil); !ok {
			b.Fatal("refused")
		}
	}
}

// TestAuthInDialog: with call state (an Anchor), a request with a To tag
// skips authentication only within a call the proxy set up; a made-up
// To tag (a forged "in-dialog" INVITE, or a request of an ended call) is
// challenged like an initial request.
func TestAuthInDialog(t *testing.T) {
	uas := newPeer(t)
	r, _ := NewStaticRouter([]StaticRule{{Destination: "sip:" + uas.addr()}})
	s := startServer(t, Config{Router: r, Anchor: fixedAnchor{}, Auth: &Auth{Users: userTable{"alice@127.0.0.1": "secret"}}})
	px := s.Addr("udp")
	uac := newPeer(t)
	ruri := "sip:bob@" + px

	inv := sipReq(uac, "INVITE", ruri, "alice", "d1", 1, "")
	uac.send(px, inv)
	ch := uac.expect("SIP/2.0 407")
	ackNon2xx(uac, px, inv, ch)
	uac.send(px, sipReq(uac, "INVITE", ruri, "alice", "d1", 2, answer(t, ch, "INVITE", ruri, "alice", "secret")))
	uas.replySDP(expectCall(uas, "INVITE", "d1"), "b1", sdpBody("127.0.0.1", 4000, ""))
	uac.expect("SIP/2.0 200")

	inDlg := func(method, callID string, cseq int, extra string) string {
		return fmt.Sprintf("%s sip:x@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-%s-%d\r\n"+
			"Route: <sip:%s;lr>\r\nFrom: <sip:alice@127.0.0.1>;tag=f%s\r\nTo: <%s>;tag=b1\r\nCall-ID: %s\r\n"+
			"CSeq: %d %s\r\nMax-Forwards: 70\r\n%sContent-Length: 0\r\n\r\n", method, uas.addr(), uac.addr(), callID, cseq,
			px, callID, ruri, callID, cseq, method, extra)
	}
	// The call's BYE passes without credentials.
	uac.send(px, inDlg("BYE", "d1", 3, ""))
	uas.reply(expectCall(uas, "BYE", "d1"), 200, "OK", "")
	uac.expect("SIP/2.0 200")
	// The call has ended: another request in it is challenged.
	uac.send(px, inDlg("INFO", "d1", 4, ""))
	uac.expect("SIP/2.0 407")
	// A forged in-dialog INVITE is challenged, and passes with the From
	// user's credentials (digest-uri is its Request-URI).
	forged := inDlg("INVITE", "d2", 1, "")
	uac.send(px, forged)
	ch = uac.expect("SIP/2.0 407")
	ackNon2xx(uac, px, forged, ch)
	uac.send(px, inDlg("INVITE", "d2", 2, answer(t, ch, "INVITE", "sip:x@"+uas.addr(), "alice", "secret")))
	uas.reply(expectCall(uas, "INVITE", "d2"), 486, "Busy Here", "")
	uac.expect("SIP/2.0 486")
	if st := s.Stats(); st.AuthChallenges != 3 || st.AuthFailures != 0 {
		t.Errorf("stats %+v: want 3 challenges, no failure", st)
	}
}

// TestAuthSHA256: with Algorithms [SHA-256, MD5] a REGISTER is challenged
// with both (SHA-256 first, RFC 7616 §3.7, the same nonce); a client that
// answers the SHA-256 one registers, one that answers MD5 too; a user
// stored without a SHA-256 HA1 who answers SHA-256 is refused, and with
// MD5 registers. Only MD5 offered: SHA-256 credentials are challenged.
func TestAuthSHA256(t *testing.T) {
	reg := NewRegistrar()
	users := userTable{"alice@127.0.0.1": "secret", "old@127.0.0.1/md5": "oldpw"}
	s := startServer(t, Config{Router: LocationRouter{reg}, Locations: reg,
		Auth: &Auth{Users: users, Algorithms: []string{"SHA-256", "MD5"}}})
	px := s.Addr("udp")
	ua := newPeer(t)
	ruri := "sip:" + px

	ua.send(px, sipReq(ua, "REGISTER", ruri, "alice", "h1", 1, "Expires: 60\r\n"))
	ch := ua.expect("SIP/2.0 401").(*sip.Response)
	hs := ch.GetHeaders("WWW-Authenticate")
	if len(hs) != 2 || !strings.Contains(hs[0].Value(), "algorithm=SHA-256") || !strings.Contains(hs[1].Value(), "algorithm=MD5") {
		t.Fatalf("challenges %v: want SHA-256 then MD5", hs)
	}
	// answerWith answers the challenge of the given algorithm.
	answerWith := func(alg, user, pw string) string {
		for _, h := range hs {
			c, err := digest.ParseChallenge(h.Value())
			if err != nil {
				t.Fatal(err)
			}
			if c.Algorithm == alg {
				d, err := digest.Digest(c, digest.Options{Method: "REGISTER", URI: ruri, Username: user, Password: pw})
				if err != nil {
					t.Fatal(err)
				}
				return "Authorization: " + d.String() + "\r\n"
			}
		}
		t.Fatalf("no %s challenge", alg)
		return ""
	}
	for i, c := range []struct {
		alg, user, pw, want string
	}{
		{"SHA-256", "alice", "wrong", "SIP/2.0 403"},
		{"SHA-256", "alice", "secret", "SIP/2.0 200"},
		{"MD5", "alice", "secret", "SIP/2.0 200"},
		{"SHA-256", "old", "oldpw", "SIP/2.0 403"},
		{"MD5", "old", "oldpw", "SIP/2.0 200"},
	} {
		ua.send(px, sipReq(ua, "REGISTER", ruri, c.user, "h1", 2+i, "Expires: 60\r\n"+answerWith(c.alg, c.user, c.pw)))
		if m := ua.expect("SIP/2.0 "); !strings.HasPrefix(m.String(), c.want) {
			t.Errorf("%s %s/%s: %s, want %s", c.alg, c.user, c.pw, strings.SplitN(m.String(), "\r\n", 2)[0], c.want)
		}
	}

	md5only := startServer(t, Config{Router: LocationRouter{reg}, Locations: reg, Auth: &Auth{Users: users}})
	px2 := md5only.Addr("udp")
	ruri2 := "sip:" + px2
	ua.send(px2, sipReq(ua, "REGISTER", ruri2, "alice", "h2", 1, "Expires: 60\r\n"))
	ch2 := ua.expect("SIP/2.0 401").(*sip.Response)
	if hs := ch2.GetHeaders("WWW-Authenticate"); len(hs) != 1 || !strings.Contains(hs[0].Value(), "algorithm=MD5") {
		t.Fatalf("MD5-only challenges %v", hs)
	}
	c, _ := digest.ParseChallenge(ch2.GetHeader("WWW-Authenticate").Value())
	c.Algorithm = "SHA-256"
	d, _ := digest.Digest(c, digest.Options{Method: "REGISTER", URI: ruri2, Username: "alice", Password: "secret"})
	ua.send(px2, sipReq(ua, "REGISTER", ruri2, "alice", "h2", 2, "Expires: 60\r\nAuthorization: "+d.String()+"\r\n"))
	ua.expect("SIP/2.0 401")
}

// TestValidResponseRFC7616 checks RFC 7616 §3.9.1's example, SHA-256 and
// MD5.
func TestValidResponseRFC7616(t *testing.T) {
	const rest = `realm="http-auth@example.org", uri="/dir/index.html", qop=auth, nc=00000001, cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`
	a := "Mufasa:http-auth@example.org:Circle of Life"
	for _, c := range []struct{ alg, response, ha1 string }{
		{"SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1", hashHex("SHA-256", a)},
		{"MD5", "8ca523f5e9506fed4657c9700eebdbec", md5hex(a)},
	} {
		cr, ok := parseCredentials(`Digest username="Mufasa", algorithm=` + c.alg + `, response="` + c.response + `", ` + rest)
		if !ok || !validResponse(&cr, c.alg, c.ha1, "GET") {
			t.Errorf("RFC 7616 %s example refused (%v)", c.alg, ok)
		}
	}
}
