package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// openAPIDoc is the part of an OpenAPI 3 document the test reads.
type openAPIDoc struct {
	OpenAPI    string                                `json:"openapi"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas   map[string]*schema   `json:"schemas"`
		Responses map[string]*response `json:"responses"`
	} `json:"components"`
}

type schema struct {
	Ref        string             `json:"$ref"`
	Type       string             `json:"type"`
	Required   []string           `json:"required"`
	Properties map[string]*schema `json:"properties"`
	Items      *schema            `json:"items"`
	Enum       []string           `json:"enum"`
}

type operation struct {
	Responses map[string]*response `json:"responses"`
}

type response struct {
	Ref     string `json:"$ref"`
	Content map[string]struct {
		Schema *schema `json:"schema"`
	} `json:"content"`
}

func loadOpenAPI(t *testing.T) *openAPIDoc {
	t.Helper()
	var d openAPIDoc
	if err := json.Unmarshal(OpenAPI, &d); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(d.OpenAPI, "3.") {
		t.Fatalf("openapi %q", d.OpenAPI)
	}
	return &d
}

// op returns the documented operation of method on path.
func (d *openAPIDoc) op(t *testing.T, method, path string) *operation {
	t.Helper()
	raw, ok := d.Paths[path][strings.ToLower(method)]
	if !ok {
		t.Fatalf("%s %s is not documented", method, path)
	}
	var o operation
	if err := json.Unmarshal(raw, &o); err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	for code, r := range o.Responses {
		if r.Ref != "" {
			rr, ok := d.Components.Responses[strings.TrimPrefix(r.Ref, "#/components/responses/")]
			if !ok {
				t.Fatalf("%s %s: %s: unknown $ref %s", method, path, code, r.Ref)
			}
			o.Responses[code] = rr
		}
	}
	return &o
}

// check validates v (decoded JSON) against s: types, enums and the
// required properties, through $refs, arrays and nested objects.
func (d *openAPIDoc) check(s *schema, v any, at string) []string {
	if s.Ref != "" {
		name := strings.TrimPrefix(s.Ref, "#/components/schemas/")
		rs, ok := d.Components.Schemas[name]
		if !ok {
			return []string{at + ": unknown $ref " + s.Ref}
		}
		return d.check(rs, v, at)
	}
	var errs []string
	switch s.Type {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: %T, want object", at, v)}
		}
		for _, r := range s.Required {
			if _, ok := m[r]; !ok {
				errs = append(errs, at+": missing required "+r)
			}
		}
		for k, val := range m {
			if ps, ok := s.Properties[k]; ok {
				errs = append(errs, d.check(ps, val, at+"."+k)...)
			} else if s.Properties != nil {
				errs = append(errs, at+": undocumented property "+k)
			}
		}
	case "array":
		a, ok := v.([]any)
		if !ok {
			return []string{fmt.Sprintf("%s: %T, want array", at, v)}
		}
		for i, e := range a {
			errs = append(errs, d.check(s.Items, e, fmt.Sprintf("%s[%d]", at, i))...)
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			return []string{fmt.Sprintf("%s: %T, want string", at, v)}
		}
		if len(s.Enum) > 0 && !slices.Contains(s.Enum, str) {
			errs = append(errs, fmt.Sprintf("%s: %q not in %v", at, str, s.Enum))
		}
	case "integer", "number":
		f, ok := v.(float64)
		if !ok || (s.Type == "integer" && f != float64(int64(f))) {
			return []string{fmt.Sprintf("%s: %v, want %s", at, v, s.Type)}
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return []string{fmt.Sprintf("%s: %T, want boolean", at, v)}
		}
	}
	return errs
}

var pathParam = regexp.MustCompile(`\{[^}]+\}`)

// TestOpenAPIRoutes fails when the routes Mount registers and the
// operations the document describes drift apart, either way.
func TestOpenAPIRoutes(t *testing.T) {
	d := loadOpenAPI(t)
	f := newFixture(t, nil)
	norm := func(p string) string { return pathParam.ReplaceAllString(p, "{}") }
	var routed, documented []string
	for _, r := range f.api.Routes() {
		m, p, _ := strings.Cut(r, " ")
		routed = append(routed, m+" "+norm(p))
	}
	for p, ops := range d.Paths {
		for m := range ops {
			switch m {
			case "get", "post", "put", "patch", "delete", "head", "options":
				documented = append(documented, strings.ToUpper(m)+" "+norm(p))
			}
		}
	}
	sort.Strings(routed)
	sort.Strings(documented)
	for _, r := range routed {
		if !slices.Contains(documented, r) {
			t.Errorf("route %s is not in openapi.json", r)
		}
	}
	for _, o := range documented {
		if !slices.Contains(routed, o) {
			t.Errorf("openapi.json documents %s, which no route serves", o)
		}
	}
	if len(routed) < 15 {
		t.Errorf("only %d routes: %v", len(routed), routed)
	}
	// And the document is what the server serves.
	res, b := f.do("GET", "/api/openapi.json", "", "")
	if res.StatusCode != 200 || string(b) != string(OpenAPI) || res.Header.Get("Content-Type") != "application/json" {
		t.Errorf("GET /api/openapi.json: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
}

// TestOpenAPIResponses validates real responses against the documented
// schemas of their operation and status.
func TestOpenAPIResponses(t *testing.T) {
	d := loadOpenAPI(t)
	f := newFixture(t, nil)
	for _, c := range []struct {
		method, path, doc, token, body string
	}{
		{"GET", "/api/recordings", "/api/recordings", viewerToken, ""},
		{"GET", "/api/recordings?limit=1", "/api/recordings", viewerToken, ""},
		{"GET", fmt.Sprintf("/api/recordings/%d", f.recs[0].ID), "/api/recordings/{id}", viewerToken, ""},
		{"GET", "/api/recordings/424242", "/api/recordings/{id}", viewerToken, ""},
		{"GET", "/api/recordings", "/api/recordings", "", ""},
		{"DELETE", fmt.Sprintf("/api/recordings/%d", f.recs[1].ID), "/api/recordings/{id}", adminToken, ""},
		{"DELETE", fmt.Sprintf("/api/recordings/%d", f.recs[1].ID), "/api/recordings/{id}", viewerToken, ""},
		{"GET", "/api/calls", "/api/calls", viewerToken, ""},
		{"GET", "/api/events", "/api/events", viewerToken, ""},
		{"POST", "/api/events", "/api/events", adminToken, `{"type":"keyword"}`},
		{"POST", "/api/events", "/api/events", viewerToken, `{"type":"keyword"}`},
		{"GET", "/api/session", "/api/session", viewerToken, ""},
		{"POST", "/api/login", "/api/login", "", `{"token":"` + adminToken + `"}`},
		{"POST", "/api/routes", "/api/routes", adminToken, `{"pattern":"+44","destination":"sip:gw@127.0.0.1"}`},
		{"GET", "/api/routes", "/api/routes", adminToken, ""},
		{"POST", "/api/users", "/api/users", adminToken, `{"username":"alice","domain":"example.com","password":"pw"}`},
		{"GET", "/api/users", "/api/users", adminToken, ""},
	} {
		res, b := f.do(c.method, c.path, c.token, c.body)
		o := d.op(t, c.method, c.doc)
		r, ok := o.Responses[fmt.Sprint(res.StatusCode)]
		if !ok {
			t.Errorf("%s %s: status %d is not documented (%s)", c.method, c.path, res.StatusCode, b)
			continue
		}
		mt, ok := r.Content[res.Header.Get("Content-Type")]
		if !ok || mt.Schema == nil {
			t.Errorf("%s %s: %d with Content-Type %q is not documented", c.method, c.path, res.StatusCode, res.Header.Get("Content-Type"))
			continue
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Errorf("%s %s: %v", c.method, c.path, err)
			continue
		}
		for _, e := range d.check(mt.Schema, v, c.method+" "+c.path) {
			t.Error(e)
		}
	}
	// The audio's documented content types.
	o := d.op(t, "GET", "/api/recordings/{id}/audio")
	res, _ := f.do("GET", fmt.Sprintf("/api/recordings/%d/audio", f.recs[0].ID), viewerToken, "")
	if _, ok := o.Responses["200"].Content[res.Header.Get("Content-Type")]; !ok || res.StatusCode != http.StatusOK {
		t.Errorf("audio: %d %q is not documented", res.StatusCode, res.Header.Get("Content-Type"))
	}
}
