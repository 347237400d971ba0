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
	register("collector", "run the central recording server media nodes stream recordings to", runCollector)
}

func runCollector(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("collector", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `usage: callrec collector [flags]

Runs the central recording server: media nodes (callrec serve or
callrec media with storage.kind collector) stream recordings to it live
over TLS, authenticated by a token; it stores them (storage.kind local:
DATA-DIR/recordings; dir, blob and the others as configured) and writes
the catalogue (SQLite in DATA-DIR, or --database). A media node that
loses the collector keeps recordings on its disk and resumes them from
the last acknowledged byte. With collector.api_tokens in the config,
--metrics also serves the recordings API (search, metadata, audio with
Range; read only) as callrec serve does. Flags override the config
file's collector section; the token may also come from $%s.

flags:
`, config.TokenEnv)
		fs.PrintDefaults()
	}
	def := config.Default().Collector
	cfgPath := fs.String("config", "", "YAML config file (see config.example.yaml)")
	listen := fs.String("listen", def.Listen, "TLS listener for media nodes, IP:PORT")
	cert := fs.String("tls-cert", "", "PEM certificate of the listener")
	key := fs.String("tls-key", "", "PEM private key of the listener")
	token := fs.String("token", "", "secret media nodes present (prefer --token-file or $"+config.TokenEnv+")")
	tokenFile := fs.String("token-file", "", "file holding the token")
	dataDir := fs.String("data-dir", def.DataDir, "directory for the SQLite catalogue and (storage.kind local) the recordings")
	database := fs.String("database", "", "catalogue DSN, e.g. postgres://user@127.0.0.1:5432/db (default: SQLite in --data-dir)")
	metrics := fs.String("metrics", "", "address for a Prometheus /metrics listener, e.g. 127.0.0.1:9121")
	logLevel := fs.String("log-level", "", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return err
	}
	c := &cfg.Collector
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "listen":
			c.Listen = *listen
		case "tls-cert":
			c.TLSCert = *cert
		case "tls-key":
			c.TLSKey = *key
		case "token":
			c.Token = *token
		case "token-file":
			c.TokenFile = *tokenFile
		case "data-dir":
			c.DataDir = *dataDir
		case "database":
			c.Database = *database
		case "metrics":
			c.Metrics = *metrics
		case "log-level":
			cfg.Log.Level = *logLevel
		}
	})
	if err := cfg.Validate(); err != nil {
		return err
	}
	log := app.NewLogger(cfg.Log, os.Stderr)
	col, err := app.StartCollector(ctx, cfg, log)
	if err != nil {
		return err
	}
	<-ctx.Done()
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return col.Close(sctx)
}
