package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"

	"github.com/callrec/callrec/internal/bench"
)

func init() {
	register("bench", "load generators: bench media (RTP relay), bench collector (recording streams)", runBench)
}

func runBench(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintf(os.Stderr, "usage: callrec bench <target> [flags]\n\ntargets:\n  media      calls through an rtpproxy-compatible relay or rtpengine\n  collector  live recording streams to a callrec collector\n\nRun 'callrec bench TARGET --help' for its flags.\n")
		if len(args) == 0 {
			return errors.New("bench: no target")
		}
		return nil
	}
	switch args[0] {
	case "media":
		return runBenchMedia(ctx, args[1:])
	case "collector":
		return runBenchCollector(ctx, args[1:])
	}
	return fmt.Errorf("bench: unknown target %q (want media or collector)", args[0])
}

func runBenchMedia(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("callrec bench media", flag.ContinueOnError)
	var cfg bench.Config
	var (
		control  = fs.String("control", "", "rtpproxy control socket: udp:HOST:PORT or unix:/PATH")
		ng       = fs.String("ng", "", "rtpengine ng control address HOST:PORT (instead of --control)")
		local    = fs.String("local", "127.0.0.1", "generator's media IPv4 address (loopback only)")
		pid      = fs.Int("pid", 0, "relay pid, for CPU µs/packet and RSS/call")
		pidFile  = fs.String("pid-file", "", "read the relay pid from this file")
		procName = fs.String("proc-name", "", "find the relay pid by process name (/proc/*/comm), e.g. rtpproxy, rtpengine, callrec")
		jsonOut  = fs.Bool("json", false, "print the final summary as JSON on stdout instead of a table")
		quiet    = fs.Bool("quiet", false, "no progress line every second on stderr")
	)
	fs.IntVar(&cfg.Calls, "calls", 10, "concurrent calls")
	fs.DurationVar(&cfg.Ramp, "ramp", 0, "start the calls evenly over this time (default 10ms per call, at least 1s)")
	fs.DurationVar(&cfg.Duration, "duration", 30e9, "hold time after the ramp; the run always ends by itself after ramp+duration")
	fs.DurationVar(&cfg.Ptime, "ptime", 20e6, "packet interval per direction (160-byte PCMU payload regardless)")
	fs.DurationVar(&cfg.Tick, "tick", 1e6, "sender timer-wheel tick, must divide --ptime; a worker sends one burst per tick, so a finer tick means less relay queueing in the latency figures and more generator CPU")
	fs.DurationVar(&cfg.Drain, "drain", 500e6, "max wait for in-flight packets after the last send")
	fs.IntVar(&cfg.Senders, "senders", 0, "sender goroutines (default GOMAXPROCS)")
	fs.IntVar(&cfg.Workers, "workers", 8, "concurrent control commands during setup and teardown")
	fs.IntVar(&cfg.SockBuf, "sockbuf", 4<<20, "UDP socket buffer size, bytes")
	fs.BoolVar(&cfg.Record, "record", false, "ask the relay to record each call (rtpproxy R / ng start recording) after the answer")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `usage: callrec bench media (--control udp:HOST:PORT | --control unix:/PATH | --ng HOST:PORT) [flags]

Sets up --calls calls on the relay (offer/U with the caller's address,
answer/L with the callee's), sends G.711 µ-law RTP (160-byte payload, one
packet per --ptime per direction) through each, ramping up over --ramp and
holding for --duration, then deletes them and prints loss, duplicates,
reordering, one-way latency, jitter, and the relay's and its own CPU time
per forwarded packet. Media goes to loopback only.

flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case *control != "" && *ng != "":
		return errors.New("bench: give --control or --ng, not both")
	case *ng != "":
		cfg.Control = "ng:" + *ng
	case *control != "":
		cfg.Control = *control
	default:
		fs.Usage()
		return errors.New("bench: --control or --ng is required")
	}
	ip, err := netip.ParseAddr(*local)
	if err != nil || !ip.IsLoopback() {
		return fmt.Errorf("bench: --local %q must be a loopback address", *local)
	}
	cfg.LocalIP = ip
	switch {
	case *pid > 0:
		cfg.PID = *pid
	case *pidFile != "":
		if cfg.PID, err = bench.ReadPIDFile(*pidFile); err != nil {
			return err
		}
	case *procName != "":
		if cfg.PID, err = bench.FindPID(*procName); err != nil {
			return err
		}
	}
	if !*quiet {
		cfg.Progress = os.Stderr
	}
	res, err := bench.Run(ctx, cfg)
	if res != nil {
		if *jsonOut {
			res.WriteJSON(os.Stdout)
		} else {
			res.WriteText(os.Stdout)
		}
	}
	return err
}
