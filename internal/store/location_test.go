package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestBindings(t *testing.T) {
	both(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		now := time.UnixMilli(1_700_000_000_000)
		s.now = func() time.Time { return now }
		const aor = "sip:alice@example.com"
		steps := []struct {
			name string
			b    Binding
			err  error
		}{
			{"first", Binding{AOR: aor, Contact: "sip:alice@10.0.0.1:5060", Received: "198.51.100.7:40000", Transport: "udp",
				Expires: now.Add(time.Hour), Q: 0.5, CallID: "c1", CSeq: 1, UserAgent: "baresip"}, nil},
			{"second contact higher q", Binding{AOR: aor, Contact: "sip:alice@10.0.0.2:5060", Expires: now.Add(time.Hour), Q: 1, CallID: "c2", CSeq: 7}, nil},
			{"refresh", Binding{AOR: aor, Contact: "sip:alice@10.0.0.1:5060", Received: "198.51.100.7:40000", Transport: "udp",
				Expires: now.Add(2 * time.Hour), Q: 0.5, CallID: "c1", CSeq: 2, UserAgent: "baresip"}, nil},
			{"same cseq is stale", Binding{AOR: aor, Contact: "sip:alice@10.0.0.1:5060", Expires: now.Add(3 * time.Hour), Q: 0.1, CallID: "c1", CSeq: 2}, ErrStale},
			{"lower cseq is stale", Binding{AOR: aor, Contact: "sip:alice@10.0.0.1:5060", Expires: now.Add(3 * time.Hour), Q: 0.1, CallID: "c1", CSeq: 1}, ErrStale},
			{"expired contact", Binding{AOR: aor, Contact: "sip:alice@10.0.0.3:5060", Expires: now.Add(-time.Second), Q: 1, CallID: "c3", CSeq: 1}, nil},
			{"other aor", Binding{AOR: "sip:bob@example.com", Contact: "sip:bob@10.0.0.9", Expires: now.Add(time.Hour), Q: 1, CallID: "b", CSeq: 1}, nil},
			{"no contact", Binding{AOR: aor, Expires: now.Add(time.Hour)}, ErrInvalid},
			{"bad q", Binding{AOR: aor, Contact: "sip:x", Q: 2}, ErrInvalid},
		}
		for _, st := range steps {
			if err := s.SaveBinding(ctx, st.b); !errors.Is(err, st.err) {
				t.Fatalf("%s: SaveBinding = %v, want %v", st.name, err, st.err)
			}
		}
		bs, err := s.Lookup(ctx, aor)
		if err != nil {
			t.Fatal(err)
		}
		if len(bs) != 2 || bs[0].Contact != "sip:alice@10.0.0.2:5060" || bs[1].Contact != "sip:alice@10.0.0.1:5060" {
			t.Fatalf("Lookup = %+v, want 10.0.0.2 (q=1) then 10.0.0.1", bs)
		}
		want := Binding{AOR: aor, Contact: "sip:alice@10.0.0.1:5060", Received: "198.51.100.7:40000", Transport: "udp",
			Expires: now.Add(2 * time.Hour), Q: 0.5, CallID: "c1", CSeq: 2, UserAgent: "baresip", Updated: now}
		if got := bs[1]; !got.Expires.Equal(want.Expires) || !got.Updated.Equal(want.Updated) {
			t.Errorf("times %v %v, want %v %v", got.Expires, got.Updated, want.Expires, want.Updated)
		} else {
			got.Expires, got.Updated = want.Expires, want.Updated
			if got != want {
				t.Errorf("binding %+v, want %+v", got, want)
			}
		}
		if bs, err := s.Lookup(ctx, "sip:nobody@example.com"); err != nil || len(bs) != 0 {
			t.Errorf("Lookup unknown = %v, %v", bs, err)
		}
		if n, err := s.Expire(ctx, now); err != nil || n != 1 {
			t.Errorf("Expire = %d, %v; want 1", n, err)
		}
		if err := s.RemoveBinding(ctx, aor, "sip:alice@10.0.0.2:5060"); err != nil {
			t.Error(err)
		}
		if err := s.RemoveBinding(ctx, aor, "sip:alice@10.0.0.2:5060"); !errors.Is(err, ErrNotFound) {
			t.Errorf("second RemoveBinding = %v, want ErrNotFound", err)
		}
		if n, err := s.RemoveAll(ctx, aor); err != nil || n != 1 {
			t.Errorf("RemoveAll = %d, %v; want 1", n, err)
		}
		if bs, _ := s.Lookup(ctx, "sip:bob@example.com"); len(bs) != 1 {
			t.Errorf("bob's binding gone: %v", bs)
		}
		now = now.Add(2 * time.Hour)
		if bs, _ := s.Lookup(ctx, "sip:bob@example.com"); len(bs) != 0 {
			t.Errorf("expired binding returned: %v", bs)
		}
	})
}
