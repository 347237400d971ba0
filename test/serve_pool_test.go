package test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/api"
	"github.com/callrec/callrec/internal/app"
	"github.com/callrec/callrec/internal/config"
	"github.com/callrec/callrec/internal/record"
)

// TestServeMediaNodeFailover runs `callrec serve` with two remote media
// nodes (`callrec media`, in-process, controlled over loopback UDP) and
// places real sipp calls through it. A call whose Call-ID prefers node A
// is anchored and recorded there; then A is killed, and new calls that
// prefer A land on B (first by failover on the offer, then because the
// health check marked A down) and are recorded there with the tone both
// ways; /metrics says A is down and no call went unanchored. Then B is
// killed too: calls still go through, unanchored and unrecorded
// (fail-open), counted, with one ERROR line for both.
func TestServeMediaNodeFailover(t *testing.T) {
	RequireBinary(t, "sipp", "sip-tester")
	realtime <- struct{}{}
	defer func() { <-realtime }()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	logs := newLogBuffer(1 << 20)
	var logw io.Writer = logs
	if testing.Verbose() {
		logw = io.MultiWriter(logs, os.Stderr)
	}
	log := slog.New(slog.NewTextHandler(logw, nil))

	var nodes [2]*app.MediaNode
	var dirs [2]string
	for i := range nodes {
		m := config.Default().Media
		m.Control = []string{"udp:127.0.0.1:0"}
		m.PortMin = FreeUDPRange(t, "127.0.0.1", 32)
		m.PortMax = m.PortMin + 31
		dirs[i] = t.TempDir()
		m.RecordDir = dirs[i]
		n, err := app.StartMedia(ctx, m, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		nodes[i] = n
		t.Cleanup(func() {
			cctx, ccancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer ccancel()
			n.Close(cctx)
		})
	}

	// One UAS answers all five calls (its To tag is uastag1, 2, ...).
	uas := StartSipp(t, SippConfig{Label: "sipp uas", Scenario: Testdata(t, "sipp", "uas_echo.xml"), IP: "127.0.0.3", RTPEcho: true, Calls: 5})
	c := config.Default()
	c.Serve.Routes = []config.Route{{Destination: "sip:" + uas.Addr()}}
	c.Serve.DataDir = t.TempDir()
	c.Serve.SIPListen = fmt.Sprintf("127.0.0.1:%d", FreeUDPPort(t, "127.0.0.1"))
	c.Serve.HTTPListen = "127.0.0.1:0"
	c.Serve.MediaNodes = []config.MediaNode{{Address: nodes[0].Addrs[0], Weight: 1}, {Address: nodes[1].Addrs[0], Weight: 1}}
	c.Serve.MediaCheckInterval = config.Duration(200 * time.Millisecond)
	c.Serve.MediaTimeout = config.Duration(300 * time.Millisecond)
	c.Serve.APITokens = []config.APIToken{{Name: "ops", Token: e2eAdmin, Role: "admin"}}
	srv, err := app.StartServe(ctx, c, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cctx, ccancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer ccancel()
		srv.Close(cctx)
	})
	if srv.Media != nil {
		t.Errorf("the in-process media node runs although media_nodes does not list local")
	}
	nameA, nameB := nodes[0].Addrs[0], nodes[1].Addrs[0]
	prefersA := func(prefix string) string {
		for i := range 1000 {
			id := fmt.Sprintf("%s-%d-%d", prefix, os.Getpid(), i)
			if srv.Pool.Preferred(id) == nameA {
				return id
			}
		}
		t.Fatalf("no Call-ID prefers %s", nameA)
		return ""
	}

	poolCall(ctx, t, srv, uas, 1, nodes[0], dirs[0], prefersA("before"))

	cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
	nodes[0].Close(cctx) // A dies: its control socket is gone
	ccancel()
	poolCall(ctx, t, srv, uas, 2, nodes[1], dirs[1], prefersA("failover"))
	for srv.Pool.Nodes()[0].Up {
		select {
		case <-ctx.Done():
			t.Fatal("node A still up")
		case <-time.After(50 * time.Millisecond): // node state has no notification; poll
		}
	}
	poolCall(ctx, t, srv, uas, 3, nodes[1], dirs[1], prefersA("down"))

	checkMetrics(t, srv,
		"callrec_proxy_media_nodes_up 1",
		"callrec_proxy_media_unavailable_total 0",
		`callrec_proxy_media_node_up{node="`+nameA+`"} 0`,
		`callrec_proxy_media_node_offers_total{node="`+nameA+`"} 1`,
		`callrec_proxy_media_node_offers_total{node="`+nameB+`"} 2`,
		"callrec_proxy_anchor_failures_total 0")

	// B dies too: fail-open.
	cctx, ccancel = context.WithTimeout(ctx, 10*time.Second)
	nodes[1].Close(cctx)
	ccancel()
	for k := 4; k <= 5; k++ {
		callID := fmt.Sprintf("open-%d-%d", os.Getpid(), k)
		uac := StartSipp(t, SippConfig{
			Label: "sipp uac " + callID, Scenario: Testdata(t, "sipp", "uac_rtp.xml"), IP: "127.0.0.2",
			Remote: srv.Config.Serve.SIPListen, CallID: callID,
			Keys:  map[string]string{"target": srv.Config.Serve.SIPListen},
			Files: map[string][]byte{"tone.ulaw": MulawTone(8000, 440, 8000)},
		})
		for srv.Proxy.Stats().Calls < uint64(k) {
			select {
			case <-ctx.Done():
				t.Fatalf("%s not answered through the proxy with no media node", callID)
			case <-time.After(50 * time.Millisecond): // counters have no notification; poll
			}
		}
		if node := srv.Pool.NodeOf(callID); node != "" {
			t.Errorf("%s anchored on %s with every node dead", callID, node)
		}
		sendInfo(t, uac, uas, callID)
		if err := uac.Proc.Wait(ctx); err != nil {
			t.Fatalf("sipp uac: %v", err)
		}
	}
	checkMetrics(t, srv,
		"callrec_proxy_media_nodes_up 0",
		"callrec_proxy_media_unavailable_total 2",
		"callrec_proxy_anchor_failures_total 2")
	out, _, _ := logs.snapshot()
	if n := strings.Count(string(out), "level=ERROR msg=\"no media node answers"); n != 1 {
		t.Errorf("%d ERROR lines for two calls with no media node, want 1 (rate-limited alarm)", n)
	}
}

// checkMetrics fails unless srv's /metrics has each of the lines.
func checkMetrics(t *testing.T, srv *app.Node, lines ...string) {
	t.Helper()
	resp, err := http.Get("http://" + srv.HTTP + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range lines {
		if !strings.Contains(string(b), want+"\n") {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// poolCall places one sipp call with callID through srv to uas (its
// k-th call), checks that node relays it both ways, releases it, and
// checks node's recording of it: complete, with the tone in both
// channels.
func poolCall(ctx context.Context, t *testing.T, srv *app.Node, uas *Sipp, k int, node *app.MediaNode, dir, callID string) {
	t.Helper()
	sip := srv.Config.Serve.SIPListen
	uac := StartSipp(t, SippConfig{
		Label: "sipp uac " + callID, Scenario: Testdata(t, "sipp", "uac_rtp.xml"), IP: "127.0.0.2",
		Remote: sip, CallID: callID,
		Keys:  map[string]string{"target": sip},
		Files: map[string][]byte{"tone.ulaw": MulawTone(8000, 440, 8000)},
	})
	for {
		st, err := node.Manager.Query(callID, "uactag1", fmt.Sprintf("uastag%d", k), 1)
		if err == nil && st.Legs[0].Relayed >= 75 && st.Legs[1].Relayed >= 75 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: media not relayed both ways on %s: %+v %v (call on %q)", callID, node.Addrs[0], st, err, srv.Pool.NodeOf(callID))
		case <-time.After(50 * time.Millisecond): // counters have no notification; poll
		}
	}
	if got := srv.Pool.NodeOf(callID); got != node.Addrs[0] {
		t.Errorf("%s on %q, want %s", callID, got, node.Addrs[0])
	}
	// The API names the remote node holding the call; its stream
	// counters and recorder are that node's (pause: 501), and this
	// serve has no catalogue of its own (501).
	res, b := apiDo(t, srv, "GET", "/api/calls", e2eAdmin)
	var list api.CallList
	if res.StatusCode != 200 || json.Unmarshal(b, &list) != nil || len(list.Calls) != 1 ||
		list.Calls[0].MediaNode != node.Addrs[0] || len(list.Calls[0].Streams) != 0 {
		t.Errorf("GET /api/calls: %d %s, want the call on %s", res.StatusCode, b, node.Addrs[0])
	}
	if res, b := apiDo(t, srv, "POST", "/api/calls/"+url.PathEscape(callID)+"/record/pause", e2eAdmin); res.StatusCode != 501 {
		t.Errorf("pause on a remote node: %d %s", res.StatusCode, b)
	}
	if res, b := apiDo(t, srv, "GET", "/api/recordings", e2eAdmin); res.StatusCode != 501 {
		t.Errorf("recordings without a local node: %d %s", res.StatusCode, b)
	}
	sendInfo(t, uac, uas, callID)
	if err := uac.Proc.Wait(ctx); err != nil {
		t.Fatalf("sipp uac: %v", err)
	}
	var m *record.Meta
	for m == nil || m.Status == record.StatusRecording {
		matches, _ := filepath.Glob(filepath.Join(dir, "*", "*.json"))
		for _, p := range matches {
			if mm, err := record.ReadMeta(p); err == nil && mm.CallID == callID {
				m = mm
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no finished recording of %s in %s (last %+v)", callID, dir, m)
		case <-time.After(50 * time.Millisecond):
		}
	}
	if m.Status != record.StatusComplete {
		t.Errorf("recording of %s: status %s", callID, m.Status)
	}
	l, r, fm := readStereo(t, &RecordingNode{Dir: dir}, m)
	if fm.Channels != 2 || len(l) < 8000 {
		t.Fatalf("recording %+v with %d samples per channel", fm, len(l))
	}
	if RMS(l) < 500 || RMS(r) < 500 {
		t.Errorf("%s: channel RMS %.0f / %.0f: want the tone in both", callID, RMS(l), RMS(r))
	}
}
