package app

import (
	"context"
	"errors"
	"net/netip"

	"github.com/callrec/callrec/internal/config"
	"github.com/callrec/callrec/internal/proxy"
	"github.com/callrec/callrec/internal/store"
)

// serveAuth builds the proxy's authentication from serve.auth and
// serve.realm: users and trunks from the database through an AuthCache
// (changes made with `callrec users` or `callrec trunks` apply within
// its TTL, 5 s). Nil when auth is off.
func serveAuth(s config.Serve, st *store.Store) *proxy.Auth {
	if s.Auth == "off" {
		return nil
	}
	c := store.NewAuthCache(st, store.CacheOptions{})
	a := &proxy.Auth{Users: authUsers{c}, Trunks: authTrunks{c}, Realm: s.Realm, Algorithms: s.AuthAlgorithms}
	if s.Auth == "auto" {
		// Authenticate once a user exists. If the database cannot say
		// (and never said), authenticate: failing open would let anyone
		// call through a proxy that has users.
		a.Required = func(ctx context.Context) bool {
			has, err := c.HasUsers(ctx)
			return has || err != nil
		}
	}
	return a
}

// authUsers is proxy.Users on the database.
type authUsers struct{ c *store.AuthCache }

func (u authUsers) HA1(ctx context.Context, user, realm, alg string) (string, bool, error) {
	cr, err := u.c.UserCredentials(ctx, user, realm)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrDisabled) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	ha1 := cr.HA1
	if alg == "SHA-256" {
		ha1 = cr.HA1SHA256 // "" for users added before it was stored
	}
	return ha1, ha1 != "", nil
}

// authTrunks is proxy.Trunks on the database.
type authTrunks struct{ c *store.AuthCache }

func (t authTrunks) Trunk(ctx context.Context, ip netip.Addr) (string, bool, error) {
	tr, err := t.c.TrunkForIP(ctx, ip)
	if errors.Is(err, store.ErrNotFound) {
		return "", false, nil
	}
	return tr.Name, err == nil, err
}
