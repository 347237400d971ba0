package api

import (
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Login throttling: a source address that fails loginBurst logins
// within loginWindow is answered 429 until the window ends, so that SIP
// passwords (often short) cannot be guessed through POST /api/login at
// network speed.
const (
	loginBurst   = 10
	loginWindow  = time.Minute
	loginSources = 10000 // addresses tracked; beyond, expired ones are dropped first
)

type throttle struct {
	mu   sync.Mutex
	fail map[string]*failures
}

type failures struct {
	n     int
	since time.Time
}

func source(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// blocked returns how long src must wait, 0 when it may try.
func (t *throttle) blocked(src string, now time.Time) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	f := t.fail[src]
	if f == nil || now.Sub(f.since) >= loginWindow {
		return 0
	}
	if f.n >= loginBurst {
		return loginWindow - now.Sub(f.since)
	}
	return 0
}

// failed counts a failed login from src.
func (t *throttle) failed(src string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.fail == nil {
		t.fail = map[string]*failures{}
	}
	f := t.fail[src]
	if f == nil || now.Sub(f.since) >= loginWindow {
		if len(t.fail) >= loginSources {
			for k, v := range t.fail {
				if now.Sub(v.since) >= loginWindow {
					delete(t.fail, k)
				}
			}
			if len(t.fail) >= loginSources {
				clear(t.fail) // a flood from many addresses: start over rather than grow
			}
		}
		f = &failures{since: now}
		t.fail[src] = f
	}
	f.n++
}

// throttled answers 429 and returns true when src may not try now.
func (s *Server) throttled(w http.ResponseWriter, r *http.Request) bool {
	wait := s.limit.blocked(source(r), time.Now())
	if wait <= 0 {
		return false
	}
	s.m.authFail.WithLabelValues("throttled").Inc()
	w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
	writeError(w, http.StatusTooManyRequests, CodeTooMany, "api: too many failed logins from "+source(r)+": try again later")
	return true
}
