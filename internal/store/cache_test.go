package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestCacheServesStale closes the database under a Cache: answers it had
// keep coming (counted stale), expired bindings drop out, unknown keys fail.
func TestCacheServesStale(t *testing.T) {
	both(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		now := time.UnixMilli(1_700_000_000_000)
		clock := func() time.Time { return now }
		s.now = clock
		const aor = "sip:alice@example.com"
		for _, b := range []Binding{
			{AOR: aor, Contact: "sip:alice@10.0.0.1", Expires: now.Add(time.Hour), Q: 1, CallID: "a", CSeq: 1},
			{AOR: aor, Contact: "sip:alice@10.0.0.2", Expires: now.Add(time.Minute), Q: 0.5, CallID: "b", CSeq: 1},
		} {
			if err := s.SaveBinding(ctx, b); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.AddRoute(ctx, Route{Pattern: "+44", Destination: "sip:uk@gw", Enabled: true}); err != nil {
			t.Fatal(err)
		}
		c := NewCache(s, CacheOptions{TTL: 10 * time.Second, Now: clock})

		steps := []struct {
			name      string
			advance   time.Duration
			closeDB   bool
			aor, user string
			bindings  int
			routes    int
			wantErr   bool
			want      CacheStats
		}{
			{name: "miss", aor: aor, user: "+4420", bindings: 2, routes: 1, want: CacheStats{Misses: 2}},
			{name: "hit", advance: 5 * time.Second, aor: aor, user: "+4420", bindings: 2, routes: 1, want: CacheStats{Misses: 2, Hits: 2}},
			{name: "refresh", advance: 6 * time.Second, aor: aor, user: "+4420", bindings: 2, routes: 1, want: CacheStats{Misses: 4, Hits: 2}},
			{name: "db closed, fresh entry", closeDB: true, aor: aor, user: "+4420", bindings: 2, routes: 1, want: CacheStats{Misses: 4, Hits: 4}},
			{name: "db closed, stale entry", advance: 20 * time.Second, aor: aor, user: "+4420", bindings: 2, routes: 1, want: CacheStats{Misses: 4, Hits: 4, Stale: 2}},
			{name: "stale binding expired itself", advance: 50 * time.Second, aor: aor, user: "+4420", bindings: 1, routes: 1, want: CacheStats{Misses: 4, Hits: 4, Stale: 4}},
			{name: "db closed, unknown key", aor: "sip:bob@example.com", user: "+33", wantErr: true, want: CacheStats{Misses: 4, Hits: 4, Stale: 4, Errors: 2}},
		}
		for _, st := range steps {
			now = now.Add(st.advance)
			if st.closeDB {
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
				if _, err := s.Lookup(ctx, aor); err == nil {
					t.Fatal("Lookup on a closed store succeeded")
				}
			}
			bs, berr := c.Lookup(ctx, st.aor)
			rs, rerr := c.MatchRoutes(ctx, st.user)
			if st.wantErr {
				if berr == nil || rerr == nil {
					t.Errorf("%s: errors %v, %v; want both", st.name, berr, rerr)
				}
			} else if berr != nil || rerr != nil || len(bs) != st.bindings || len(rs) != st.routes {
				t.Errorf("%s: %d bindings (%v), %d routes (%v); want %d, %d", st.name, len(bs), berr, len(rs), rerr, st.bindings, st.routes)
			}
			if got := c.Stats(); got != st.want {
				t.Errorf("%s: stats %+v, want %+v", st.name, got, st.want)
			}
		}
	})
}

// failing is a Source whose answers can be switched to errors.
type failing struct {
	err   error
	calls int
}

func (f *failing) Lookup(ctx context.Context, aor string) ([]Binding, error) {
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	return []Binding{{AOR: aor, Contact: "sip:" + aor, Expires: time.Now().Add(time.Hour)}}, nil
}

func (f *failing) MatchRoutes(ctx context.Context, user string) ([]Route, error) {
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	return []Route{{Pattern: user}}, nil
}

func TestCacheForgetAndBound(t *testing.T) {
	src := &failing{}
	c := NewCache(src, CacheOptions{TTL: time.Hour, MaxEntries: 2})
	ctx := context.Background()
	for _, k := range []string{"a", "b", "c", "a", "b", "c"} {
		if _, err := c.Lookup(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	if len(c.bindings) > 2 {
		t.Errorf("%d cached entries, want at most 2", len(c.bindings))
	}
	c.Lookup(ctx, "c")
	n := src.calls
	c.Forget("c")
	c.Lookup(ctx, "c")
	if src.calls != n+1 {
		t.Errorf("Forget did not force a read: %d calls, want %d", src.calls, n+1)
	}
	src.err = errors.New("down")
	c.Forget("c")
	if bs, err := c.Lookup(ctx, "c"); err != nil || len(bs) != 1 {
		t.Errorf("forgotten entry not served stale when the source is down: %v, %v", bs, err)
	}
	src.err = nil
	c.MatchRoutes(ctx, "1")
	n = src.calls
	c.ForgetRoutes()
	c.MatchRoutes(ctx, "1")
	if src.calls != n+1 {
		t.Errorf("ForgetRoutes did not force a read")
	}
}
