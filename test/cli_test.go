package test

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// TestCLIRoutesAndUsers drives `callrec routes`, `callrec users` and
// `callrec trunks` on a fresh data directory: what is added is listed,
// what is removed is gone, duplicates and bad arguments fail, and no
// credential is printed.
func TestCLIRoutesAndUsers(t *testing.T) {
	bin := BuildCallrec(t)
	dir := t.TempDir()
	run := func(wantOK bool, args ...string) string {
		t.Helper()
		out, err := exec.Command(bin, append(args, "--data-dir", dir)...).CombinedOutput()
		if (err == nil) != wantOK {
			t.Fatalf("callrec %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run(true, "routes", "add", "+44", "sip:gw1.example.com:5060", "--priority", "10")
	run(true, "routes", "add", "", "sip:default.example.com")
	var rs []struct {
		ID          int64
		Pattern     string
		Destination string
		Priority    int
		Enabled     bool
	}
	if err := json.Unmarshal([]byte(run(true, "routes", "ls", "--json")), &rs); err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || !rs[0].Enabled || !rs[1].Enabled {
		t.Fatalf("routes %+v, want 2 enabled", rs)
	}
	var gw int64
	for _, r := range rs {
		if r.Pattern == "+44" && r.Priority == 10 {
			gw = r.ID
		}
	}
	run(true, "routes", "rm", itoa(int(gw)))
	if out := run(true, "routes", "ls"); strings.Contains(out, "gw1") || !strings.Contains(out, "default.example.com") {
		t.Errorf("after rm:\n%s", out)
	}
	run(false, "routes", "rm", "999")
	run(false, "routes", "frobnicate")

	run(true, "users", "add", "alice", "example.com", "s3cret", "--display", "Alice A")
	run(false, "users", "add", "alice", "example.com", "other")
	out := run(true, "users", "ls", "--json")
	// Neither the password nor its HA1 is ever printed.
	if !strings.Contains(out, `"Username": "alice"`) || strings.Contains(out, "s3cret") || !strings.Contains(out, `"HA1": ""`) {
		t.Errorf("users ls:\n%s", out)
	}
	run(true, "users", "rm", "alice", "example.com")
	if out := run(true, "users", "ls"); strings.Contains(out, "alice") {
		t.Errorf("alice still listed:\n%s", out)
	}

	run(true, "trunks", "add", "carrier", "203.0.113.0/24", "198.51.100.7", "--description", "main carrier")
	run(true, "trunks", "add", "pbx", "192.0.2.10", "--disabled")
	run(false, "trunks", "add", "carrier", "192.0.2.0/24") // exists
	run(false, "trunks", "add", "bad", "not-an-address")   // bad network
	run(false, "trunks", "add", "none")                    // no network
	var ts []struct {
		Name        string
		Networks    []string
		Enabled     bool
		Description string
	}
	if err := json.Unmarshal([]byte(run(true, "trunks", "ls", "--json")), &ts); err != nil {
		t.Fatal(err)
	}
	if len(ts) != 2 || ts[0].Name != "carrier" || strings.Join(ts[0].Networks, " ") != "198.51.100.7/32 203.0.113.0/24" ||
		!ts[0].Enabled || ts[0].Description != "main carrier" || ts[1].Name != "pbx" || ts[1].Enabled {
		t.Errorf("trunks %+v", ts)
	}
	run(true, "trunks", "rm", "carrier")
	run(false, "trunks", "rm", "carrier")
	if out := run(true, "trunks", "ls"); strings.Contains(out, "carrier") || !strings.Contains(out, "pbx") {
		t.Errorf("after rm:\n%s", out)
	}
}
