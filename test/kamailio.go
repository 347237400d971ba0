package test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Kamailio is a running Kamailio SIP proxy listening on UDP Addr.
type Kamailio struct {
	Addr string // "127.0.0.1:port"
	Proc *Process
}

// StartKamailio runs kamailio in the foreground with the config at cfg,
// listening on a free UDP port on 127.0.0.1, with the given preprocessor
// defines (each passed as -A, e.g. `RTPP_SOCK="udp:127.0.0.1:7722"`). It
// returns once Kamailio answers an OPTIONS probe. Kamailio and its
// workers are stopped when the test ends. Skips if kamailio is missing.
func StartKamailio(t testing.TB, cfg string, defines ...string) *Kamailio {
	t.Helper()
	bin := RequireBinary(t, "kamailio", "kamailio")
	dir := t.TempDir()
	k := &Kamailio{Addr: fmt.Sprintf("127.0.0.1:%d", FreeUDPPort(t, "127.0.0.1"))}
	args := []string{
		"-f", cfg,
		"-DD", "-E", // foreground, log to stderr
		"-l", "udp:" + k.Addr,
		"-n", "2",
		"-m", "64", "-M", "8",
		"-Y", dir, "-P", filepath.Join(dir, "kamailio.pid"), "-w", dir,
	}
	for _, d := range defines {
		args = append(args, "-A", d)
	}
	k.Proc = StartProcess(t, "kamailio", dir, bin, args...)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := SIPPing(ctx, k.Addr, k.Proc.Done()); err != nil {
		t.Fatalf("interop: kamailio not ready: %v", err)
	}
	return k
}

// SIPPing sends an OPTIONS request (no user part) to addr over UDP, every
// 200 ms until a 200 response arrives, ctx ends, or died is closed (the
// server process exited).
func SIPPing(ctx context.Context, addr string, died <-chan struct{}) error {
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer conn.Close()
	dst, err := net.ResolveUDPAddr("udp4", addr)
	if err != nil {
		return err
	}
	local := conn.LocalAddr().String()
	var raw [8]byte
	_, _ = rand.Read(raw[:])
	id := hex.EncodeToString(raw[:])
	req := fmt.Sprintf("OPTIONS sip:%s SIP/2.0\r\n"+
		"Via: SIP/2.0/UDP %s;branch=z9hG4bK%s;rport\r\n"+
		"Max-Forwards: 70\r\n"+
		"From: <sip:probe@%s>;tag=%s\r\n"+
		"To: <sip:%s>\r\n"+
		"Call-ID: %s@callrec-probe\r\n"+
		"CSeq: 1 OPTIONS\r\n"+
		"Content-Length: 0\r\n\r\n", addr, local, id, local, id, addr, id)
	buf := make([]byte, 8192)
	var last string
	for {
		if _, err := conn.WriteTo([]byte(req), dst); err != nil {
			return err
		}
		_ = conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		n, _, err := conn.ReadFrom(buf)
		if err == nil {
			last, _, _ = strings.Cut(string(buf[:n]), "\r\n")
			if strings.HasPrefix(last, "SIP/2.0 200") {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("interop: no 200 to OPTIONS from %s (last reply %q): %w", addr, last, ctx.Err())
		case <-died:
			return fmt.Errorf("interop: %s: server exited", addr)
		default:
		}
	}
}
