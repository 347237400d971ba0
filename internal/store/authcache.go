package store

import (
	"context"
	"errors"
	"net/netip"
)

// AuthSource is what an AuthCache reads through: the lookups a SIP
// proxy makes to authenticate requests. *Store implements it.
type AuthSource interface {
	UserCredentials(ctx context.Context, user, realm string) (User, error)
	HasUsers(ctx context.Context) (bool, error)
	ListTrunks(ctx context.Context) ([]Trunk, error)
}

// AuthCache is a read-through cache of users' HA1s, whether any user
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
	src   AuthSource
	users map[string]cached[userAnswer]

	any    map[string]cached[bool]
	trunks map[string]cached[[]Trunk]
}

// userAnswer is a cached UserCredentials result: a User, or ErrNotFound
// or ErrDisabled.
type userAnswer struct {
	u   User
	err error
}

// NewAuthCache returns an AuthCache reading through src.
func NewAuthCache(src AuthSource, o CacheOptions) *AuthCache {
	return &AuthCache{cacheCore: newCore(o), src: src, users: map[string]cached[userAnswer]{},
		any: map[string]cached[bool]{}, trunks: map[string]cached[[]Trunk]{}}
}

// UserCredentials is Store.UserCredentials through the cache: the user
// with its HA1s, or an error matching ErrNotFound or ErrDisabled, or the
// database's error.
func (c *AuthCache) UserCredentials(ctx context.Context, user, realm string) (User, error) {
	a, _, err := readThrough(&c.cacheCore, ctx, c.users, user+"@"+realm, func(ctx context.Context, _ string) (userAnswer, error) {
		u, err := c.src.UserCredentials(ctx, user, realm)
		if err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrDisabled) {
			return userAnswer{}, err
		}
		return userAnswer{u: u, err: err}, nil
	})
	if err != nil {
		return User{}, err
	}
	return a.u, a.err
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
