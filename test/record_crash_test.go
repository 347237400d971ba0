package test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/record"
	"github.com/callrec/callrec/internal/record/container"
)

// TestRecordSurvivesKill9 records a call in a real `callrec media`
// process, kills it with SIGKILL mid-call, checks that the file plays up
// to within a second of the kill without any repair, then restarts the
// node on the same directory and checks that it finds the recording,
// repairs it and marks it interrupted.
func TestRecordSurvivesKill9(t *testing.T) {
	t.Parallel()
	bin := BuildCallrec(t)
	dir := t.TempDir()
	port := FreeUDPPort(t, "127.0.0.1")
	base := FreeUDPRange(t, "127.0.0.1", 8)
	control := "udp:127.0.0.1:" + strconv.Itoa(port)
	args := []string{"media", "--control", control, "--record-dir", dir,
		"--port-min", strconv.Itoa(base), "--port-max", strconv.Itoa(base + 7)}
	p := StartProcess(t, "callrec media", "", bin, args...)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.WaitOutput(ctx, "media node ready"); err != nil {
		t.Fatal(err)
	}
	n := RemoteNode(t, control, dir)
	c := n.Anchor("crash-1")
	n.Do("R crash-1 ftag ttag")
	caller, agent := fixtures(t, 3)
	c.Play(t, &Stream{PCM: caller, SSRC: 1}, &Stream{PCM: agent, SSRC: 2})
	killedAt := time.Now()
	p.Kill()

	matches, _ := filepath.Glob(filepath.Join(dir, "*", "*.json"))
	if len(matches) != 1 {
		t.Fatalf("%d sidecars after the kill, want 1", len(matches))
	}
	m, err := record.ReadMeta(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != record.StatusRecording {
		t.Fatalf("status %q before restart, want recording", m.Status)
	}
	wav := filepath.Join(dir, m.Files[0].Path)
	f, err := os.Open(wav)
	if err != nil {
		t.Fatal(err)
	}
	fm, data, err := container.ReadWAV(f)
	f.Close()
	if err != nil {
		t.Fatalf("unrepaired file does not read: %v", err)
	}
	played := time.Duration(len(data)/fm.BlockAlign()) * time.Second / time.Duration(fm.SampleRate)
	covered := killedAt.Sub(m.Started)
	t.Logf("file plays %v of the %v recorded before the kill", played, covered)
	if played < covered-time.Second {
		t.Errorf("file plays %v, want within 1 s of %v", played, covered)
	}

	p2 := StartProcess(t, "callrec media (restart)", "", bin, args...)
	if err := p2.WaitOutput(ctx, "media node ready"); err != nil {
		t.Fatal(err)
	}
	m, err = record.ReadMeta(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != record.StatusInterrupted {
		t.Errorf("status after restart %q (%s), want interrupted", m.Status, m.Reason)
	}
	if m.Duration < played.Seconds()-0.05 {
		t.Errorf("repaired duration %.2fs, less than the %.2fs the file played before", m.Duration, played.Seconds())
	}
}
