package store

import (
	"context"
	"errors"
	"slices"
	"testing"
)

func TestRoutes(t *testing.T) {
	both(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		routes := []Route{
			{Pattern: "", Destination: "sip:default@gw0", Priority: 0, Enabled: true, Description: "default"},
			{Pattern: "+44", Destination: "sip:uk@gw1", Priority: 10, Enabled: true},
			{Pattern: "+44", Destination: "sip:uk-backup@gw2", Priority: 20, Enabled: true},
			{Pattern: "+4420", Destination: "sip:london@gw3", Priority: 50, Enabled: true},
			{Pattern: "+4420", Destination: "sip:london-off@gw4", Priority: 1, Enabled: false},
			{Kind: Exact, Pattern: "+442071234567", Destination: "sip:vip@gw5", Priority: 99, Enabled: true},
			{Kind: Regex, Pattern: `1[0-9]{3}`, Destination: "sip:ext@pbx", Priority: 5, Enabled: true},
			{Pattern: "+33", Destination: "sip:fr@gw6", Enabled: true},
		}
		ids := make([]int64, len(routes))
		for i, r := range routes {
			id, err := s.AddRoute(ctx, r)
			if err != nil {
				t.Fatalf("AddRoute %+v: %v", r, err)
			}
			ids[i] = id
		}
		for _, c := range []struct {
			user string
			want []string
		}{
			{"+442071234567", []string{"sip:vip@gw5", "sip:london@gw3", "sip:uk@gw1", "sip:uk-backup@gw2", "sip:default@gw0"}},
			{"+442079999999", []string{"sip:london@gw3", "sip:uk@gw1", "sip:uk-backup@gw2", "sip:default@gw0"}},
			{"+441611234567", []string{"sip:uk@gw1", "sip:uk-backup@gw2", "sip:default@gw0"}},
			{"1234", []string{"sip:default@gw0", "sip:ext@pbx"}},
			{"12345", []string{"sip:default@gw0"}},
			{"+3312", []string{"sip:fr@gw6", "sip:default@gw0"}},
			{"", []string{"sip:default@gw0"}},
		} {
			rs, err := s.MatchRoutes(ctx, c.user)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range rs {
				got = append(got, r.Destination)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("MatchRoutes(%q) = %v, want %v", c.user, got, c.want)
			}
		}
		all, err := s.ListRoutes(ctx)
		if err != nil || len(all) != len(routes) {
			t.Fatalf("ListRoutes = %d routes, %v", len(all), err)
		}
		if all[0].Description != "default" || all[0].Kind != Prefix || !all[0].Enabled {
			t.Errorf("first listed route %+v", all[0])
		}
		if err := s.RemoveRoute(ctx, ids[0]); err != nil {
			t.Error(err)
		}
		if err := s.RemoveRoute(ctx, ids[0]); !errors.Is(err, ErrNotFound) {
			t.Errorf("RemoveRoute twice = %v, want ErrNotFound", err)
		}
		if rs, _ := s.MatchRoutes(ctx, "999"); len(rs) != 0 {
			t.Errorf("without default route: %v", rs)
		}
		for _, bad := range []Route{
			{Kind: Regex, Pattern: "(", Destination: "sip:x"},
			{Kind: "glob", Pattern: "1*", Destination: "sip:x"},
			{Pattern: "1", Destination: ""},
			{Kind: Exact, Pattern: "", Destination: "sip:x"},
		} {
			if _, err := s.AddRoute(ctx, bad); !errors.Is(err, ErrInvalid) {
				t.Errorf("AddRoute(%+v) = %v, want ErrInvalid", bad, err)
			}
		}
	})
}
