package test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// SippConfig describes one sipp run. IP is used for both SIP and media;
// ports are picked by StartSipp.
type SippConfig struct {
	Label    string            // name in logs, e.g. "sipp uac"
	Scenario string            // path of the XML scenario
	IP       string            // local address within 127.0.0.0/8
	Remote   string            // host:port to send to; "" for a UAS
	Keys     map[string]string // -key name value, for [name] in the scenario
	CallID   string            // -cid_str format ("" keeps sipp's default)
	RTPEcho  bool              // -rtp_echo: echo RTP received on the media port
	Calls    int               // -m; 0 means 1
	Files    map[string][]byte // written into sipp's working dir first (rtp_stream takes no keywords)
	TCP      bool              // -t t1: SIP over one TCP connection instead of UDP
	Extra    []string          // more sipp flags
}

// Sipp is a running sipp instance. Its message log (every SIP message sent
// and received) and error log live in Dir.
type Sipp struct {
	Proc       *Process
	Dir        string
	IP         string
	Port       int // SIP port
	MediaPort  int // -mp: RTP port (sipp also binds MediaPort+2)
	TCP        bool
	CallID     string // the Call-ID of call 1 (CallID of the config with %u as 1)
	MessageLog string
	ErrorLog   string
}

// StartSipp starts sipp for cfg and returns once its SIP socket is bound
// (so a UAS is ready for requests). sipp quits on its own after the
// scenario's calls, or after 45 s with an error; it is stopped when the
// test ends. Skips if sipp is missing.
func StartSipp(t testing.TB, cfg SippConfig) *Sipp {
	t.Helper()
	bin := RequireBinary(t, "sipp", "sip-tester")
	s := &Sipp{
		Dir:       t.TempDir(),
		IP:        cfg.IP,
		Port:      FreeUDPPort(t, cfg.IP),
		MediaPort: FreeUDPPortPair(t, cfg.IP),
		TCP:       cfg.TCP,
		CallID:    strings.ReplaceAll(cfg.CallID, "%u", "1"),
	}
	// Both ports were free a moment ago, each released before the next
	// was picked: the kernel may hand the SIP port out again as the
	// media pair's (sipp then fails to bind its RTP socket: seen in CI).
	for i := 0; s.MediaPort <= s.Port && s.Port <= s.MediaPort+3 && i < 20; i++ {
		s.MediaPort = FreeUDPPortPair(t, cfg.IP)
	}
	s.MessageLog = filepath.Join(s.Dir, "messages.log")
	s.ErrorLog = filepath.Join(s.Dir, "errors.log")
	for name, data := range cfg.Files {
		if err := os.WriteFile(filepath.Join(s.Dir, name), data, 0o644); err != nil {
			t.Fatalf("interop: %s: %v", cfg.Label, err)
		}
	}
	calls := cfg.Calls
	if calls == 0 {
		calls = 1
	}
	args := []string{
		"-sf", cfg.Scenario,
		"-i", cfg.IP, "-p", strconv.Itoa(s.Port),
		"-mi", cfg.IP, "-mp", strconv.Itoa(s.MediaPort),
		"-m", strconv.Itoa(calls),
		"-nostdin",
		"-trace_msg", "-message_file", s.MessageLog,
		"-trace_err", "-error_file", s.ErrorLog,
		"-timeout", "45s", "-timeout_error",
	}
	if cfg.TCP {
		args = append(args, "-t", "t1")
	}
	if cfg.RTPEcho {
		args = append(args, "-rtp_echo")
	}
	if cfg.CallID != "" {
		args = append(args, "-cid_str", cfg.CallID)
	}
	for k, v := range cfg.Keys {
		args = append(args, "-key", k, v)
	}
	args = append(args, cfg.Extra...)
	if cfg.Remote != "" {
		args = append(args, cfg.Remote)
	}
	s.Proc = StartProcess(t, cfg.Label, s.Dir, bin, args...)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	wait := WaitUDPBound
	if cfg.TCP {
		wait = WaitTCPListening
	}
	// A client's short scenario (a call refused at once) may finish
	// before the poll sees its socket: that is no error.
	if err := wait(ctx, s.IP, s.Port, s.Proc.Done()); err != nil && !(cfg.Remote != "" && s.Proc.ExitCode() == 0) {
		t.Fatalf("interop: %s: %v", cfg.Label, err)
	}
	t.Cleanup(func() {
		if t.Failed() || testing.Verbose() {
			for _, f := range []string{s.MessageLog, s.ErrorLog} {
				if b, err := os.ReadFile(f); err == nil && len(b) > 0 {
					t.Logf("interop: %s %s:\n%s", cfg.Label, filepath.Base(f), b)
				}
			}
		}
	})
	return s
}

// Addr returns the SIP address "ip:port" of this sipp.
func (s *Sipp) Addr() string { return fmt.Sprintf("%s:%d", s.IP, s.Port) }

// ReceivedMessages returns the SIP messages sipp logged as received, in
// order, each as its text with CRLF normalised to LF.
func (s *Sipp) ReceivedMessages() ([]string, error) {
	b, err := os.ReadFile(s.MessageLog)
	if err != nil {
		return nil, err
	}
	var out []string
	// Each entry starts with a dashed timestamp line, then
	// "UDP message received [n] bytes :" (or "sent"), a blank line and
	// the message.
	for _, entry := range strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n----------------------------------------------- ") {
		head, body, ok := strings.Cut(entry, " bytes :\n")
		if !ok || !strings.Contains(head, "message received") {
			continue
		}
		out = append(out, strings.TrimLeft(body, "\n"))
	}
	return out, nil
}

// MediaTarget is the audio destination an SDP body names.
type MediaTarget struct {
	IP   string
	Port int
}

// SDPAudioTarget returns the connection address and port of the first
// m=audio line of the SIP message msg (session- or media-level c=; the
// media-level one wins).
func SDPAudioTarget(msg string) (MediaTarget, error) {
	_, body, ok := strings.Cut(msg, "\n\n")
	if !ok {
		return MediaTarget{}, fmt.Errorf("interop: message has no body")
	}
	var mt MediaTarget
	inAudio := false
	for _, line := range strings.Split(body, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "m="):
			if inAudio {
				return mt, nil
			}
			f := strings.Fields(line[2:])
			if len(f) >= 2 && f[0] == "audio" {
				inAudio = true
				p, err := strconv.Atoi(f[1])
				if err != nil {
					return mt, fmt.Errorf("interop: bad m= line %q", line)
				}
				mt.Port = p
			}
		case strings.HasPrefix(line, "c="):
			f := strings.Fields(line[2:])
			if len(f) == 3 && (mt.IP == "" || inAudio) {
				mt.IP = f[2]
			}
		}
	}
	if !inAudio {
		return mt, fmt.Errorf("interop: no m=audio line in body")
	}
	return mt, nil
}
