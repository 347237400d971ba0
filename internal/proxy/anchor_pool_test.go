package proxy

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/callrec/callrec/internal/media"
	"github.com/callrec/callrec/internal/nettest"
	"github.com/callrec/callrec/internal/rtpp"
	"github.com/callrec/callrec/internal/sdp"
)

// rtppNode is a real media node (media.Manager behind an rtpp.Server on
// loopback UDP or a UNIX socket) whose control socket can be stopped and
// started again at the same address, as a remote `callrec media` that
// dies and comes back.
type rtppNode struct {
	t      *testing.T
	m      *media.Manager
	min    int
	spec   string // "udp:127.0.0.1:PORT" or "unix:/path"
	addr   string
	cancel context.CancelFunc
	done   chan struct{}
	srv    *rtpp.Server
	pc     net.PacketConn
	ln     net.Listener
}

func startRTPPNode(t *testing.T) *rtppNode { return startRTPPNodeOn(t, "udp") }

// startRTPPNodeOn starts a node controlled over network "udp" or "unix".
func startRTPPNodeOn(t *testing.T, network string) *rtppNode {
	t.Helper()
	min := nettest.FreeUDPRange(t, "127.0.0.1", 256)
	m, err := media.New(media.Config{Listen: netip.MustParseAddr("127.0.0.1"), PortMin: min, PortMax: min + 255, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	n := &rtppNode{t: t, m: m, min: min, addr: "127.0.0.1:0"}
	if network == "unix" {
		// Short path: t.TempDir() may exceed sun_path's 108 bytes.
		dir, err := os.MkdirTemp("", "crpool")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		n.addr = filepath.Join(dir, "ctl.sock")
	}
	n.start()
	if n.pc != nil {
		n.addr = n.pc.LocalAddr().String()
		n.spec = "udp:" + n.addr
	} else {
		n.spec = "unix:" + n.addr
	}
	t.Cleanup(func() {
		n.stop()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		m.Close(ctx)
	})
	return n
}

func (n *rtppNode) start() {
	n.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	n.cancel, n.done = cancel, make(chan struct{})
	n.srv = &rtpp.Server{Handler: &media.Control{M: n.m}}
	if strings.HasPrefix(n.addr, "/") {
		ln, err := net.Listen("unix", n.addr)
		if err != nil {
			n.t.Fatal(err)
		}
		n.ln = ln
		go func() { defer close(n.done); n.srv.Serve(ctx, ln) }()
		return
	}
	pc, err := net.ListenPacket("udp", n.addr)
	if err != nil {
		n.t.Fatal(err)
	}
	n.pc = pc
	go func() { defer close(n.done); n.srv.ServePacket(ctx, pc) }()
}

func (n *rtppNode) stop() {
	if n.done == nil {
		return
	}
	n.cancel()
	n.srv.Close()
	if n.pc != nil {
		n.pc.Close()
	}
	if n.ln != nil {
		n.ln.Close()
	}
	<-n.done
	n.done = nil
}

func (n *rtppNode) calls() int { return n.m.Info().Calls }

// newPool builds a NodePool over the nodes with the given weights,
// checking health every 50 ms, and runs it until the test ends.
func newPool(t *testing.T, nodes []*rtppNode, weights []int) *NodePool {
	t.Helper()
	specs := make([]string, len(nodes))
	for i, n := range nodes {
		specs[i] = n.spec
	}
	return newPoolSpecs(t, specs, weights, time.Second)
}

// newPoolSpecs is newPool over control specs, with timeout per command
// attempt.
func newPoolSpecs(t *testing.T, specs []string, weights []int, timeout time.Duration) *NodePool {
	t.Helper()
	var pn []PoolNode
	for i, spec := range specs {
		a, err := DialRTPPNode(spec, 2, timeout, 2)
		if err != nil {
			t.Fatal(err)
		}
		pn = append(pn, PoolNode{Name: spec, Weight: weights[i], Anchor: a, Ping: a.Ping})
	}
	p, err := NewNodePool(PoolConfig{Nodes: pn, CheckInterval: 50 * time.Millisecond, CheckTimeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); p.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; p.Close() })
	return p
}

// callPreferring returns a Call-ID with prefix whose preferred node is
// name.
func callPreferring(t *testing.T, p *NodePool, prefix, name string) string {
	t.Helper()
	for i := range 1000 {
		id := fmt.Sprintf("%s-%d", prefix, i)
		if p.Preferred(id) == name {
			return id
		}
	}
	t.Fatalf("no Call-ID prefers %s", name)
	return ""
}

// waitUp waits until node i's state is up.
func waitUp(t *testing.T, p *NodePool, i int, up bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for p.Nodes()[i].Up != up {
		if time.Now().After(deadline) {
			t.Fatalf("node %s: up=%v after 5 s, want %v", p.Nodes()[i].Name, !up, up)
		}
		time.Sleep(10 * time.Millisecond) // health is polled; no event to wait on
	}
}

var poolOffer = strings.ReplaceAll(offerSDP, "192.0.2.10", "127.0.0.2")

// offerPort returns the node port the offer's answerer is sent to.
func offerPort(t *testing.T, body []byte) int {
	t.Helper()
	s, err := sdp.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	return s.Media[0].Port
}

// TestNodePoolSpread: new calls spread over the nodes by weight (1:2:3)
// and every call sticks to its node for offer, answer, re-offer and
// delete.
func TestNodePoolSpread(t *testing.T) {
	nodes := []*rtppNode{startRTPPNode(t), startRTPPNode(t), startRTPPNode(t)}
	weights := []int{1, 2, 3}
	p := newPool(t, nodes, weights)

	// The hash spread over many Call-IDs follows the weights.
	count := map[string]int{}
	const many = 20000
	for i := range many {
		count[p.Preferred(fmt.Sprintf("%08x@pbx.example", i*7919))]++
	}
	for i, n := range p.Nodes() {
		share, want := float64(count[n.Name])/many, float64(weights[i])/6
		if math.Abs(share-want) > 0.02 {
			t.Errorf("node %d (weight %d): share %.3f of %d calls, want %.3f±0.02", i, weights[i], share, many, want)
		}
	}

	// Real calls land on their preferred node and stay there.
	ctx := context.Background()
	const calls = 24
	for i := range calls {
		id := fmt.Sprintf("spread-%d", i)
		out, err := p.Offer(ctx, id, "ft", "", []byte(poolOffer))
		if err != nil {
			t.Fatal(err)
		}
		if p.NodeOf(id) != p.Preferred(id) {
			t.Errorf("%s on %s, preferred %s", id, p.NodeOf(id), p.Preferred(id))
		}
		k := nodeIndex(p, p.NodeOf(id))
		if port := offerPort(t, out); port < nodes[k].min || port > nodes[k].min+255 {
			t.Errorf("%s: SDP points at port %d, outside node %d's range", id, port, k)
		}
		if _, err := p.Answer(ctx, id, "ft", "tt", []byte(poolOffer)); err != nil {
			t.Errorf("%s answer: %v", id, err)
		}
		if _, err := p.Offer(ctx, id, "ft", "tt", []byte(poolOffer)); err != nil {
			t.Errorf("%s re-offer: %v", id, err)
		}
	}
	total := 0
	for i, n := range nodes {
		st := p.Nodes()[i]
		if n.calls() != int(st.Calls) || st.Offers != uint64(st.Calls) {
			t.Errorf("node %d holds %d calls, pool says %d (offers %d)", i, n.calls(), st.Calls, st.Offers)
		}
		total += n.calls()
	}
	if total != calls {
		t.Errorf("%d calls on the nodes, want %d (re-offers must not create calls elsewhere)", total, calls)
	}
	for i := range calls {
		if err := p.Delete(ctx, fmt.Sprintf("spread-%d", i), "ft", "tt"); err != nil {
			t.Errorf("delete: %v", err)
		}
	}
	for i, n := range nodes {
		if n.calls() != 0 || p.Nodes()[i].Calls != 0 {
			t.Errorf("node %d: %d calls left after delete (pool %d)", i, n.calls(), p.Nodes()[i].Calls)
		}
	}
}

func nodeIndex(p *NodePool, name string) int {
	for i, n := range p.Nodes() {
		if n.Name == name {
			return i
		}
	}
	return -1
}

// TestNodePoolFailover: a node stopped mid-test fails its new calls over
// to the other node and is marked down; a call it held is not moved;
// when it is restarted the health check brings it back, and a call that
// failed over stays on the node it was placed on.
func TestNodePoolFailover(t *testing.T) {
	for _, network := range []string{"udp", "unix"} {
		t.Run(network, func(t *testing.T) { testNodePoolFailover(t, network) })
	}
}

func testNodePoolFailover(t *testing.T, network string) {
	a, b := startRTPPNodeOn(t, network), startRTPPNodeOn(t, network)
	p := newPool(t, []*rtppNode{a, b}, []int{1, 1})
	ctx := context.Background()
	nameA, nameB := p.Nodes()[0].Name, p.Nodes()[1].Name

	held := callPreferring(t, p, "held", nameA)
	if _, err := p.Offer(ctx, held, "ft", "", []byte(poolOffer)); err != nil || p.NodeOf(held) != nameA {
		t.Fatalf("call before the failure: node %q, %v", p.NodeOf(held), err)
	}

	a.stop()
	// The first new call for A finds it dead on offer (before any health
	// check noticed) and goes to B.
	moved := callPreferring(t, p, "moved", nameA)
	if _, err := p.Offer(ctx, moved, "ft", "", []byte(poolOffer)); err != nil {
		t.Fatalf("offer with A stopped: %v", err)
	}
	if p.NodeOf(moved) != nameB || b.calls() != 1 {
		t.Fatalf("call went to %q (B holds %d calls), want B", p.NodeOf(moved), b.calls())
	}
	waitUp(t, p, 0, false)
	if f := p.Nodes()[0].Failures; f == 0 {
		t.Errorf("A counts no failures")
	}
	for i := range 10 {
		id := callPreferring(t, p, fmt.Sprintf("later%d", i), nameA)
		if _, err := p.Offer(ctx, id, "ft", "", []byte(poolOffer)); err != nil || p.NodeOf(id) != nameB {
			t.Fatalf("new call with A down: node %q, %v", p.NodeOf(id), err)
		}
		p.Delete(ctx, id, "ft", "")
	}
	// The call A held is not moved: its re-INVITE fails.
	if _, err := p.Offer(ctx, held, "ft", "tt", []byte(poolOffer)); !errors.Is(err, ErrNodeDown) {
		t.Errorf("re-offer of a call on the dead node: %v, want ErrNodeDown", err)
	}
	if p.NodeOf(held) != nameA || b.calls() != 1 {
		t.Errorf("held call moved to %q", p.NodeOf(held))
	}

	a.start()
	waitUp(t, p, 0, true)
	// The failed-over call stays on B for its re-INVITE and BYE.
	if _, err := p.Offer(ctx, moved, "ft", "tt", []byte(poolOffer)); err != nil || p.NodeOf(moved) != nameB {
		t.Errorf("re-offer after A's return: node %q, %v", p.NodeOf(moved), err)
	}
	if a.calls() != 1 || b.calls() != 1 {
		t.Errorf("A holds %d, B %d calls: want the held call on A and the moved one on B", a.calls(), b.calls())
	}
	if err := p.Delete(ctx, moved, "ft", "tt"); err != nil || b.calls() != 0 {
		t.Errorf("delete reached B: %v, B holds %d", err, b.calls())
	}
	// New calls go to A again, and the call it held is reachable.
	fresh := callPreferring(t, p, "fresh", nameA)
	if _, err := p.Offer(ctx, fresh, "ft", "", []byte(poolOffer)); err != nil || p.NodeOf(fresh) != nameA {
		t.Errorf("new call after A's return: node %q, %v", p.NodeOf(fresh), err)
	}
	if err := p.Delete(ctx, held, "ft", "tt"); err != nil {
		t.Errorf("delete of the held call: %v", err)
	}
}

// TestNodePoolHungNode: a node that takes commands but never answers
// (a hung process, a lost network) costs a new call one timeout, then is
// marked down; the call and the ones after it go to the other node.
func TestNodePoolHungNode(t *testing.T) {
	hung, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hung.Close()
	b := startRTPPNode(t)
	p := newPoolSpecs(t, []string{"udp:" + hung.LocalAddr().String(), b.spec}, []int{1, 1}, 200*time.Millisecond)
	ctx := context.Background()
	for i := range 5 {
		id := callPreferring(t, p, fmt.Sprintf("hung%d", i), p.Nodes()[0].Name)
		start := time.Now()
		if _, err := p.Offer(ctx, id, "ft", "", []byte(poolOffer)); err != nil || p.NodeOf(id) != b.spec {
			t.Fatalf("call %d: node %q, %v", i, p.NodeOf(id), err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("call %d took %v to fail over", i, d)
		}
	}
	if st := p.Nodes()[0]; st.Up || st.Failures == 0 || st.Calls != 0 {
		t.Errorf("hung node %+v: want down, failures counted, no calls", st)
	}
	if b.calls() != 5 {
		t.Errorf("B holds %d calls, want 5", b.calls())
	}
}

// TestNodePoolAllDown: with every node stopped, a call goes through the
// proxy unanchored and is counted (fail-open), or is refused with 503
// (fail-closed); the pool's metrics say so.
func TestNodePoolAllDown(t *testing.T) {
	for _, closed := range []bool{false, true} {
		t.Run(fmt.Sprintf("failclosed=%v", closed), func(t *testing.T) {
			// Two nodes that never answer, their sockets held for the
			// whole test: a stopped node's port could be taken by a
			// node of a test running meanwhile, whose answers to the
			// health checks would bring it back up.
			var specs []string
			for range 2 {
				hung, err := net.ListenPacket("udp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { hung.Close() })
				specs = append(specs, "udp:"+hung.LocalAddr().String())
			}
			p := newPoolSpecs(t, specs, []int{1, 1}, 200*time.Millisecond)
			uas := newPeer(t)
			r, _ := NewStaticRouter([]StaticRule{{Destination: "sip:" + uas.addr()}})
			s := startServer(t, Config{Router: r, Anchor: p, FailClosed: closed})
			uac := newPeer(t)
			body := sdpBody("127.0.0.2", 4000, "")
			uac.send(s.Addr("udp"), withSDP(inviteFrom(uac, "sip:bob@"+s.Addr("udp"), "alldown", ""), body))
			if closed {
				uac.expect("SIP/2.0 503")
			} else {
				inv := uas.expect("INVITE").(*sip.Request)
				if string(inv.Body()) != body {
					t.Errorf("fail-open changed the body:\n%s", inv.Body())
				}
				uas.reply(inv, 486, "Busy Here", "u")
				uac.expect("SIP/2.0 486")
			}
			if n := s.Stats().AnchorFailures; n != 1 {
				t.Errorf("AnchorFailures = %d, want 1", n)
			}
			reg := prometheus.NewPedanticRegistry()
			reg.MustRegister(NewPoolCollector(p))
			fams, err := reg.Gather()
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]float64{}
			for _, f := range fams {
				for _, m := range f.GetMetric() {
					v := m.GetGauge().GetValue() + m.GetCounter().GetValue()
					got[f.GetName()] += v
				}
			}
			if got["callrec_proxy_media_unavailable_total"] != 1 || got["callrec_proxy_media_nodes_up"] != 0 ||
				got["callrec_proxy_media_node_up"] != 0 || got["callrec_proxy_media_node_failures_total"] < 2 {
				t.Errorf("metrics %v: want 1 unavailable, no node up, a failure per node", got)
			}
		})
	}
}

// TestNodePoolAnchoredCall: a call through the proxy is anchored on the
// live node while its preferred node is down, and its BYE deletes it
// there.
func TestNodePoolAnchoredCall(t *testing.T) {
	a, b := startRTPPNode(t), startRTPPNode(t)
	p := newPool(t, []*rtppNode{a, b}, []int{1, 1})
	a.stop()
	uas := newPeer(t)
	r, _ := NewStaticRouter([]StaticRule{{Destination: "sip:" + uas.addr()}})
	s := startServer(t, Config{Router: r, Anchor: p, FailClosed: true})
	uac := newPeer(t)
	id := callPreferring(t, p, "sip", p.Nodes()[0].Name)
	uac.send(s.Addr("udp"), withSDP(inviteFrom(uac, "sip:bob@"+s.Addr("udp"), id, ""), sdpBody("127.0.0.2", 4000, "")))
	inv := uas.expect("INVITE").(*sip.Request)
	if port := offerPort(t, inv.Body()); port < b.min || port > b.min+255 {
		t.Errorf("INVITE SDP port %d, want B's range %d-%d", port, b.min, b.min+255)
	}
	if p.NodeOf(id) != p.Nodes()[1].Name || b.calls() != 1 {
		t.Fatalf("call on %q, B holds %d calls", p.NodeOf(id), b.calls())
	}
	uas.reply(inv, 486, "Busy Here", "u")
	uac.expect("SIP/2.0 486")
	deadline := time.Now().Add(5 * time.Second)
	for b.calls() != 0 || p.NodeOf(id) != "" {
		if time.Now().After(deadline) {
			t.Fatalf("failed call not deleted on B (%d calls) or still pinned to %q", b.calls(), p.NodeOf(id))
		}
		time.Sleep(10 * time.Millisecond) // the delete runs after the 486 is relayed
	}
}

// TestNodePoolLocate: a pool that did not place a call (the proxy
// restarted) finds it by asking the nodes (Q), so the re-INVITE and BYE
// of a call that had failed over reach the node holding it, not the one
// its hash prefers.
func TestNodePoolLocate(t *testing.T) {
	a, b := startRTPPNode(t), startRTPPNode(t)
	ctx := context.Background()
	first := newPool(t, []*rtppNode{a, b}, []int{1, 1})
	id := callPreferring(t, first, "restart", a.spec)
	a.stop()
	if _, err := first.Offer(ctx, id, "ft", "", []byte(poolOffer)); err != nil || first.NodeOf(id) != b.spec {
		t.Fatalf("call placed on %q, %v; want B", first.NodeOf(id), err)
	}
	if _, err := first.Answer(ctx, id, "ft", "tt", []byte(poolOffer)); err != nil {
		t.Fatal(err)
	}
	a.start()

	second := newPool(t, []*rtppNode{a, b}, []int{1, 1})
	// The callee's re-INVITE: tags swapped.
	if _, err := second.Offer(ctx, id, "tt", "ft", []byte(poolOffer)); err != nil || second.NodeOf(id) != b.spec {
		t.Fatalf("re-INVITE after restart on %q, %v; want B", second.NodeOf(id), err)
	}
	if a.calls() != 0 || b.calls() != 1 {
		t.Errorf("A holds %d, B %d calls: the re-INVITE created a session on A", a.calls(), b.calls())
	}
	third := newPool(t, []*rtppNode{a, b}, []int{1, 1})
	if err := third.Delete(ctx, id, "ft", "tt"); err != nil || b.calls() != 0 {
		t.Errorf("BYE after restart: %v, B holds %d calls", err, b.calls())
	}
}

// BenchmarkNodePoolPick measures choosing a new call's node among three
// by weighted rendezvous hash (what every new call pays on top of the
// nodes' round trips).
func BenchmarkNodePoolPick(b *testing.B) {
	var nodes []PoolNode
	for i := range 3 {
		nodes = append(nodes, PoolNode{Name: fmt.Sprintf("udp:10.0.0.%d:22222", i+1), Weight: i + 1, Anchor: failingAnchor{}})
	}
	p, err := NewNodePool(PoolConfig{Nodes: nodes})
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]string, 1024)
	for i := range ids {
		ids[i] = fmt.Sprintf("%08x-%04x@pbx.example", i*2654435761, i)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_ = p.Preferred(ids[i&1023])
		i++
	}
}
