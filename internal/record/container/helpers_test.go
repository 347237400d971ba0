package container

import (
	"bytes"
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// memFile is an in-memory File that counts Write calls.
type memFile struct {
	b      []byte
	writes int
}

func (m *memFile) Write(p []byte) (int, error) {
	m.b = append(m.b, p...)
	m.writes++
	return len(p), nil
}

func (m *memFile) WriteAt(p []byte, off int64) (int, error) {
	if end := int(off) + len(p); end > len(m.b) {
		m.b = append(m.b, make([]byte, end-len(m.b))...)
	}
	copy(m.b[off:], p)
	return len(p), nil
}

// discardFile is a File that drops everything, for benchmarks.
type discardFile struct{}

func (discardFile) Write(p []byte) (int, error)            { return len(p), nil }
func (discardFile) WriteAt(p []byte, _ int64) (int, error) { return len(p), nil }

// frameOf returns encoded bytes of fm holding n sample frames: a pattern
// that is valid data for every fixed-size encoding.
func frameOf(fm Format, n int) []byte {
	blocks := n / fm.SamplesPerBlock()
	b := make([]byte, blocks*fm.BlockAlign())
	for i := range b {
		b[i] = byte(i*7 + 3)
	}
	return b
}

// tool runs name with args under a deadline and returns its trimmed
// output, skipping the test when the tool is not installed.
func tool(t *testing.T, name string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("%s not installed (Debian package sox/ffmpeg): %v", name, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// toolSeconds parses a tool's duration output.
func toolSeconds(t *testing.T, s string) time.Duration {
	t.Helper()
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		t.Fatalf("parse duration %q: %v", s, err)
	}
	return time.Duration(f * float64(time.Second))
}
