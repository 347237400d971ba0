package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/config"
	"github.com/callrec/callrec/internal/nettest"
	"github.com/callrec/callrec/internal/record"
	"github.com/callrec/callrec/internal/spot/spottest"
)

func startServe(t *testing.T, nodes []config.MediaNode) *Node {
	t.Helper()
	return startServeWith(t, func(c *config.Config) { c.Serve.MediaNodes = nodes })
}

// startServeWith starts serve on free loopback ports with the defaults
// changed by mod, stopped when the test ends.
func startServeWith(t *testing.T, mod func(*config.Config)) *Node {
	t.Helper()
	c := config.Default()
	c.Serve.DataDir = t.TempDir()
	c.Serve.SIPListen = fmt.Sprintf("127.0.0.1:%d", nettest.FreeUDPPort(t, "127.0.0.1"))
	c.Serve.HTTPListen = "127.0.0.1:0"
	c.Media.PortMin, c.Media.PortMax = freePorts(t, 64)
	mod(&c)
	n, err := StartServe(context.Background(), c, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		n.Close(ctx)
	})
	return n
}

// TestServeMediaNodes: without media_nodes the proxy anchors on the
// in-process node alone (no pool); with "local" and a remote node both
// take calls, each the calls its hash gives it.
func TestServeMediaNodes(t *testing.T) {
	if n := startServe(t, nil); n.Pool != nil || n.Media == nil {
		t.Fatalf("no media_nodes: pool %v, in-process node %v", n.Pool, n.Media)
	}
	remote := startNode(t, func(m *config.Media) { m.PortMin, m.PortMax = freePorts(t, 64) })
	n := startServe(t, []config.MediaNode{{Address: "local"}, {Address: remote.Addrs[0], Weight: 2}})
	if n.Pool == nil || n.Media == nil {
		t.Fatalf("local + remote: pool %v, in-process node %v", n.Pool, n.Media)
	}
	st := n.Pool.Nodes()
	if len(st) != 2 || st[0].Name != "local" || st[0].Weight != 1 || st[1].Name != remote.Addrs[0] || st[1].Weight != 2 {
		t.Fatalf("pool nodes %+v", st)
	}
	sdp := "v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"
	ctx := context.Background()
	for i := range 30 {
		id := fmt.Sprintf("serve-%d", i)
		if _, err := n.Pool.Offer(ctx, id, "ft", "", []byte(sdp)); err != nil {
			t.Fatal(err)
		}
		local := n.Pool.NodeOf(id) == "local"
		_, lerr := n.Media.Manager.Query(id, "ft", "", 1)
		_, rerr := remote.Manager.Query(id, "ft", "", 1)
		if local != (lerr == nil) || local == (rerr == nil) {
			t.Errorf("%s on %q: in-process node has it: %v, remote: %v", id, n.Pool.NodeOf(id), lerr == nil, rerr == nil)
		}
	}
	if st := n.Pool.Nodes(); st[0].Offers == 0 || st[1].Offers == 0 {
		t.Errorf("30 calls did not reach both nodes: %+v", st)
	}
}

// TestServeRefusesUnknownKeywords: a keyword word the spotter's
// dictionary lacks, in asr.keywords, a profile or a policy rule, stops
// serve at start with an error naming where it is; with the spotter
// off (an external engine's vocabulary) only the syntax is checked.
func TestServeRefusesUnknownKeywords(t *testing.T) {
	spottest.RequireModel(t)
	for name, c := range map[string]struct {
		mod  func(*config.Config)
		want string
	}{
		"asr": {func(c *config.Config) { c.ASR.Keywords = []string{"cancel", "frobnicatorz"} }, "frobnicatorz"},
		"profile": {func(c *config.Config) {
			c.Media.RecordProfiles = map[string]record.Profile{"x": {Keywords: []string{"frobnicatorz"}}}
		}, "record_profiles.x.keywords"},
		"rule": {func(c *config.Config) {
			c.Serve.Recording.Rules = []config.RecordingRule{{Keywords: []string{"frobnicatorz"}}}
		}, "rules[0].keywords"},
		"syntax": {func(c *config.Config) { c.ASR.Spotter, c.ASR.Keywords = "off", []string{"cancel/7"} }, "threshold"},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := config.Default()
			cfg.Serve.DataDir = t.TempDir()
			cfg.Serve.SIPListen = fmt.Sprintf("127.0.0.1:%d", nettest.FreeUDPPort(t, "127.0.0.1"))
			cfg.Serve.HTTPListen = "127.0.0.1:0"
			cfg.Media.PortMin, cfg.Media.PortMax = freePorts(t, 64)
			c.mod(&cfg)
			n, err := StartServe(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err == nil {
				n.Close(context.Background())
				t.Fatal("serve started")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not say %q", err, c.want)
			}
		})
	}
	// An external engine may be sent words the dictionary lacks.
	startServeWith(t, func(c *config.Config) {
		c.ASR.Spotter, c.ASR.Keywords = "off", []string{"frobnicatorz"}
		c.ASR.Stream.URL = "tcp://127.0.0.1:9"
	})
}
