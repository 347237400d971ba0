package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/callrec/callrec/internal/store"
)

// TestAuthMatrix sends every route with no credentials, a bad token, a
// viewer token and an admin token.
func TestAuthMatrix(t *testing.T) {
	f := newFixture(t, nil)
	admin := map[string]bool{}
	for _, r := range []string{"DELETE /api/recordings/{id}", "POST /api/calls/{id}/record", "DELETE /api/calls/{id}/record",
		"POST /api/calls/{id}/record/pause", "POST /api/calls/{id}/record/resume", "GET /api/routes", "POST /api/routes",
		"DELETE /api/routes/{id}", "GET /api/users", "POST /api/users", "DELETE /api/users/{domain}/{user}", "POST /api/events"} {
		admin[r] = true
	}
	public := map[string]bool{"GET /api/openapi.json": true, "POST /api/login": true, "POST /api/logout": true}
	for _, route := range f.api.Routes() {
		method, path, _ := strings.Cut(route, " ")
		path = strings.NewReplacer("{id}", "999", "{domain}", "example.com", "{user}", "nobody").Replace(path)
		res, b := f.do(method, path, "", "")
		if public[route] {
			if res.StatusCode == 401 || res.StatusCode == 403 {
				t.Errorf("%s anonymous: %d, want it open", route, res.StatusCode)
			}
			continue
		}
		wantError(t, route+" anonymous", res, b, 401, CodeUnauthorized)
		if !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: WWW-Authenticate %q", route, res.Header.Get("WWW-Authenticate"))
		}
		res, b = f.do(method, path, "not-a-token", "")
		wantError(t, route+" bad token", res, b, 401, CodeUnauthorized)
		res, b = f.do(method, path, viewerToken, "")
		if admin[route] {
			wantError(t, route+" viewer", res, b, 403, CodeForbidden)
		} else if res.StatusCode == 401 || res.StatusCode == 403 {
			t.Errorf("%s viewer: %d %s", route, res.StatusCode, b)
		}
		res, b = f.do(method, path, adminToken, "")
		if res.StatusCode == 401 || res.StatusCode == 403 {
			t.Errorf("%s admin: %d %s", route, res.StatusCode, b)
		}
		delete(admin, route)
	}
	if len(admin) > 0 {
		t.Errorf("admin routes not mounted: %v", admin)
	}
	// Outside the API's routes, unknown paths are JSON 404s too (after
	// no authentication: they reveal nothing).
	res, b := f.do("GET", "/api/secret", "", "")
	wantError(t, "unknown path", res, b, 404, CodeNotFound)
	// Each refusal is counted, and each answer by route and code.
	n := len(f.api.Routes()) - len(public)
	for reason, want := range map[string]float64{"missing": float64(n), "bad_token": float64(n), "forbidden": 12} {
		if got := testutil.ToFloat64(f.api.m.authFail.WithLabelValues(reason)); got != want {
			t.Errorf("auth failures %s: %v, want %v", reason, got, want)
		}
	}
	if got := testutil.ToFloat64(f.api.m.requests.WithLabelValues("GET /api/recordings", "401")); got != 2 {
		t.Errorf("GET /api/recordings 401s counted: %v, want 2", got)
	}
	if got := testutil.ToFloat64(f.api.m.requests.WithLabelValues("other", "404")); got != 1 {
		t.Errorf("unknown paths counted: %v, want 1", got)
	}
}

// TestLoginCookie logs in with a user's SIP password and with a token,
// uses the session cookie, and logs out.
func TestLoginCookie(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	for _, u := range []struct{ user, domain, pw string }{{"alice", "example.com", "alice-pw"}, {"boss", "example.com", "boss-pw"}} {
		if err := f.st.AddUser(ctx, store.User{Username: u.user, Domain: u.domain, HA1: store.HA1(u.user, u.domain, u.pw), Enabled: true}); err != nil {
			t.Fatal(err)
		}
	}
	client := func() *http.Client {
		jar, _ := cookiejar.New(nil)
		return &http.Client{Jar: jar}
	}
	call := func(c *http.Client, method, path, body string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return res, b
	}
	for _, c := range []struct {
		body, role string
		code       int
	}{
		{`{"user":"alice","password":"alice-pw"}`, "viewer", 200},
		{`{"user":"alice","domain":"example.com","password":"alice-pw"}`, "viewer", 200},
		{`{"user":"boss","password":"boss-pw"}`, "admin", 200},
		{`{"token":"` + adminToken + `"}`, "admin", 200},
		{`{"token":"` + viewerToken + `"}`, "viewer", 200},
		{`{"user":"alice","password":"wrong"}`, "", 401},
		{`{"user":"alice","domain":"other.org","password":"alice-pw"}`, "", 401},
		{`{"token":"wrong"}`, "", 401},
		{`{"user":"alice"}`, "", 400},
		{`{"bogus":1}`, "", 400},
	} {
		cl := client()
		res, b := call(cl, "POST", "/api/login", c.body)
		if res.StatusCode != c.code {
			t.Errorf("login %s: %d %s", c.body, res.StatusCode, b)
			continue
		}
		if c.code != 200 {
			if len(res.Cookies()) != 0 {
				t.Errorf("login %s: failed but set %v", c.body, res.Cookies())
			}
			continue
		}
		var ck *http.Cookie
		for _, k := range res.Cookies() {
			if k.Name == SessionCookie {
				ck = k
			}
		}
		if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/" {
			t.Errorf("login %s: cookie %+v", c.body, ck)
			continue
		}
		res, b = call(cl, "GET", "/api/session", "")
		var p Principal
		if res.StatusCode != 200 || json.Unmarshal(b, &p) != nil || p.Role != c.role || p.Via != "session" {
			t.Errorf("session after %s: %d %s", c.body, res.StatusCode, b)
		}
		res, _ = call(cl, "GET", "/api/recordings", "")
		if res.StatusCode != 200 {
			t.Errorf("search after %s: %d", c.body, res.StatusCode)
		}
		res, _ = call(cl, "GET", "/api/routes", "")
		if want := map[string]int{"viewer": 403, "admin": 200}[c.role]; res.StatusCode != want {
			t.Errorf("routes as %s: %d, want %d", c.role, res.StatusCode, want)
		}
		copied := ck.Value
		res, _ = call(cl, "POST", "/api/logout", "")
		if res.StatusCode != 204 {
			t.Errorf("logout: %d", res.StatusCode)
		}
		res, _ = call(cl, "GET", "/api/recordings", "")
		if res.StatusCode != 401 {
			t.Errorf("search after logout: %d", res.StatusCode)
		}
		// A copy of the cookie taken before the logout is refused too.
		res, b = f.do("GET", "/api/recordings", "", "", "Cookie", SessionCookie+"="+copied)
		wantError(t, "copied cookie after logout", res, b, 401, CodeUnauthorized)
	}
	// Cookies this server did not sign, or that expired, are refused.
	other, err := newAuthenticator(AuthConfig{Secret: []byte(strings.Repeat("x", 32))}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for what, v := range map[string]string{
		"forged":    other.sign(session{Name: "mallory", Role: RoleAdmin, Expires: time.Now().Add(time.Hour).Unix()}),
		"expired":   f.api.auth.sign(session{Name: "alice", Role: RoleViewer, Expires: time.Now().Add(-time.Second).Unix()}),
		"malformed": "abc",
	} {
		res, b := f.do("GET", "/api/recordings", "", "", "Cookie", SessionCookie+"="+v)
		wantError(t, what+" cookie", res, b, 401, CodeUnauthorized)
	}
}

// TestInsecureDev serves anonymous clients as admin, but still refuses
// bad credentials.
func TestInsecureDev(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Auth.Insecure = true })
	for _, p := range []string{"/api/recordings", "/api/routes", "/api/session"} {
		if res, b := f.do("GET", p, "", ""); res.StatusCode != 200 {
			t.Errorf("%s: %d %s", p, res.StatusCode, b)
		}
	}
	res, b := f.do("GET", "/api/recordings", "bad", "")
	wantError(t, "bad token", res, b, 401, CodeUnauthorized)
}

// TestAuthConfig refuses configs that would let anyone in.
func TestAuthConfig(t *testing.T) {
	k := make([]byte, 32)
	for _, c := range []AuthConfig{
		{},
		{Secret: k, Tokens: []Token{{Name: "x", Role: RoleAdmin}}},
		{Secret: k, Tokens: []Token{{Name: "x", TokenHash: "abc", Role: RoleAdmin}}},
		{Secret: k, Tokens: []Token{{Name: "x", Token: "t"}}},
	} {
		if _, err := newAuthenticator(c, nil); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}

// TestLoginThrottle answers 429 to an address after loginBurst failed
// logins, even with the right password, until the window ends.
func TestLoginThrottle(t *testing.T) {
	f := newFixture(t, nil)
	for i := range loginBurst {
		res, b := f.do("POST", "/api/login", "", `{"token":"guess-`+fmt.Sprint(i)+`"}`)
		wantError(t, "wrong token", res, b, 401, CodeUnauthorized)
	}
	res, b := f.do("POST", "/api/login", "", `{"token":"`+adminToken+`"}`)
	wantError(t, "throttled", res, b, 429, CodeTooMany)
	if ra := res.Header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("Retry-After %q", ra)
	}
	// Bearer tokens are not throttled (they are long random secrets).
	if res, _ := f.do("GET", "/api/recordings", viewerToken, ""); res.StatusCode != 200 {
		t.Errorf("token after throttling: %d", res.StatusCode)
	}
	// After the window, the address may try again.
	now := time.Now()
	if d := f.api.limit.blocked("127.0.0.1", now.Add(loginWindow)); d != 0 {
		t.Errorf("blocked %v after the window", d)
	}
	var th throttle
	for i := range loginSources + 5 {
		th.failed(fmt.Sprint(i), now)
	}
	if len(th.fail) > loginSources {
		t.Errorf("%d sources tracked", len(th.fail))
	}
}
