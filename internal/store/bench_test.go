package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// benchBoth runs f as a sub-benchmark per backend on a fresh Store.
func benchBoth(b *testing.B, f func(b *testing.B, s *Store)) {
	for _, d := range []Dialect{SQLite, Postgres} {
		b.Run(string(d), func(b *testing.B) { f(b, openTest(b, d)) })
	}
}

// BenchmarkLookup looks up one AOR with three bindings among 1000 AORs.
func BenchmarkLookup(b *testing.B) {
	benchBoth(b, func(b *testing.B, s *Store) {
		ctx := context.Background()
		exp := time.Now().Add(time.Hour)
		for i := range 1000 {
			for j := range 3 {
				if err := s.SaveBinding(ctx, Binding{AOR: fmt.Sprintf("sip:u%d@example.com", i),
					Contact: fmt.Sprintf("sip:u%d@10.0.%d.%d", i, j, i%250), Expires: exp, Q: 0.5, CallID: "x", CSeq: 1}); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportAllocs()
		for b.Loop() {
			bs, err := s.Lookup(ctx, "sip:u500@example.com")
			if err != nil || len(bs) != 3 {
				b.Fatal(len(bs), err)
			}
		}
	})
}

// BenchmarkMatchRoutes matches a 12-digit number against 1000 prefix
// routes, two regex routes and a default route.
func BenchmarkMatchRoutes(b *testing.B) {
	benchBoth(b, func(b *testing.B, s *Store) {
		ctx := context.Background()
		add := func(r Route) {
			r.Enabled = true
			if _, err := s.AddRoute(ctx, r); err != nil {
				b.Fatal(err)
			}
		}
		for i := range 1000 {
			add(Route{Pattern: fmt.Sprintf("+44%d", 1000+i), Destination: "sip:gw@h", Priority: i % 3})
		}
		add(Route{Kind: Regex, Pattern: `1[0-9]{3}`, Destination: "sip:ext@pbx"})
		add(Route{Kind: Regex, Pattern: `\+44.*`, Destination: "sip:uk@gw"})
		add(Route{Destination: "sip:default@gw"})
		b.ReportAllocs()
		for b.Loop() {
			rs, err := s.MatchRoutes(ctx, "+441500123456")
			if err != nil || len(rs) != 3 {
				b.Fatal(len(rs), err)
			}
		}
	})
}

// BenchmarkCacheLookup is a Lookup answered from a fresh Cache entry.
func BenchmarkCacheLookup(b *testing.B) {
	c := NewCache(&failing{}, CacheOptions{TTL: time.Hour})
	ctx := context.Background()
	c.Lookup(ctx, "sip:a@b")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Lookup(ctx, "sip:a@b"); err != nil {
			b.Fatal(err)
		}
	}
}
