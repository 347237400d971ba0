package test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/spot/spottest"
)

// TestSpotCommand runs `callrec spot` over a stereo G.711 µ-law WAV made
// with sox from the speech fixtures (channel 0 the caller, 1 the agent,
// as callrec records them) and checks its JSON lines: the caller's
// "refund" and "account" are found on channel 0 within 0.5 s of where
// they are spoken (internal/spot/testdata/timings.txt), and the agent's
// channel yields no "cancel".
func TestSpotCommand(t *testing.T) {
	spottest.RequireModel(t)
	sox := RequireBinary(t, "sox", "sox")
	bin := BuildCallrec(t)
	audio := filepath.Join(RepoRoot(t), "test", "testdata", "audio")
	wav := filepath.Join(t.TempDir(), "call.wav")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, sox, "-M", filepath.Join(audio, "caller-8k.wav"), filepath.Join(audio, "agent-8k.wav"), "-e", "u-law", wav).CombinedOutput(); err != nil {
		t.Fatalf("sox: %v\n%s", err, out)
	}

	out, err := exec.CommandContext(ctx, bin, "spot", "--keywords", "cancel/1e-30,refund/1e-20,account/1e-30", wav).Output()
	if err != nil {
		t.Fatalf("callrec spot: %v", err)
	}
	type line struct {
		Keyword    string
		Channel    int
		Start, End float64
		Confidence float64
	}
	var lines []line
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var l line
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			t.Fatalf("bad line %q: %v", sc.Text(), err)
		}
		if l.Channel < 0 || l.Channel > 1 || l.End <= l.Start || l.Confidence <= 0 || l.Confidence > 1 {
			t.Errorf("implausible line %q", sc.Text())
		}
		lines = append(lines, l)
	}
	found := func(ch int, kw string, at float64) bool {
		for _, l := range lines {
			if l.Channel == ch && l.Keyword == kw && l.Start > at-0.5 && l.Start < at+0.5 {
				return true
			}
		}
		return false
	}
	// Word starts from internal/spot/testdata/timings.txt.
	if !found(0, "refund", 11.14) || !found(0, "account", 3.05) {
		t.Errorf("caller's refund (11.14 s) or account (3.05 s) not found on channel 0:\n%s", out)
	}
	for _, l := range lines {
		if l.Channel == 1 && l.Keyword == "cancel" {
			t.Errorf("false cancel on the agent's channel: %+v", l)
		}
	}

	if out, err := exec.CommandContext(ctx, bin, "spot", "--help").CombinedOutput(); err != nil || !strings.Contains(string(out), "--keywords") {
		t.Errorf("spot --help: %v\n%s", err, out)
	}
	out, err = exec.CommandContext(ctx, bin, "spot", "--keywords", "xyzzyq", wav).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "not in the dictionary") {
		t.Errorf("unknown keyword: want an error naming it, got %v\n%s", err, out)
	}
}
