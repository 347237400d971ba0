// Package config is callrec's one typed configuration tree: defaults,
// strict YAML decoding (an unknown key is an error), flag overrides and
// Validate. Each component receives only its own section.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/callrec/callrec/internal/record"
)

// Config is the whole configuration file.
type Config struct {
	Log       Log       `yaml:"log"`
	Serve     Serve     `yaml:"serve"`
	Media     Media     `yaml:"media"`
	Retention Retention `yaml:"retention"`
	Storage   Storage   `yaml:"storage"`
	Collector Collector `yaml:"collector"`
	ASR       ASR       `yaml:"asr"`
}

// ASR configures live listening to recorded calls (internal/asr): the
// built-in keyword spotter, the external speech engine's stream and
// where detections go. It applies wherever recordings are made (serve's
// media node, callrec media).
type ASR struct {
	// Keywords are spotted in every recording whose policy rule and
	// profile name none: "cancel", "refund/1e-25" (phrase, optional
	// /threshold: smaller finds more). Empty: no spotting unless a rule
	// or profile asks.
	Keywords []string `yaml:"keywords"`
	// Spotter is builtin (PocketSphinx, offline) or off. Zero value:
	// builtin.
	Spotter string `yaml:"spotter"`
	// Workers is how many legs are decoded at once (0: one per CPU).
	Workers int `yaml:"workers"`
	// Queue is the audio a leg may have waiting for the spotter before
	// new audio is dropped (counted). Zero value: 10s.
	Queue Duration `yaml:"queue"`
	// ModelDir and Dict are the PocketSphinx model; "": Debian's
	// pocketsphinx-en-us.
	ModelDir string `yaml:"model_dir"`
	Dict     string `yaml:"dict"`
	// Webhook, when its URL is set, is POSTed every detection as JSON.
	Webhook ASRWebhook `yaml:"webhook"`
	// Stream, when its URL is set, streams each recorded call's legs
	// live to an external speech engine (docs/asr-stream.md).
	Stream ASRStream `yaml:"stream"`
}

// ASRStream is the external speech engine's stream.
type ASRStream struct {
	// URL is tcp://host:port, tls://host:port, ws://host/path or
	// wss://host/path.
	URL string `yaml:"url"`
	// Token, when set, is sent in each connection's header (and over
	// WebSocket as Authorization: Bearer).
	Token string `yaml:"token"`
	// CAFile is a PEM bundle the engine's certificate must chain to
	// (tls://, wss://); "": the system's roots.
	CAFile string `yaml:"ca_file"`
	// Queue is the audio a leg holds while the engine is slow or away;
	// more is dropped (counted). Zero value: 5s.
	Queue Duration `yaml:"queue"`
}

// ASRWebhook is where detections are POSTed.
type ASRWebhook struct {
	URL string `yaml:"url"`
	// Secret, when set, signs each body (HMAC-SHA256 in the
	// X-Callrec-Signature-256 header, see internal/asr.Webhook).
	Secret string `yaml:"secret"`
	// Token, when set, is sent as "Authorization: Bearer TOKEN" (a
	// central serve's API token, to post to its /api/events).
	Token string `yaml:"token"`
	// Timeout of one POST. Zero value: 5s.
	Timeout Duration `yaml:"timeout"`
}

// Validate checks the section (keyword syntax is checked when the
// spotter starts).
func (a *ASR) Validate() error {
	switch a.Spotter {
	case "", "builtin", "off":
	default:
		return fmt.Errorf("config: asr.spotter %q: want builtin or off", a.Spotter)
	}
	if a.Workers < 0 || a.Queue < 0 {
		return fmt.Errorf("config: asr: workers and queue must not be negative")
	}
	if u := a.Stream.URL; u != "" {
		p, err := url.Parse(u)
		if err != nil || p.Hostname() == "" || (p.Scheme != "tcp" && p.Scheme != "tls" && p.Scheme != "ws" && p.Scheme != "wss") ||
			((p.Scheme == "tcp" || p.Scheme == "tls") && p.Port() == "") {
			return fmt.Errorf("config: asr.stream.url %q: want tcp://host:port, tls://host:port, ws://host/path or wss://host/path", u)
		}
	}
	if u := a.Webhook.URL; u != "" {
		if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return fmt.Errorf("config: asr.webhook.url %q: want http(s)://host/path", u)
		}
	}
	return nil
}

// Storage is where recordings live. The recorder always writes to the
// local recordings directory first; any other kind has them delivered
// there while the call runs (internal/ship).
type Storage struct {
	// Kind is local (default: they stay in the recordings directory),
	// dir (copied into Dir, e.g. an archive on a network mount), blob
	// (stored in the catalogue's database, serve.database, in chunks),
	// s3 (uploaded to S3-compatible object storage, see S3) or
	// collector (streamed to `callrec collector`, see Collector).
	Kind string `yaml:"kind"`
	// Collector is where kind collector sends recordings.
	Collector StorageCollector `yaml:"collector"`
	// Dir is the archive directory of kind dir.
	Dir string `yaml:"dir"`
	// ChunkSize is the largest database row of kind blob, in bytes
	// (512 to 64 MiB). Zero: 256 KiB.
	ChunkSize int `yaml:"chunk_size"`
	// S3 configures kind s3.
	S3 S3 `yaml:"s3"`
	// KeepLocal keeps the local copy after delivery.
	KeepLocal bool `yaml:"keep_local"`
	// Interval is how often growing recordings are copied. Zero: 1s.
	Interval Duration `yaml:"interval"`
}

// S3 is an S3-compatible bucket (AWS S3, MinIO, Ceph RGW, versitygw).
// Objects are named Prefix + the recording's path below the recordings
// directory.
type S3 struct {
	// Bucket receives the recordings (required with kind s3; it must
	// exist).
	Bucket string `yaml:"bucket"`
	// Prefix is prepended to every key ("callrec/"). Zero value: none.
	Prefix string `yaml:"prefix"`
	// Region of the bucket. Zero value: us-east-1.
	Region string `yaml:"region"`
	// Endpoint is the server's URL, http(s)://host[:port]. Zero value:
	// https://s3.amazonaws.com.
	Endpoint string `yaml:"endpoint"`
	// AccessKey and SecretKey sign requests. Zero values: the
	// environment's AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
	AccessKey string `yaml:"access_key"`
	SecretKey string `yaml:"secret_key"`
	// PathStyle addresses the bucket in the URL path, as most servers
	// other than AWS need. Zero value: virtual-host style
	// (bucket.endpoint-host).
	PathStyle bool `yaml:"path_style"`
	// SnapshotInterval, when set, uploads the start of a recording (its
	// first 5 MiB, which the upload holds back until the end) this often,
	// so a short call is not only on the media node until it ends; each
	// snapshot uploads that start again. Zero value: only once it is 5 MiB.
	SnapshotInterval Duration `yaml:"snapshot_interval"`
}

// Credentials returns the access and secret key: the configured ones,
// else AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from the environment.
func (s S3) Credentials() (access, secret string) {
	access, secret = s.AccessKey, s.SecretKey
	if access == "" && secret == "" {
		access, secret = os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	}
	return access, secret
}

// Retention is how long recordings are kept (callrec serve purges the
// catalogue's recordings every Interval).
type Retention struct {
	// Rules keep recordings matching a label for an age; a recording
	// matching several is kept for the longest. No rules: kept forever
	// (unless MaxBytes).
	Rules []RetentionRule `yaml:"rules"`
	// MaxBytes bounds the total size of the recordings; the oldest go
	// first. Zero value: no bound.
	MaxBytes int64 `yaml:"max_bytes"`
	// HoldLabel is the legal-hold label: a recording carrying it is
	// never deleted. Zero value: legal_hold.
	HoldLabel string `yaml:"hold_label"`
	// Interval between purges. Zero value: 1h.
	Interval Duration `yaml:"interval"`
}

// RetentionRule keeps recordings matching Label ("" all, name, or
// name=value) for MaxAge ("90d", "2160h").
type RetentionRule struct {
	Label  string   `yaml:"label"`
	MaxAge Duration `yaml:"max_age"`
}

// Serve configures `callrec serve`: the SIP proxy with its database, in
// one process with the media node and the recorder.
type Serve struct {
	// DataDir holds the SQLite database, the recordings and the media
	// node's control socket. Zero value: ./callrec-data.
	DataDir string `yaml:"data_dir"`
	// SIPListen is the SIP address, UDP and TCP. Zero value:
	// 127.0.0.1:5060 (use 0.0.0.0:5060 or a LAN address for real phones,
	// with media.listen set to an address they can reach).
	SIPListen string `yaml:"sip_listen"`
	// HTTPListen serves the web UI (/), the API (/api/), /metrics,
	// /healthz and /readyz. Zero value: 127.0.0.1:8080.
	HTTPListen string `yaml:"http_listen"`
	// Database is a DSN: "" (SQLite in DataDir), "sqlite:/path" or
	// "postgres://...".
	Database string `yaml:"database"`
	// Record is all (default) or none: a shorthand for recording.default
	// when that is not set.
	Record string `yaml:"record"`
	// Recording is the recording policy: rules tried in order (the first
	// match decides) and a default. Zero value: serve.record's.
	Recording Recording `yaml:"recording"`
	// Anchor is always (default: every call's media goes through the
	// node) or on_record (calls the policy does not record at their
	// answer stay unanchored, and are moved through the node with
	// re-INVITEs when a recording is requested).
	Anchor string `yaml:"anchor"`
	// FailClosed answers 503 when no media node answers, instead of
	// letting the call through unanchored and unrecorded (the default).
	FailClosed bool `yaml:"fail_closed"`
	// Routes are static routes, tried after registered users and the
	// database's routes table.
	Routes []Route `yaml:"routes"`
	// SIPTLSListen is the SIP-over-TLS address (RFC 3261 §26.2). Zero
	// value: no TLS listener. It needs TLSCert and TLSKey.
	SIPTLSListen string `yaml:"sip_tls_listen"`
	// TLSCert and TLSKey are PEM files: the listener's certificate
	// (chain) and its private key.
	TLSCert string `yaml:"tls_cert"`
	TLSKey  string `yaml:"tls_key"`
	// TLSCA is a PEM file of extra roots, beside the system's, that
	// TLS next hops (transport=tls, sips:) are verified against. Zero
	// value: the system roots only.
	TLSCA string `yaml:"tls_ca"`
	// InviteTimeout is the proxy's Timer C: how long an INVITE may ring
	// without a final answer before the proxy cancels it and answers
	// 408. Zero value: 181s (RFC 3261 wants more than 3 minutes).
	InviteTimeout Duration `yaml:"invite_timeout"`
	// StreamIdleTimeout closes TCP and TLS connections from clients that
	// send nothing, not even a CRLF keepalive, for this long. Zero
	// value: 30m.
	StreamIdleTimeout Duration `yaml:"stream_idle_timeout"`
	// MediaNodes are the media nodes calls are anchored on, chosen per
	// call by weight and Call-ID, with health checks and failover. Zero
	// value: the in-process node only (the media section), as if one
	// node "local" were listed. The in-process node runs only when
	// empty or when "local" is listed.
	MediaNodes []MediaNode `yaml:"media_nodes"`
	// MediaCheckInterval is how often each remote media node is asked
	// for its version (V); one that fails takes no new calls until it
	// answers again. Zero value: 2s.
	MediaCheckInterval Duration `yaml:"media_check_interval"`
	// MediaTimeout bounds one control command to a remote media node
	// (sent twice over UDP before the node is marked down). Zero value:
	// 1s.
	MediaTimeout Duration `yaml:"media_timeout"`
	// Auth is digest authentication of users (RFC 3261 §22): "auto"
	// (default: on once the users table has a user, so that a first
	// `callrec serve` without users takes calls), "on" or "off".
	// Requests from a trunk's networks (`callrec trunks`) are never
	// challenged.
	Auth string `yaml:"auth"`
	// Realm is the digest realm, which must be the domain users were
	// added with. Zero value: the request's domain (To host of a
	// REGISTER, From host otherwise), so one proxy serves several domains.
	Realm string `yaml:"realm"`
	// AuthAlgorithms are the digest algorithms offered, in order of
	// preference: MD5, SHA-256 (RFC 7616). Phones take the first they
	// support, so put SHA-256 first only once every user has been added
	// (or re-added) by a callrec that stores its SHA-256 HA1. Zero value:
	// MD5 only.
	AuthAlgorithms []string `yaml:"auth_algorithms"`
	// Pprof serves Go's profiler at /debug/pprof/ on HTTPListen (for
	// bench/sip-compare.sh and `go tool pprof`). Zero value: off; turn it
	// on only where HTTPListen is not reachable by untrusted hosts.
	Pprof bool `yaml:"pprof"`
	// APITokens may call the HTTP API (Authorization: Bearer TOKEN) with
	// their role. Zero value: none (users of the users table can still
	// log in as viewers, and APIAdminUsers as admins).
	APITokens []APIToken `yaml:"api_tokens"`
	// APIAdminUsers names users of the users table ("user" or
	// "user@domain") who log in to the API (POST /api/login) as admins;
	// other users log in as viewers. Zero value: none.
	APIAdminUsers []string `yaml:"api_admin_users"`
	// APIInsecureDev serves the API, recordings included, to anonymous
	// clients as admin: for development on a trusted machine only.
	// Zero value: off.
	APIInsecureDev bool `yaml:"api_insecure_dev"`
	// EventsSecret, when set, lets media nodes whose asr.webhook.secret
	// is the same POST /api/events without an API token: the body's
	// HMAC-SHA256 signature is their credential, good for nothing else.
	// Zero value: only admin tokens may post events.
	EventsSecret string `yaml:"events_secret"`
}

// validateAPITokens checks section.api_tokens.
func validateAPITokens(section string, ts []APIToken) []error {
	var errs []error
	for i, t := range ts {
		if t.Name == "" || (t.Token == "") == (t.TokenHash == "") || (t.Role != "viewer" && t.Role != "admin") {
			errs = append(errs, fmt.Errorf("config: %s.api_tokens[%d]: want a name, one of token and token_hash, and role viewer or admin", section, i))
		}
		if t.Token != "" && len(t.Token) < 16 {
			errs = append(errs, fmt.Errorf("config: %s.api_tokens[%d] (%s): token shorter than 16 characters", section, i, t.Name))
		}
	}
	return errs
}

// APIToken is a token of the HTTP API: the secret itself (Token) or its
// hex SHA-256 (TokenHash: `printf %s TOKEN | sha256sum`), and a role,
// viewer (search, listen, list calls) or admin (also control calls,
// delete recordings, manage routes and users).
type APIToken struct {
	Name      string `yaml:"name"`
	Token     string `yaml:"token"`
	TokenHash string `yaml:"token_hash"`
	Role      string `yaml:"role"`
}

// MediaNode is one media node of `callrec serve`.
type MediaNode struct {
	// Address is "local" (the in-process node), "udp:HOST:PORT",
	// "udp6:[ADDR]:PORT" or "unix:/path.sock": a `callrec media`
	// --control listener, or any rtpproxy.
	Address string `yaml:"address"`
	// Weight is the node's share of new calls relative to the other
	// nodes. Zero value: 1.
	Weight int `yaml:"weight"`
}

// ParseMediaNode parses the --media-node flag: ADDRESS or
// ADDRESS=WEIGHT ("udp:10.0.0.5:22222=2"), as Kamailio's rtpproxy_sock
// writes weights.
func ParseMediaNode(s string) (MediaNode, error) {
	n := MediaNode{Address: s}
	if i := strings.LastIndexByte(s, '='); i >= 0 {
		w, err := strconv.Atoi(s[i+1:])
		if err != nil || w < 1 {
			return n, fmt.Errorf("config: media node %q: weight after = must be a positive number", s)
		}
		n.Address, n.Weight = s[:i], w
	}
	return n, n.validate()
}

func (n MediaNode) validate() error {
	if n.Address == "local" {
		return nil
	}
	network, rest, _ := strings.Cut(n.Address, ":")
	switch network {
	case "unix":
		if !strings.HasPrefix(rest, "/") {
			return fmt.Errorf("config: media node %q: want unix:/absolute/path", n.Address)
		}
	case "udp", "udp6":
		if _, _, err := net.SplitHostPort(rest); err != nil {
			return fmt.Errorf("config: media node %q: want %s:HOST:PORT: %v", n.Address, network, err)
		}
	default:
		return fmt.Errorf("config: media node %q: want local, udp:HOST:PORT, udp6:[ADDR]:PORT or unix:/path", n.Address)
	}
	if n.Weight < 0 {
		return fmt.Errorf("config: media node %q: negative weight %d", n.Address, n.Weight)
	}
	return nil
}

// Recording is serve's recording policy.
type Recording struct {
	// Default applies to calls no rule matches: all, none (never, not
	// even on demand) or on_demand (only when asked through the API or
	// `callrec calls record`). Zero value: serve.record.
	Default string `yaml:"default"`
	// Rules are tried in order; the first whose caller and callee
	// patterns both match decides.
	Rules []RecordingRule `yaml:"rules"`
}

// RecordingRule is one rule of the recording policy.
type RecordingRule struct {
	// Caller and Callee match the From and To URIs: "" or "*" any;
	// "/RE/" a regular expression on sip:user@host; else a glob (* ? [])
	// on the user part, or on user@host when it holds an @.
	Caller string `yaml:"caller"`
	Callee string `yaml:"callee"`
	// Percent of the matching calls are recorded, chosen by a hash of
	// the Call-ID (the others may still be recorded on demand). Zero
	// value (absent): 100.
	Percent *float64 `yaml:"percent"`
	// Record false excludes the matching calls from recording, on demand
	// included. Zero value (absent): true.
	Record *bool `yaml:"record"`
	// Profile names one of media.record_profiles. Zero value: default.
	Profile string `yaml:"profile"`
	// Labels are stored in the recording's sidecar.
	Labels map[string]string `yaml:"labels"`
	// Keywords are spotted live in the matching calls (see
	// ASR.Keywords), instead of the profile's or asr.keywords.
	Keywords []string `yaml:"keywords"`
}

// PolicyDefault is the recording policy's default: Recording.Default,
// else Record.
func (s *Serve) PolicyDefault() string {
	if s.Recording.Default != "" {
		return s.Recording.Default
	}
	return s.Record
}

// Route is a static route: calls whose Request-URI user starts with
// Prefix ("" matches all) go to Destination, lower Priority first.
type Route struct {
	Prefix      string `yaml:"prefix"`
	Destination string `yaml:"destination"`
	Priority    int    `yaml:"priority"`
}

// Log configures the process logger.
type Log struct {
	// Level is one of debug, info, warn, error. Zero value: info.
	Level string `yaml:"level"`
	// Format is text or json. Zero value: text.
	Format string `yaml:"format"`
}

// Media configures the media node (rtpproxy-compatible session manager
// and RTP relay).
type Media struct {
	// Control lists control-protocol listeners: "unix:/path.sock",
	// "udp:127.0.0.1:22222", "udp6:[::1]:22222". Zero value: one UNIX
	// socket at /run/callrec/media.sock when run as root, else
	// $XDG_RUNTIME_DIR or /tmp.
	Control []string `yaml:"control"`
	// Listen is the local address RTP sockets bind to. Zero value: 127.0.0.1.
	Listen string `yaml:"listen"`
	// Advertise is the address put in replies when it differs from Listen
	// (behind NAT). Zero value: same as Listen.
	Advertise string `yaml:"advertise"`
	// PortMin and PortMax bound the RTP port range (RTP even, RTCP odd).
	// Zero values: 35000 and 65000.
	PortMin int `yaml:"port_min"`
	PortMax int `yaml:"port_max"`
	// Allocation is "random" (default; unpredictable ports make RTP
	// injection harder) or "first-free" (the seed's behaviour).
	Allocation string `yaml:"allocation"`
	// Timeout ends a session when both sides have been silent this long.
	// Zero value: 60s.
	Timeout Duration `yaml:"timeout"`
	// SetupTimeout ends a session that never saw media and was never
	// answered within this time. Zero value: 60s.
	SetupTimeout Duration `yaml:"setup_timeout"`
	// RelatchWindow is how long after a U/L re-signal a latched stream
	// accepts a new source address. Zero value: 3s.
	RelatchWindow Duration `yaml:"relatch_window"`
	// Workers is the number of relay event loops. Zero value: GOMAXPROCS.
	Workers int `yaml:"workers"`
	// MaxSessions refuses new sessions beyond this number with an overload
	// error. Zero value: no limit other than the port range.
	MaxSessions int `yaml:"max_sessions"`
	// RecordDir is where recordings are written. Zero value: recordings
	// requested with R are accepted but not written.
	RecordDir string `yaml:"record_dir"`
	// RecordProfiles are named recording profiles; "default" applies
	// when a recording names none. Zero value: stereo WAV, 16-bit PCM,
	// at the call's codec rate.
	RecordProfiles map[string]record.Profile `yaml:"record_profiles"`
	// RecordNames is the file name template below RecordDir, with
	// {date} {time} {callid} {from} {to} {caller} {callee} {label}.
	// Zero value: "{date}/{time}_{callid}".
	RecordNames string `yaml:"record_names"`
	// RecordPayloads maps dynamic RTP payload types to an rtpmap
	// ("opus/48000/2") for calls whose controller gives only payload
	// numbers, as rtpproxy's protocol does. Zero value: only 101 is known
	// (telephone-event/8000); other dynamic types are kept as raw dumps.
	RecordPayloads map[int]string `yaml:"record_payloads"`
	// Metrics is an address for a Prometheus /metrics listener, e.g.
	// "127.0.0.1:9120". Zero value: none.
	Metrics string `yaml:"metrics"`
}

// Duration is a time.Duration that decodes from YAML strings like "60s".
type Duration time.Duration

// UnmarshalYAML decodes "1m30s" style strings, and whole days as "90d".
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	v, err := ParseDuration(s)
	if err != nil {
		return fmt.Errorf("config: line %d: %w", n.Line, err)
	}
	*d = Duration(v)
	return nil
}

// ParseDuration is time.ParseDuration that also takes a number of days,
// "90d".
func ParseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("bad duration %q", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

// MarshalYAML encodes the duration as a string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// Default returns a configuration with every default filled in.
func Default() Config {
	return Config{
		Log:       Log{Level: "info", Format: "text"},
		Retention: Retention{HoldLabel: "legal_hold", Interval: Duration(time.Hour)},
		Storage:   Storage{Kind: "local", Interval: Duration(time.Second), ChunkSize: 256 << 10},
		Collector: Collector{Listen: "127.0.0.1:7443", DataDir: "callrec-collector"},
		ASR: ASR{Spotter: "builtin", Queue: Duration(10 * time.Second), Webhook: ASRWebhook{Timeout: Duration(5 * time.Second)},
			Stream: ASRStream{Queue: Duration(5 * time.Second)}},
		Serve: Serve{DataDir: "callrec-data", SIPListen: "127.0.0.1:5060", HTTPListen: "127.0.0.1:8080", Record: "all",
			InviteTimeout: Duration(181 * time.Second), StreamIdleTimeout: Duration(30 * time.Minute), MediaCheckInterval: Duration(2 * time.Second), MediaTimeout: Duration(time.Second), Anchor: "always",
			Auth: "auto"},
		Media: Media{
			Control:       []string{"unix:" + defaultSocket()},
			Listen:        "127.0.0.1",
			PortMin:       35000,
			PortMax:       65000,
			Allocation:    "random",
			Timeout:       Duration(60 * time.Second),
			SetupTimeout:  Duration(60 * time.Second),
			RelatchWindow: Duration(3 * time.Second),
		},
	}
}

func defaultSocket() string {
	if os.Geteuid() == 0 {
		return "/run/callrec/media.sock"
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		return d + "/callrec-media.sock"
	}
	return "/tmp/callrec-media.sock"
}

// Load reads a YAML file over the defaults. Unknown keys are errors.
// An empty path returns the defaults.
func Load(path string) (Config, error) {
	c := Default()
	if path == "" {
		return c, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("config: %w", err)
	}
	if err := Decode(b, &c); err != nil {
		return c, fmt.Errorf("config: %s: %w", path, err)
	}
	return c, nil
}

// Decode strictly decodes YAML b over c.
func Decode(b []byte, c *Config) error {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	// An empty document (io.EOF) leaves the defaults as they are.
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

// Validate checks the whole tree and returns every problem found.
func (c *Config) Validate() error {
	var errs []error
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("config: log.level %q: want debug, info, warn or error", c.Log.Level))
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("config: log.format %q: want text or json", c.Log.Format))
	}
	if err := c.Media.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Serve.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.ASR.Validate(); err != nil {
		errs = append(errs, err)
	}
	for i, r := range c.Serve.Recording.Rules {
		if _, ok := c.Media.RecordProfiles[r.Profile]; r.Profile != "" && r.Profile != "default" && !ok {
			errs = append(errs, fmt.Errorf("config: serve.recording.rules[%d].profile %q: not in media.record_profiles", i, r.Profile))
		}
	}
	for i, r := range c.Retention.Rules {
		if r.MaxAge <= 0 {
			errs = append(errs, fmt.Errorf("config: retention.rules[%d]: max_age must be positive", i))
		}
	}
	switch c.Storage.Kind {
	case "", "local":
	case "dir":
		if c.Storage.Dir == "" {
			errs = append(errs, fmt.Errorf("config: storage.kind dir needs storage.dir"))
		}
	case "blob":
	case "s3":
		s3 := c.Storage.S3
		if s3.Bucket == "" {
			errs = append(errs, fmt.Errorf("config: storage.kind s3 needs storage.s3.bucket"))
		}
		if s3.Endpoint != "" && !strings.HasPrefix(s3.Endpoint, "http://") && !strings.HasPrefix(s3.Endpoint, "https://") {
			errs = append(errs, fmt.Errorf("config: storage.s3.endpoint %q: want http(s)://host[:port]", s3.Endpoint))
		}
		if a, k := s3.Credentials(); a == "" || k == "" {
			errs = append(errs, fmt.Errorf("config: storage.kind s3 needs storage.s3.access_key and secret_key (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"))
		}
		if s3.SnapshotInterval < 0 {
			errs = append(errs, fmt.Errorf("config: storage.s3.snapshot_interval must not be negative"))
		}
	case "collector":
		if err := c.Storage.Collector.validate(); err != nil {
			errs = append(errs, err)
		}
	default:
		errs = append(errs, fmt.Errorf("config: storage.kind %q: want local, dir, blob, s3 or collector", c.Storage.Kind))
	}
	if cs := c.Storage.ChunkSize; cs != 0 && (cs < 512 || cs > 64<<20) {
		errs = append(errs, fmt.Errorf("config: storage.chunk_size %d: want 512 to %d bytes", cs, 64<<20))
	}
	if c.Retention.MaxBytes < 0 || c.Retention.Interval < 0 {
		errs = append(errs, fmt.Errorf("config: retention: max_bytes and interval must not be negative"))
	}
	return errors.Join(errs...)
}

// Validate checks the serve section.
func (s *Serve) Validate() error {
	var errs []error
	for name, a := range map[string]string{"sip_listen": s.SIPListen, "http_listen": s.HTTPListen} {
		if _, err := netip.ParseAddrPort(a); err != nil {
			errs = append(errs, fmt.Errorf("config: serve.%s %q: want IP:PORT", name, a))
		}
	}
	if s.Record != "all" && s.Record != "none" {
		errs = append(errs, fmt.Errorf("config: serve.record %q: want all or none", s.Record))
	}
	switch s.Recording.Default {
	case "", "all", "none", "on_demand":
	default:
		errs = append(errs, fmt.Errorf("config: serve.recording.default %q: want all, none or on_demand", s.Recording.Default))
	}
	for i, r := range s.Recording.Rules {
		if r.Percent != nil && (*r.Percent < 0 || *r.Percent > 100) {
			errs = append(errs, fmt.Errorf("config: serve.recording.rules[%d].percent %v: want 0-100", i, *r.Percent))
		}
		for name, p := range map[string]string{"caller": r.Caller, "callee": r.Callee} {
			if err := checkPattern(p); err != nil {
				errs = append(errs, fmt.Errorf("config: serve.recording.rules[%d].%s %q: %w", i, name, p, err))
			}
		}
	}
	if s.Anchor != "always" && s.Anchor != "on_record" {
		errs = append(errs, fmt.Errorf("config: serve.anchor %q: want always or on_record", s.Anchor))
	}
	errs = append(errs, validateAPITokens("serve", s.APITokens)...)
	if s.DataDir == "" {
		errs = append(errs, errors.New("config: serve.data_dir is empty"))
	}
	if s.SIPTLSListen != "" {
		if _, err := netip.ParseAddrPort(s.SIPTLSListen); err != nil {
			errs = append(errs, fmt.Errorf("config: serve.sip_tls_listen %q: want IP:PORT", s.SIPTLSListen))
		}
		if s.TLSCert == "" || s.TLSKey == "" {
			errs = append(errs, errors.New("config: serve.sip_tls_listen needs serve.tls_cert and serve.tls_key"))
		}
	}
	switch s.Auth {
	case "auto", "on", "off":
	default:
		errs = append(errs, fmt.Errorf("config: serve.auth %q: want auto, on or off", s.Auth))
	}
	for i, a := range s.AuthAlgorithms {
		if a != "MD5" && a != "SHA-256" || slices.Contains(s.AuthAlgorithms[:i], a) {
			errs = append(errs, fmt.Errorf("config: serve.auth_algorithms %q: want MD5 and/or SHA-256, once each", s.AuthAlgorithms))
			break
		}
	}
	if strings.ContainsAny(s.Realm, "\"\\\r\n") {
		errs = append(errs, fmt.Errorf("config: serve.realm %q: no quotes, backslashes or line breaks", s.Realm))
	}
	if s.InviteTimeout < 0 {
		errs = append(errs, fmt.Errorf("config: serve.invite_timeout %s: want a positive duration", s.InviteTimeout.Std()))
	}
	seen := map[string]bool{}
	for _, n := range s.MediaNodes {
		if err := n.validate(); err != nil {
			errs = append(errs, err)
		}
		if seen[n.Address] {
			errs = append(errs, fmt.Errorf("config: serve.media_nodes: %q listed twice", n.Address))
		}
		seen[n.Address] = true
	}
	if s.MediaCheckInterval.Std() < 10*time.Millisecond || s.MediaTimeout.Std() < time.Millisecond {
		errs = append(errs, fmt.Errorf("config: serve.media_check_interval %v / media_timeout %v: want at least 10ms / 1ms",
			s.MediaCheckInterval.Std(), s.MediaTimeout.Std()))
	}
	for i, r := range s.Routes {
		if !strings.HasPrefix(r.Destination, "sip:") && !strings.HasPrefix(r.Destination, "sips:") {
			errs = append(errs, fmt.Errorf("config: serve.routes[%d].destination %q: want a sip: URI", i, r.Destination))
		}
	}
	return errors.Join(errs...)
}

// checkPattern checks a recording rule pattern as the proxy will
// compile it: "/RE/" a regular expression, else a glob.
func checkPattern(p string) error {
	if len(p) >= 2 && strings.HasPrefix(p, "/") && strings.HasSuffix(p, "/") {
		_, err := regexp.Compile(p[1 : len(p)-1])
		return err
	}
	_, err := path.Match(p, "")
	return err
}

// Validate checks the media section.
func (m *Media) Validate() error {
	var errs []error
	bad := func(f string, a ...any) { errs = append(errs, fmt.Errorf("config: media."+f, a...)) }
	if len(m.Control) == 0 {
		bad("control: at least one listener is needed")
	}
	for _, c := range m.Control {
		if !strings.HasPrefix(c, "unix:") && !strings.HasPrefix(c, "udp:") && !strings.HasPrefix(c, "udp6:") {
			bad("control %q: want unix:PATH, udp:ADDR:PORT or udp6:[ADDR]:PORT", c)
		}
	}
	if _, err := netip.ParseAddr(m.Listen); err != nil {
		bad("listen %q: %v", m.Listen, err)
	}
	if m.Advertise != "" {
		if _, err := netip.ParseAddr(m.Advertise); err != nil {
			bad("advertise %q: %v", m.Advertise, err)
		}
	}
	if m.PortMin < 1024 || m.PortMax > 65535 || m.PortMin >= m.PortMax {
		bad("port_min/port_max %d-%d: want 1024 <= min < max <= 65535", m.PortMin, m.PortMax)
	} else if m.PortMax-m.PortMin < 3 {
		bad("port_min/port_max %d-%d: range holds no RTP/RTCP pair", m.PortMin, m.PortMax)
	}
	if m.Allocation != "random" && m.Allocation != "first-free" {
		bad("allocation %q: want random or first-free", m.Allocation)
	}
	if m.Timeout.Std() < time.Second {
		bad("timeout %v: want at least 1s", m.Timeout.Std())
	}
	if m.SetupTimeout.Std() < time.Second {
		bad("setup_timeout %v: want at least 1s", m.SetupTimeout.Std())
	}
	for name, p := range m.RecordProfiles {
		if err := p.Validate(0); err != nil {
			bad("record_profiles.%s: %v", name, err)
		}
	}
	for pt, rtpmap := range m.RecordPayloads {
		if pt < 0 || pt > 127 {
			bad("record_payloads: payload type %d out of 0-127", pt)
		}
		if _, err := record.ParseRTPMap(rtpmap); err != nil {
			bad("record_payloads.%d: %v", pt, err)
		}
	}
	if m.Workers < 0 || m.MaxSessions < 0 {
		bad("workers/max_sessions: must not be negative")
	}
	return errors.Join(errs...)
}
