package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/callrec/callrec/internal/rtpp"
)

// PoolNode is one media node of a NodePool.
type PoolNode struct {
	// Name identifies the node in logs and metrics ("udp:10.0.0.5:22222",
	// "local") and seeds its hash: renaming a node moves its calls'
	// preference.
	Name string
	// Weight is the node's share of new calls relative to the others
	// (at least 1).
	Weight int
	// Anchor signals the node (RTPPNode, ManagerAnchor).
	Anchor Anchor
	// Ping checks that the node answers (RTPPNode.Ping sends V). Nil: the
	// node is always up (the in-process node).
	Ping func(ctx context.Context) error
}

// PoolConfig configures a NodePool. Zero values are documented per field.
type PoolConfig struct {
	// Nodes are the media nodes (1 to 64).
	Nodes []PoolNode
	// CheckInterval is how often every node with a Ping is checked; a
	// node that fails is skipped for new calls until a check answers.
	// Zero: 2 s.
	CheckInterval time.Duration
	// CheckTimeout bounds one check. Zero: 1 s.
	CheckTimeout time.Duration
	// AlarmInterval: at most one ERROR line per interval says that no
	// node answers (the calls are counted, not logged). Zero: 10 s.
	AlarmInterval time.Duration
	// MaxCallAge forgets a call's node when the call was never deleted
	// (a lost BYE that the proxy's DialogTimeout did not catch). Zero:
	// 24 h.
	MaxCallAge time.Duration
	// Logger receives node up/down transitions and the alarm. Nil:
	// discard.
	Logger *slog.Logger
}

// NodePool is an Anchor over several media nodes, the way Kamailio's
// rtpproxy sets spread calls, with different choices:
//
//   - A new call's node is chosen by weighted rendezvous hashing of its
//     Call-ID (each node scores weight/-ln(hash(Call-ID, node)) and the
//     best live one wins): every message of a call finds the same node,
//     the spread follows the weights, and a node that goes away moves
//     only its own share. The next best score is the call's failover
//     node.
//   - The choice is remembered per Call-ID from the first successful
//     offer until Delete, so re-INVITE, UPDATE, answers, R and BYE reach
//     the node that holds the call even after weights or health change.
//     An in-dialog offer, answer or delete of a call the pool did not
//     place (the proxy restarted) asks the live nodes with Q (Locator)
//     before falling back to the hash.
//   - A node that times out or fails at the transport level is marked
//     down at once and skipped; Run's health checks (V) mark it up again
//     when it answers. A new call whose node fails is offered to the
//     next live node; a call in progress is never moved (its node holds
//     its ports and recording): its signalling fails and the proxy
//     applies fail-open or fail-closed.
//   - When no node answers a new call, Offer fails with ErrNoMediaNode,
//     the call is counted (Unavailable) and an ERROR line is logged at
//     most once per AlarmInterval.
//
// A NodePool is safe for concurrent use. Run owns the health-check
// goroutines; Close closes the nodes' anchors that are io.Closers.
type NodePool struct {
	cfg   PoolConfig
	log   *slog.Logger
	nodes []*poolNode

	mu   sync.Mutex
	pins map[string]pin // Call-ID -> node

	unavailable atomic.Uint64
	alarmMu     sync.Mutex
	lastAlarm   time.Time
	suppressed  int
}

type poolNode struct {
	PoolNode
	seed             uint64
	up               atomic.Bool
	offers, failures atomic.Uint64
	calls            atomic.Int64
}

type pin struct {
	node    int
	created time.Time
}

// NewNodePool checks cfg and returns a pool whose nodes start up (the
// first failure or check marks them down).
func NewNodePool(cfg PoolConfig) (*NodePool, error) {
	if len(cfg.Nodes) == 0 || len(cfg.Nodes) > 64 {
		return nil, fmt.Errorf("proxy: node pool: %d nodes, want 1 to 64", len(cfg.Nodes))
	}
	if cfg.CheckInterval <= 0 {
		cfg.CheckInterval = 2 * time.Second
	}
	if cfg.CheckTimeout <= 0 {
		cfg.CheckTimeout = time.Second
	}
	if cfg.AlarmInterval <= 0 {
		cfg.AlarmInterval = 10 * time.Second
	}
	if cfg.MaxCallAge <= 0 {
		cfg.MaxCallAge = 24 * time.Hour
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	p := &NodePool{cfg: cfg, log: log, pins: make(map[string]pin)}
	seen := map[string]bool{}
	for i, n := range cfg.Nodes {
		if n.Anchor == nil || n.Weight < 1 || n.Name == "" || seen[n.Name] {
			return nil, fmt.Errorf("proxy: node pool: node %d %q: want a unique name, an Anchor and weight >= 1", i, n.Name)
		}
		seen[n.Name] = true
		pn := &poolNode{PoolNode: n, seed: mix64(hashString(n.Name))}
		pn.up.Store(true)
		p.nodes = append(p.nodes, pn)
	}
	return p, nil
}

// hashString is 64-bit FNV-1a: stable across processes and versions, so
// a restarted proxy prefers the same node for a call.
func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// mix64 is the splitmix64 finalizer: FNV's low bits are poor on their
// own.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// pick returns the index of the best-scoring node for a Call-ID hash
// among those not in skip (and, with live, up), or -1.
func (p *NodePool) pick(h uint64, skip uint64, live bool) int {
	best, bestScore := -1, 0.0
	for i, n := range p.nodes {
		if skip&(1<<i) != 0 || live && !n.up.Load() {
			continue
		}
		// u in (0,1); -ln(u) is exponential, so weight/-ln(u) wins with
		// probability weight/sum(weights).
		u := (float64(mix64(h^n.seed)>>11) + 0.5) / (1 << 53)
		if s := float64(n.Weight) / -math.Log(u); best < 0 || s > bestScore {
			best, bestScore = i, s
		}
	}
	return best
}

// Preferred returns the name of the node the hash gives callID when
// every node is up (health and earlier choices aside).
func (p *NodePool) Preferred(callID string) string {
	return p.nodes[p.pick(hashString(callID), 0, false)].Name
}

// NodeOf returns the name of the node holding callID, "" when none.
func (p *NodePool) NodeOf(callID string) string {
	if n := p.pinned(callID); n != nil {
		return n.Name
	}
	return ""
}

func (p *NodePool) pinned(callID string) *poolNode {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pn, ok := p.pins[callID]; ok {
		return p.nodes[pn.node]
	}
	return nil
}

// callNode is the node for an existing call's signalling: its pinned
// node, else the live node that has the call's streams (a call anchored
// before this process started, see locate), else the one the hash
// prefers.
func (p *NodePool) callNode(ctx context.Context, callID, fromTag, toTag string) *poolNode {
	if n := p.pinned(callID); n != nil {
		return n
	}
	if n := p.locate(ctx, callID, fromTag, toTag); n != nil {
		return n
	}
	return p.nodes[p.pick(hashString(callID), 0, false)]
}

// Locator is implemented by anchors that can tell whether the node has a
// call's streams (rtpproxy Q), so that a NodePool finds calls it did not
// place: those of an earlier process, whose re-INVITE or BYE arrives
// after a restart.
type Locator interface {
	Has(ctx context.Context, callID, fromTag, toTag string) (bool, error)
}

// locate asks the live nodes, best hash score first, whether they have
// the call, and pins it to the first that does. Only in-dialog requests
// of calls the pool does not know pay for it.
func (p *NodePool) locate(ctx context.Context, callID, fromTag, toTag string) *poolNode {
	h := hashString(callID)
	var tried uint64
	for i := p.pick(h, tried, true); i >= 0; i = p.pick(h, tried, true) {
		tried |= 1 << i
		n := p.nodes[i]
		l, ok := n.Anchor.(Locator)
		if !ok {
			continue
		}
		if has, err := l.Has(ctx, callID, fromTag, toTag); err == nil && has {
			p.pinTo(callID, i)
			return p.pinned(callID)
		}
	}
	return nil
}

// Offer implements Anchor. A call already placed goes to its node; a new
// call to the best live node, then the next ones while they fail.
func (p *NodePool) Offer(ctx context.Context, callID, fromTag, toTag string, body []byte) ([]byte, error) {
	n := p.pinned(callID)
	if n == nil && toTag != "" {
		n = p.locate(ctx, callID, fromTag, toTag) // a re-INVITE after a restart
	}
	if n != nil {
		if !n.up.Load() {
			n.failures.Add(1)
			return nil, fmt.Errorf("%w: %s holds call %s", ErrNodeDown, n.Name, callID)
		}
		out, err := n.Anchor.Offer(ctx, callID, fromTag, toTag, body)
		if err != nil {
			p.failed(n, err)
		}
		return out, err
	}
	h := hashString(callID)
	var tried uint64
	var errs []error
	for i := p.pick(h, tried, true); i >= 0; i = p.pick(h, tried, true) {
		tried |= 1 << i
		n := p.nodes[i]
		out, err := n.Anchor.Offer(ctx, callID, fromTag, toTag, body)
		if err == nil {
			n.offers.Add(1)
			p.pinTo(callID, i)
			return out, nil
		}
		if errors.Is(err, ErrBadSDP) || ctx.Err() != nil {
			return nil, err // no other node would do better
		}
		p.failed(n, err)
		errs = append(errs, fmt.Errorf("%s: %w", n.Name, err))
		var re *rtpp.Error
		if n.Ping == nil || errors.As(err, &re) {
			// The node answered: free what an earlier m= line of this
			// offer may have created there.
			_ = n.Anchor.Delete(ctx, callID, fromTag, toTag)
		}
	}
	p.unavailable.Add(1)
	p.alarm(len(errs))
	if len(errs) == 0 {
		return nil, fmt.Errorf("%w: all %d nodes down", ErrNoMediaNode, len(p.nodes))
	}
	return nil, fmt.Errorf("%w: %w", ErrNoMediaNode, errors.Join(errs...))
}

// Answer implements Anchor on the call's node.
func (p *NodePool) Answer(ctx context.Context, callID, fromTag, toTag string, body []byte) ([]byte, error) {
	n := p.callNode(ctx, callID, fromTag, toTag)
	if !n.up.Load() {
		n.failures.Add(1)
		return nil, fmt.Errorf("%w: %s holds call %s", ErrNodeDown, n.Name, callID)
	}
	out, err := n.Anchor.Answer(ctx, callID, fromTag, toTag, body)
	if err != nil {
		p.failed(n, err)
	}
	return out, err
}

// Delete implements Anchor on the call's node and forgets the call. A
// node that is down is not asked (its sessions time out there). A call
// no live node has (never anchored: fail-open) is nothing to delete.
func (p *NodePool) Delete(ctx context.Context, callID, fromTag, toTag string) error {
	n := p.pinned(callID)
	if n == nil {
		if n = p.locate(ctx, callID, fromTag, toTag); n == nil {
			return nil
		}
	}
	p.unpin(callID)
	if !n.up.Load() {
		return fmt.Errorf("%w: %s holds call %s", ErrNodeDown, n.Name, callID)
	}
	err := n.Anchor.Delete(ctx, callID, fromTag, toTag)
	if err != nil {
		p.failed(n, err)
	}
	return err
}

// Record implements Recorder on the call's node, when its Anchor records.
func (p *NodePool) Record(ctx context.Context, c Call, d Decision) error {
	return p.recorder(ctx, c, func(r Recorder) error { return r.Record(ctx, c, d) })
}

// StopRecord implements Recorder on the call's node.
func (p *NodePool) StopRecord(ctx context.Context, c Call) error {
	return p.recorder(ctx, c, func(r Recorder) error { return r.StopRecord(ctx, c) })
}

func (p *NodePool) recorder(ctx context.Context, c Call, f func(Recorder) error) error {
	n := p.callNode(ctx, c.CallID, c.FromTag, c.ToTag)
	r, ok := n.Anchor.(Recorder)
	if !ok {
		return fmt.Errorf("proxy: media node %s cannot record", n.Name)
	}
	err := f(r)
	if err != nil {
		p.failed(n, err)
	}
	return err
}

func (p *NodePool) pinTo(callID string, node int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.pins[callID]; !ok {
		p.pins[callID] = pin{node: node, created: time.Now()}
		p.nodes[node].calls.Add(1)
	}
}

func (p *NodePool) unpin(callID string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pn, ok := p.pins[callID]; ok {
		delete(p.pins, callID)
		p.nodes[pn.node].calls.Add(-1)
	}
}

// failed counts a failed command and marks the node down when the
// failure says it is unreachable (not when it answered with an error,
// such as E71 ports exhausted, or the request was cancelled).
func (p *NodePool) failed(n *poolNode, err error) {
	n.failures.Add(1)
	var re *rtpp.Error
	if n.Ping == nil || errors.As(err, &re) || errors.Is(err, ErrBadSDP) || errors.Is(err, context.Canceled) {
		return
	}
	p.setUp(n, false, err)
}

func (p *NodePool) setUp(n *poolNode, up bool, err error) {
	if !n.up.CompareAndSwap(!up, up) {
		return
	}
	if up {
		p.log.Info("media node up", "node", n.Name)
		return
	}
	p.log.Warn("media node down: no new calls until it answers", "node", n.Name, "err", err, "nodes_up", p.upCount())
}

func (p *NodePool) upCount() int {
	k := 0
	for _, n := range p.nodes {
		if n.up.Load() {
			k++
		}
	}
	return k
}

// alarm logs, at most once per AlarmInterval, that new calls found no
// media node; the calls in between are summed into the next line.
func (p *NodePool) alarm(tried int) {
	p.alarmMu.Lock()
	defer p.alarmMu.Unlock()
	p.suppressed++
	if now := time.Now(); now.Sub(p.lastAlarm) >= p.cfg.AlarmInterval {
		p.log.Error("no media node answers: new calls are not anchored nor recorded (or refused when fail-closed)",
			"calls", p.suppressed, "nodes", len(p.nodes), "nodes_up", p.upCount(), "tried", tried)
		p.lastAlarm, p.suppressed = now, 0
	}
}

// Run checks every node with a Ping each CheckInterval until ctx ends,
// and forgets calls older than MaxCallAge. Its goroutines (one per node
// during a round of checks) have ended when it returns.
func (p *NodePool) Run(ctx context.Context) {
	t := time.NewTicker(p.cfg.CheckInterval)
	defer t.Stop()
	for {
		p.checkAll(ctx)
		p.sweep(time.Now().Add(-p.cfg.MaxCallAge))
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (p *NodePool) checkAll(ctx context.Context) {
	var wg sync.WaitGroup
	for _, n := range p.nodes {
		if n.Ping == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, p.cfg.CheckTimeout)
			err := n.Ping(cctx)
			cancel()
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				n.failures.Add(1)
			}
			p.setUp(n, err == nil, err)
		}()
	}
	wg.Wait()
}

func (p *NodePool) sweep(before time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for id, pn := range p.pins {
		if pn.created.Before(before) {
			delete(p.pins, id)
			p.nodes[pn.node].calls.Add(-1)
		}
	}
}

// Close closes the nodes' anchors that implement io.Closer. Stop Run
// first.
func (p *NodePool) Close() error {
	var errs []error
	for _, n := range p.nodes {
		if c, ok := n.Anchor.(io.Closer); ok {
			errs = append(errs, c.Close())
		}
	}
	return errors.Join(errs...)
}

// NodeStatus is one node's state, for metrics and status pages.
type NodeStatus struct {
	Name     string
	Weight   int
	Up       bool
	Offers   uint64 // new calls placed on the node
	Failures uint64 // commands and health checks that failed, and commands not sent because the node was down
	Calls    int64  // calls the node holds now
}

// Nodes returns every node's status, in configuration order.
func (p *NodePool) Nodes() []NodeStatus {
	out := make([]NodeStatus, len(p.nodes))
	for i, n := range p.nodes {
		out[i] = NodeStatus{Name: n.Name, Weight: n.Weight, Up: n.up.Load(),
			Offers: n.offers.Load(), Failures: n.failures.Load(), Calls: n.calls.Load()}
	}
	return out
}

// Unavailable returns how many new calls found no media node answering.
func (p *NodePool) Unavailable() uint64 { return p.unavailable.Load() }
