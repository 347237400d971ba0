package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/callrec/callrec/internal/app"
	"github.com/callrec/callrec/internal/config"
)

func init() {
	register("serve", "run everything in one process: SIP proxy, media node, recorder, database", runServe)
}

func runServe(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `usage: callrec serve [flags]

Runs the SIP proxy (routing by registered users, the routes table and
static routes), the media node every call's RTP is anchored on, the
recorder and the database (SQLite in --data-dir unless --database names
PostgreSQL), with no configuration needed. Phones register to and call
through --sip-listen (and --sip-tls-listen for SIP over TLS); recordings
land in DATA-DIR/recordings. The HTTP listener also serves the JSON API
(recordings search, metadata, audio with Range, delete; live calls and
record/stop/pause/resume; routes; users), described at /api/openapi.json.
It needs a token of serve.api_tokens (Authorization: Bearer) or a login
(POST /api/login), except with --api-insecure-dev. Once a user exists (callrec users add), REGISTER and
calls must authenticate with digest (--auth), except from trunks'
addresses (callrec trunks add).
Flags override the config file; the config file overrides defaults.

With --media-node (or serve.media_nodes) calls are anchored on remote
media nodes (callrec media, or any rtpproxy) instead: each new call goes
to one node by weight and Call-ID hash and stays there; nodes are checked
every 2s and one that fails takes no new calls until it answers. When no
node answers, calls go through unanchored and unrecorded, counted in
callrec_proxy_media_unavailable_total with an ERROR log line at most every
10s, or are answered 503 with --fail-closed.

flags:
`)
		fs.PrintDefaults()
	}
	def := config.Default()
	cfgPath := fs.String("config", "", "YAML config file (see config.example.yaml)")
	dataDir := fs.String("data-dir", def.Serve.DataDir, "database, recordings and control socket")
	sipListen := fs.String("sip-listen", def.Serve.SIPListen, "SIP address, UDP and TCP")
	sipTLSListen := fs.String("sip-tls-listen", "", "SIP over TLS address (needs serve.tls_cert and serve.tls_key, or --tls-cert/--tls-key)")
	tlsCert := fs.String("tls-cert", "", "PEM certificate of the TLS listener")
	tlsKey := fs.String("tls-key", "", "PEM private key of the TLS listener")
	tlsCA := fs.String("tls-ca", "", "PEM roots, beside the system's, for TLS next hops")
	inviteTimeout := fs.Duration("invite-timeout", def.Serve.InviteTimeout.Std(), "Timer C: cancel an INVITE ringing this long and answer 408")
	httpListen := fs.String("http-listen", def.Serve.HTTPListen, "address of the web UI (/), the API (/api/), /metrics, /healthz, /readyz")
	database := fs.String("database", "", "DSN: sqlite:/path or postgres://... (default: SQLite in --data-dir)")
	rtpListen := fs.String("rtp-listen", def.Media.Listen, "address RTP sockets bind to and SDP advertises")
	portMin := fs.Int("port-min", def.Media.PortMin, "lowest RTP port")
	portMax := fs.Int("port-max", def.Media.PortMax, "highest RTP/RTCP port")
	rec := fs.String("record", def.Serve.Record, "calls no recording rule matches: all, none or on_demand (serve.recording.default)")
	anchor := fs.String("anchor", def.Serve.Anchor, "always, or on_record: anchor only calls being recorded (re-INVITEs when recording starts mid-call)")
	logLevel := fs.String("log-level", "", "debug, info, warn or error")
	var nodes listFlag
	fs.Var(&nodes, "media-node", "remote media node, repeatable: udp:HOST:PORT, udp6:[ADDR]:PORT or unix:/path, with =WEIGHT (default 1); local is the in-process node (default: local only)")
	failClosed := fs.Bool("fail-closed", def.Serve.FailClosed, "answer 503 when no media node answers (default: the call goes through unrecorded)")
	auth := fs.String("auth", def.Serve.Auth, "digest authentication: auto (on once a user exists), on or off")
	realm := fs.String("realm", "", "digest realm, the users' domain (default: the request's domain)")
	pprof := fs.Bool("pprof", def.Serve.Pprof, "serve Go's profiler at /debug/pprof/ on --http-listen (trusted hosts only)")
	insecureAPI := fs.Bool("api-insecure-dev", def.Serve.APIInsecureDev, "serve the HTTP API, recordings included, to anonymous clients as admin (development only)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return err
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "data-dir":
			cfg.Serve.DataDir = *dataDir
		case "sip-listen":
			cfg.Serve.SIPListen = *sipListen
		case "sip-tls-listen":
			cfg.Serve.SIPTLSListen = *sipTLSListen
		case "tls-cert":
			cfg.Serve.TLSCert = *tlsCert
		case "tls-key":
			cfg.Serve.TLSKey = *tlsKey
		case "tls-ca":
			cfg.Serve.TLSCA = *tlsCA
		case "invite-timeout":
			cfg.Serve.InviteTimeout = config.Duration(*inviteTimeout)
		case "http-listen":
			cfg.Serve.HTTPListen = *httpListen
		case "database":
			cfg.Serve.Database = *database
		case "rtp-listen":
			cfg.Media.Listen = *rtpListen
		case "port-min":
			cfg.Media.PortMin = *portMin
		case "port-max":
			cfg.Media.PortMax = *portMax
		case "record":
			cfg.Serve.Recording.Default = *rec
		case "anchor":
			cfg.Serve.Anchor = *anchor
		case "log-level":
			cfg.Log.Level = *logLevel
		case "fail-closed":
			cfg.Serve.FailClosed = *failClosed
		case "auth":
			cfg.Serve.Auth = *auth
		case "realm":
			cfg.Serve.Realm = *realm
		case "pprof":
			cfg.Serve.Pprof = *pprof
		case "api-insecure-dev":
			cfg.Serve.APIInsecureDev = *insecureAPI
		}
	})
	if len(nodes) > 0 {
		cfg.Serve.MediaNodes = nil
		for _, spec := range nodes {
			mn, err := config.ParseMediaNode(spec)
			if err != nil {
				return err
			}
			cfg.Serve.MediaNodes = append(cfg.Serve.MediaNodes, mn)
		}
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	log := app.NewLogger(cfg.Log, os.Stderr)
	n, err := app.StartServe(ctx, cfg, log)
	if err != nil {
		return err
	}
	<-ctx.Done()
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return n.Close(sctx)
}
