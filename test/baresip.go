package test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/nettest"
)

// BaresipConfig describes one headless baresip user agent (Debian
// package baresip-core, version 1.0.0): a SIP account, audio from a WAV
// file through the aufile module, G.711 only, and control over the
// ctrl_tcp module (JSON in netstrings). Nothing needs a terminal or a
// sound card.
type BaresipConfig struct {
	// Label names the process in logs.
	Label string
	// IP is the loopback address of the SIP and control sockets
	// (127.0.0.x). RTP is bound to 127.0.0.1.
	IP string
	// Account is the accounts line, e.g.
	// "<sip:bob@127.0.0.1:5060>;regint=60;answermode=auto".
	Account string
	// Source is the WAV file the UA sends (mono, 8 kHz for G.711). The UA
	// plays nothing: aufile in baresip 1.0.0 is a source only.
	Source string
	// CertFile, when set, is a PEM file with the UA's certificate and
	// its key (sip_certificate): baresip then accepts SIP over TLS on
	// the port after its SIP port (Baresip.TLS). CAFile is a PEM file of
	// roots it trusts (sip_cafile).
	CertFile, CAFile string
}

// Baresip is a running baresip with a connected ctrl_tcp client.
type Baresip struct {
	Proc *Process
	// SIP is the "ip:port" of the UA's SIP socket (UDP and TCP).
	SIP string
	// TLS is the "ip:port" of its SIP-over-TLS listener (SIP's port
	// plus one, as baresip binds it).
	TLS string

	t    testing.TB
	conn net.Conn
	wmu  sync.Mutex

	mu      sync.Mutex
	msgs    []map[string]any // every message read from ctrl_tcp
	changed chan struct{}    // closed and replaced when msgs grows
	token   int
}

// baresipConfig is the UA's config file; %s are filled in by StartBaresip.
const baresipConfig = `poll_method		epoll
sip_listen		%s
sip_trans_def		udp
call_local_timeout	20
call_max_calls		1
audio_source		aufile,%s
audio_player		aufile,/dev/null
audio_alert		aufile,/dev/null
audio_level		no
ausrc_format		s16
auplay_format		s16
auenc_format		s16
audec_format		s16
audio_buffer		20-160
rtp_ports		%d-%d
rtcp_mux		no
jitter_buffer_delay	1-5
rtp_stats		no
net_interface		127.0.0.1
module_path		/usr/lib/baresip/modules
module			g711.so
module			aufile.so
module			ctrl_tcp.so
module_tmp		account.so
module_app		menu.so
ctrl_tcp_listen		%s
`

// StartBaresip writes a config directory for c under the test's temp
// dir, starts baresip with it and connects to its ctrl_tcp socket. The
// process is stopped when the test ends.
func StartBaresip(ctx context.Context, t testing.TB, c BaresipConfig) *Baresip {
	t.Helper()
	bin := RequireBinary(t, "baresip", "baresip-core")
	dir := t.TempDir()
	port := FreeUDPPort(t, c.IP)
	for i := 0; c.CertFile != "" && i < 20 && !nettest.TCPFree(c.IP, port+1); i++ {
		port = FreeUDPPort(t, c.IP)
	}
	sipAddr := net.JoinHostPort(c.IP, strconv.Itoa(port))
	ctrlAddr := net.JoinHostPort(c.IP, strconv.Itoa(FreeTCPPort(t, c.IP)))
	rtp := FreeUDPRange(t, "127.0.0.1", 16) // baresip retries other ports of the range on a clash
	cfg := fmt.Sprintf(baresipConfig, sipAddr, c.Source, rtp, rtp+15, ctrlAddr)
	if c.CertFile != "" {
		cfg += "sip_certificate\t\t" + c.CertFile + "\n"
	}
	if c.CAFile != "" {
		cfg += "sip_cafile\t\t" + c.CAFile + "\n"
	}
	for name, body := range map[string]string{"config": cfg, "accounts": c.Account + "\n", "contacts": ""} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b := &Baresip{SIP: sipAddr, t: t, changed: make(chan struct{})}
	if c.CertFile != "" {
		b.TLS = net.JoinHostPort(c.IP, strconv.Itoa(port+1))
	}
	b.Proc = StartProcess(t, c.Label, dir, bin, "-4", "-f", dir)
	var d net.Dialer
	for {
		conn, err := d.DialContext(ctx, "tcp4", ctrlAddr)
		if err == nil {
			b.conn = conn
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("interop: %s: ctrl_tcp %s: %v", c.Label, ctrlAddr, err)
		case <-b.Proc.Done():
			t.Fatalf("interop: %s exited before listening on ctrl_tcp %s", c.Label, ctrlAddr)
		case <-time.After(20 * time.Millisecond): // the listener has no readiness signal; retry
		}
	}
	t.Cleanup(func() { b.conn.Close() })
	go b.read()
	return b
}

// read collects the netstrings ctrl_tcp sends (responses and events).
func (b *Baresip) read() {
	r := bufio.NewReader(b.conn)
	for {
		head, err := r.ReadString(':')
		if err != nil {
			return
		}
		n, err := strconv.Atoi(head[:len(head)-1])
		if err != nil || n < 0 || n > 1<<20 {
			return
		}
		body := make([]byte, n+1) // payload and the trailing comma
		if _, err := io.ReadFull(r, body); err != nil {
			return
		}
		var m map[string]any
		if json.Unmarshal(body[:n], &m) != nil {
			continue
		}
		b.mu.Lock()
		b.msgs = append(b.msgs, m)
		close(b.changed)
		b.changed = make(chan struct{})
		b.mu.Unlock()
	}
}

// Command sends a ctrl_tcp command and returns the response's data; an
// error when the response says not ok or none comes before ctx ends.
func (b *Baresip) Command(ctx context.Context, command, params string) (string, error) {
	b.mu.Lock()
	b.token++
	tok := strconv.Itoa(b.token)
	b.mu.Unlock()
	js, _ := json.Marshal(map[string]string{"command": command, "params": params, "token": tok})
	b.wmu.Lock()
	_, err := fmt.Fprintf(b.conn, "%d:%s,", len(js), js)
	b.wmu.Unlock()
	if err != nil {
		return "", err
	}
	m, err := b.wait(ctx, func(m map[string]any) bool { return m["response"] == true && m["token"] == tok })
	if err != nil {
		return "", fmt.Errorf("interop: baresip %s %s: %w", command, params, err)
	}
	data, _ := m["data"].(string)
	if m["ok"] != true {
		return data, fmt.Errorf("interop: baresip %s %s: not ok: %s", command, params, data)
	}
	return data, nil
}

// WaitEvent waits for an event of the given type (such as
// "REGISTER_OK" or "CALL_ESTABLISHED") and returns it.
func (b *Baresip) WaitEvent(ctx context.Context, typ string) (map[string]any, error) {
	m, err := b.wait(ctx, func(m map[string]any) bool { return m["event"] == true && m["type"] == typ })
	if err != nil {
		return nil, fmt.Errorf("interop: %s: no %s event: %w", b.Proc.Name, typ, err)
	}
	return m, nil
}

// wait returns the first message so far or to come that match accepts.
func (b *Baresip) wait(ctx context.Context, match func(map[string]any) bool) (map[string]any, error) {
	for {
		b.mu.Lock()
		for _, m := range b.msgs {
			if match(m) {
				b.mu.Unlock()
				return m, nil
			}
		}
		ch := b.changed
		b.mu.Unlock()
		select {
		case <-ch:
		case <-b.Proc.Done():
			return nil, fmt.Errorf("process exited")
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Events returns the types of the events seen so far, for messages.
func (b *Baresip) Events() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var s []string
	for _, m := range b.msgs {
		if m["event"] == true {
			s = append(s, fmt.Sprint(m["type"]))
		}
	}
	return strings.Join(s, " ")
}
