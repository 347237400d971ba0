package test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/catalog"
	"github.com/callrec/callrec/internal/config"
	"github.com/callrec/callrec/internal/media"
)

// apiCLI runs the callrec binary's API commands against one serve.
type apiCLI struct {
	t      *testing.T
	ctx    context.Context
	bin    string
	server string
	env    []string // extra environment (CALLREC_TOKEN...)
	dir    string   // working directory; "" is the test's
}

// run runs callrec args with --server and returns stdout; wantOK says
// whether it must succeed (the output is returned either way).
func (c apiCLI) run(wantOK bool, args ...string) string {
	c.t.Helper()
	cmd := exec.CommandContext(c.ctx, c.bin, append(args, "--server", c.server)...)
	cmd.Env = append(os.Environ(), c.env...)
	cmd.Dir = c.dir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if (err == nil) != wantOK {
		c.t.Fatalf("callrec %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out) + stderr.String()
}

// json runs callrec args --json and decodes stdout into v.
func (c apiCLI) json(v any, args ...string) {
	c.t.Helper()
	cmd := exec.CommandContext(c.ctx, c.bin, append(args, "--json", "--server", c.server)...)
	cmd.Env = append(os.Environ(), c.env...)
	out, err := cmd.Output()
	if err != nil {
		c.t.Fatalf("callrec %s --json: %v\n%s", strings.Join(args, " "), err, out)
	}
	if err := json.Unmarshal(out, v); err != nil {
		c.t.Fatalf("callrec %s --json: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// TestCLIControlsLiveCall drives `callrec calls`, `callrec record` and
// `callrec recordings` against a real callrec serve relaying and
// recording a real sipp call: the call is listed (table and --json), its
// recording paused, resumed and stopped while the RTP keeps flowing
// through the node; after the call the recording is found by ls, shown,
// downloaded (whole and resumed with Range) with the catalogue's SHA-256,
// and deleted by an admin but not a viewer. Tokens come from
// $CALLREC_TOKEN and --token; no token is refused.
func TestCLIControlsLiveCall(t *testing.T) {
	RequireBinary(t, "sipp", "sip-tester")
	bin := BuildCallrec(t)
	realtime <- struct{}{}
	defer func() { <-realtime }()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const admin, viewer = "cli-admin-token-0123456789", "cli-viewer-token-0123456789"
	r := startServe(t, func(c *config.Config) {
		c.Serve.APITokens = []config.APIToken{{Name: "admin", Token: admin, Role: "admin"}, {Name: "viewer", Token: viewer, Role: "viewer"}}
	})
	cli := apiCLI{t: t, ctx: ctx, bin: bin, server: "http://" + r.n.HTTP, env: []string{"CALLREC_TOKEN=" + admin}}
	anon := apiCLI{t: t, ctx: ctx, bin: bin, server: cli.server, env: []string{"CALLREC_TOKEN="}}
	id := fmt.Sprintf("callrec-cli-%d", os.Getpid())
	uas := StartSipp(t, SippConfig{Label: "sipp uas", Scenario: Testdata(t, "sipp", "uas_rtp.xml"), IP: "127.0.0.3",
		Files: map[string][]byte{"callee.ulaw": MulawTone(8000, calleeHz, 8000)}})
	r.route(t, "sip:"+uas.Addr())
	uac := StartSipp(t, SippConfig{
		Label: "sipp uac", Scenario: Testdata(t, "sipp", "uac_rtp.xml"), IP: "127.0.0.2",
		Remote: r.sip, CallID: id + "-%u", Keys: map[string]string{"target": r.sip},
		Files: map[string][]byte{"tone.ulaw": MulawTone(8000, callerHz, 8000)},
	})
	callID := uac.CallID
	st := r.waitRelayed(t, ctx, callID, media.StreamStats{}, 25, uac, uas)

	// calls ls: the table names the call; --json is the API's answer.
	if out := cli.run(true, "calls", "ls"); !strings.Contains(out, callID) || !strings.Contains(out, "CALL-ID") {
		t.Errorf("calls ls:\n%s", out)
	}
	if out := anon.run(false, "calls", "ls"); !strings.Contains(out, "401") {
		t.Errorf("calls ls without a token: %s", out)
	}
	var list struct {
		Calls []struct {
			CallID    string `json:"call_id"`
			Anchored  bool   `json:"anchored"`
			Recording bool   `json:"recording"`
		} `json:"calls"`
	}
	cli.json(&list, "calls", "ls")
	if len(list.Calls) != 1 || list.Calls[0].CallID != callID || !list.Calls[0].Anchored || !list.Calls[0].Recording {
		t.Fatalf("calls ls --json: %+v, want %s anchored and recording", list, callID)
	}

	// record pause, resume, stop: one request each; the call stays
	// anchored and relayed throughout.
	var res struct {
		Call struct {
			CallID    string `json:"call_id"`
			Anchored  bool   `json:"anchored"`
			Recording bool   `json:"recording"`
		} `json:"call"`
	}
	for _, op := range []string{"pause", "resume", "stop"} {
		cli.json(&res, "record", op, callID)
		if res.Call.CallID != callID || !res.Call.Anchored || res.Call.Recording != (op != "stop") {
			t.Errorf("record %s --json: %+v", op, res)
		}
		st = r.waitRelayed(t, ctx, callID, st, 25, uac, uas)
	}
	cli.json(&list, "calls", "ls")
	if len(list.Calls) != 1 || list.Calls[0].Recording {
		t.Errorf("calls ls after record stop: %+v", list)
	}
	// Bad input: an unknown call, an unknown action, a viewer's control.
	if out := cli.run(false, "record", "stop", "no-such-call"); !strings.Contains(out, "404") {
		t.Errorf("record stop of an unknown call: %s", out)
	}
	if out := cli.run(false, "record", "rewind", callID); !strings.Contains(out, "unknown action") {
		t.Errorf("record rewind: %s", out)
	}
	if out := cli.run(false, "record", "start", callID, "--token", viewer); !strings.Contains(out, "403") {
		t.Errorf("record start with a viewer token: %s", out)
	}

	release(t, uac, callID, 9)
	if err := uac.Proc.Wait(ctx); err != nil {
		t.Fatalf("sipp uac: %v", err)
	}
	if err := uas.Proc.Wait(ctx); err != nil {
		t.Fatalf("sipp uas: %v", err)
	}
	r.gone(t, callID)

	// The recording, stopped mid-call, is complete in the catalogue.
	var row *catalog.Recording
	for row == nil || row.Status != catalog.StatusComplete {
		if p, err := r.n.Catalog.Search(ctx, catalog.Query{CallID: callID}); err == nil && len(p.Recordings) == 1 {
			row = p.Recordings[0]
		}
		select {
		case <-ctx.Done():
			t.Fatalf("catalogue: no complete row for %s (last %+v)", callID, row)
		case <-time.After(50 * time.Millisecond): // the catalogue has no notification; poll
		}
	}
	rid := fmt.Sprint(row.ID)

	// recordings ls finds it (table and --json, a viewer may search).
	if out := cli.run(true, "recordings", "ls", "--token", viewer); !strings.Contains(out, row.Caller) || !strings.Contains(out, "complete") {
		t.Errorf("recordings ls:\n%s", out)
	}
	var page struct {
		Items []struct {
			ID       int64  `json:"id"`
			CallID   string `json:"call_id"`
			Checksum string `json:"checksum"`
		} `json:"items"`
	}
	cli.json(&page, "recordings", "ls", "--call-id", callID, "--status", "complete")
	if len(page.Items) != 1 || page.Items[0].ID != row.ID || page.Items[0].Checksum != row.Checksum {
		t.Errorf("recordings ls --json: %+v, want row %d", page, row.ID)
	}
	// show: its metadata.
	out := cli.run(true, "recordings", "show", rid)
	for _, want := range []string{callID, row.Checksum, "complete", "leg caller"} {
		if !strings.Contains(out, want) {
			t.Errorf("recordings show lacks %q:\n%s", want, out)
		}
	}
	var shown struct {
		ID     int64  `json:"id"`
		Size   int64  `json:"size"`
		Status string `json:"status"`
	}
	cli.json(&shown, "recordings", "show", rid)
	if shown.ID != row.ID || shown.Size != row.Size || shown.Status != "complete" {
		t.Errorf("recordings show --json: %+v, want %+v", shown, row)
	}
	// A recording is also named by its key (slashes and all).
	cli.json(&shown, "recordings", "show", row.Key)
	if shown.ID != row.ID {
		t.Errorf("recordings show %s: id %d, want %d", row.Key, shown.ID, row.ID)
	}
	// get: the audio, whose SHA-256 is the catalogue's; then half of it
	// resumed with a Range request.
	file := filepath.Join(t.TempDir(), "rec.wav")
	cli.run(true, "recordings", "get", rid, "-o", file, "--token", viewer)
	if sum := fileSum(t, file); sum != row.Checksum {
		t.Fatalf("recordings get: %s, catalogue %s", sum, row.Checksum)
	}
	// Without -o, the file is named after the key, in the working
	// directory.
	in := cli
	in.dir = t.TempDir()
	in.run(true, "recordings", "get", rid)
	if got, _ := filepath.Glob(filepath.Join(in.dir, "*")); len(got) != 1 || filepath.Ext(got[0]) != ".wav" || fileSum(t, got[0]) != row.Checksum {
		t.Errorf("recordings get without -o wrote %v (key %s)", got, row.Key)
	}
	if err := os.Truncate(file, row.Size/2); err != nil {
		t.Fatal(err)
	}
	if out := cli.run(true, "recordings", "get", rid, "-o", file, "--continue"); !strings.Contains(out, row.Checksum) {
		t.Errorf("recordings get --continue: %s", out)
	}
	if sum := fileSum(t, file); sum != row.Checksum {
		t.Errorf("recordings get --continue: %s, catalogue %s", sum, row.Checksum)
	}
	// The API's catalogue queries are timed in /metrics.
	sc := ScrapeMetrics(t, "http://"+r.n.HTTP+"/metrics")
	for _, q := range []string{"catalog_search", "catalog_get"} {
		if sum, n := sc.HistogramSum("callrec_database_query_duration_seconds", "query", q); n < 1 || sum <= 0 {
			t.Errorf("/metrics: %s latency count %d sum %v s after the CLI's requests", q, n, sum)
		}
	}
	// rm: refused to a viewer, done for an admin; the row says deleted.
	if out := cli.run(false, "recordings", "rm", rid, "--token", viewer); !strings.Contains(out, "403") {
		t.Errorf("recordings rm as viewer: %s", out)
	}
	cli.run(true, "recordings", "rm", rid)
	cli.json(&shown, "recordings", "show", rid)
	if shown.Status != "deleted" {
		t.Errorf("after rm: status %s", shown.Status)
	}
	if out := cli.run(false, "recordings", "get", rid, "-o", file); !strings.Contains(out, "410") && !strings.Contains(out, "404") {
		t.Errorf("get after rm: %s", out)
	}
}

func fileSum(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// TestCLIHelp: every API command answers --help with its usage, exit 0,
// and prints no token even when $CALLREC_TOKEN is set.
func TestCLIHelp(t *testing.T) {
	bin := BuildCallrec(t)
	for _, c := range []string{"recordings", "record", "calls"} {
		cmd := exec.Command(bin, c, "--help")
		cmd.Env = append(os.Environ(), "CALLREC_TOKEN=secret-token-not-to-print")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "usage: callrec "+c) || !strings.Contains(string(out), "--server") && !strings.Contains(string(out), "-server") {
			t.Errorf("callrec %s --help: %v\n%s", c, err, out)
		}
		if strings.Contains(string(out), "secret-token") {
			t.Errorf("callrec %s --help prints the token", c)
		}
	}
}
