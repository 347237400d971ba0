package test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/media"
)

// apiCLI runs the callrec binary's API commands against one serve.
type apiCLI struct {
	t      *testing.T
	ctx    context.Context
	bin    string
	server string
	env    []string // extra environment (CALLREC_TOKEN...)
}

// run runs callrec args with --server and returns stdout; wantOK says
// whether it must succeed (the output is returned either way).
func (c apiCLI) run(wantOK bool, args ...string) string {
	c.t.Helper()
	cmd := exec.CommandContext(c.ctx, c.bin, append(args, "--server", c.server)...)
	cmd.Env = append(os.Environ(), c.env...)
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

// TestCLIControlsLiveCall drives `callrec calls ls` and `callrec record`
// against a real callrec serve relaying and recording a real sipp call:
// the call is listed (table and --json), its recording is stopped while
// the call goes on and the RTP keeps flowing through the node, and an
// unknown call is a clear error.
func TestCLIControlsLiveCall(t *testing.T) {
	RequireBinary(t, "sipp", "sip-tester")
	bin := BuildCallrec(t)
	realtime <- struct{}{}
	defer func() { <-realtime }()
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	r := startServe(t, nil)
	cli := apiCLI{t: t, ctx: ctx, bin: bin, server: "http://" + r.n.HTTP}
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

	// record stop: one request; the call stays anchored and relayed.
	var res struct {
		Call struct {
			CallID    string `json:"call_id"`
			Anchored  bool   `json:"anchored"`
			Recording bool   `json:"recording"`
		} `json:"call"`
	}
	cli.json(&res, "record", "stop", callID)
	if res.Call.CallID != callID || !res.Call.Anchored || res.Call.Recording {
		t.Errorf("record stop --json: %+v, want anchored and not recording", res)
	}
	r.waitRelayed(t, ctx, callID, st, 25, uac, uas)
	cli.json(&list, "calls", "ls")
	if len(list.Calls) != 1 || list.Calls[0].Recording {
		t.Errorf("calls ls after record stop: %+v", list)
	}
	// Bad input: an unknown call, an unknown action.
	if out := cli.run(false, "record", "stop", "no-such-call"); !strings.Contains(out, "404") {
		t.Errorf("record stop of an unknown call: %s", out)
	}
	if out := cli.run(false, "record", "rewind", callID); !strings.Contains(out, "unknown action") {
		t.Errorf("record rewind: %s", out)
	}

	release(t, uac, callID, 9)
	if err := uac.Proc.Wait(ctx); err != nil {
		t.Fatalf("sipp uac: %v", err)
	}
	if err := uas.Proc.Wait(ctx); err != nil {
		t.Fatalf("sipp uas: %v", err)
	}
	r.gone(t, callID)
	// The recording stopped mid-call is complete in the catalogue.
	for {
		recs := r.recordings(callID)
		if len(recs) == 1 && recs[0].Status != "recording" {
			if recs[0].Status != "complete" {
				t.Errorf("recording %s (%s)", recs[0].Status, recs[0].Reason)
			}
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("recordings of %s: %+v", callID, recs)
		case <-time.After(50 * time.Millisecond): // sidecars have no notification; poll
		}
	}
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
