package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/callrec/callrec/internal/api"
	"github.com/callrec/callrec/internal/config"
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

func runCalls(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("calls", flag.ContinueOnError)
	a := &adminFlags{fs: fs, asJSON: fs.Bool("json", false, "print JSON instead of a table")}
	usage := `usage: callrec calls ls
       callrec calls record CALL-ID [--stop] [--profile NAME] [--label KEY=VALUE ...]

Talks to a running callrec serve over its HTTP API (GET /api/calls,
POST and DELETE /api/calls/CALL-ID/record) with an admin token of
serve.api_tokens (--token or $CALLREC_TOKEN). "ls" lists the calls in
progress: whether their media is anchored on the node and whether they
are recording. "record" starts recording a call now; a call that was
not anchored (serve.anchor: on_record) is first moved through the media
node with re-INVITEs. --stop stops the recording; the media stays
anchored until the call ends.`
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "%s\n\nflags:\n", usage)
		fs.PrintDefaults()
	}
	cfgPath := a.fs.String("config", "", "callrec serve's YAML config (its http_listen gives the default --server)")
	server := a.fs.String("server", "", "callrec serve's HTTP address (default http://"+config.Default().Serve.HTTPListen+", or the config's http_listen)")
	token := a.fs.String("token", os.Getenv("CALLREC_TOKEN"), "API token (serve.api_tokens; default $CALLREC_TOKEN)")
	stop := a.fs.Bool("stop", false, "stop recording instead of starting")
	profile := a.fs.String("profile", "", "recording profile (default: the policy rule's)")
	labels := labelFlags{}
	a.fs.Var(labels, "label", "KEY=VALUE stored with the recording (repeatable; replaces the rule's labels)")
	words, err := a.parse(args)
	if err != nil {
		if err == flag.ErrHelp {
			return nil
		}
		return err
	}
	base := *server
	if base == "" {
		c, err := config.Load(*cfgPath)
		if err != nil {
			return err
		}
		base = "http://" + c.Serve.HTTPListen
	}
	base = strings.TrimSuffix(base, "/")
	if len(words) == 0 {
		a.fs.Usage()
		return fmt.Errorf("calls: missing ls or record")
	}
	cl := &http.Client{Timeout: 30 * time.Second, Transport: bearer{*token}}
	switch {
	case words[0] == "ls" && len(words) == 1:
		var list api.CallList
		if err := do(ctx, cl, http.MethodGet, base+"/api/calls", nil, &list); err != nil {
			return err
		}
		return a.print(list, func(w *tabwriter.Writer) {
			fmt.Fprintln(w, "CALL-ID\tCALLER\tCALLEE\tSTATE\tANCHORED\tRECORDING\tSTARTED")
			for _, c := range list.Calls {
				state := "answered"
				if c.Answered.IsZero() {
					state = "ringing"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%v\t%v\t%s\n", c.CallID, c.Caller, c.Callee, state, c.Anchored, c.Recording,
					c.Started.UTC().Format(time.RFC3339))
			}
		})
	case words[0] == "record" && len(words) == 2:
		u := base + "/api/calls/" + url.PathEscape(words[1]) + "/record"
		var res api.CallResult
		if *stop {
			err = do(ctx, cl, http.MethodDelete, u, nil, &res)
		} else {
			var body any
			if *profile != "" || len(labels) > 0 {
				body = api.RecordRequest{Profile: *profile, Labels: labels}
			}
			err = do(ctx, cl, http.MethodPost, u, body, &res)
		}
		if err != nil {
			return err
		}
		return a.print(res, func(w *tabwriter.Writer) {
			fmt.Fprintf(w, "%s\tanchored=%v\trecording=%v\n", res.Call.CallID, res.Call.Anchored, res.Call.Recording)
		})
	}
	a.fs.Usage()
	return fmt.Errorf("calls: bad arguments %q", words)
}

// do sends a JSON request and decodes a JSON answer into out; an error
// status becomes an error with the server's message.
func do(ctx context.Context, cl *http.Client, method, u string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := cl.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 4<<20))
	if err != nil {
		return err
	}
	if res.StatusCode >= 300 {
		var e api.ErrorBody
		if json.Unmarshal(b, &e) == nil && e.Error.Message != "" {
			return fmt.Errorf("calls: %s %s: %s (%s)", method, u, e.Error.Message, res.Status)
		}
		return fmt.Errorf("calls: %s %s: %s", method, u, res.Status)
	}
	return json.Unmarshal(b, out)
}

// bearer sends its token, when set, as Authorization: Bearer.
type bearer struct{ token string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	if b.token != "" {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer "+b.token)
	}
	return http.DefaultTransport.RoundTrip(r)
}
