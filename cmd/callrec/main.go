// Command callrec is a call recorder for IP contact centres: an
// rtpproxy-compatible media node with a recorder, and (later) a SIP proxy.
// This file only dispatches subcommands; each lives in its own file.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

type subcommand struct {
	summary string
	run     func(ctx context.Context, args []string) error
}

var subcommands = map[string]subcommand{}

func register(name, summary string, run func(ctx context.Context, args []string) error) {
	subcommands[name] = subcommand{summary, run}
}

func usage() {
	fmt.Fprintf(os.Stderr, "usage: callrec <command> [flags]\n\ncommands:\n")
	names := make([]string, 0, len(subcommands))
	for n := range subcommands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-10s %s\n", n, subcommands[n].summary)
	}
	fmt.Fprintf(os.Stderr, "\nRun 'callrec <command> --help' for a command's flags.\n")
}

func main() {
	register("version", "print the version", func(_ context.Context, args []string) error {
		fs := flag.NewFlagSet("version", flag.ContinueOnError)
		fs.Usage = func() { fmt.Fprintf(fs.Output(), "usage: callrec version\n\nPrints callrec's version.\n") }
		if err := fs.Parse(args); err != nil {
			return err
		}
		fmt.Println("callrec", version)
		return nil
	})
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "--help" || os.Args[1] == "help" {
		usage()
		if len(os.Args) < 2 {
			os.Exit(2)
		}
		return
	}
	sc, ok := subcommands[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "callrec: unknown command %q\n\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// flag.ErrHelp: --help was asked for and the flag set printed the
	// usage; every subcommand returns it for the dispatcher to end well.
	if err := sc.run(ctx, os.Args[2:]); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "callrec:", err)
		os.Exit(1)
	}
}
