package asr

import (
	"errors"
	"testing"
	"time"
)

func kw(call, word string) Event {
	return Event{CallID: call, Recording: "2026/11/24/" + call, Leg: "caller", Type: "keyword", Keyword: word,
		Start: 1.5, End: 2, Confidence: 0.9, Source: "spot", Time: time.Now()}
}

// recv returns the next event of s, failing after a second.
func recv(t *testing.T, s *Subscription) (Event, bool) {
	t.Helper()
	select {
	case e, ok := <-s.C:
		return e, ok
	case <-time.After(time.Second):
		t.Fatal("no event within 1s")
		return Event{}, false
	}
}

// TestBrokerFanOut: every subscriber gets what its filter accepts, in
// order; a closed subscription gets nothing more.
func TestBrokerFanOut(t *testing.T) {
	b := NewBroker(BrokerConfig{})
	all, err := b.Subscribe(nil)
	if err != nil {
		t.Fatal(err)
	}
	onlyA, _ := b.Subscribe(func(e Event) bool { return e.CallID == "a" })
	b.Detected(kw("a", "refund"))
	b.Detected(kw("b", "cancel"))
	b.Detected(kw("a", "manager"))
	for _, want := range []string{"refund", "cancel", "manager"} {
		if e, _ := recv(t, all); e.Keyword != want {
			t.Errorf("all: got %q, want %q", e.Keyword, want)
		}
	}
	for _, want := range []string{"refund", "manager"} {
		if e, _ := recv(t, onlyA); e.Keyword != want || e.CallID != "a" {
			t.Errorf("filtered: got %+v, want %q of a", e, want)
		}
	}
	if n := b.Subscribers(); n != 2 {
		t.Errorf("%d subscribers, want 2", n)
	}
	onlyA.Close()
	onlyA.Close() // twice is fine
	if _, ok := recv(t, onlyA); ok {
		t.Error("closed subscription: C still open")
	}
	b.Detected(kw("a", "again"))
	if e, _ := recv(t, all); e.Keyword != "again" {
		t.Errorf("got %q", e.Keyword)
	}
	if n := b.Subscribers(); n != 1 || b.Published.Load() != 4 || b.Dropped.Load() != 0 {
		t.Errorf("subscribers %d published %d dropped %d", n, b.Published.Load(), b.Dropped.Load())
	}
}

// TestBrokerSlowSubscriber: a subscriber that does not read loses the
// events past its buffer, counted, while Detected returns at once and
// the others get everything.
func TestBrokerSlowSubscriber(t *testing.T) {
	b := NewBroker(BrokerConfig{Buffer: 4})
	slow, _ := b.Subscribe(nil)
	fast, _ := b.Subscribe(nil)
	got := make(chan string)
	go func() {
		for e := range fast.C {
			got <- e.Keyword
		}
		close(got)
	}()
	start := time.Now()
	for i := range 10 {
		b.Detected(kw("a", string(rune('a'+i))))
		select { // the fast reader keeps up
		case k := <-got:
			if k != string(rune('a'+i)) {
				t.Errorf("fast got %q", k)
			}
		case <-time.After(time.Second):
			t.Fatalf("fast subscriber: no event %d", i)
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Detected took %v with a stuck subscriber", d)
	}
	fast.Close()
	if _, ok := <-got; ok {
		t.Error("fast subscriber got more than 10")
	}
	if slow.Dropped() != 6 || b.Dropped.Load() != 6 || len(slow.C) != 4 {
		t.Errorf("slow: dropped %d (broker %d), queued %d; want 6, 6, 4", slow.Dropped(), b.Dropped.Load(), len(slow.C))
	}
	// What it kept are the first four, in order.
	for _, want := range []string{"a", "b", "c", "d"} {
		if e, _ := recv(t, slow); e.Keyword != want {
			t.Errorf("slow got %q, want %q", e.Keyword, want)
		}
	}
}

// TestBrokerLimits: subscriptions are bounded; Close ends them all and
// refuses new ones.
func TestBrokerLimits(t *testing.T) {
	b := NewBroker(BrokerConfig{MaxSubscribers: 2})
	s1, _ := b.Subscribe(nil)
	s2, _ := b.Subscribe(nil)
	if _, err := b.Subscribe(nil); !errors.Is(err, ErrTooManySubscribers) {
		t.Errorf("third subscribe: %v, want ErrTooManySubscribers", err)
	}
	s2.Close()
	s3, err := b.Subscribe(nil)
	if err != nil {
		t.Fatalf("after a close: %v", err)
	}
	b.Close()
	for _, s := range []*Subscription{s1, s3} {
		if _, ok := recv(t, s); ok {
			t.Error("C open after Broker.Close")
		}
		s.Close() // after Broker.Close: no double close
	}
	if _, err := b.Subscribe(nil); !errors.Is(err, ErrClosed) {
		t.Errorf("subscribe after close: %v", err)
	}
	b.Detected(kw("a", "x")) // no subscribers, no panic
}
