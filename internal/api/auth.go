package api

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/callrec/callrec/internal/store"
)

// Role is what a client may do. Each route needs one; a higher role
// includes the lower ones.
type Role int

// The roles.
const (
	rolePublic Role = iota // no credentials needed
	// RoleViewer searches recordings, listens to them and lists calls.
	RoleViewer
	// RoleAdmin also controls recordings of live calls, deletes
	// recordings and manages routes and users.
	RoleAdmin
)

// ParseRole parses "viewer" or "admin".
func ParseRole(s string) (Role, error) {
	switch s {
	case "viewer":
		return RoleViewer, nil
	case "admin":
		return RoleAdmin, nil
	}
	return 0, fmt.Errorf("api: role %q is neither viewer nor admin", s)
}

// String returns "viewer", "admin" or "public".
func (r Role) String() string {
	switch r {
	case RoleViewer:
		return "viewer"
	case RoleAdmin:
		return "admin"
	}
	return "public"
}

// Token is an API token: a client sends it as "Authorization: Bearer
// TOKEN". Either Token (the secret itself) or TokenHash (hex SHA-256 of
// it, so the config need not hold the secret) is set.
type Token struct {
	Name      string
	Token     string
	TokenHash string
	Role      Role
}

// AuthConfig says who may use the API.
type AuthConfig struct {
	Tokens []Token
	// AdminUsers name users of the users table ("user" or
	// "user@domain") who log in as admins; the others log in as viewers.
	AdminUsers []string
	// Secret signs session cookies (at least 32 bytes; app keeps it in
	// the data directory so that sessions survive a restart).
	Secret []byte
	// SessionTTL is how long a login lasts; 0 is 12 hours.
	SessionTTL time.Duration
	// Insecure serves everything to anonymous clients, as admin: for
	// development only (serve.api_insecure_dev).
	Insecure bool
}

// SessionCookie is the name of the login cookie.
const SessionCookie = "callrec_session"

// Principal is who made a request.
type Principal struct {
	Name string `json:"name"`
	Role string `json:"role"`
	// Via is how: "token", "session" or "insecure" (the dev flag).
	Via  string `json:"via"`
	role Role
}

type principalKey struct{}

// PrincipalOf returns who made the request a handler serves (nil on
// public routes).
func PrincipalOf(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}

type authenticator struct {
	mu sync.Mutex
	// revoked holds the MACs of cookies logged out, until they expire:
	// a copy of a logged-out cookie is refused by this process.
	revoked map[string]time.Time
	cfg     AuthConfig
	st      *store.Store
	hashes  [][32]byte // of cfg.Tokens, in order
	ttl     time.Duration
}

func newAuthenticator(c AuthConfig, st *store.Store) (*authenticator, error) {
	a := &authenticator{cfg: c, st: st, ttl: c.SessionTTL}
	if a.ttl <= 0 {
		a.ttl = 12 * time.Hour
	}
	if len(c.Secret) < 32 {
		return nil, errors.New("api: session secret shorter than 32 bytes")
	}
	for _, t := range c.Tokens {
		var h [32]byte
		switch {
		case t.Token != "":
			h = sha256.Sum256([]byte(t.Token))
		case t.TokenHash != "":
			b, err := hex.DecodeString(strings.TrimPrefix(t.TokenHash, "sha256:"))
			if err != nil || len(b) != 32 {
				return nil, fmt.Errorf("api: token %q: token_hash is not a hex SHA-256", t.Name)
			}
			copy(h[:], b)
		default:
			return nil, fmt.Errorf("api: token %q has neither token nor token_hash", t.Name)
		}
		if t.Role != RoleViewer && t.Role != RoleAdmin {
			return nil, fmt.Errorf("api: token %q has no role", t.Name)
		}
		a.hashes = append(a.hashes, h)
	}
	return a, nil
}

// token returns the token whose secret is tok, comparing every hash in
// constant time.
func (a *authenticator) token(tok string) *Token {
	h := sha256.Sum256([]byte(tok))
	var found *Token
	for i := range a.hashes {
		if subtle.ConstantTimeCompare(h[:], a.hashes[i][:]) == 1 {
			found = &a.cfg.Tokens[i]
		}
	}
	return found
}

// identify returns who sent r, nil for an anonymous request, or an
// error for credentials that are present but wrong (a bad token, a
// forged or expired cookie): those are refused even in insecure mode.
func (a *authenticator) identify(r *http.Request) (*Principal, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") || tok == "" {
			return nil, errors.New("Authorization is not a Bearer token")
		}
		t := a.token(strings.TrimSpace(tok))
		if t == nil {
			return nil, errors.New("unknown API token")
		}
		return &Principal{Name: t.Name, Role: t.Role.String(), Via: "token", role: t.Role}, nil
	}
	if c, err := r.Cookie(SessionCookie); err == nil {
		p, err := a.verify(c.Value, time.Now())
		if err != nil {
			return nil, err
		}
		return p, nil
	}
	if a.cfg.Insecure {
		return &Principal{Name: "anonymous", Role: RoleAdmin.String(), Via: "insecure", role: RoleAdmin}, nil
	}
	return nil, nil
}

// guard runs h when the client has role need: 401 without (or with
// bad) credentials, 403 with a lower role.
func (s *Server) guard(need Role, h http.HandlerFunc) http.Handler {
	if need == rolePublic {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.auth.identify(r)
		switch {
		case err != nil:
			reason := "bad_cookie"
			if r.Header.Get("Authorization") != "" {
				reason = "bad_token"
			}
			s.m.authFail.WithLabelValues(reason).Inc()
			w.Header().Set("WWW-Authenticate", `Bearer realm="callrec", error="invalid_token"`)
			writeError(w, http.StatusUnauthorized, CodeUnauthorized, "api: "+err.Error())
			return
		case p == nil:
			s.m.authFail.WithLabelValues("missing").Inc()
			w.Header().Set("WWW-Authenticate", `Bearer realm="callrec"`)
			writeError(w, http.StatusUnauthorized, CodeUnauthorized, "api: log in or send Authorization: Bearer TOKEN")
			return
		case p.role < need:
			s.m.authFail.WithLabelValues("forbidden").Inc()
			writeError(w, http.StatusForbidden, CodeForbidden, fmt.Sprintf("api: %s %q may not do this (needs %s)", p.Role, p.Name, need))
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	})
}

// session is the signed content of the login cookie.
type session struct {
	Name    string `json:"n"`
	Role    Role   `json:"r"`
	Expires int64  `json:"e"` // Unix seconds
	// Nonce makes each login's cookie unique, so that logging one
	// out revokes no other.
	Nonce string `json:"i"`
}

// sign returns the cookie value: base64url(JSON) "." base64url(HMAC-SHA256).
func (a *authenticator) sign(s session) string {
	if s.Nonce == "" {
		s.Nonce = rand.Text()[:16]
	}
	b, _ := json.Marshal(s)
	m := hmac.New(sha256.New, a.cfg.Secret)
	m.Write(b)
	enc := base64.RawURLEncoding
	return enc.EncodeToString(b) + "." + enc.EncodeToString(m.Sum(nil))
}

func (a *authenticator) verify(v string, now time.Time) (*Principal, error) {
	s, err := a.check(v, now)
	if err != nil {
		return nil, err
	}
	return &Principal{Name: s.Name, Role: s.Role.String(), Via: "session", role: s.Role}, nil
}

// check returns the live session of cookie value v.
func (a *authenticator) check(v string, now time.Time) (*session, error) {
	enc := base64.RawURLEncoding
	p64, m64, ok := strings.Cut(v, ".")
	payload, err1 := enc.DecodeString(p64)
	mac, err2 := enc.DecodeString(m64)
	if !ok || err1 != nil || err2 != nil {
		return nil, errors.New("malformed session cookie")
	}
	m := hmac.New(sha256.New, a.cfg.Secret)
	m.Write(payload)
	if !hmac.Equal(mac, m.Sum(nil)) {
		return nil, errors.New("session cookie not signed by this server")
	}
	var s session
	if json.Unmarshal(payload, &s) != nil || (s.Role != RoleViewer && s.Role != RoleAdmin) {
		return nil, errors.New("malformed session cookie")
	}
	if now.Unix() >= s.Expires {
		return nil, errors.New("session expired: log in again")
	}
	a.mu.Lock()
	_, out := a.revoked[m64]
	a.mu.Unlock()
	if out {
		return nil, errors.New("session logged out: log in again")
	}
	return &s, nil
}

// LoginRequest is the body of POST /api/login: a user of the users
// table and their SIP password (Domain picks one of several users of the
// same name), or an API token.
type LoginRequest struct {
	User     string `json:"user,omitempty"`
	Domain   string `json:"domain,omitempty"`
	Password string `json:"password,omitempty"`
	Token    string `json:"token,omitempty"`
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if s.throttled(w, r) {
		return
	}
	var req LoginRequest
	if !readJSON(w, r, &req) {
		return
	}
	var p *Principal
	switch {
	case req.Token != "":
		if t := s.auth.token(req.Token); t != nil {
			p = &Principal{Name: t.Name, Role: t.Role.String(), role: t.Role}
		}
	case req.User != "" && req.Password != "":
		var err error
		if p, err = s.auth.user(r.Context(), req); err != nil {
			s.log.Warn("login: users table", "err", err)
			writeError(w, http.StatusInternalServerError, CodeInternal, "api: login: "+err.Error())
			return
		}
	default:
		writeError(w, http.StatusBadRequest, CodeBadRequest, "api: login needs user and password, or token")
		return
	}
	if p == nil {
		s.limit.failed(source(r), time.Now())
		s.m.authFail.WithLabelValues("login").Inc()
		writeError(w, http.StatusUnauthorized, CodeUnauthorized, "api: wrong user, password or token")
		return
	}
	exp := time.Now().Add(s.auth.ttl)
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: s.auth.sign(session{Name: p.Name, Role: p.role, Expires: exp.Unix()}),
		Path: "/", Expires: exp, HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	p.Via = "session"
	writeJSON(w, http.StatusOK, p)
}

// user checks a user's password against the HA1 the users table holds.
func (a *authenticator) user(ctx context.Context, req LoginRequest) (*Principal, error) {
	if a.st == nil {
		return nil, nil
	}
	us, err := a.st.ListUsers(ctx, req.Domain)
	if err != nil {
		return nil, err
	}
	for _, u := range us {
		if u.Username != req.User || !u.Enabled {
			continue
		}
		want := store.HA1(u.Username, u.Domain, req.Password)
		if subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(u.HA1))) != 1 {
			continue
		}
		name := u.Username + "@" + u.Domain
		role := RoleViewer
		for _, adm := range a.cfg.AdminUsers {
			if adm == u.Username || adm == name {
				role = RoleAdmin
			}
		}
		return &Principal{Name: name, Role: role.String(), role: role}, nil
	}
	return nil, nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(SessionCookie); err == nil {
		s.auth.revoke(c.Value, time.Now())
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) session(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, PrincipalOf(r.Context()))
}

// revoke refuses the session cookie v from now until it expires. Expired
// entries are dropped as new ones come; at most maxRevoked are kept (past
// that, the oldest sessions simply run to their expiry).
func (a *authenticator) revoke(v string, now time.Time) {
	sess, err := a.check(v, now)
	if err != nil {
		return // not a live session of this server: nothing to revoke
	}
	_, mac, _ := strings.Cut(v, ".")
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.revoked == nil {
		a.revoked = map[string]time.Time{}
	}
	for k, exp := range a.revoked {
		if !now.Before(exp) {
			delete(a.revoked, k)
		}
	}
	if len(a.revoked) < maxRevoked {
		a.revoked[mac] = time.Unix(sess.Expires, 0)
	}
}

// maxRevoked bounds the logged-out sessions remembered.
const maxRevoked = 100000
