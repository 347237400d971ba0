package test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/app"
	"github.com/callrec/callrec/internal/config"
	"github.com/callrec/callrec/internal/store"
)

// TestServeAuth runs `callrec serve` with users in its database (so
// serve.auth: auto authenticates) and sipp as the phone: a REGISTER is
// challenged 401 and accepted with the right password, refused 403 with
// a wrong one; a call is challenged 407, placed with digest credentials,
// anchored and recorded; a call from a trunk's address needs none.
func TestServeAuth(t *testing.T) {
	RequireBinary(t, "sipp", "sip-tester")
	t.Run("register", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
		t.Cleanup(cancel)
		c := config.Default()
		c.Serve.DataDir = t.TempDir()
		c.Serve.SIPListen = fmt.Sprintf("127.0.0.1:%d", FreeUDPPort(t, "127.0.0.1"))
		c.Serve.HTTPListen = "127.0.0.1:0"
		c.Media.PortMin = FreeUDPRange(t, "127.0.0.1", 4)
		c.Media.PortMax = c.Media.PortMin + 3
		n := StartServe(t, ctx, c)
		// The realm is the AOR's domain: the proxy's address.
		if err := n.Store.AddUser(ctx, store.User{Username: "alice", Domain: "127.0.0.1",
			HA1: store.HA1("alice", "127.0.0.1", "s3cret"), Enabled: true}); err != nil {
			t.Fatal(err)
		}
		reg := func(password string) (*Sipp, error) {
			s := StartSipp(t, SippConfig{
				Label: "sipp register " + password, Scenario: Testdata(t, "sipp", "uac_register_auth.xml"), IP: "127.0.0.4",
				Remote: c.Serve.SIPListen, Keys: map[string]string{"user": "alice"},
				Extra: []string{"-au", "alice", "-ap", password},
			})
			return s, s.Proc.Wait(ctx)
		}
		bad, err := reg("wrong")
		if err == nil {
			t.Fatal("sipp registered with a wrong password")
		}
		if msgs, _ := bad.ReceivedMessages(); len(msgs) < 2 || !strings.HasPrefix(msgs[0], "SIP/2.0 401") || !strings.HasPrefix(msgs[1], "SIP/2.0 403") {
			t.Errorf("wrong password: received %q, want 401 then 403", msgs)
		}
		if bs, _ := n.Store.Lookup(ctx, "alice"); len(bs) != 0 {
			t.Fatalf("bound with a wrong password: %+v", bs)
		}
		if _, err := reg("s3cret"); err != nil {
			t.Fatalf("sipp register with the right password: %v", err)
		}
		if bs, err := n.Store.Lookup(ctx, "alice"); err != nil || len(bs) != 1 || !strings.Contains(bs[0].Contact, "127.0.0.4") {
			t.Fatalf("bindings of alice %+v, %v: want sipp's contact", bs, err)
		}
		// Two 401s, and a 407 for the BYE sipp sends after the unexpected
		// 403 (its To tag belongs to no call, so it is not let through).
		metrics := scrape(t, n.HTTP)
		for _, want := range []string{"callrec_proxy_auth_challenges_total 3", "callrec_proxy_auth_failures_total 1"} {
			if !strings.Contains(metrics, want+"\n") {
				t.Errorf("/metrics lacks %q:\n%s", want, metrics)
			}
		}
	})

	t.Run("digest-call", func(t *testing.T) {
		var node *app.Node
		// sipp's digest-uri is remote_ip:remote_port unless -auth_uri
		// says otherwise; the proxy wants the Request-URI (RFC 2617
		// §3.2.2.5), as real phones send.
		serveCallAs(t, serveUAC{scenario: "uac_rtp_auth.xml", keys: map[string]string{"user": "carol"},
			extra: []string{"-au", "carol", "-ap", "pw", "-auth_uri", "uas@[target]"}}, nil,
			func(t *testing.T, n *app.Node, uas string) {
				node = n
				addUserAndRoute(t, n, "carol", uas)
			})
		if st := node.Proxy.Stats(); st.AuthChallenges != 1 || st.AuthFailures != 0 || st.Calls != 1 {
			t.Errorf("proxy stats %+v: want 1 challenge, no failure, 1 call", st)
		}
	})

	t.Run("trunk-call", func(t *testing.T) {
		var node *app.Node
		serveCall(t, nil, func(t *testing.T, n *app.Node, uas string) {
			node = n
			addUserAndRoute(t, n, "carol", uas)
			// sipp's uac_rtp.xml sends no credentials: only its address
			// (127.0.0.2) lets it in.
			if err := n.Store.AddTrunk(context.Background(), store.Trunk{Name: "sipp",
				Networks: []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}, Enabled: true}); err != nil {
				t.Fatal(err)
			}
		})
		if st := node.Proxy.Stats(); st.AuthChallenges != 0 || st.TrunkRequests != 1 || st.Calls != 1 {
			t.Errorf("proxy stats %+v: want no challenge, 1 trunk request, 1 call", st)
		}
	})
}

// addUserAndRoute adds user (in the realm of the proxy's address, with
// password "pw") and a database route from "ua" to the sipp UAS.
func addUserAndRoute(t *testing.T, n *app.Node, user, uas string) {
	t.Helper()
	ctx := context.Background()
	realm, _, _ := strings.Cut(n.Config.Serve.SIPListen, ":")
	if err := n.Store.AddUser(ctx, store.User{Username: user, Domain: realm, HA1: store.HA1(user, realm, "pw"), Enabled: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Store.AddRoute(ctx, store.Route{Pattern: "ua", Destination: "sip:" + uas, Enabled: true}); err != nil {
		t.Fatal(err)
	}
}

// scrape returns the text of http://addr/metrics.
func scrape(t *testing.T, addr string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
