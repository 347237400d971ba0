package proxy

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// Target is one destination of a request: a SIP URI ("sip:bob@192.0.2.7:5060",
// ";transport=tcp" selects TCP) and its priority. Targets of equal Priority
// are tried in parallel (forking, RFC 3261 §16.6); groups are tried in
// ascending Priority, moving to the next group when the best final
// response of a group is 408, 5xx or a timeout (sequential failover).
type Target struct {
	URI      string
	Priority int
}

// Router finds the destinations of an initial (out-of-dialog) request.
// Route is called on the request's own goroutine and must be safe for
// concurrent use; it must not modify req. An empty result or ErrNoRoute
// makes the proxy answer 404. In-dialog requests never reach the Router:
// they follow their Route headers or Request-URI.
type Router interface {
	Route(ctx context.Context, req *sip.Request) ([]Target, error)
}

// Chain tries each Router in order and returns the first non-empty result.
// An error other than ErrNoRoute stops the chain.
type Chain []Router

// Route implements Router.
func (c Chain) Route(ctx context.Context, req *sip.Request) ([]Target, error) {
	for _, r := range c {
		t, err := r.Route(ctx, req)
		if err != nil && err != ErrNoRoute {
			return nil, err
		}
		if len(t) > 0 {
			return t, nil
		}
	}
	return nil, ErrNoRoute
}

// StaticRule maps a number or URI pattern to a destination.
type StaticRule struct {
	// Prefix matches the start of the Request-URI user part ("" matches
	// every request). "+44" matches "+441234".
	Prefix string
	// Destination is a SIP URI. Without a user part, the Request-URI's
	// user is kept ("sip:gw1.example:5060" turns "sip:123@proxy" into
	// "sip:123@gw1.example:5060").
	Destination string
	// Priority orders rules that match: lower first. Rules of equal
	// priority fork in parallel.
	Priority int
}

// StaticRouter routes by a fixed rule table, as the seed's routes table
// does: every matching rule is a target, in priority order, so a call
// fails over to the next route on 408/5xx. It is read-only after
// construction and safe for concurrent use.
type StaticRouter struct {
	rules []StaticRule
}

// NewStaticRouter validates rules and returns a router over a copy of them.
func NewStaticRouter(rules []StaticRule) (*StaticRouter, error) {
	r := &StaticRouter{rules: append([]StaticRule(nil), rules...)}
	for _, rule := range r.rules {
		var u sip.Uri
		if err := sip.ParseUri(rule.Destination, &u); err != nil || (u.Scheme != "sip" && u.Scheme != "sips") {
			return nil, fmt.Errorf("%w: %q", ErrBadTarget, rule.Destination)
		}
	}
	sort.SliceStable(r.rules, func(i, j int) bool { return r.rules[i].Priority < r.rules[j].Priority })
	return r, nil
}

// Route implements Router.
func (r *StaticRouter) Route(_ context.Context, req *sip.Request) ([]Target, error) {
	user := req.Recipient.User
	var out []Target
	for _, rule := range r.rules {
		if !strings.HasPrefix(user, rule.Prefix) {
			continue
		}
		var u sip.Uri
		if err := sip.ParseUri(rule.Destination, &u); err != nil {
			continue // validated in NewStaticRouter
		}
		if u.User == "" {
			u.User = user
		}
		out = append(out, Target{URI: u.String(), Priority: rule.Priority})
	}
	if len(out) == 0 {
		return nil, ErrNoRoute
	}
	return out, nil
}
