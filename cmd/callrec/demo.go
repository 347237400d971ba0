package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/callrec/callrec/internal/app"
	"github.com/callrec/callrec/internal/catalog"
	"github.com/callrec/callrec/internal/config"
	"github.com/callrec/callrec/internal/demo"
	"github.com/callrec/callrec/internal/spot"
	"github.com/callrec/callrec/internal/store"
)

func init() {
	register("demo", "run callrec serve with two built-in phones calling each other: recordings in a minute", runDemo)
}

func runDemo(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `usage: callrec demo [flags]

The quickest way to see callrec work. Starts callrec serve in this
process on loopback (SIP, RTP and HTTP on free ports, the database and
recordings in --data-dir, a new temporary directory by default, with
authentication off and every call recorded), then two built-in SIP
phones register to it as alice and bob, and alice calls bob --calls
times, one every 6 s (consecutive calls overlap) for --talk each. Both
talk: alice plays a caller's speech, bob an agent's, as G.711 RTP, so
each recording has the caller on the left channel and the agent on the
right. Where the keyword spotter's model is installed (Debian package
pocketsphinx-en-us), "cancel", "refund" and "account" are spotted live
and printed as they are said. It prints where to look (the web UI and the recordings API on
the HTTP listener, the recordings directory) with a login and an admin
API token made for this run (the login user, callrec-demo, is removed
from the users table at exit), and each call and its recording as they
finish, then keeps serving until Ctrl-C; with --once
it exits when the last recording is in the catalogue (status 1 when a
call or recording failed).

flags:
`)
		fs.PrintDefaults()
	}
	dataDir := fs.String("data-dir", "", "database and recordings (default: a new directory under $TMPDIR, kept)")
	calls := fs.Int("calls", 3, "calls to place")
	talk := fs.Duration("talk", 10*time.Second, "length of each call")
	once := fs.Bool("once", false, "exit once the calls are recorded instead of serving until Ctrl-C")
	httpListen := fs.String("http-listen", "127.0.0.1:8080", "address of the web UI and API (a free port when this one is taken)")
	logLevel := fs.String("log-level", "warn", "callrec serve's log level: debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 || *calls < 0 || *talk < time.Second {
		return errors.New("demo: want --calls >= 0, --talk >= 1s and no arguments")
	}
	if *dataDir == "" {
		d, err := os.MkdirTemp("", "callrec-demo-")
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		*dataDir = d
	}
	cfg, err := demoConfig(*dataDir, *httpListen, *logLevel)
	if err != nil {
		return err
	}
	log := app.NewLogger(cfg.Log, os.Stderr)
	// callrec serve outlives ctx (Ctrl-C): the phones hang up their
	// calls through it first, then it is closed.
	n, err := app.StartServe(context.WithoutCancel(ctx), cfg, log)
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		n.Close(sctx)
	}()
	pass, removeUser, err := addDemoUser(ctx, n.Store)
	if err != nil {
		return err
	}
	defer removeUser()
	token := cfg.Serve.APITokens[0].Token
	fmt.Printf("callrec demo: callrec serve is running (SIP udp/tcp %s, data in %s)\n\n", cfg.Serve.SIPListen, cfg.Serve.DataDir)
	fmt.Printf("  web UI          http://%s/   (log in as %s, password %s)\n", n.HTTP, demoUser, pass)
	fmt.Printf("  recordings API  http://%s/api/recordings\n", n.HTTP)
	fmt.Printf("  live calls API  http://%s/api/calls\n", n.HTTP)
	fmt.Printf("  API token       %s   (curl -H 'Authorization: Bearer %s' http://%s/api/recordings,\n", token, token, n.HTTP)
	fmt.Printf("                  or CALLREC_SERVER=http://%s CALLREC_TOKEN=%s callrec recordings ls)\n", n.HTTP, token)
	fmt.Printf("  metrics         http://%s/metrics\n", n.HTTP)
	fmt.Printf("  files           %s\n\n", cfg.Media.RecordDir)

	failed := 0
	if *calls > 0 {
		failed, err = demoCalls(ctx, n, cfg, *calls, *talk, log)
		if err != nil {
			return err
		}
	}
	if *once {
		if failed > 0 {
			return fmt.Errorf("demo: %d of %d calls or recordings failed", failed, *calls)
		}
		return nil
	}
	if ctx.Err() == nil {
		fmt.Printf("\ncallrec demo: done calling; callrec serve keeps running until Ctrl-C (phones can register to %s)\n", cfg.Serve.SIPListen)
	}
	<-ctx.Done()
	return nil
}

// demoConfig is callrec serve's default configuration on free loopback
// ports, recording every call, without authentication.
func demoConfig(dataDir, httpListen, logLevel string) (config.Config, error) {
	cfg := config.Default()
	cfg.Serve.DataDir = dataDir
	cfg.Media.RecordDir = dataDir + "/recordings"
	sip, err := demo.FreeSIPPort("127.0.0.1")
	if err != nil {
		return cfg, err
	}
	cfg.Serve.SIPListen = fmt.Sprintf("127.0.0.1:%d", sip)
	if l, err := net.Listen("tcp", httpListen); err == nil {
		l.Close()
		cfg.Serve.HTTPListen = httpListen
	} else {
		cfg.Serve.HTTPListen = "127.0.0.1:0"
	}
	min, err := demo.FreePortRange("127.0.0.1", 200)
	if err != nil {
		return cfg, err
	}
	cfg.Media.Listen, cfg.Media.PortMin, cfg.Media.PortMax = "127.0.0.1", min, min+199
	cfg.Serve.Auth = "off" // the phones have no passwords; loopback only
	cfg.Serve.Record, cfg.Serve.Recording.Default = "all", "all"
	cfg.Log.Level = logLevel
	// The API and web UI serve recordings to no anonymous client: an
	// admin token for curl and the CLI, and a login user (added once
	// serve runs) for the browser, both new on every run.
	cfg.Serve.APITokens = []config.APIToken{{Name: "demo", Token: randomSecret(), Role: "admin"}}
	cfg.Serve.APIAdminUsers = []string{demoUser}
	// Keywords the caller's speech holds, spotted live where the
	// spotter's model is installed (scripts/deps.sh).
	if spot.ModelInstalled() {
		cfg.ASR.Keywords = demoKeywords
	}
	return cfg, cfg.Validate()
}

// demoKeywords are spotted in the demo's calls: the caller says
// "account" about 3 s in, "cancel" at 7 s and "refund" at 11 s.
var demoKeywords = []string{"cancel/1e-30", "refund/1e-20", "account/1e-30"}

// demoUser is the web UI login of callrec demo, added to the users
// table for the run and removed at its end.
const demoUser = "callrec-demo"

// randomSecret is 24 random characters for a password or token.
func randomSecret() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// addDemoUser adds demoUser with a new password to the users table (the
// SIP proxy does not challenge: demo runs with serve.auth off) and
// returns the password and a function that removes the user again.
func addDemoUser(ctx context.Context, st *store.Store) (string, func(), error) {
	const domain = "127.0.0.1"
	st.RemoveUser(ctx, demoUser, domain) // left by a demo that was killed
	pass := randomSecret()
	if err := st.AddUser(ctx, store.User{Username: demoUser, Domain: domain, HA1: store.HA1(demoUser, domain, pass),
		HA1SHA256: store.HA1SHA256(demoUser, domain, pass), Enabled: true, DisplayName: "callrec demo"}); err != nil {
		return "", nil, fmt.Errorf("demo: add the web UI user: %w", err)
	}
	return pass, func() { st.RemoveUser(context.WithoutCancel(ctx), demoUser, domain) }, nil
}

// demoCalls registers alice and bob at sipAddr and has alice call bob
// calls times, printing each call and its recording as they end. It
// returns how many calls failed or were not recorded completely.
func demoCalls(ctx context.Context, n *app.Node, cfg config.Config, calls int, talk time.Duration, log *slog.Logger) (int, error) {
	sipAddr, recordDir := cfg.Serve.SIPListen, cfg.Media.RecordDir
	alice, err := demo.NewPhone(demo.Config{User: "alice", Display: "Alice (caller)", Proxy: sipAddr, Speech: demo.CallerSpeech(), Logger: log})
	if err != nil {
		return 0, err
	}
	defer alice.Close()
	bob, err := demo.NewPhone(demo.Config{User: "bob", Display: "Bob (agent)", Proxy: sipAddr, Speech: demo.AgentSpeech(), Logger: log})
	if err != nil {
		return 0, err
	}
	defer bob.Close()
	for _, p := range []*demo.Phone{alice, bob} {
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := p.Register(rctx)
		cancel()
		if err != nil {
			return 0, err
		}
		// Closed phones leave no binding behind for later calls (a
		// data dir used again) to fork to.
		defer func() {
			uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if err := p.Unregister(uctx); err != nil {
				log.Warn("demo: unregister", "err", err)
			}
		}()
	}
	every := talk * 6 / 10
	fmt.Printf("alice (%s) and bob (%s) registered; alice calls bob: %d calls of %s, one every %s\n",
		alice.Addr(), bob.Addr(), calls, talk, every)
	if len(cfg.ASR.Keywords) > 0 {
		if sub, err := n.Events.Subscribe(nil); err == nil {
			fmt.Printf("keywords spotted live: %s\n", strings.Join(cfg.ASR.Keywords, ", "))
			defer sub.Close()
			go func() {
				for e := range sub.C {
					fmt.Printf("        keyword %-9q %-6s at %4.1f s, confidence %.0f%% (Call-ID %.8s...)\n",
						e.Keyword, e.Leg, e.Start, 100*e.Confidence, e.CallID)
				}
			}()
		}
	}
	failed := 0
	demo.Run(ctx, alice, "bob", demo.Plan{Calls: calls, Talk: talk, Every: every}, func(i int, c demo.Call, err error) {
		if err != nil {
			failed++
			fmt.Printf("call %d: failed: %v\n", i, err)
			return
		}
		fmt.Printf("call %d: alice -> bob, %.1f s, %d RTP packets sent, %d received (Call-ID %s)\n",
			i, c.Talked.Seconds(), c.Sent, c.Received, c.CallID)
		r, err := waitRecording(context.WithoutCancel(ctx), n.Catalog, c.CallID) // also after Ctrl-C
		if err != nil {
			failed++
			fmt.Printf("call %d: recording: %v\n", i, err)
			return
		}
		if r.Status != catalog.StatusComplete {
			failed++
		}
		loc := r.Location
		if !filepath.IsAbs(loc) && !strings.Contains(loc, ":") { // a file in the recordings directory
			loc = filepath.Join(recordDir, loc)
		}
		fmt.Printf("call %d: recording %d %s, %.1f s, %s\n        %s\n", i, r.ID, r.Status, r.Duration.Seconds(), r.Format, loc)
	})
	return failed, nil
}

// waitRecording waits until the catalogue holds callID's recording in a
// final status (the indexer writes it as the recorder finishes the
// sidecar, within a second of the hang-up).
func waitRecording(ctx context.Context, c *catalog.Catalog, callID string) (*catalog.Recording, error) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	var last *catalog.Recording
	for {
		p, err := c.Search(ctx, catalog.Query{CallID: callID, Limit: 1})
		if err == nil && len(p.Recordings) == 1 {
			last = p.Recordings[0]
			if last.Status != catalog.StatusRecording {
				return last, nil
			}
		}
		select {
		case <-ctx.Done():
			if last != nil {
				return nil, fmt.Errorf("still %s after 20 s", last.Status)
			}
			return nil, errors.New("not in the catalogue after 20 s")
		case <-time.After(100 * time.Millisecond): // the catalogue has no notification; poll
		}
	}
}
