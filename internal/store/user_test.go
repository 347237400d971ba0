package store

import (
	"context"
	"errors"
	"net/netip"
	"testing"
)

func TestHA1(t *testing.T) {
	// RFC 2617 section 3.5: Mufasa / testrealm@host.com / Circle Of Life.
	if got := HA1("Mufasa", "testrealm@host.com", "Circle Of Life"); got != "939e7578ed9e3c518a452acee763bce9" {
		t.Errorf("HA1 = %s", got)
	}
}

func TestUsers(t *testing.T) {
	both(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		for _, c := range []struct {
			u   User
			err error
		}{
			{User{Username: "alice", Domain: "example.com", HA1: HA1("alice", "example.com", "pw"), HA1SHA256: HA1SHA256("alice", "example.com", "pw"),
				Enabled: true, DisplayName: "Alice"}, nil},
			{User{Username: "dave", Domain: "example.com", HA1: HA1("dave", "example.com", "pw"), HA1SHA256: "short"}, ErrInvalid},
			{User{Username: "bob", Domain: "example.com", HA1: HA1("bob", "example.com", "pw"), Enabled: false}, nil},
			{User{Username: "alice", Domain: "other.org", HA1: HA1("alice", "other.org", "x"), Enabled: true}, nil},
			{User{Username: "alice", Domain: "example.com", HA1: HA1("alice", "example.com", "pw2"), Enabled: true}, ErrExists},
			{User{Username: "carol", Domain: "example.com", HA1: "pw"}, ErrInvalid},
			{User{Username: "", Domain: "example.com", HA1: HA1("", "example.com", "pw")}, ErrInvalid},
		} {
			if err := s.AddUser(ctx, c.u); !errors.Is(err, c.err) {
				t.Errorf("AddUser(%s@%s) = %v, want %v", c.u.Username, c.u.Domain, err, c.err)
			}
		}
		for _, c := range []struct {
			user, realm, want string
			err               error
		}{
			{"alice", "example.com", HA1("alice", "example.com", "pw"), nil},
			{"alice", "other.org", HA1("alice", "other.org", "x"), nil},
			{"bob", "example.com", "", ErrDisabled},
			{"carol", "example.com", "", ErrNotFound},
		} {
			got, err := s.UserHA1(ctx, c.user, c.realm)
			if got != c.want || !errors.Is(err, c.err) {
				t.Errorf("UserHA1(%s, %s) = %q, %v; want %q, %v", c.user, c.realm, got, err, c.want, c.err)
			}
		}
		if u, err := s.UserCredentials(ctx, "alice", "example.com"); err != nil || u.HA1SHA256 != HA1SHA256("alice", "example.com", "pw") ||
			u.HA1 != HA1("alice", "example.com", "pw") || u.DisplayName != "Alice" {
			t.Errorf("UserCredentials(alice) = %+v, %v", u, err)
		}
		if u, err := s.UserCredentials(ctx, "alice", "other.org"); err != nil || u.HA1SHA256 != "" {
			t.Errorf("UserCredentials of a user stored without a SHA-256 HA1 = %+v, %v", u, err)
		}
		us, err := s.ListUsers(ctx, "example.com")
		if err != nil || len(us) != 2 || us[0].Username != "alice" || us[0].DisplayName != "Alice" || us[1].Enabled {
			t.Errorf("ListUsers(example.com) = %+v, %v", us, err)
		}
		if us, _ := s.ListUsers(ctx, ""); len(us) != 3 {
			t.Errorf("ListUsers() = %d users, want 3", len(us))
		}
		if err := s.RemoveUser(ctx, "alice", "other.org"); err != nil {
			t.Error(err)
		}
		if err := s.RemoveUser(ctx, "alice", "other.org"); !errors.Is(err, ErrNotFound) {
			t.Errorf("RemoveUser twice = %v", err)
		}
	})
}

func TestTrunks(t *testing.T) {
	both(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		pfx := netip.MustParsePrefix
		for _, c := range []struct {
			t   Trunk
			err error
		}{
			{Trunk{Name: "carrier", Networks: []netip.Prefix{pfx("203.0.113.0/24"), pfx("2001:db8::/32")}, Enabled: true, Description: "main"}, nil},
			{Trunk{Name: "pbx", Networks: []netip.Prefix{pfx("203.0.113.10/32"), pfx("203.0.113.10/32")}, Enabled: true}, nil},
			{Trunk{Name: "old", Networks: []netip.Prefix{pfx("198.51.100.0/24")}, Enabled: false}, nil},
			{Trunk{Name: "mapped", Networks: []netip.Prefix{pfx("::ffff:192.0.2.0/120")}, Enabled: true}, nil},
			{Trunk{Name: "carrier", Networks: []netip.Prefix{pfx("192.0.2.0/24")}, Enabled: true}, ErrExists},
			{Trunk{Name: "empty", Enabled: true}, ErrInvalid},
		} {
			if err := s.AddTrunk(ctx, c.t); !errors.Is(err, c.err) {
				t.Errorf("AddTrunk(%s) = %v, want %v", c.t.Name, err, c.err)
			}
		}
		for _, c := range []struct {
			ip, want string
		}{
			{"203.0.113.5", "carrier"},
			{"203.0.113.10", "pbx"},
			{"::ffff:203.0.113.10", "pbx"},
			{"2001:db8::1", "carrier"},
			{"192.0.2.77", "mapped"},
			{"198.51.100.1", ""},
			{"10.0.0.1", ""},
		} {
			tr, err := s.TrunkForIP(ctx, netip.MustParseAddr(c.ip))
			if c.want == "" {
				if !errors.Is(err, ErrNotFound) {
					t.Errorf("TrunkForIP(%s) = %+v, %v; want ErrNotFound", c.ip, tr, err)
				}
				continue
			}
			if err != nil || tr.Name != c.want {
				t.Errorf("TrunkForIP(%s) = %+v, %v; want %s", c.ip, tr, err, c.want)
			}
		}
		ts, err := s.ListTrunks(ctx)
		if err != nil || len(ts) != 4 || ts[0].Name != "carrier" || len(ts[0].Networks) != 2 || ts[0].Description != "main" {
			t.Fatalf("ListTrunks = %+v, %v", ts, err)
		}
		if ts[3].Name != "pbx" || len(ts[3].Networks) != 1 {
			t.Errorf("pbx trunk %+v, want one network", ts[3])
		}
		if err := s.RemoveTrunk(ctx, "pbx"); err != nil {
			t.Error(err)
		}
		if tr, err := s.TrunkForIP(ctx, netip.MustParseAddr("203.0.113.10")); err != nil || tr.Name != "carrier" {
			t.Errorf("after removing pbx: %+v, %v", tr, err)
		}
		if err := s.RemoveTrunk(ctx, "pbx"); !errors.Is(err, ErrNotFound) {
			t.Errorf("RemoveTrunk twice = %v", err)
		}
	})
}
