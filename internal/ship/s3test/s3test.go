// Package s3test runs a real S3-compatible server for tests: versitygw
// (github.com/versity/versitygw, pinned in scripts/deps.sh) with its
// posix backend, on a free loopback port, over a temporary directory,
// stopped when the test ends. Like net/http/httptest it exists for
// tests only.
//
// The binary is looked up as $CALLREC_VERSITYGW, then versitygw on
// PATH, then in $(go env GOBIN) or $(go env GOPATH)/bin. When it is
// missing the test is skipped, or fails under CI (CI=true), where
// scripts/deps.sh installs it.
package s3test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Credentials of the server's root user.
const (
	AccessKey = "callrec-test"
	SecretKey = "callrec-test-secret"
)

// Server is a running versitygw. Stop and Start let a test take it away
// and bring it back on the same address with the same data.
type Server struct {
	// Endpoint is the server's URL, http://127.0.0.1:PORT.
	Endpoint string
	// Dir holds the buckets (one directory each).
	Dir string

	t    testing.TB
	bin  string
	addr string
	cmd  *exec.Cmd
	done chan struct{}
}

// Binary returns the versitygw binary, or "" when none is installed.
func Binary() string {
	if p := os.Getenv("CALLREC_VERSITYGW"); p != "" {
		return p
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p
	}
	out, _ := exec.Command("go", "env", "GOBIN", "GOPATH").Output()
	if env := strings.Split(string(out), "\n"); len(env) >= 2 {
		dirs := []string{env[0]}
		for _, d := range filepath.SplitList(env[1]) {
			dirs = append(dirs, filepath.Join(d, "bin"))
		}
		for _, d := range dirs {
			if p := filepath.Join(d, "versitygw"); d != "" && fileExists(p) {
				return p
			}
		}
	}
	return ""
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// Start runs a server with one bucket, bucket, and stops it when t
// ends.
func Start(t testing.TB, bucket string) *Server {
	t.Helper()
	bin := Binary()
	if bin == "" {
		msg := "s3test: versitygw not installed (bash scripts/deps.sh installs it into $(go env GOPATH)/bin)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("s3test: pick a port: %v", err)
	}
	addr := l.Addr().String()
	l.Close()
	s := &Server{Endpoint: "http://" + addr, Dir: t.TempDir(), t: t, bin: bin, addr: addr}
	t.Cleanup(s.Stop)
	s.Start()
	if err := s.Client().MakeBucket(context.Background(), bucket, minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("s3test: make bucket %s: %v", bucket, err)
	}
	return s
}

// Start starts the server again after Stop (same address and data) and
// waits until it answers.
func (s *Server) Start() {
	s.t.Helper()
	if s.cmd != nil {
		return
	}
	logf, err := os.OpenFile(filepath.Join(s.t.TempDir(), "versitygw.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		s.t.Fatal(err)
	}
	cmd := exec.Command(s.bin, "--access", AccessKey, "--secret", SecretKey, "--port", s.addr, "--quiet", "posix", s.Dir)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		s.t.Fatalf("s3test: start %s: %v", s.bin, err)
	}
	s.cmd, s.done = cmd, make(chan struct{})
	go func(done chan struct{}) { cmd.Wait(); logf.Close(); close(done) }(s.done)
	c := s.Client()
	for deadline := time.Now().Add(20 * time.Second); ; {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := c.ListBuckets(ctx)
		cancel()
		if err == nil {
			return
		}
		select {
		case <-s.done:
			log, _ := os.ReadFile(logf.Name())
			s.cmd = nil
			s.t.Fatalf("s3test: versitygw exited: %s", log)
		default:
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("s3test: versitygw at %s does not answer: %v", s.addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop kills the server (as a crash or an outage would) and waits for
// it to exit.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
}

// Port returns the server's TCP port.
func (s *Server) Port() int {
	_, p, _ := net.SplitHostPort(s.addr)
	n, _ := strconv.Atoi(p)
	return n
}

// Client returns a client of the server (path-style, as versitygw
// needs).
func (s *Server) Client() *minio.Client {
	c, err := minio.New(s.addr, &minio.Options{
		Creds:        credentials.NewStaticV4(AccessKey, SecretKey, ""),
		BucketLookup: minio.BucketLookupPath,
		Region:       "us-east-1",
	})
	if err != nil {
		panic(fmt.Sprintf("s3test: client: %v", err))
	}
	return c
}
