package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/media"
	"github.com/callrec/callrec/internal/nettest"
	"github.com/callrec/callrec/internal/proxy"
)

// TestCallsAPI runs the API over HTTP against a real proxy (no calls in
// progress): the list is empty JSON, recording an unknown Call-ID
// (percent-encoded, with a slash) is 404, a bad body 400, and a proxy
// whose Anchor cannot record answers 501. Every error is an ErrorBody.
func TestCallsAPI(t *testing.T) {
	min := nettest.FreeUDPRange(t, "127.0.0.1", 4)
	m, err := media.New(media.Config{Listen: netip.MustParseAddr("127.0.0.1"), PortMin: min, PortMax: min + 3, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		m.Close(ctx)
	})
	r, _ := proxy.NewStaticRouter(nil)
	serve := func(a proxy.Anchor) *httptest.Server {
		s, err := proxy.New(proxy.Config{UDP: "127.0.0.1:0", Router: r, Anchor: a})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		mux := http.NewServeMux()
		if _, err := Mount(mux, Config{Calls: s, Auth: AuthConfig{Secret: make([]byte, 32), Tokens: []Token{{Name: "ops", Token: adminToken, Role: RoleAdmin}}}}); err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(mux)
		t.Cleanup(hs.Close)
		return hs
	}
	hs := serve(proxy.ManagerAnchor{M: m})
	do := func(hs *httptest.Server, method, path, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, hs.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+adminToken)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := res.Body.Read(buf)
			b.WriteString(string(buf[:n]))
			if err != nil {
				break
			}
		}
		if ct := res.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s %s: Content-Type %q", method, path, ct)
		}
		return res.StatusCode, b.String()
	}
	code, body := do(hs, "GET", "/api/calls", "")
	var list CallList
	if code != 200 || json.Unmarshal([]byte(body), &list) != nil || list.Calls == nil || len(list.Calls) != 0 {
		t.Errorf("GET /api/calls: %d %s", code, body)
	}
	for _, c := range []struct {
		method, path, body string
		code               int
		msg                string
	}{
		{"POST", "/api/calls/abc%2Fdef@host/record", "", 404, `no such call: \"abc/def@host\"`},
		{"DELETE", "/api/calls/abc/record", "", 404, "no such call"},
		{"POST", "/api/calls/abc/record", "{not json", 400, "body"},
		{"GET", "/api/calls/abc/record", "", 405, `"code": "method_not_allowed"`},
		{"POST", "/api/calls/abc/record/pause", "", 501, `"code": "not_implemented"`},
		{"GET", "/api/nothing", "", 404, `"code": "not_found"`},
	} {
		code, body := do(hs, c.method, c.path, c.body)
		if code != c.code || !strings.Contains(body, c.msg) {
			t.Errorf("%s %s: %d %s, want %d with %q", c.method, c.path, code, body, c.code, c.msg)
		}
	}
	if code, body := do(serve(nil), "POST", "/api/calls/abc/record", ""); code != 501 {
		t.Errorf("no recorder: %d %s", code, body)
	}
}
