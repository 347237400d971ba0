package catalog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/store"
	"github.com/callrec/callrec/internal/store/storetest"
)

// openTest opens a catalogue on an empty database of dialect.
func openTest(t testing.TB, dialect store.Dialect) *Catalog {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, storetest.DSN(t, string(dialect)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c, err := Open(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// both runs f against SQLite and PostgreSQL.
func both(t *testing.T, f func(t *testing.T, c *Catalog)) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) { f(t, openTest(t, d)) })
	}
}

var t0 = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

// sample is recording i of a small, varied data set.
func sample(i int) *Recording {
	callers := []string{"sip:+441234567@pstn.example.net", "sip:alice@pbx.example.com", "sip:bob@pbx.example.com"}
	names := []string{"", "Alice Smith", "Bob Jones"}
	r := &Recording{
		Key:    fmt.Sprintf("node1/rec-%04d", i),
		CallID: fmt.Sprintf("call-%d@example.com", i), FromTag: "f", ToTag: "t",
		Caller: callers[i%3], CallerName: names[i%3],
		Callee: fmt.Sprintf("sip:%d@agents.example.com", 2000+i%5), CalleeName: "Agent",
		Direction: "inbound",
		Started:   t0.Add(time.Duration(i) * time.Minute), Duration: time.Duration(10+i) * time.Second,
		Codecs: "PCMU", Profile: "default", Format: "wav", Size: int64(1000 * i), Location: fmt.Sprintf("2026/11/24/rec-%04d.wav", i),
		Status: StatusComplete, Node: "node1",
		Legs:   [2]Leg{{Packets: 500, Lost: int64(i % 7), JitterMs: 2.5}, {Packets: 500}},
		Labels: map[string]string{"queue": []string{"sales", "support"}[i%2]},
	}
	r.Ended = r.Started.Add(r.Duration)
	if i%4 == 0 {
		r.Events = []Event{{Type: "dtmf", At: 3 * time.Second, Duration: 100 * time.Millisecond, Party: "caller", Value: "5"}}
	}
	if i%12 == 0 { // a second digit: the recording must still come once
		r.Events = append(r.Events, Event{Type: "dtmf", At: 4 * time.Second, Party: "caller", Value: "6"})
	}
	if i%10 == 3 {
		r.Events = append(r.Events, Event{Type: "keyword", At: 7 * time.Second, Duration: 600 * time.Millisecond, Party: "callee", Value: "refund", Confidence: 0.87, Source: "spot"})
	}
	if i == 7 {
		r.Labels["hold"] = "legal"
		r.Status = StatusInterrupted
		r.Reason = "media node restarted"
	}
	return r
}

func TestPutGet(t *testing.T) {
	both(t, func(t *testing.T, c *Catalog) {
		ctx := context.Background()
		r := sample(3)
		if err := c.Put(ctx, r); err != nil {
			t.Fatal(err)
		}
		got, err := c.Get(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Key != r.Key || got.CallID != r.CallID || got.Caller != r.Caller || got.CalleeName != r.CalleeName ||
			!got.Started.Equal(r.Started) || !got.Ended.Equal(r.Ended) || got.Duration != r.Duration ||
			got.Size != r.Size || got.Status != StatusComplete || got.Legs != r.Legs || got.Location != r.Location {
			t.Errorf("got %+v\nwant %+v", got, r)
		}
		if got.Labels["queue"] != "support" || len(got.Labels) != 1 {
			t.Errorf("labels %v", got.Labels)
		}
		if !slices.Equal(got.Events, r.Events) || got.Events[0].Confidence != 0.87 || got.Events[0].Source != "spot" {
			t.Errorf("events %+v, want %+v", got.Events, r.Events)
		}
		if _, err := c.Get(ctx, r.ID+100); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get(missing) = %v, want ErrNotFound", err)
		}
		if err := c.Put(ctx, &Recording{Key: "x"}); !errors.Is(err, ErrInvalid) {
			t.Errorf("Put(no call id) = %v, want ErrInvalid", err)
		}
	})
}

// TestPutIdempotent: writing the same recording again (a retry, a
// rescan after restart) updates its one row; labels and events are
// replaced, not appended; concurrent puts of one key make one row.
func TestPutIdempotent(t *testing.T) {
	both(t, func(t *testing.T, c *Catalog) {
		ctx := context.Background()
		r := sample(0)
		r.Status = StatusRecording
		if err := c.Put(ctx, r); err != nil {
			t.Fatal(err)
		}
		id := r.ID
		r2 := sample(0)
		r2.Size, r2.Checksum = 12345, "sha256:abc"
		r2.Labels = map[string]string{"queue": "vip"}
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cp := *r2
				errs <- c.Put(ctx, &cp)
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		p, err := c.Search(ctx, Query{CallID: r.CallID})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Recordings) != 1 {
			t.Fatalf("%d rows for one key", len(p.Recordings))
		}
		got := p.Recordings[0]
		if got.ID != id || got.Status != StatusComplete || got.Size != 12345 || got.Checksum != "sha256:abc" {
			t.Errorf("got %+v", got)
		}
		if len(got.Labels) != 1 || got.Labels["queue"] != "vip" || len(got.Events) != len(r2.Events) {
			t.Errorf("labels %v events %v", got.Labels, got.Events)
		}
		if err := c.SetStatus(ctx, id, StatusDeleted, "retention"); err != nil {
			t.Fatal(err)
		}
		if g, _ := c.Get(ctx, id); g.Status != StatusDeleted || g.Reason != "retention" {
			t.Errorf("after SetStatus: %s %q", g.Status, g.Reason)
		}
		if err := c.SetStatus(ctx, id, "bogus", ""); !errors.Is(err, ErrInvalid) {
			t.Errorf("SetStatus(bogus) = %v", err)
		}
	})
}

func TestSearch(t *testing.T) {
	t.Run("big-chunks", testSearch)
	// Label and event searches walk their index a chunk at a time:
	// tiny chunks cross many chunk boundaries (an event's recording
	// spanning two of them, pages ending inside one).
	// Party and number filters with more than commonRows matches are
	// checked while walking the time index instead.
	saved, savedCommon := minChunk, commonRows
	minChunk, commonRows = 1, 2
	defer func() { minChunk, commonRows = saved, savedCommon }()
	t.Run("small-chunks", testSearch)
}

func testSearch(t *testing.T) {
	both(t, func(t *testing.T, c *Catalog) {
		ctx := context.Background()
		const n = 60
		for i := range n {
			if err := c.Put(ctx, sample(i)); err != nil {
				t.Fatal(err)
			}
		}
		// want lists which sample indexes a query must return, newest
		// (highest index) first.
		want := func(pred func(i int, r *Recording) bool) []string {
			var keys []string
			for i := n - 1; i >= 0; i-- {
				if r := sample(i); pred(i, r) {
					keys = append(keys, r.Key)
				}
			}
			return keys
		}
		for _, tc := range []struct {
			name string
			q    Query
			want []string
		}{
			{"all", Query{Limit: 1000}, want(func(int, *Recording) bool { return true })},
			{"time range", Query{From: t0.Add(10 * time.Minute), To: t0.Add(20 * time.Minute)},
				want(func(i int, _ *Recording) bool { return i >= 10 && i < 20 })},
			{"party substring, any case", Query{Party: "ALICE"}, want(func(i int, _ *Recording) bool { return i%3 == 1 })},
			{"party display name", Query{Party: "bob jon"}, want(func(i int, _ *Recording) bool { return i%3 == 2 })},
			{"party short substring", Query{Party: "+4"}, want(func(i int, _ *Recording) bool { return i%3 == 0 })},
			{"party with wildcard chars", Query{Party: "a%b_"}, nil},
			{"number prefix caller", Query{Number: "+4412"}, want(func(i int, _ *Recording) bool { return i%3 == 0 })},
			{"number prefix callee", Query{Number: "2003"}, want(func(i int, _ *Recording) bool { return i%5 == 3 })},
			{"duration", Query{MinDuration: 30 * time.Second, MaxDuration: 40 * time.Second},
				want(func(i int, _ *Recording) bool { return i >= 20 && i <= 30 })},
			{"status", Query{Status: StatusInterrupted}, want(func(i int, _ *Recording) bool { return i == 7 })},
			{"label name", Query{Label: "hold"}, want(func(i int, _ *Recording) bool { return i == 7 })},
			{"label value", Query{Label: "queue=sales"}, want(func(i int, _ *Recording) bool { return i%2 == 0 })},
			{"event type", Query{Event: "dtmf"}, want(func(i int, _ *Recording) bool { return i%4 == 0 })},
			{"event value", Query{Event: "keyword=refund"}, want(func(i int, _ *Recording) bool { return i%10 == 3 })},
			{"combined", Query{Party: "alice", Label: "queue=support", From: t0.Add(30 * time.Minute)},
				want(func(i int, _ *Recording) bool { return i%3 == 1 && i%2 == 1 && i >= 30 })},
		} {
			t.Run(tc.name, func(t *testing.T) {
				q := tc.q
				if q.Limit == 0 {
					q.Limit = 7 // exercise paging
				}
				if minChunk == 1 {
					q.Limit = 1 // chunks of 4
				}
				var got []string
				for page := 0; ; page++ {
					p, err := c.Search(ctx, q)
					if err != nil {
						t.Fatal(err)
					}
					if len(p.Recordings) > q.Limit {
						t.Fatalf("page of %d, limit %d", len(p.Recordings), q.Limit)
					}
					for _, r := range p.Recordings {
						got = append(got, r.Key)
					}
					if p.Next == "" || page > n {
						break
					}
					q.Cursor = p.Next
				}
				if fmt.Sprint(got) != fmt.Sprint(tc.want) {
					t.Errorf("got  %v\nwant %v", got, tc.want)
				}
			})
		}
		if _, err := c.Search(ctx, Query{Cursor: "!!"}); !errors.Is(err, ErrInvalid) {
			t.Errorf("bad cursor: %v", err)
		}
	})
}

func TestUserPart(t *testing.T) {
	for in, want := range map[string]string{
		"sip:Alice@example.com":        "alice",
		"<sip:+4412@gw;user=phone>":    "+4412",
		"tel:+4412;phone-context=x":    "+4412",
		"sips:bob@h?subject=x":         "bob",
		"1234":                         "1234",
		"\"A\" <sip:carol@h:5060>;t=x": "carol",
	} {
		if got := userPart(in); got != want {
			t.Errorf("userPart(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEstimateMOS(t *testing.T) {
	perfect := EstimateMOS(1000, 0, 0)
	if perfect < 4.3 || perfect > 4.5 {
		t.Errorf("no loss, no jitter: %.2f, want about 4.4", perfect)
	}
	lossy := EstimateMOS(900, 100, 0) // 10% loss
	if lossy >= perfect-0.5 {
		t.Errorf("10%% loss: %.2f, not well below %.2f", lossy, perfect)
	}
	if j := EstimateMOS(1000, 0, 80); j >= perfect {
		t.Errorf("80 ms jitter: %.2f, not below %.2f", j, perfect)
	}
	if EstimateMOS(0, 0, 0) != 0 {
		t.Error("no packets: want 0 (unknown)")
	}
	if m := EstimateMOS(10, 1000, 500); m != 1 {
		t.Errorf("all lost: %.2f, want 1", m)
	}
}
