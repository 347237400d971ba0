package proxy

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

func mustRequest(t *testing.T, raw string) *sip.Request {
	t.Helper()
	m, err := sip.ParseMessage([]byte(raw))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return m.(*sip.Request)
}

func invite(ruri string) string {
	return "INVITE " + ruri + " SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1\r\n" +
		"From: <sip:a@192.0.2.1>;tag=1\r\nTo: <" + ruri + ">\r\n" +
		"Call-ID: c1\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
}

func TestStaticRouter(t *testing.T) {
	r, err := NewStaticRouter([]StaticRule{
		{Prefix: "44", Destination: "sip:gw2.example:5070", Priority: 2},
		{Prefix: "44", Destination: "sip:gw1.example", Priority: 1},
		{Prefix: "1", Destination: "sip:us@gw3.example;transport=tcp"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		ruri string
		want []Target
	}{
		{"sip:4412@proxy", []Target{{"sip:4412@gw1.example", 1}, {"sip:4412@gw2.example:5070", 2}}},
		{"sip:1800@proxy", []Target{{"sip:us@gw3.example;transport=tcp", 0}}},
		{"sip:33@proxy", nil},
	} {
		got, err := r.Route(context.Background(), mustRequest(t, invite(c.ruri)))
		if c.want == nil {
			if !errors.Is(err, ErrNoRoute) {
				t.Errorf("%s: %v %v, want ErrNoRoute", c.ruri, got, err)
			}
			continue
		}
		if err != nil || len(got) != len(c.want) {
			t.Fatalf("%s: %v %v, want %v", c.ruri, got, err, c.want)
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s: target %d = %v, want %v", c.ruri, i, got[i], c.want[i])
			}
		}
	}
	if _, err := NewStaticRouter([]StaticRule{{Destination: "tel:123"}}); !errors.Is(err, ErrBadTarget) {
		t.Errorf("tel: destination: %v, want ErrBadTarget", err)
	}
}

func TestSortGroups(t *testing.T) {
	g := sortGroups([]Target{{"c", 2}, {"a", 0}, {"b", 0}})
	if len(g) != 2 || len(g[0]) != 2 || g[0][0].URI != "a" || g[0][1].URI != "b" || g[1][0].URI != "c" {
		t.Errorf("groups %v", g)
	}
}

func register1(user, contact, expires string) string {
	return "REGISTER sip:proxy SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK2\r\n" +
		"From: <sip:" + user + "@proxy>;tag=2\r\nTo: <sip:" + user + "@proxy>\r\n" +
		"Call-ID: r1\r\nCSeq: 1 REGISTER\r\nContact: " + contact + "\r\n" + expires +
		"Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
}

// TestRegistrar follows RFC 3261 §10.3: bindings with their expiry,
// refresh, removal with expires=0 and Contact: * with Expires: 0.
func TestRegistrar(t *testing.T) {
	reg := NewRegistrar()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	reg.now = func() time.Time { return now }
	ctx := context.Background()
	do := func(raw string) *sip.Response { return register(ctx, reg, mustRequest(t, raw), now) }

	if res := do(register1("Bob", "<sip:bob@192.0.2.5:5062>", "Expires: 60\r\n")); res.StatusCode != 200 || len(res.GetHeaders("Contact")) != 1 {
		t.Fatalf("register: %d %v", res.StatusCode, res)
	}
	do(register1("bob", "<sip:bob@192.0.2.6:5062>;expires=120", ""))
	routes, err := LocationRouter{reg}.Route(ctx, mustRequest(t, invite("sip:BOB@proxy")))
	if err != nil || len(routes) != 2 || routes[0].Priority != routes[1].Priority {
		t.Fatalf("route to bob: %v %v, want two parallel targets", routes, err)
	}
	now = now.Add(90 * time.Second) // the first binding lapses
	bs, _ := reg.Lookup(ctx, "bob")
	if len(bs) != 1 || bs[0].Contact != "sip:bob@192.0.2.6:5062" {
		t.Errorf("after 90 s: %v", bs)
	}
	do(register1("bob", "<sip:bob@192.0.2.6:5062>;expires=0", ""))
	if bs, _ := reg.Lookup(ctx, "bob"); len(bs) != 0 {
		t.Errorf("after expires=0: %v", bs)
	}
	do(register1("bob", "<sip:bob@192.0.2.7>", ""))
	if res := do(register1("bob", "*", "")); res.StatusCode != 400 {
		t.Errorf("Contact: * without Expires: 0 answered %d", res.StatusCode)
	}
	do(register1("bob", "*", "Expires: 0\r\n"))
	if _, err := (LocationRouter{reg}).Route(ctx, mustRequest(t, invite("sip:bob@proxy"))); !errors.Is(err, ErrNoRoute) {
		t.Errorf("after Contact: *: %v, want ErrNoRoute", err)
	}
}
