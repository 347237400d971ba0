package webui

import (
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, path string) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	return rec.Result()
}

// TestServes checks the index at /, the assets under /ui/ with their
// types, and that the UI claims nothing else (the API's paths stay
// the API's).
func TestServes(t *testing.T) {
	mux := http.NewServeMux()
	Mount(mux)
	for _, c := range []struct {
		path, ctype string
		code        int
	}{
		{"/", "text/html", 200},
		{"/ui/app.js", "text/javascript", 200},
		{"/ui/app.css", "text/css", 200},
		{"/ui/nope.js", "", 404},
		{"/api/recordings", "", 404},
		{"/index.html", "", 404},
	} {
		resp := get(t, mux, c.path)
		if resp.StatusCode != c.code || !strings.HasPrefix(resp.Header.Get("Content-Type"), c.ctype) {
			t.Errorf("GET %s: %d %q, want %d %q", c.path, resp.StatusCode, resp.Header.Get("Content-Type"), c.code, c.ctype)
		}
		if c.code == 200 && resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: no nosniff", c.path)
		}
	}
	if csp := get(t, mux, "/").Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("index CSP %q", csp)
	}
}

// TestReferencesResolve checks that every module import and every
// /ui/ reference of the index names an embedded file: a typo would
// otherwise only show in a browser.
func TestReferencesResolve(t *testing.T) {
	imp := regexp.MustCompile(`(?m)^\s*import\s+(?:[^'"]+\s+from\s+)?['"]\./([^'"]+)['"]`)
	ref := regexp.MustCompile(`(?:src|href)="/ui/([^"]+)"`)
	n := 0
	err := fs.WalkDir(Files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, _ := Files.Open(p)
		b, _ := io.ReadAll(f)
		f.Close()
		re := imp
		if strings.HasSuffix(p, ".html") {
			re = ref
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			n++
			if _, err := fs.Stat(Files, m[1]); err != nil {
				t.Errorf("%s refers to %s, which is not embedded", p, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 10 {
		t.Errorf("%d references found: the patterns no longer match the files", n)
	}
}

// TestAPIPathsExist checks every API path the UI's modules name against
// the API's OpenAPI document (internal/api/openapi.json), so a renamed
// or removed endpoint fails here rather than in a browser. Template
// parameters (${...}) match OpenAPI's {name}.
func TestAPIPathsExist(t *testing.T) {
	b, err := os.ReadFile("../api/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	param := regexp.MustCompile(`\{[^}]*\}`)
	known := map[string]bool{}
	for p := range doc.Paths {
		known[param.ReplaceAllString(p, "{}")] = true
	}
	lit := regexp.MustCompile("`(/api/[^`]*)`|'(/api/[^']*)'")
	tmpl := regexp.MustCompile(`\$\{[^}]*\}`)
	n := 0
	err = fs.WalkDir(Files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || !strings.HasSuffix(p, ".js") {
			return err
		}
		src, _ := fs.ReadFile(Files, p)
		for _, m := range lit.FindAllStringSubmatch(string(src), -1) {
			path := m[1] + m[2]
			path, _, _ = strings.Cut(tmpl.ReplaceAllString(path, "{}"), "?")
			n++
			if !known[path] {
				t.Errorf("%s calls %s, which the OpenAPI document does not have", p, path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 10 {
		t.Errorf("%d API paths found in the UI: the pattern no longer matches", n)
	}
}
