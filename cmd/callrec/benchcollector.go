package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/callrec/callrec/internal/bench"
	"github.com/callrec/callrec/internal/config"
)

func runBenchCollector(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("callrec bench collector", flag.ContinueOnError)
	var cfg bench.CollectorConfig
	addr := fs.String("addr", "127.0.0.1:7443", "collector address HOST:PORT")
	token := fs.String("token", "", "collector token (default: --token-file or $"+config.TokenEnv+")")
	tokenFile := fs.String("token-file", "", "file holding the token")
	caFile := fs.String("tls-ca", "", "PEM CA the collector's certificate is verified against (required)")
	pid := fs.Int("pid", 0, "collector pid, for its CPU per stream")
	procName := fs.String("proc-name", "", "find the collector pid by process name (/proc/*/comm), e.g. callrec")
	jsonOut := fs.Bool("json", false, "print the result as JSON on stdout instead of a table")
	quiet := fs.Bool("quiet", false, "no progress line every second on stderr")
	fs.IntVar(&cfg.Streams, "streams", 100, "concurrent recording streams")
	fs.IntVar(&cfg.Conns, "conns", 0, "connections (media nodes) carrying them (default one per 100 streams)")
	fs.IntVar(&cfg.Rate, "rate", 16000, "bytes per second per stream (16000: G.711 stereo WAV)")
	fs.DurationVar(&cfg.Interval, "interval", 1e9, "how often each stream writes (the media node's storage.interval)")
	fs.DurationVar(&cfg.Ramp, "ramp", 0, "open the streams evenly over this time (default 2 ms per stream, at least 1s)")
	fs.DurationVar(&cfg.Duration, "duration", 30e9, "measured time once all streams are open; the run ends by itself")
	fs.BoolVar(&cfg.Commit, "commit", true, "commit every stream at the end with its SHA-256 (verified by the collector)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `usage: callrec bench collector --tls-ca CA.pem [flags]

Streams --streams recordings at once to a running callrec collector over
--conns TLS connections, as media nodes do (appends every --interval, the
WAV header rewritten each time), holds them for --duration after the
ramp, then commits them. Prints the bytes per second the collector
acknowledged (durable) against what was offered, the streams that fell
behind, and the collector's CPU per stream (with --pid or --proc-name)
and the generator's own.

flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	var err error
	if cfg.Token, err = config.ResolveToken(*token, *tokenFile); err != nil {
		return err
	}
	if *caFile == "" {
		return errors.New("bench: --tls-ca is required")
	}
	pem, err := os.ReadFile(*caFile)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return fmt.Errorf("bench: %s holds no PEM certificate", *caFile)
	}
	cfg.Addr, cfg.TLS = *addr, &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	switch {
	case *pid > 0:
		cfg.PID = *pid
	case *procName != "":
		if cfg.PID, err = bench.FindPID(*procName); err != nil {
			return err
		}
	}
	if !*quiet {
		cfg.Progress = os.Stderr
	}
	r, err := bench.RunCollector(ctx, cfg)
	if err != nil {
		return err
	}
	if *jsonOut {
		e := json.NewEncoder(os.Stdout)
		e.SetIndent("", "  ")
		return e.Encode(r)
	}
	fmt.Printf("streams %d (opened %d, failed %d) over %d connections, %.0f s measured\n", r.Streams, r.Opened, r.Failed, r.Conns, r.Seconds)
	fmt.Printf("acknowledged %.2f MB/s of %.2f MB/s offered; %d streams more than two intervals behind\n", r.AckedMBps, r.OfferedMBps, r.Lagging)
	if cfg.PID > 0 {
		fmt.Printf("collector CPU %.2f cores, %.0f µs per stream-second, RSS %.0f MiB\n", r.CollectorCores, r.CollectorUsPerStreamS, r.CollectorRSSMiB)
	}
	fmt.Printf("generator CPU %.2f cores\n", r.GeneratorCores)
	if cfg.Commit {
		fmt.Printf("committed %d, commit errors %d\n", r.Committed, r.CommitErrors)
	}
	return nil
}
