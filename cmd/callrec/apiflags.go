package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/callrec/callrec/internal/apiclient"
	"github.com/callrec/callrec/internal/config"
)

// apiFlags are the flags of the commands that talk to callrec serve's
// HTTP API: where it is, the token, and the output format.
type apiFlags struct {
	*adminFlags
	server, token, cfgPath *string
}

const apiHelp = `The server is --server, else $CALLREC_SERVER, else http://<http_listen>
of --config (default ` + "http://127.0.0.1:8080" + `); the token (serve.api_tokens)
is --token, else $CALLREC_TOKEN. Output is a table, or the API's JSON
answer with --json.`

func newAPIFlags(name, usage string) *apiFlags {
	a := &apiFlags{adminFlags: &adminFlags{fs: flag.NewFlagSet(name, flag.ContinueOnError)}}
	fs := a.fs
	a.asJSON = fs.Bool("json", false, "print the API's JSON answer instead of a table")
	a.server = fs.String("server", "", "callrec serve's HTTP API, e.g. http://127.0.0.1:8080 (default $CALLREC_SERVER, or the config's http_listen)")
	a.token = fs.String("token", "", "API token sent as Bearer (default $CALLREC_TOKEN)")
	a.cfgPath = fs.String("config", "", "callrec serve's YAML config: its http_listen is the default --server")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "%s\n\n%s\n\nflags:\n", usage, apiHelp)
		fs.PrintDefaults()
	}
	return a
}

// client returns the API client the flags name.
func (a *apiFlags) client() (*apiclient.Client, error) {
	server := cmp.Or(*a.server, os.Getenv("CALLREC_SERVER"))
	if server == "" {
		c, err := config.Load(*a.cfgPath)
		if err != nil {
			return nil, err
		}
		server = "http://" + c.Serve.HTTPListen
	}
	return &apiclient.Client{Server: server, Token: cmp.Or(*a.token, os.Getenv("CALLREC_TOKEN"))}, nil
}

// output prints raw (the API's JSON answer, indented) with --json, else
// the table.
func (a *apiFlags) output(raw json.RawMessage, table func(w *tabwriter.Writer)) error {
	if *a.asJSON {
		var b bytes.Buffer
		if err := json.Indent(&b, raw, "", "  "); err != nil {
			return err
		}
		b.WriteByte('\n')
		_, err := os.Stdout.Write(b.Bytes())
		return err
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	table(w)
	return w.Flush()
}
