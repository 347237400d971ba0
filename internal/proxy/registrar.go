package proxy

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Binding is one registered contact of an address of record (RFC 3261
// §10.3).
type Binding struct {
	Contact string    // the Contact URI, e.g. "sip:alice@192.0.2.10:5062"
	Expires time.Time // when the binding lapses
}

// Locations stores registrations. The proxy's Registrar is the in-memory
// implementation; a database-backed one fills the same interface. Keys
// are the user part of the address of record ("alice"); methods must be
// safe for concurrent use.
type Locations interface {
	// Lookup returns the bindings of aor that have not expired.
	Lookup(ctx context.Context, aor string) ([]Binding, error)
	// Bind adds or refreshes a binding; an Expires not after now removes
	// it.
	Bind(ctx context.Context, aor string, b Binding) error
	// Unbind removes every binding of aor (Contact: *).
	Unbind(ctx context.Context, aor string) error
}

// Registrar is an in-memory Locations. Expired bindings are dropped when
// their AOR is next looked up or bound; memory is one map entry per AOR
// and one Binding per contact. Safe for concurrent use; the zero value is
// not usable, call NewRegistrar.
type Registrar struct {
	mu   sync.Mutex
	aors map[string][]Binding
	now  func() time.Time
}

// NewRegistrar returns an empty Registrar.
func NewRegistrar() *Registrar {
	return &Registrar{aors: make(map[string][]Binding), now: time.Now}
}

// Lookup implements Locations.
func (r *Registrar) Lookup(_ context.Context, aor string) ([]Binding, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	bs := r.prune(aor)
	return append([]Binding(nil), bs...), nil
}

// Bind implements Locations.
func (r *Registrar) Bind(_ context.Context, aor string, b Binding) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	bs := r.prune(aor)
	out := bs[:0]
	for _, x := range bs {
		if x.Contact != b.Contact {
			out = append(out, x)
		}
	}
	if b.Expires.After(r.now()) {
		out = append(out, b)
	}
	r.store(aor, out)
	return nil
}

// Unbind implements Locations.
func (r *Registrar) Unbind(_ context.Context, aor string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.aors, aor)
	return nil
}

func (r *Registrar) prune(aor string) []Binding {
	bs := r.aors[aor]
	now := r.now()
	out := bs[:0]
	for _, b := range bs {
		if b.Expires.After(now) {
			out = append(out, b)
		}
	}
	r.store(aor, out)
	return out
}

func (r *Registrar) store(aor string, bs []Binding) {
	if len(bs) == 0 {
		delete(r.aors, aor)
		return
	}
	r.aors[aor] = bs
}

// LocationRouter routes a request to every contact registered for the
// Request-URI's user, all at priority 0 so that they fork in parallel.
type LocationRouter struct {
	Locations Locations
}

// Route implements Router.
func (l LocationRouter) Route(ctx context.Context, req *sip.Request) ([]Target, error) {
	bs, err := l.Locations.Lookup(ctx, aorKey(req.Recipient))
	if err != nil {
		return nil, err
	}
	if len(bs) == 0 {
		return nil, ErrNoRoute
	}
	out := make([]Target, len(bs))
	for i, b := range bs {
		out[i] = Target{URI: b.Contact}
	}
	return out, nil
}

func aorKey(u sip.Uri) string { return strings.ToLower(u.User) }

// Registration limits (RFC 3261 §10.2.1.1, §10.3 step 7).
const (
	defaultExpires = 3600
	maxExpires     = 86400
)

// register handles a REGISTER against loc and builds the response: 200
// with the current bindings, or 400 for a request without a usable To.
func register(ctx context.Context, loc Locations, req *sip.Request, now time.Time) *sip.Response {
	to := req.To()
	if to == nil || to.Address.User == "" {
		return sip.NewResponseFromRequest(req, 400, "Bad Request (no AOR)", nil)
	}
	aor := aorKey(to.Address)
	hdrExpires := -1
	if h := req.GetHeader("Expires"); h != nil {
		if v, err := strconv.Atoi(strings.TrimSpace(h.Value())); err == nil && v >= 0 {
			hdrExpires = v
		}
	}
	for _, h := range req.GetHeaders("Contact") {
		c, ok := h.(*sip.ContactHeader)
		if !ok {
			continue
		}
		if c.Address.Wildcard {
			if hdrExpires != 0 {
				return sip.NewResponseFromRequest(req, 400, "Bad Request (wildcard needs Expires: 0)", nil)
			}
			if err := loc.Unbind(ctx, aor); err != nil {
				return sip.NewResponseFromRequest(req, 500, "Server Error", nil)
			}
			continue
		}
		exp := hdrExpires
		if v, ok := c.Params.Get("expires"); ok {
			if n, err := strconv.Atoi(v); err == nil && n >= 0 {
				exp = n
			}
		}
		if exp < 0 {
			exp = defaultExpires
		}
		exp = min(exp, maxExpires)
		u := c.Address
		u.Headers = nil
		if err := loc.Bind(ctx, aor, Binding{Contact: u.String(), Expires: now.Add(time.Duration(exp) * time.Second)}); err != nil {
			return sip.NewResponseFromRequest(req, 500, "Server Error", nil)
		}
	}
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	bs, err := loc.Lookup(ctx, aor)
	if err != nil {
		return sip.NewResponseFromRequest(req, 500, "Server Error", nil)
	}
	for _, b := range bs {
		var u sip.Uri
		if sip.ParseUri(b.Contact, &u) != nil {
			continue
		}
		c := &sip.ContactHeader{Address: u}
		c.Params.Add("expires", strconv.Itoa(max(0, int(b.Expires.Sub(now).Seconds()+0.5))))
		res.AppendHeader(c)
	}
	return res
}
