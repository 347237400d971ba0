package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/callrec/callrec/internal/app"
	"github.com/callrec/callrec/internal/config"
	"github.com/callrec/callrec/internal/ship"
)

func init() {
	register("media", "run the media node (rtpproxy-compatible session manager and RTP relay)", runMedia)
}

// listFlag collects a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func runMedia(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("media", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `usage: callrec media [flags]

Runs the media node: it answers the rtpproxy control protocol (as
Kamailio's and OpenSIPS's rtpproxy modules speak it) on every --control
listener and relays RTP/RTCP between the parties of each session.
Flags override the config file; the config file overrides defaults.
With a storage section in the config (kind dir, s3 or collector) and
--record-dir, recordings are delivered there while the calls run.
The config's asr section applies here as in callrec serve: with
asr.keywords (or a record profile's keywords) set, every recording
started with R is listened to live, and detections are written to its
sidecar and, if set, posted to asr.webhook.url.

flags:
`)
		fs.PrintDefaults()
	}
	def := config.Default().Media
	cfgPath := fs.String("config", "", "YAML config file (see config.example.yaml)")
	var control listFlag
	fs.Var(&control, "control", "control listener, repeatable: unix:/path.sock, udp:127.0.0.1:22222, udp6:[::1]:22222 (default "+def.Control[0]+")")
	listen := fs.String("listen", def.Listen, "address RTP sockets bind to, and put in replies")
	advertise := fs.String("advertise", "", "address put in replies when it differs from --listen (NAT)")
	portMin := fs.Int("port-min", def.PortMin, "lowest RTP port")
	portMax := fs.Int("port-max", def.PortMax, "highest RTP/RTCP port")
	alloc := fs.String("allocation", def.Allocation, "port allocation: random (harder to inject RTP into) or first-free")
	timeout := fs.Duration("timeout", def.Timeout.Std(), "end a session silent on both sides this long")
	setup := fs.Duration("setup-timeout", def.SetupTimeout.Std(), "end a session offered but never answered nor carrying media this long")
	workers := fs.Int("workers", 0, "relay event loops (0: one per CPU)")
	maxSessions := fs.Int("max-sessions", 0, "refuse new sessions beyond this many (0: no limit)")
	recordDir := fs.String("record-dir", "", "directory for recordings started with R")
	metrics := fs.String("metrics", "", "address for a Prometheus /metrics listener, e.g. 127.0.0.1:9120")
	logLevel := fs.String("log-level", "", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return err
	}
	m := &cfg.Media
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "control":
			m.Control = control
		case "listen":
			m.Listen = *listen
		case "advertise":
			m.Advertise = *advertise
		case "port-min":
			m.PortMin = *portMin
		case "port-max":
			m.PortMax = *portMax
		case "allocation":
			m.Allocation = *alloc
		case "timeout":
			m.Timeout = config.Duration(*timeout)
		case "setup-timeout":
			m.SetupTimeout = config.Duration(*setup)
		case "workers":
			m.Workers = *workers
		case "max-sessions":
			m.MaxSessions = *maxSessions
		case "record-dir":
			m.RecordDir = *recordDir
		case "metrics":
			m.Metrics = *metrics
		case "log-level":
			cfg.Log.Level = *logLevel
		}
	})
	if err := cfg.Validate(); err != nil {
		return err
	}
	log := app.NewLogger(cfg.Log, os.Stderr)
	// With a storage section, recordings are delivered while the
	// calls run (storage.kind dir, s3 or collector).
	shipping, err := app.StartShipping(cfg.Storage, cfg.Media.RecordDir, log)
	if err != nil {
		return err
	}
	opts := []app.MediaOption{app.WithASR(cfg.ASR)}
	if shipping != nil {
		defer shipping.Close()
		opts = append(opts, app.WithSidecarHook(shipping.Notify), app.WithCollectors(ship.NewCollector(shipping.Shipper)))
	}
	node, err := app.StartMedia(ctx, cfg.Media, log, opts...)
	if err != nil {
		return err
	}
	<-ctx.Done()
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return node.Close(sctx)
}
