package test

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/config"
)

// TestCLIRoutesAndUsersOverAPI drives `callrec routes` and `callrec
// users` with --server against a running callrec serve: what they add
// over the API is in serve's database, what they remove is gone, a
// viewer token is refused, and no credential is printed.
func TestCLIRoutesAndUsersOverAPI(t *testing.T) {
	bin := BuildCallrec(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	c := config.Default()
	c.Serve.DataDir = t.TempDir()
	c.Serve.SIPListen = fmt.Sprintf("127.0.0.1:%d", FreeUDPPort(t, "127.0.0.1"))
	c.Serve.HTTPListen = "127.0.0.1:0"
	c.Serve.APITokens = []config.APIToken{{Name: "admin", Token: "cli-admin-token", Role: "admin"},
		{Name: "viewer", Token: "cli-viewer-token", Role: "viewer"}}
	c.Media.PortMin = FreeUDPRange(t, "127.0.0.1", 4)
	c.Media.PortMax = c.Media.PortMin + 3
	n := StartServe(t, ctx, c)
	run := func(wantOK bool, token string, args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, bin, append(args, "--server", "http://"+n.HTTP, "--token", token)...)
		out, err := cmd.CombinedOutput()
		if (err == nil) != wantOK {
			t.Fatalf("callrec %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	const admin, viewer = "cli-admin-token", "cli-viewer-token"
	id := strings.TrimSpace(run(true, admin, "routes", "add", "+44", "sip:gw1.example.com", "--priority", "5"))
	rs, err := n.Store.ListRoutes(ctx)
	if err != nil || len(rs) != 1 || rs[0].Pattern != "+44" || rs[0].Priority != 5 || fmt.Sprint(rs[0].ID) != id {
		t.Fatalf("serve's routes after add: %+v (%v), printed id %q", rs, err, id)
	}
	var listed struct {
		Routes []struct {
			ID      int64  `json:"id"`
			Pattern string `json:"pattern"`
		} `json:"routes"`
	}
	if err := json.Unmarshal([]byte(run(true, admin, "routes", "ls", "--json")), &listed); err != nil || len(listed.Routes) != 1 {
		t.Fatalf("routes ls --json: %+v %v", listed, err)
	}
	if out := run(true, admin, "routes", "ls"); !strings.Contains(out, "gw1.example.com") {
		t.Errorf("routes ls:\n%s", out)
	}
	run(false, viewer, "routes", "add", "+1", "sip:x.example.com")
	run(true, admin, "routes", "rm", id)
	if rs, _ := n.Store.ListRoutes(ctx); len(rs) != 0 {
		t.Errorf("routes after rm: %+v", rs)
	}

	run(true, admin, "users", "add", "carol", "example.com", "pa55word", "--display", "Carol C")
	if u, err := n.Store.ListUsers(ctx, "example.com"); err != nil || len(u) != 1 || u[0].HA1 == "" || u[0].DisplayName != "Carol C" {
		t.Fatalf("serve's users after add: %+v %v", u, err)
	}
	out := run(true, admin, "users", "ls", "--json")
	if !strings.Contains(out, `"carol"`) || strings.Contains(out, "pa55word") || strings.Contains(out, "ha1") {
		t.Errorf("users ls --json:\n%s", out)
	}
	run(true, admin, "users", "rm", "carol", "example.com")
	if u, _ := n.Store.ListUsers(ctx, ""); len(u) != 0 {
		t.Errorf("users after rm: %+v", u)
	}
	run(false, admin, "trunks", "ls")
}
