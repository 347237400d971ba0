package store

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"
)

// TestAuthCache reads users and trunks through an AuthCache on both
// databases: answers (unknown and disabled users included) are served
// from the cache within TTL, changes show after TTL, and when the
// database is closed the last answers keep coming, counted stale.
func TestAuthCache(t *testing.T) {
	both(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		now := time.UnixMilli(1_700_000_000_000)
		c := NewAuthCache(s, CacheOptions{TTL: 10 * time.Second, Now: func() time.Time { return now }})
		if has, err := c.HasUsers(ctx); err != nil || has {
			t.Fatalf("HasUsers on an empty table = %v, %v", has, err)
		}
		if _, err := c.TrunkForIP(ctx, netip.MustParseAddr("203.0.113.5")); !errors.Is(err, ErrNotFound) {
			t.Fatalf("TrunkForIP without trunks = %v", err)
		}
		for _, u := range []User{
			{Username: "alice", Domain: "example.com", HA1: HA1("alice", "example.com", "pw"), HA1SHA256: HA1SHA256("alice", "example.com", "pw"), Enabled: true},
			{Username: "bob", Domain: "example.com", HA1: HA1("bob", "example.com", "pw"), Enabled: false},
		} {
			if err := s.AddUser(ctx, u); err != nil {
				t.Fatal(err)
			}
		}
		pfx := netip.MustParsePrefix
		for _, tr := range []Trunk{
			{Name: "carrier", Networks: []netip.Prefix{pfx("203.0.113.0/24")}, Enabled: true},
			{Name: "pbx", Networks: []netip.Prefix{pfx("203.0.113.10/32")}, Enabled: true},
			{Name: "old", Networks: []netip.Prefix{pfx("198.51.100.0/24")}, Enabled: false},
		} {
			if err := s.AddTrunk(ctx, tr); err != nil {
				t.Fatal(err)
			}
		}
		// Within TTL the empty answers stand.
		if has, _ := c.HasUsers(ctx); has {
			t.Error("HasUsers changed within TTL")
		}
		now = now.Add(11 * time.Second)

		check := func(step string) {
			t.Helper()
			if has, err := c.HasUsers(ctx); err != nil || !has {
				t.Errorf("%s: HasUsers = %v, %v", step, has, err)
			}
			for _, u := range []struct {
				user, want string
				err        error
			}{
				{"alice", HA1("alice", "example.com", "pw"), nil},
				{"bob", "", ErrDisabled},
				{"carol", "", ErrNotFound},
			} {
				if got, err := c.UserCredentials(ctx, u.user, "example.com"); got.HA1 != u.want || !errors.Is(err, u.err) ||
					u.want != "" && got.HA1SHA256 != HA1SHA256(u.user, "example.com", "pw") {
					t.Errorf("%s: UserCredentials(%s) = %+v, %v; want HA1 %q, %v", step, u.user, got, err, u.want, u.err)
				}
			}
			for ip, want := range map[string]string{"203.0.113.5": "carrier", "203.0.113.10": "pbx", "::ffff:203.0.113.10": "pbx", "198.51.100.1": "", "10.0.0.1": ""} {
				tr, err := c.TrunkForIP(ctx, netip.MustParseAddr(ip))
				if want == "" && !errors.Is(err, ErrNotFound) || want != "" && (err != nil || tr.Name != want) {
					t.Errorf("%s: TrunkForIP(%s) = %q, %v; want %q", step, ip, tr.Name, err, want)
				}
			}
		}
		check("miss")
		misses := c.Stats().Misses
		check("hit")
		if st := c.Stats(); st.Misses != misses || st.Hits == 0 {
			t.Errorf("second round went to the database: %+v", st)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Minute)
		check("stale")
		if st := c.Stats(); st.Stale == 0 {
			t.Errorf("stats %+v: want stale answers with the database closed", st)
		}
		if _, err := c.UserCredentials(ctx, "dave", "example.com"); err == nil || errors.Is(err, ErrNotFound) {
			t.Errorf("UserCredentials of an uncached user with the database closed = %v, want the database's error", err)
		}
	})
}
