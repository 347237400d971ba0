package proxy

import (
	"context"
	"net/netip"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Users finds digest credentials. Implementations must be safe for
// concurrent use and should cache: HA1 is asked once per request that
// carries credentials.
type Users interface {
	// HA1 returns the lowercase hex H(user:realm:password) of an enabled
	// user, H being algorithm's hash ("MD5" or "SHA-256", RFC 7616
	// §3.4.2); ok is false when there is none (unknown or disabled user,
	// or no HA1 stored for that algorithm).
	HA1(ctx context.Context, user, realm, algorithm string) (ha1 string, ok bool, err error)
}

// Trunks is the allow-list of peers that send requests without digest
// authentication, recognised by source address. Implementations must be
// safe for concurrent use and should cache: it is asked once per initial
// request.
type Trunks interface {
	// Trunk returns the name of the trunk whose networks hold ip; ok is
	// false when none does.
	Trunk(ctx context.Context, ip netip.Addr) (name string, ok bool, err error)
}

// Auth configures digest authentication (RFC 3261 §22, RFC 2617 and RFC
// 7616: MD5 and SHA-256, qop=auth or no qop) and the trunk allow-list.
//
// What is asked: a REGISTER to this registrar is challenged with 401 and
// WWW-Authenticate; every other initial (out-of-dialog) request the proxy
// forwards is challenged with 407 and Proxy-Authenticate. Requests
// within a call the proxy set up (knownDialog), ACK, CANCEL and requests
// the proxy answers itself (OPTIONS to its own address) are not; a
// request with a To tag but no such call is. Requests whose source address is
// in a trunk's networks are not challenged. The authenticated user must
// be the To user of a REGISTER and the From user of other requests, else
// 403. Wrong credentials (unknown user, wrong password, a digest-uri that
// is not the Request-URI) are answered 403; a nonce that is not this
// proxy's is challenged afresh, an expired one with stale=true. The
// proxy's own Proxy-Authorization is removed before forwarding.
//
// Challenges are stateless (nonce.go): nothing is stored per challenge.
type Auth struct {
	// Users holds the credentials. Nil disables authentication (the
	// trunk allow-list then has nothing to exempt from).
	Users Users
	// Trunks, when set, exempts requests from trunks' addresses.
	Trunks Trunks
	// Realm is the digest realm, which must be the domain users were
	// stored with (their HA1 covers it). "": the domain of the request,
	// To host for REGISTER and From host otherwise, so one proxy serves
	// several domains.
	Realm string
	// Required, when set, is asked per initial request whether to
	// authenticate at all (callrec serve's auth: auto asks whether any
	// user exists). Nil: always.
	Required func(ctx context.Context) bool
	// Algorithms are offered in challenges, in order of preference, one
	// WWW-/Proxy-Authenticate field each (RFC 7616 §3.7): "MD5",
	// "SHA-256". Clients pick the first they support, so list SHA-256
	// first only when every user has a SHA-256 HA1. Nil: MD5 only.
	Algorithms []string
	// NonceTTL is how long a nonce is accepted. Zero: 5 minutes.
	NonceTTL time.Duration
	// Secret keys the nonces' HMAC; proxies sharing it accept each
	// other's nonces. Empty: random per process.
	Secret []byte
	// Now is the clock for nonces. Nil: time.Now.
	Now func() time.Time
}

// authenticate applies Config.Auth to an initial request. It returns
// true when the request may go on, with the realm it was authenticated
// in ("" when it was not asked: no Auth, not Required, or a trunk);
// otherwise it has answered the request.
func (s *Server) authenticate(ctx context.Context, req *sip.Request, tx sip.ServerTransaction) (realm string, ok bool) {
	a := s.cfg.Auth
	if a == nil || a.Users == nil || (a.Required != nil && !a.Required(ctx)) {
		return "", true
	}
	if a.Trunks != nil {
		if ap, err := netip.ParseAddrPort(req.Source()); err == nil {
			_, isTrunk, err := a.Trunks.Trunk(ctx, ap.Addr().Unmap())
			if err != nil {
				s.log.Warn("trunk lookup failed", "call_id", req.CallID().Value(), "err", err)
				s.respond(tx, req, 500, "Server Internal Error")
				return "", false
			}
			if isTrunk {
				s.trunkRequests.Add(1)
				return "", true
			}
		}
	}
	ident, which, hdr := req.From().Address, "From", "Proxy-Authorization"
	if req.Method == sip.REGISTER {
		ident, which = req.To().Address, "To"
		if s.registers(req) {
			hdr = "Authorization"
		}
	}
	realm = a.Realm
	if realm == "" {
		realm = strings.ToLower(ident.Host)
	}
	if !safeRealm(realm) {
		s.authFail(tx, req, 400, "Bad Request (domain)")
		return "", false
	}
	now := time.Now()
	if a.Now != nil {
		now = a.Now()
	}
	c, found := credentialsFor(req, hdr, realm)
	if !found {
		s.challenge(tx, req, realm, now, false)
		return "", false
	}
	if c.username == "" || c.nonce == "" || c.uri == "" || c.response == "" ||
		(c.qop != "" && (c.qop != "auth" || c.cnonce == "" || !validNC(c.nc))) {
		s.authFail(tx, req, 400, "Bad Request (credentials)")
		return "", false
	}
	alg := s.offered(c.algorithm)
	if alg == "" {
		s.challenge(tx, req, realm, now, false) // not an algorithm offered
		return "", false
	}
	valid, stale := s.nonces.check(c.nonce, realm, now)
	if !valid {
		// Not ours, or from before a restart: ask again.
		s.challenge(tx, req, realm, now, false)
		return "", false
	}
	if !strings.EqualFold(c.username, ident.User) {
		s.authFail(tx, req, 403, "Forbidden (not the "+which+" user)")
		return "", false
	}
	if !sameURI(c.uri, req.Recipient) {
		s.authFail(tx, req, 403, "Forbidden (digest uri)")
		return "", false
	}
	ha1, known, err := a.Users.HA1(ctx, c.username, realm, alg)
	if err != nil {
		s.log.Warn("user lookup failed", "call_id", req.CallID().Value(), "err", err)
		s.respond(tx, req, 500, "Server Internal Error")
		return "", false
	}
	if !known || !validResponse(&c, alg, ha1, string(req.Method)) {
		s.authFail(tx, req, 403, "Forbidden")
		return "", false
	}
	if stale {
		// Right password, old nonce (RFC 2617 §3.2.1): the client retries
		// with the new nonce without asking its user.
		s.challenge(tx, req, realm, now, true)
		return "", false
	}
	return realm, true
}

// offered returns the canonical name of the credentials' algorithm
// ("" means MD5, RFC 2617 §3.2.2) when the challenges offer it, else "".
func (s *Server) offered(alg string) string {
	if alg == "" {
		alg = "MD5"
	}
	for _, a := range s.algorithms {
		if strings.EqualFold(a, alg) {
			return a
		}
	}
	return ""
}

// knownDialog reports whether an in-dialog request (To tag) may skip
// authentication: with no Auth, or no Anchor (the proxy then keeps no
// call state to check against), always; otherwise when its Call-ID and
// one of its tags are those of a call this proxy set up and has not
// ended. After a restart, or DialogTimeout without a BYE, requests of
// older dialogs are challenged like initial ones (the parties can
// answer: each authenticates as its own From user, or is a trunk).
func (s *Server) knownDialog(req *sip.Request) bool {
	if s.cfg.Auth == nil || s.cfg.Auth.Users == nil || s.cfg.Anchor == nil {
		return true
	}
	c := s.calls.get(req.CallID().Value())
	if c == nil {
		return false
	}
	from, to := tag(req.From().Params), tag(req.To().Params)
	return c.fromTag == from || c.fromTag == to
}

// challenge answers 401 (a REGISTER this registrar answers) or 407 (a
// request it forwards, RFC 3261 §22.3) with a fresh nonce for realm.
func (s *Server) challenge(tx sip.ServerTransaction, req *sip.Request, realm string, now time.Time, stale bool) {
	s.authChallenges.Add(1)
	code, reason, name := 407, "Proxy Authentication Required", "Proxy-Authenticate"
	if s.registers(req) {
		code, reason, name = 401, "Unauthorized", "WWW-Authenticate"
	}
	if tx == nil {
		return
	}
	nonce := s.nonces.make(realm, now)
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	for _, alg := range s.algorithms {
		v := `Digest realm="` + realm + `", nonce="` + nonce + `", algorithm=` + alg + `, qop="auth"`
		if stale {
			v += ", stale=true"
		}
		res.AppendHeader(sip.NewHeader(name, v))
	}
	res.SetDestination(req.Source())
	_ = tx.Respond(res)
}

// authFail counts a refused authentication and answers it. The log line
// is at debug level: a password-guessing client must not flood the log
// (callrec_proxy_auth_failures_total is what to alert on).
func (s *Server) authFail(tx sip.ServerTransaction, req *sip.Request, code int, reason string) {
	s.authFailures.Add(1)
	s.log.Debug("authentication refused", "method", req.Method, "from", req.From().Address.String(),
		"source", req.Source(), "status", code, "reason", reason)
	s.respond(tx, req, code, reason)
}

// credentialsFor returns the first parsable digest credentials in the
// hdr header fields that are for realm (a request may carry credentials
// for several proxies, RFC 3261 §22.3).
func credentialsFor(req *sip.Request, hdr, realm string) (credentials, bool) {
	for _, h := range req.GetHeaders(hdr) {
		if c, ok := parseCredentials(h.Value()); ok && c.realm == realm {
			return c, true
		}
	}
	return credentials{}, false
}

// stripCredentials removes the Proxy-Authorization fields for realm from
// a request about to be forwarded; those for other realms stay (RFC 3261
// §22.3: a proxy must not remove credentials meant for another).
func stripCredentials(out *sip.Request, realm string) {
	hs := out.GetHeaders("Proxy-Authorization")
	if len(hs) == 0 {
		return
	}
	for _, h := range hs {
		out.RemoveHeader(h.Name())
	}
	for _, h := range hs {
		if c, ok := parseCredentials(h.Value()); !ok || c.realm != realm {
			out.AppendHeader(h)
		}
	}
}

// sameURI reports whether the digest-uri names the Request-URI (RFC 2617
// §3.2.2.5): scheme, user, host and port compared, parameters ignored
// (clients differ in how they copy them).
func sameURI(s string, ruri sip.Uri) bool {
	var u sip.Uri
	if sip.ParseUri(s, &u) != nil {
		return false
	}
	return strings.EqualFold(u.Scheme, ruri.Scheme) && u.User == ruri.User &&
		strings.EqualFold(u.Host, ruri.Host) && u.Port == ruri.Port
}

// safeRealm reports whether realm can be put in a quoted-string as is.
func safeRealm(realm string) bool {
	if realm == "" {
		return false
	}
	for i := 0; i < len(realm); i++ {
		if c := realm[i]; c < 0x20 || c == '"' || c == '\\' || c == 0x7f {
			return false
		}
	}
	return true
}
