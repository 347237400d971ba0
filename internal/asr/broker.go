package asr

import (
	"fmt"
	"sync"
	"sync/atomic"
)

// BrokerConfig bounds a Broker. Zero values take the defaults.
type BrokerConfig struct {
	// Buffer is how many events a subscriber may have waiting before it
	// loses new ones. Zero: 256.
	Buffer int
	// MaxSubscribers bounds the subscriptions open at once (each is an
	// API client's stream). Zero: 64.
	MaxSubscribers int
}

// Broker is a Sink that hands every Event to its live subscribers (the
// API's event stream, GET /api/events). Each subscriber has its own
// bounded queue: one that reads too slowly loses new events (counted
// per subscriber and in all), and Detected never blocks on it.
//
// A Broker starts no goroutines. It is safe for concurrent use; Detected
// takes one mutex and does a non-blocking send per subscriber.
type Broker struct {
	buffer, max int

	mu     sync.Mutex
	subs   map[*Subscription]struct{}
	closed bool

	// Published counts events given to Detected; Dropped the deliveries
	// lost to full subscriber queues (one event lost by two subscribers
	// counts twice).
	Published, Dropped atomic.Uint64
}

// NewBroker returns a Broker with no subscribers.
func NewBroker(cfg BrokerConfig) *Broker {
	if cfg.Buffer <= 0 {
		cfg.Buffer = 256
	}
	if cfg.MaxSubscribers <= 0 {
		cfg.MaxSubscribers = 64
	}
	return &Broker{buffer: cfg.Buffer, max: cfg.MaxSubscribers, subs: map[*Subscription]struct{}{}}
}

// Subscription is one subscriber's feed. C receives the events its
// filter accepts, in the order Detected saw them, and is closed by
// Close or Broker.Close.
type Subscription struct {
	C <-chan Event

	c       chan Event
	filter  func(Event) bool
	b       *Broker
	dropped atomic.Uint64
}

// Subscribe opens a subscription to the events filter accepts (nil: all
// of them). filter runs on the spotting goroutines under the Broker's
// lock: it must be quick and must not call the Broker. The caller must
// Close the subscription when done.
func (b *Broker) Subscribe(filter func(Event) bool) (*Subscription, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, fmt.Errorf("asr: subscribe: %w", ErrClosed)
	}
	if len(b.subs) >= b.max {
		return nil, fmt.Errorf("%w: %d", ErrTooManySubscribers, b.max)
	}
	c := make(chan Event, b.buffer)
	s := &Subscription{C: c, c: c, filter: filter, b: b}
	b.subs[s] = struct{}{}
	return s, nil
}

// Dropped returns how many events this subscription lost because its
// queue was full.
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

// Close ends the subscription and closes C; events still queued in C
// can be read. It may be called more than once.
func (s *Subscription) Close() {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	if _, ok := s.b.subs[s]; ok {
		delete(s.b.subs, s)
		close(s.c)
	}
}

// Subscribers returns the subscriptions open now.
func (b *Broker) Subscribers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}

// Detected hands e to every subscriber whose filter accepts it, without
// waiting for any.
func (b *Broker) Detected(e Event) {
	b.Published.Add(1)
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		if s.filter != nil && !s.filter(e) {
			continue
		}
		select {
		case s.c <- e:
		default:
			s.dropped.Add(1)
			b.Dropped.Add(1)
		}
	}
}

// Close closes every subscription (their readers see C closed: the API
// ends its streams, so that an HTTP server's Shutdown is not held up by
// them) and refuses new ones.
func (b *Broker) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for s := range b.subs {
		delete(b.subs, s)
		close(s.c)
	}
}
