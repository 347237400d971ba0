package test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// EnvRtpproxy names an environment variable: when set to the path of an
// rtpproxy-compatible binary that takes rtpproxy's own flags (-f -s -l -m
// -M -p), interop tests run that binary as the media node instead of
// `callrec media`, to compare behaviour against the reference.
const EnvRtpproxy = "CALLREC_INTEROP_RTPPROXY"

// MediaNode is a running rtpproxy-compatible media node: `callrec media`,
// or the binary named by $CALLREC_INTEROP_RTPPROXY.
type MediaNode struct {
	Control RtppControl // control socket, as Kamailio's rtpproxy_sock names it
	IP      string      // address RTP is relayed on
	PortMin int         // first RTP port the node may use
	PortMax int         // last RTP port the node may use
	Impl    string      // "callrec" or the reference binary's path
	Proc    *Process
}

// StartMediaNode starts a media node relaying on 127.0.0.1 with a freshly
// picked port range, controlled over "udp" (a free loopback port) or
// "unix" (a socket in a temp dir), and waits until it answers V.
func StartMediaNode(t testing.TB, controlKind string) *MediaNode {
	t.Helper()
	return StartMediaNodeConfig(t, controlKind, "")
}

// StartMediaNodeConfig is StartMediaNode with `callrec media --config
// cfg` (a YAML file, see config.example.yaml; "" for none): the flags
// still set the control socket, the relay address and the ports. The
// reference binary of $CALLREC_INTEROP_RTPPROXY takes no callrec
// config, so with cfg set the test is skipped in that mode.
func StartMediaNodeConfig(t testing.TB, controlKind, cfg string) *MediaNode {
	t.Helper()
	if cfg != "" && os.Getenv(EnvRtpproxy) != "" {
		t.Skipf("interop: $%s is set and the reference media node takes no callrec config", EnvRtpproxy)
	}
	n := &MediaNode{IP: "127.0.0.1"}
	switch controlKind {
	case "udp":
		n.Control.Addr = fmt.Sprintf("udp:127.0.0.1:%d", FreeUDPPort(t, "127.0.0.1"))
	case "unix":
		// t.TempDir() can exceed the 108-byte sun_path limit with long
		// test names; keep the socket path short.
		dir, err := os.MkdirTemp("", "crmn")
		if err != nil {
			t.Fatalf("interop: %v", err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		n.Control.Addr = "unix:" + filepath.Join(dir, "ctl.sock")
	default:
		t.Fatalf("interop: unknown control kind %q", controlKind)
	}
	n.PortMin = FreeUDPRange(t, n.IP, 64)
	n.PortMax = n.PortMin + 63
	dir := t.TempDir()
	if ref := os.Getenv(EnvRtpproxy); ref != "" {
		n.Impl = ref
		n.Proc = StartProcess(t, "rtpproxy", dir, ref,
			"-f", "-F",
			"-s", n.Control.Addr,
			"-l", n.IP,
			"-m", strconv.Itoa(n.PortMin), "-M", strconv.Itoa(n.PortMax),
			"-p", filepath.Join(dir, "rtpproxy.pid"),
			"-d", "INFO")
	} else {
		n.Impl = "callrec"
		args := []string{"media",
			"--control", n.Control.Addr,
			"--listen", n.IP,
			"--port-min", strconv.Itoa(n.PortMin), "--port-max", strconv.Itoa(n.PortMax)}
		if cfg != "" {
			args = append(args, "--config", cfg)
		}
		n.Proc = StartProcess(t, "callrec media", dir, BuildCallrec(t), args...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.Control.WaitReady(ctx); err != nil {
		if ok, werr := n.Proc.Exited(); ok {
			t.Fatalf("interop: media node exited at start (%v): %v", werr, err)
		}
		t.Fatal(err)
	}
	return n
}

// OwnsPort reports whether port lies in the node's RTP port range.
func (n *MediaNode) OwnsPort(port int) bool {
	return port >= n.PortMin && port <= n.PortMax
}
