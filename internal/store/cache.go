package store

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Source is what a Cache reads through: the two lookups on a SIP proxy's
// call path. *Store implements it.
type Source interface {
	Lookup(ctx context.Context, aor string) ([]Binding, error)
	MatchRoutes(ctx context.Context, user string) ([]Route, error)
}

// CacheOptions configures a Cache. The zero value is usable.
type CacheOptions struct {
	// TTL is how long an answer is served without asking the database;
	// zero means 5 seconds.
	TTL time.Duration
	// MaxEntries bounds each of the two maps (bindings by AOR, routes by
	// user); when full, an arbitrary entry is evicted. Zero means 10000.
	MaxEntries int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// CacheStats counts what a Cache did.
type CacheStats struct {
	// Hits were answered from a fresh entry.
	Hits uint64
	// Misses went to the database and got an answer.
	Misses uint64
	// Stale were answered from an expired entry because the database
	// failed: calls went on while the database was down.
	Stale uint64
	// Errors went to the database, failed and had no entry to fall back on.
	Errors uint64
}

// Cache is a read-through cache of Lookup and MatchRoutes in front of a
// Source, so that a slow or dead database does not drop calls. A fresh
// entry (younger than TTL) is served without a query. An expired one is
// refreshed; if the database fails, the expired answer is served anyway
// (counted in Stats().Stale) and kept until the database answers again;
// stale bindings whose own Expires has passed are left out. A Cache is
// safe for concurrent use and starts no goroutines.
//
// Writes do not go through the Cache: a registrar that saves a binding
// should call Forget(aor), and route changes ForgetRoutes(), or accept up
// to TTL of delay on this process (other processes always wait out TTL).
type Cache struct {
	cacheCore
	src      Source
	bindings map[string]cached[[]Binding]
	routes   map[string]cached[[]Route]
}

// cacheCore is what Cache and AuthCache share: the clock, bounds, the
// lock over their maps and the counters.
type cacheCore struct {
	ttl time.Duration
	max int
	now func() time.Time
	mu  sync.Mutex

	hits, misses, stale, errs atomic.Uint64
}

// newCore applies CacheOptions' defaults.
func newCore(o CacheOptions) cacheCore {
	if o.TTL <= 0 {
		o.TTL = 5 * time.Second
	}
	if o.MaxEntries <= 0 {
		o.MaxEntries = 10000
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return cacheCore{ttl: o.TTL, max: o.MaxEntries, now: o.Now}
}

// cached is one answer and when it was fetched.
type cached[T any] struct {
	v  T
	at time.Time
}

// NewCache returns a Cache reading through src.
func NewCache(src Source, o CacheOptions) *Cache {
	return &Cache{cacheCore: newCore(o), src: src,
		bindings: map[string]cached[[]Binding]{}, routes: map[string]cached[[]Route]{}}
}

// Lookup returns aor's bindings from the cache or the Source. The slice
// is shared with the cache: callers must not modify it.
func (c *Cache) Lookup(ctx context.Context, aor string) ([]Binding, error) {
	bs, stale, err := readThrough(&c.cacheCore, ctx, c.bindings, aor, c.src.Lookup)
	if !stale {
		return bs, err
	}
	now := c.now()
	live := make([]Binding, 0, len(bs))
	for _, b := range bs {
		if b.Expires.After(now) {
			live = append(live, b)
		}
	}
	return live, nil
}

// MatchRoutes returns the routes for user from the cache or the Source.
// The slice is shared with the cache: callers must not modify it.
func (c *Cache) MatchRoutes(ctx context.Context, user string) ([]Route, error) {
	rs, _, err := readThrough(&c.cacheCore, ctx, c.routes, user, c.src.MatchRoutes)
	return rs, err
}

// readThrough serves key from m when fresh, else asks fetch, falling back
// to the stale entry (stale=true) when fetch fails.
func readThrough[T any](c *cacheCore, ctx context.Context, m map[string]cached[T], key string,
	fetch func(context.Context, string) (T, error)) (v T, stale bool, err error) {
	now := c.now()
	c.mu.Lock()
	e, ok := m[key]
	c.mu.Unlock()
	if ok && now.Sub(e.at) < c.ttl {
		c.hits.Add(1)
		return e.v, false, nil
	}
	v, err = fetch(ctx, key)
	if err != nil {
		if ok {
			c.stale.Add(1)
			return e.v, true, nil
		}
		c.errs.Add(1)
		return v, false, err
	}
	c.misses.Add(1)
	c.mu.Lock()
	if _, had := m[key]; !had && len(m) >= c.max {
		for k := range m { // evict one arbitrary entry
			delete(m, k)
			break
		}
	}
	m[key] = cached[T]{v: v, at: now}
	c.mu.Unlock()
	return v, false, nil
}

// Forget marks the cached bindings of aor expired, so the next Lookup
// reads the database (and still falls back to them if it is down); call
// it after SaveBinding, RemoveBinding or RemoveAll.
func (c *Cache) Forget(aor string) {
	c.mu.Lock()
	if e, ok := c.bindings[aor]; ok {
		e.at = time.Time{}
		c.bindings[aor] = e
	}
	c.mu.Unlock()
}

// ForgetRoutes marks every cached route answer expired; call it after
// AddRoute or RemoveRoute.
func (c *Cache) ForgetRoutes() {
	c.mu.Lock()
	for k, e := range c.routes {
		e.at = time.Time{}
		c.routes[k] = e
	}
	c.mu.Unlock()
}

// Stats returns the counters since NewCache (NewAuthCache).
func (c *cacheCore) Stats() CacheStats {
	return CacheStats{Hits: c.hits.Load(), Misses: c.misses.Load(), Stale: c.stale.Load(), Errors: c.errs.Load()}
}
