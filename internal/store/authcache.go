package store

import (
	"context"
	"errors"
	"net/netip"
)

// AuthSource is what an AuthCache reads through: the lookups a SIP
// proxy makes to authenticate requests. *Store implements it.
type AuthSource interface {
	UserHA1(ctx context.Context, user, realm string) (string, error)
	HasUsers(ctx context.Context) (bool, error)
	ListTrunks(ctx context.Context) ([]Trunk, error)
}

// AuthCache is a read-through cache of users' HA1, whether any user
// exists, and the trunks' allow-list, with Cache's rules: a fresh answer
// (younger than TTL) is served without a query, an expired one is
// refreshed and served stale while the database fails. "No such user" and
// "disabled" are answers and are cached too, so that requests naming
// unknown users do not each cost a query. The trunk list is read whole
// and matched in memory. Changes made elsewhere (`callrec users`,
// `callrec trunks`) apply within TTL. Safe for concurrent use; starts no
// goroutines.
type AuthCache struct {
	cacheCore
	src    AuthSource
	users  map[string]cached[userAnswer]
	any    map[string]cached[bool]
	trunks map[string]cached[[]Trunk]
}

// userAnswer is a cached UserHA1 result: an HA1, or ErrNotFound or
// ErrDisabled.
type userAnswer struct {
	ha1 string
	err error
}

// NewAuthCache returns an AuthCache reading through src.
func NewAuthCache(src AuthSource, o CacheOptions) *AuthCache {
	return &AuthCache{cacheCore: newCore(o), src: src, users: map[string]cached[userAnswer]{},
		any: map[string]cached[bool]{}, trunks: map[string]cached[[]Trunk]{}}
}

// UserHA1 is Store.UserHA1 through the cache: the HA1, or an error
// matching ErrNotFound or ErrDisabled, or the database's error.
func (c *AuthCache) UserHA1(ctx context.Context, user, realm string) (string, error) {
	a, _, err := readThrough(&c.cacheCore, ctx, c.users, user+"@"+realm, func(ctx context.Context, _ string) (userAnswer, error) {
		ha1, err := c.src.UserHA1(ctx, user, realm)
		if err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrDisabled) {
			return userAnswer{}, err
		}
		return userAnswer{ha1: ha1, err: err}, nil
	})
	if err != nil {
		return "", err
	}
	return a.ha1, a.err
}

// HasUsers is Store.HasUsers through the cache.
func (c *AuthCache) HasUsers(ctx context.Context) (bool, error) {
	v, _, err := readThrough(&c.cacheCore, ctx, c.any, "", func(ctx context.Context, _ string) (bool, error) {
		return c.src.HasUsers(ctx)
	})
	return v, err
}

// TrunkForIP is Store.TrunkForIP through the cache: the enabled trunk
// with the longest network holding ip, or ErrNotFound.
func (c *AuthCache) TrunkForIP(ctx context.Context, ip netip.Addr) (Trunk, error) {
	ts, _, err := readThrough(&c.cacheCore, ctx, c.trunks, "", func(ctx context.Context, _ string) ([]Trunk, error) {
		return c.src.ListTrunks(ctx)
	})
	if err != nil {
		return Trunk{}, err
	}
	return matchTrunk(ts, ip)
}
