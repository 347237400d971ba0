package test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/nettest"
)

// RequireBinary returns the path of the named executable, or skips the test
// with a message that says which Debian package provides it.
func RequireBinary(t testing.TB, name, debianPackage string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		// Daemons such as kamailio live in /usr/sbin, which a non-root
		// PATH may lack.
		for _, dir := range []string{"/usr/sbin", "/usr/local/sbin", "/sbin"} {
			if p, err := exec.LookPath(filepath.Join(dir, name)); err == nil {
				return p
			}
		}
		t.Skipf("interop: %s not installed (Debian package %s; scripts/deps.sh installs it)", name, debianPackage)
	}
	return p
}

// FreeUDPPort returns a UDP port on ip that was free a moment ago (see
// nettest.FreeUDPPort).
func FreeUDPPort(t testing.TB, ip string) int { t.Helper(); return nettest.FreeUDPPort(t, ip) }

// FreeTCPPort returns a TCP port on ip that was free a moment ago (see
// nettest.FreeTCPPort).
func FreeTCPPort(t testing.TB, ip string) int { t.Helper(); return nettest.FreeTCPPort(t, ip) }

// FreeUDPPortPair returns an even UDP port p on ip such that p and p+2 were
// both free (see nettest.FreeUDPPortPair).
func FreeUDPPortPair(t testing.TB, ip string) int { t.Helper(); return nettest.FreeUDPPortPair(t, ip) }

// FreeUDPRange returns the first (even) port of n consecutive UDP ports
// on ip that were all free a moment ago (see nettest.FreeUDPRange).
func FreeUDPRange(t testing.TB, ip string, n int) int {
	t.Helper()
	return nettest.FreeUDPRange(t, ip, n)
}

// RepoRoot returns the module root (the directory holding go.mod), found
// from this source file's location.
func RepoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("interop: cannot locate the test sources")
	}
	return filepath.Dir(filepath.Dir(file))
}

// Testdata returns the absolute path of a file under test/testdata.
func Testdata(t testing.TB, elem ...string) string {
	t.Helper()
	return filepath.Join(append([]string{RepoRoot(t), "test", "testdata"}, elem...)...)
}

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
	buildDir  string
)

// BuildCallrec builds ./cmd/callrec once per test binary and returns the
// path of the executable. The build lands in a directory that lives as
// long as the test process (tests in one package share it).
func BuildCallrec(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "callrec-interop-bin-")
		if buildErr != nil {
			return
		}
		buildPath = filepath.Join(buildDir, "callrec")
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "go", "build", "-o", buildPath, "./cmd/callrec")
		cmd.Dir = RepoRoot(t)
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build ./cmd/callrec: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatalf("interop: %v", buildErr)
	}
	return buildPath
}

// logBuffer collects a child's output, keeps at most limit bytes (the
// tail), and wakes waiters whenever new output arrives.
type logBuffer struct {
	mu      sync.Mutex
	buf     []byte
	dropped int
	limit   int
	changed chan struct{} // closed and replaced on every write
}

func newLogBuffer(limit int) *logBuffer {
	return &logBuffer{limit: limit, changed: make(chan struct{})}
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.limit; over > 0 {
		b.dropped += over
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	close(b.changed)
	b.changed = make(chan struct{})
	return len(p), nil
}

// snapshot returns a copy of the output kept so far, how many earlier
// bytes were dropped, and a channel closed on the next write.
func (b *logBuffer) snapshot() ([]byte, int, <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf), b.dropped, b.changed
}

// Process is a child process started by a test. Its stdout and stderr are
// captured together; they are written to the test log when the test fails
// (or always under go test -v). The process runs in its own process group
// and is stopped, with its children, when the test ends.
type Process struct {
	Name string

	t    testing.TB
	cmd  *exec.Cmd
	out  *logBuffer
	done chan struct{} // closed when the process has exited
	err  error         // Wait's result, valid after done
}

// StartProcess starts name with args in dir (the test's temp dir if dir is
// ""), registers its shutdown with t.Cleanup and returns at once.
func StartProcess(t testing.TB, label, dir, name string, args ...string) *Process {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	p := &Process{Name: label, t: t, out: newLogBuffer(1 << 20), done: make(chan struct{})}
	p.cmd = exec.Command(name, args...)
	p.cmd.Dir = dir
	p.cmd.Stdout = p.out
	p.cmd.Stderr = p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	t.Logf("interop: start %s: %s %s", label, name, strings.Join(args, " "))
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("interop: start %s: %v", label, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.Stop(5 * time.Second)
		if t.Failed() || testing.Verbose() {
			t.Logf("interop: %s output:\n%s", label, p.Output())
		}
	})
	return p
}

// Output returns what the process printed so far (the last 1 MiB).
func (p *Process) Output() string {
	b, dropped, _ := p.out.snapshot()
	if dropped > 0 {
		return fmt.Sprintf("[... %d bytes dropped ...]\n%s", dropped, b)
	}
	return string(b)
}

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Wait waits for the process to exit on its own and returns its exit
// error (nil for status 0). It stops the process and returns an error if
// ctx ends first.
func (p *Process) Wait(ctx context.Context) error {
	select {
	case <-p.done:
		return p.err
	case <-ctx.Done():
		p.Stop(2 * time.Second)
		return fmt.Errorf("interop: %s still running: %w", p.Name, ctx.Err())
	}
}

// WaitOutput waits until the process output contains substr. It fails
// early if the process exits first.
func (p *Process) WaitOutput(ctx context.Context, substr string) error {
	for {
		b, _, changed := p.out.snapshot()
		if bytes.Contains(b, []byte(substr)) {
			return nil
		}
		select {
		case <-changed:
		case <-p.done:
			b, _, _ = p.out.snapshot()
			if bytes.Contains(b, []byte(substr)) {
				return nil
			}
			return fmt.Errorf("interop: %s exited (%v) before printing %q", p.Name, p.err, substr)
		case <-ctx.Done():
			return fmt.Errorf("interop: %s did not print %q: %w", p.Name, substr, ctx.Err())
		}
	}
}

// Stop sends SIGTERM to the process group, waits up to grace for the
// process to exit, then sends SIGKILL. Stopping an exited process is a
// no-op.
func (p *Process) Stop(grace time.Duration) {
	select {
	case <-p.done:
		return
	default:
	}
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
	// Children of a dead leader (kamailio's workers) may linger.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
}

// Exited reports whether the process has exited, and its Wait error.
func (p *Process) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// ExitCode returns the exit status after the process exited, or -1.
func (p *Process) ExitCode() int {
	if ok, _ := p.Exited(); !ok || p.cmd.ProcessState == nil {
		return -1
	}
	return p.cmd.ProcessState.ExitCode()
}

// WaitUDPBound waits until some process has a UDP socket bound to ip:port,
// by reading /proc/net/udp (never binding the port itself, which could
// steal it from the process being waited for). It gives up when ctx ends
// or died is closed.
func WaitUDPBound(ctx context.Context, ip string, port int, died <-chan struct{}) error {
	return waitBound(ctx, "udp", ip, port, died)
}

// WaitTCPListening is WaitUDPBound for a listening TCP socket (from
// /proc/net/tcp, state LISTEN).
func WaitTCPListening(ctx context.Context, ip string, port int, died <-chan struct{}) error {
	return waitBound(ctx, "tcp", ip, port, died)
}

func waitBound(ctx context.Context, network, ip string, port int, died <-chan struct{}) error {
	a := net.ParseIP(ip).To4()
	if a == nil {
		return fmt.Errorf("interop: %s is not an IPv4 address", ip)
	}
	// /proc/net/udp prints the address as the hex of the in-memory
	// (network order) word read as little-endian: 127.0.0.1 -> 0100007F.
	want := fmt.Sprintf("%02X%02X%02X%02X:%04X", a[3], a[2], a[1], a[0], port)
	wild := fmt.Sprintf("00000000:%04X", port)
	for {
		b, err := os.ReadFile("/proc/net/" + network)
		if err != nil {
			return err
		}
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			// st 0A is TCP_LISTEN; UDP sockets have no listening state.
			if len(f) > 3 && (f[1] == want || f[1] == wild) && (network == "udp" || f[3] == "0A") {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("interop: nothing bound to %s %s:%d: %w", network, ip, port, ctx.Err())
		case <-died:
			return fmt.Errorf("interop: process exited before binding %s %s:%d", network, ip, port)
		case <-time.After(20 * time.Millisecond): // poll interval of a file that has no change notification
		}
	}
}

// Kill ends the process with SIGKILL, as a crash would, and waits for it.
func (p *Process) Kill() {
	p.cmd.Process.Kill()
	<-p.done
}
