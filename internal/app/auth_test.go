package app

import (
	"context"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/callrec/callrec/internal/config"
	"github.com/callrec/callrec/internal/store"
)

// TestServeAuth wires serve.auth to a real database: off builds nothing;
// auto requires authentication once a user exists; users' MD5 and
// SHA-256 HA1s and the trunks come from the store.
func TestServeAuth(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "callrec.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := config.Default().Serve
	s.Auth = "off"
	if serveAuth(s, st) != nil {
		t.Error("auth: off built an authenticator")
	}

	s.Auth = "auto"
	a := serveAuth(s, st)
	if a.Required(ctx) {
		t.Error("auth: auto with no users requires authentication")
	}
	for _, u := range []store.User{
		{Username: "alice", Domain: "example.com", HA1: store.HA1("alice", "example.com", "pw"),
			HA1SHA256: store.HA1SHA256("alice", "example.com", "pw"), Enabled: true},
		{Username: "old", Domain: "example.com", HA1: store.HA1("old", "example.com", "pw"), Enabled: true},
		{Username: "off", Domain: "example.com", HA1: store.HA1("off", "example.com", "pw")},
	} {
		if err := st.AddUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.AddTrunk(ctx, store.Trunk{Name: "gw", Networks: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	// A fresh authenticator: the first one cached "no users" for 5 s.
	a = serveAuth(s, st)
	if !a.Required(ctx) {
		t.Error("auth: auto with users does not require authentication")
	}
	for _, c := range []struct {
		user, alg, want string
		ok              bool
	}{
		{"alice", "MD5", store.HA1("alice", "example.com", "pw"), true},
		{"alice", "SHA-256", store.HA1SHA256("alice", "example.com", "pw"), true},
		{"old", "MD5", store.HA1("old", "example.com", "pw"), true},
		{"old", "SHA-256", "", false},
		{"off", "MD5", "", false},
		{"nobody", "MD5", "", false},
	} {
		ha1, ok, err := a.Users.HA1(ctx, c.user, "example.com", c.alg)
		if ha1 != c.want || ok != c.ok || err != nil {
			t.Errorf("HA1(%s, %s) = %q, %v, %v; want %q, %v", c.user, c.alg, ha1, ok, err, c.want, c.ok)
		}
	}
	if name, ok, err := a.Trunks.Trunk(ctx, netip.MustParseAddr("192.0.2.7")); name != "gw" || !ok || err != nil {
		t.Errorf("Trunk(192.0.2.7) = %q, %v, %v", name, ok, err)
	}
	if _, ok, err := a.Trunks.Trunk(ctx, netip.MustParseAddr("198.51.100.1")); ok || err != nil {
		t.Errorf("Trunk(198.51.100.1) = %v, %v; want none", ok, err)
	}
	s.Auth = "on"
	if a := serveAuth(s, st); a.Required != nil {
		t.Error("auth: on asks whether to authenticate")
	}
}
