package test

import (
	"os/exec"
	"strings"
	"testing"
)

// deps returns the packages pkg depends on (go list -deps), or with
// direct only those it imports itself.
func deps(t *testing.T, pkg string, direct ...bool) map[string]bool {
	t.Helper()
	args := []string{"list", "-deps", pkg}
	if len(direct) > 0 && direct[0] {
		args = []string{"list", "-f", `{{join .Imports " "}}`, pkg}
	}
	out, err := exec.Command("go", args...).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	m := map[string]bool{}
	for _, l := range strings.Fields(string(out)) {
		m[l] = true
	}
	return m
}

const mod = "github.com/callrec/callrec/"

// TestImportsPointOneWay keeps the layering of STYLE.md: wire packages
// do no I/O, and the relay never imports the recorder (the recorder fills
// the relay's Tap interface instead).
func TestImportsPointOneWay(t *testing.T) {
	wire := []string{"internal/rtp", "internal/sdp", "internal/codec", "internal/record/timeline"}
	for _, p := range wire {
		d := deps(t, mod+p)
		own := deps(t, mod+p, true)
		for _, banned := range []string{"net", "os", "log/slog", "log"} {
			if own[banned] {
				t.Errorf("%s is a wire package but imports %s", p, banned)
			}
		}
		for dep := range d {
			if strings.HasPrefix(dep, mod) && dep != mod+p && !contains2(wire, strings.TrimPrefix(dep, mod)) {
				t.Errorf("wire package %s imports %s from a higher layer", p, dep)
			}
		}
	}
	for _, c := range []struct{ pkg, must string }{
		{"internal/media", "internal/record"},
		{"internal/media", "internal/app"},
		{"internal/rtpp", "internal/media"},
		{"internal/record", "internal/app"},
		{"internal/record", "internal/catalog"},
		{"internal/store", "internal/catalog"},
		{"internal/config", "internal/app"},
	} {
		if deps(t, mod+c.pkg)[mod+c.must] {
			t.Errorf("%s imports %s: imports must point from app down to wire", c.pkg, c.must)
		}
	}
}

func contains2(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
