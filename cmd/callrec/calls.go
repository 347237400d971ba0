package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/callrec/callrec/internal/apiclient"
)

func init() {
	register("calls", "list calls in progress or start/stop recording one (ls | record CALL-ID [--stop])", runCalls)
}

// labelFlags collects repeated --label KEY=VALUE.
type labelFlags map[string]string

func (l labelFlags) String() string { return fmt.Sprint(map[string]string(l)) }

func (l labelFlags) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("want KEY=VALUE, got %q", v)
	}
	l[k] = val
	return nil
}

// recordFlags adds the options of starting a recording to fs (prefix
// is put before each flag's help, e.g. "start: ") and returns the
// request they build once fs is parsed.
func recordFlags(fs *flag.FlagSet, prefix string) func() *apiclient.RecordRequest {
	profile := fs.String("profile", "", prefix+"recording profile (default: the policy rule's)")
	labels := labelFlags{}
	fs.Var(labels, "label", prefix+"KEY=VALUE stored with the recording (repeatable; replaces the rule's labels)")
	keywords := fs.String("keywords", "", prefix+"keywords spotted live in this recording, comma-separated, each optionally /THRESHOLD (replaces the rule's or profile's)")
	return func() *apiclient.RecordRequest {
		req := &apiclient.RecordRequest{Profile: *profile, Labels: labels}
		if *keywords != "" {
			req.Keywords = strings.Split(*keywords, ",")
		}
		return req
	}
}

func runCalls(ctx context.Context, args []string) error {
	a := newAPIFlags("calls", `usage: callrec calls ls
       callrec calls record CALL-ID [--stop] [--profile NAME] [--label KEY=VALUE ...] [--keywords cancel,refund/1e-25]

Talks to a running callrec serve over its HTTP API (GET /api/calls,
POST and DELETE /api/calls/CALL-ID/record); "record" needs an admin
token of serve.api_tokens. "ls" lists the calls in
progress: whether their media is anchored on the node and whether they
are recording. "record" starts recording a call now (as "callrec record
start"); a call that was not anchored (serve.anchor: on_record) is first
moved through the media node with re-INVITEs. --stop stops the
recording; the media stays anchored until the call ends.`)
	stop := a.fs.Bool("stop", false, "stop recording instead of starting")
	request := recordFlags(a.fs, "")
	words, err := a.parse(args)
	if err != nil {
		return err
	}
	cl, err := a.client()
	if err != nil {
		return err
	}
	switch {
	case len(words) == 1 && words[0] == "ls":
		return callsLs(ctx, a, cl)
	case len(words) == 2 && words[0] == "record":
		op := "start"
		if *stop {
			op = "stop"
		}
		return recordOp(ctx, a, cl, op, words[1], request())
	}
	a.fs.Usage()
	return fmt.Errorf("calls: want ls or record CALL-ID, got %q", words)
}

func callsLs(ctx context.Context, a *apiFlags, cl *apiclient.Client) error {
	list, raw, err := cl.Calls(ctx)
	if err != nil {
		return err
	}
	return a.output(raw, func(w *tabwriter.Writer) {
		fmt.Fprintln(w, "CALL-ID\tCALLER\tCALLEE\tSTATE\tANCHORED\tRECORDING\tSTARTED\tLOSS\tJITTER")
		for _, c := range list.Calls {
			state := "answered"
			if c.Answered.IsZero() {
				state = "ringing"
			}
			var loss, jitter []string
			for _, s := range c.Streams {
				loss = append(loss, fmt.Sprintf("%.1f%%", 100*s.Loss))
				jitter = append(jitter, fmt.Sprintf("%.1fms", s.JitterMs))
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%v\t%v\t%s\t%s\t%s\n", c.CallID, c.Caller, c.Callee, state, c.Anchored, c.Recording,
				c.Started.UTC().Format(time.RFC3339), dash(strings.Join(loss, "/")), dash(strings.Join(jitter, "/")))
		}
	})
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
