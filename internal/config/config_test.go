package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDefaultsValidate(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestExampleConfigLoadsAndMatchesDefaults(t *testing.T) {
	c, err := Load(filepath.Join("..", "..", "config.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	d := Default()
	if c.Media.PortMin != d.Media.PortMin || c.Media.Timeout != d.Media.Timeout || c.Media.Allocation != d.Media.Allocation {
		t.Errorf("example config drifted from defaults: %+v vs %+v", c.Media, d.Media)
	}
	if c.Serve.InviteTimeout != d.Serve.InviteTimeout || c.Serve.SIPTLSListen != "" || c.Serve.Auth != d.Serve.Auth || c.Serve.Realm != d.Serve.Realm {
		t.Errorf("example serve section drifted from defaults: %+v vs %+v", c.Serve, d.Serve)
	}
	if c.Storage != d.Storage {
		t.Errorf("example storage section drifted from defaults: %+v vs %+v", c.Storage, d.Storage)
	}
	if len(c.ASR.Keywords) == 0 {
		c.ASR.Keywords = nil // "keywords: []" in the example
	}
	if !reflect.DeepEqual(c.ASR, d.ASR) {
		t.Errorf("example asr section drifted from defaults: %+v vs %+v", c.ASR, d.ASR)
	}
	if !reflect.DeepEqual(c.Retention, d.Retention) {
		t.Errorf("example retention section drifted from defaults: %+v vs %+v", c.Retention, d.Retention)
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"90d": 90 * 24 * time.Hour, "0d": 0, "36h": 36 * time.Hour, "1m30s": 90 * time.Second} {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"d", "-1d", "1.5d", "x"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) accepted", bad)
		}
	}
}

func TestServeTLSValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		mod  func(*Serve)
		want string // "" for valid
	}{
		{"off", func(*Serve) {}, ""},
		{"on", func(s *Serve) { s.SIPTLSListen, s.TLSCert, s.TLSKey = "127.0.0.1:5061", "c.pem", "k.pem" }, ""},
		{"no key", func(s *Serve) { s.SIPTLSListen, s.TLSCert = "127.0.0.1:5061", "c.pem" }, "needs serve.tls_cert and serve.tls_key"},
		{"bad addr", func(s *Serve) { s.SIPTLSListen, s.TLSCert, s.TLSKey = "localhost", "c.pem", "k.pem" }, "sip_tls_listen"},
		{"negative timer C", func(s *Serve) { s.InviteTimeout = -1 }, "invite_timeout"},
		{"auth on", func(s *Serve) { s.Auth, s.Realm = "on", "example.com" }, ""},
		{"auth off", func(s *Serve) { s.Auth = "off" }, ""},
		{"auth typo", func(s *Serve) { s.Auth = "yes" }, "serve.auth"},
		{"auth empty", func(s *Serve) { s.Auth = "" }, "serve.auth"},
		{"realm with a quote", func(s *Serve) { s.Realm = `a"b` }, "serve.realm"},
		{"sha-256 first", func(s *Serve) { s.AuthAlgorithms = []string{"SHA-256", "MD5"} }, ""},
		{"unknown algorithm", func(s *Serve) { s.AuthAlgorithms = []string{"SHA-512"} }, "serve.auth_algorithms"},
		{"algorithm twice", func(s *Serve) { s.AuthAlgorithms = []string{"MD5", "MD5"} }, "serve.auth_algorithms"},
	} {
		cfg := Default()
		c.mod(&cfg.Serve)
		err := cfg.Validate()
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

func TestUnknownKeyIsError(t *testing.T) {
	c := Default()
	err := Decode([]byte("media:\n  port_mni: 4000\n"), &c)
	if err == nil || !strings.Contains(err.Error(), "port_mni") {
		t.Fatalf("err = %v, want an error naming the unknown key", err)
	}
}

func TestEmptyFileKeepsDefaults(t *testing.T) {
	p := filepath.Join(t.TempDir(), "empty.yaml")
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.Media.Timeout.Std() != 60*time.Second {
		t.Errorf("timeout %v", c.Media.Timeout.Std())
	}
}

func TestValidateRejects(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	for name, mod := range map[string]func(*Config){
		"range":      func(c *Config) { c.Media.PortMin, c.Media.PortMax = 5000, 4000 },
		"tiny range": func(c *Config) { c.Media.PortMin, c.Media.PortMax = 5000, 5001 },
		"listen":     func(c *Config) { c.Media.Listen = "localhost" },
		"control":    func(c *Config) { c.Media.Control = []string{"tcp:1.2.3.4:5"} },
		"alloc":      func(c *Config) { c.Media.Allocation = "sequential" },
		"timeout":    func(c *Config) { c.Media.Timeout = Duration(time.Millisecond) },
		"level":      func(c *Config) { c.Log.Level = "loud" },
		"media node": func(c *Config) { c.Serve.MediaNodes = []MediaNode{{Address: "tcp:10.0.0.1:22222"}} },
		"node twice": func(c *Config) {
			c.Serve.MediaNodes = []MediaNode{{Address: "udp:10.0.0.1:22222"}, {Address: "udp:10.0.0.1:22222", Weight: 2}}
		},
		"check":           func(c *Config) { c.Serve.MediaCheckInterval = 0 },
		"rec default":     func(c *Config) { c.Serve.Recording.Default = "some" },
		"rec percent":     func(c *Config) { p := 120.0; c.Serve.Recording.Rules = []RecordingRule{{Percent: &p}} },
		"rec regexp":      func(c *Config) { c.Serve.Recording.Rules = []RecordingRule{{Caller: "/(/"}} },
		"rec glob":        func(c *Config) { c.Serve.Recording.Rules = []RecordingRule{{Callee: "[a-"}} },
		"rec profile":     func(c *Config) { c.Serve.Recording.Rules = []RecordingRule{{Profile: "missing"}} },
		"asr spotter":     func(c *Config) { c.ASR.Spotter = "vosk" },
		"asr stream port": func(c *Config) { c.ASR.Stream.URL = "tcp://127.0.0.1" },
		"asr stream url":  func(c *Config) { c.ASR.Stream.URL = "http://127.0.0.1:9000" },
		"asr webhook url": func(c *Config) { c.ASR.Webhook.URL = "ftp://x/y" },
		"anchor":          func(c *Config) { c.Serve.Anchor = "sometimes" },
		"s3 bucket":       func(c *Config) { c.Storage.Kind, c.Storage.S3 = "s3", S3{AccessKey: "k", SecretKey: "s"} },
		"s3 endpoint": func(c *Config) {
			c.Storage.Kind, c.Storage.S3 = "s3", S3{Bucket: "b", Endpoint: "s3.local:9000", AccessKey: "k", SecretKey: "s"}
		},
		"s3 keys": func(c *Config) { c.Storage.Kind, c.Storage.S3 = "s3", S3{Bucket: "b"} },
	} {
		c := Default()
		mod(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: Validate accepted a bad config", name)
		}
	}
}

// TestS3Storage: the s3 section decodes, and credentials come from the
// environment when the file has none.
func TestS3Storage(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "envkey")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "envsecret")
	c := Default()
	yml := "storage:\n  kind: s3\n  s3:\n    bucket: rec\n    prefix: callrec/\n    endpoint: http://127.0.0.1:7070\n    path_style: true\n    snapshot_interval: 30s\n"
	if err := Decode([]byte(yml), &c); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	s := c.Storage.S3
	if s.Bucket != "rec" || s.Prefix != "callrec/" || !s.PathStyle || s.SnapshotInterval.Std() != 30*time.Second {
		t.Errorf("s3 %+v", s)
	}
	if a, k := s.Credentials(); a != "envkey" || k != "envsecret" {
		t.Errorf("credentials from the environment: %q %q", a, k)
	}
	s.AccessKey, s.SecretKey = "filekey", "filesecret"
	if a, k := s.Credentials(); a != "filekey" || k != "filesecret" {
		t.Errorf("credentials from the file: %q %q", a, k)
	}
}

func TestBadDuration(t *testing.T) {
	c := Default()
	if err := Decode([]byte("media:\n  timeout: soon\n"), &c); err == nil {
		t.Fatal("accepted a bad duration")
	}
}

func TestMediaNodes(t *testing.T) {
	c := Default()
	yml := "serve:\n  media_nodes:\n    - {address: local, weight: 1}\n    - {address: \"udp:10.0.0.5:22222\", weight: 3}\n    - {address: \"unix:/run/callrec/media.sock\"}\n"
	if err := Decode([]byte(yml), &c); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(c.Serve.MediaNodes) != 3 || c.Serve.MediaNodes[1].Weight != 3 || c.Serve.MediaNodes[2].Weight != 0 {
		t.Errorf("media nodes %+v", c.Serve.MediaNodes)
	}
	for in, want := range map[string]MediaNode{
		"udp:10.0.0.5:22222":   {Address: "udp:10.0.0.5:22222"},
		"udp:10.0.0.5:22222=4": {Address: "udp:10.0.0.5:22222", Weight: 4},
		"udp6:[::1]:22222=2":   {Address: "udp6:[::1]:22222", Weight: 2},
		"local=2":              {Address: "local", Weight: 2},
	} {
		if got, err := ParseMediaNode(in); err != nil || got != want {
			t.Errorf("ParseMediaNode(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"udp:10.0.0.5", "udp:10.0.0.5:22222=0", "udp:h:1=x", "unix:rel.sock", "tcp:1.2.3.4:5", ""} {
		if _, err := ParseMediaNode(bad); err == nil {
			t.Errorf("ParseMediaNode(%q) accepted", bad)
		}
	}
}

func TestStorageBlobValidate(t *testing.T) {
	for _, c := range []struct {
		yaml string
		want string // "" for valid
	}{
		{"storage:\n  kind: blob\n", ""},
		{"storage:\n  kind: blob\n  chunk_size: 0\n", ""},
		{"storage:\n  kind: blob\n  chunk_size: 1048576\n", ""},
		{"storage:\n  kind: blob\n  chunk_size: 100\n", "storage.chunk_size"},
		{"storage:\n  kind: blob\n  chunk_size: 1000000000\n", "storage.chunk_size"},
		{"storage:\n  kind: blobs\n", "want local, dir, blob, s3 or collector"},
	} {
		cfg := Default()
		err := Decode([]byte(c.yaml), &cfg)
		if err == nil {
			err = cfg.Validate()
		}
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%q: %v, want %q", c.yaml, err, c.want)
		}
	}
}

func TestStorageCollectorValidate(t *testing.T) {
	t.Setenv(TokenEnv, "")
	for _, tc := range []struct{ yaml, want string }{
		{"storage:\n  kind: collector\n", "storage.collector.address"},
		{"storage:\n  kind: collector\n  collector: {address: 127.0.0.1:7443}\n", "no collector token"},
		{"storage:\n  kind: collector\n  collector: {address: 127.0.0.1:7443, token: x}\n", ""},
	} {
		c := Default()
		if err := Decode([]byte(tc.yaml), &c); err != nil {
			t.Fatal(err)
		}
		err := c.Validate()
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%q: %v, want %q", tc.yaml, err, tc.want)
		}
	}
	cc := Default().Collector
	if err := cc.Validate(); err == nil || !strings.Contains(err.Error(), "tls_cert") {
		t.Errorf("collector without a certificate: %v", err)
	}
}
