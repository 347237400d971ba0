package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/callrec/callrec/internal/api"
	"github.com/callrec/callrec/internal/asr"
	"github.com/callrec/callrec/internal/catalog"
	"github.com/callrec/callrec/internal/config"
	"github.com/callrec/callrec/internal/media"
	"github.com/callrec/callrec/internal/proxy"
	"github.com/callrec/callrec/internal/record"
	"github.com/callrec/callrec/internal/ship"
	"github.com/callrec/callrec/internal/store"
	"github.com/callrec/callrec/internal/webui"
)

// Node is `callrec serve`: the SIP proxy with its database, the media
// node and the recorder in one process.
type Node struct {
	Store *store.Store
	// Media is the in-process media node; nil when serve.media_nodes
	// lists only remote nodes.
	Media *MediaNode
	// Pool spreads calls over serve.media_nodes; nil when none are
	// configured (calls go to Media directly).
	Pool  *proxy.NodePool
	Proxy *proxy.Server
	// Catalog is the recordings catalogue, kept by Indexer from the
	// in-process node's recordings directory (nil without one).
	Catalog *catalog.Catalog
	Indexer *catalog.Indexer
	// Events fans the keyword detections of the local node, and those
	// remote media nodes post to POST /api/events, out to GET
	// /api/events (and to callrec demo's printout).
	Events *asr.Broker
	// Shipper delivers recordings to storage.kind (nil for local).
	Shipper *ship.Shipper
	HTTP    string // bound address of the metrics/health listener
	// Metrics is the registry /metrics serves.
	Metrics *prometheus.Registry
	Config  config.Config

	stopIndexer context.CancelFunc
	ixDone      chan struct{}
	log         *slog.Logger
	http        *http.Server
	cancel      context.CancelFunc
	wg          sync.WaitGroup
}

// StartServe builds and starts everything from c, in order: database,
// media node and recorder, proxy, HTTP. Every listener is bound when it
// returns. Close stops them in reverse order.
func StartServe(ctx context.Context, c config.Config, log *slog.Logger) (*Node, error) {
	s := c.Serve
	if err := os.MkdirAll(s.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("app: data dir: %w", err)
	}
	n := &Node{Config: c, log: log}
	sm := newServeMetrics()
	ctx, n.cancel = context.WithCancel(ctx)
	fail := func(err error) (*Node, error) {
		n.Close(context.Background())
		return nil, err
	}
	dsn := s.Database
	if dsn == "" {
		dsn = "sqlite:" + filepath.Join(s.DataDir, "callrec.db")
	}
	var err error
	if n.Store, err = store.Open(ctx, dsn); err != nil {
		return fail(err)
	}

	local := len(s.MediaNodes) == 0
	for _, mn := range s.MediaNodes {
		local = local || mn.Address == "local"
	}
	m := c.Media
	if m.RecordDir == "" {
		m.RecordDir = filepath.Join(s.DataDir, "recordings")
	}
	// The in-process node needs no control socket for the proxy, but one
	// lets Kamailio or the bench drive the same node.
	if len(m.Control) == 1 && m.Control[0] == config.Default().Media.Control[0] {
		m.Control = []string{"unix:" + filepath.Join(s.DataDir, "media.sock")}
	}
	m.Metrics = "" // served below, with the proxy's
	// Keywords spotted live by the local media node, and posted by
	// remote ones (their asr.webhook), for GET /api/events.
	n.Events = asr.NewBroker(asr.BrokerConfig{})
	apiCfg := api.Config{Store: n.Store, HoldLabel: c.Retention.HoldLabel, Logger: log.With("component", "api"), Events: n.Events}
	if local {
		// The catalogue indexes the in-process node's recordings as
		// the recorder writes their sidecars; a shipper delivers them
		// when they live elsewhere.
		if n.Catalog, err = catalog.Open(ctx, n.Store); err != nil {
			return fail(err)
		}
		n.Catalog.Observe = sm.observeDB
		target, err := storageTarget(ctx, c.Storage, n.Store)
		if err != nil {
			return fail(err)
		}
		host, _ := os.Hostname()
		n.Indexer = catalog.NewIndexer(n.Catalog, m.RecordDir, cmp.Or(host, "local"), log.With("component", "catalog"))
		hook := n.Indexer.Notify
		var bgCtx context.Context
		bgCtx, n.stopIndexer = context.WithCancel(context.Background())
		n.ixDone = make(chan struct{})
		var shipDone chan struct{}
		if target != nil {
			if n.Shipper, err = ship.New(ship.Config{Dir: m.RecordDir, Target: target, Interval: c.Storage.Interval.Std(),
				KeepLocal: c.Storage.KeepLocal, OnShipped: n.Indexer.Notify, Logger: log.With("component", "ship")}); err != nil {
				return fail(err)
			}
			hook = func(p string) { n.Indexer.Notify(p); n.Shipper.Notify(p) }
			shipDone = make(chan struct{})
			go func() { defer close(shipDone); n.Shipper.Run(bgCtx) }()
		}
		go func() {
			defer close(n.ixDone)
			n.Indexer.Run(bgCtx)
			if shipDone != nil {
				<-shipDone
				closeTarget(target)
			}
		}()
		if r := c.Retention; len(r.Rules) > 0 || r.MaxBytes > 0 {
			n.wg.Add(1)
			go func() { defer n.wg.Done(); n.purge(ctx, r, catalog.FileRemover(m.RecordDir, target)) }()
		}
		if n.Media, err = StartMedia(ctx, m, log, WithSidecarHook(hook), WithASR(c.ASR, n.Events)); err != nil {
			return fail(err)
		}
		apiCfg.Catalog, apiCfg.Audio, apiCfg.Remove = n.Catalog, apiAudio(m.RecordDir, target), catalog.FileRemover(m.RecordDir, target)
	}
	var anchor proxy.Anchor
	if len(s.MediaNodes) == 0 {
		anchor = n.localAnchor()
	} else {
		if n.Pool, err = n.startPool(ctx, s); err != nil {
			return fail(err)
		}
		anchor = n.Pool
	}

	anchor = timeAnchor(anchor, sm.anchor)
	locs := storeLocations{s: n.Store, lookup: sm.db.WithLabelValues("location_lookup"),
		bind: sm.db.WithLabelValues("location_bind"), unbind: sm.db.WithLabelValues("location_unbind")}
	routes := storeRouter{c: store.NewCache(n.Store, store.CacheOptions{}), match: sm.db.WithLabelValues("route_match")}
	var static []proxy.StaticRule
	for _, r := range s.Routes {
		static = append(static, proxy.StaticRule{Prefix: r.Prefix, Destination: r.Destination, Priority: r.Priority})
	}
	sr, err := proxy.NewStaticRouter(static)
	if err != nil {
		return fail(err)
	}
	policy, err := recordingPolicy(s)
	if err != nil {
		return fail(err)
	}
	for i, r := range s.Recording.Rules {
		if len(r.Keywords) > 0 {
			if err := keywordCheck(c.ASR)(r.Keywords); err != nil {
				return fail(fmt.Errorf("app: serve.recording.rules[%d].keywords: %w", i, err))
			}
		}
	}
	apiCfg.CheckKeywords = keywordCheck(c.ASR)
	if s.EventsSecret != "" {
		apiCfg.EventsSecret = []byte(s.EventsSecret)
	}
	tlsServer, tlsClient, err := serveTLS(s)
	if err != nil {
		return fail(err)
	}
	n.Proxy, err = proxy.New(proxy.Config{
		UDP: s.SIPListen, TCP: s.SIPListen,
		TLS: s.SIPTLSListen, TLSConfig: tlsServer, ClientTLSConfig: tlsClient,
		InviteTimeout: s.InviteTimeout.Std(), StreamIdleTimeout: s.StreamIdleTimeout.Std(),
		Router:    proxy.Chain{proxy.LocationRouter{Locations: locs}, routes, sr},
		Locations: locs, Anchor: anchor, AnchorOnRecord: s.Anchor == "on_record",
		FailClosed: s.FailClosed, Recording: policy.RecordingPolicy(), Logger: log, // proxy.New adds component=proxy
		Auth: serveAuth(s, n.Store),
	})
	if err != nil {
		return fail(err)
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		if err := n.Proxy.Serve(ctx); err != nil && !errors.Is(err, proxy.ErrClosed) && ctx.Err() == nil {
			log.Error("proxy stopped", "err", err)
		}
	}()

	reg := prometheus.NewRegistry()
	n.Metrics = reg
	reg.MustRegister(sm.collectors()...)
	reg.MustRegister(proxy.NewCollector(n.Proxy),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(ship.NewCollector(n.Shipper), n.Events.Collector())
	if n.Media != nil {
		reg.MustRegister(media.NewCollector(n.Media.Manager), n.Media.commands)
		if n.Media.Recorder != nil {
			reg.MustRegister(record.NewCollector(n.Media.Recorder))
		}
		if n.Media.ASR != nil {
			reg.MustRegister(n.Media.ASR.Collectors()...)
		}
		if n.Media.Webhook != nil {
			reg.MustRegister(n.Media.Webhook.Collector())
		}
	}
	if n.Pool != nil {
		reg.MustRegister(proxy.NewPoolCollector(n.Pool))
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	apiCfg.Calls = n.Proxy
	am := apiMedia{pool: n.Pool}
	if n.Media != nil {
		am.m, am.rec = n.Media.Manager, n.Media.Recorder
	}
	apiCfg.Media = am
	if apiCfg.Auth, err = apiAuth(s.DataDir, s.APITokens, s.APIAdminUsers, s.APIInsecureDev); err != nil {
		return fail(err)
	}
	apiSrv, err := api.Mount(mux, apiCfg)
	if err != nil {
		return fail(err)
	}
	reg.MustRegister(apiSrv.Collectors()...)
	webui.Mount(mux)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := n.Store.Ping(ctx); err != nil {
			http.Error(w, "database: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	if s.Pprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	ln, err := net.Listen("tcp", s.HTTPListen)
	if err != nil {
		return fail(fmt.Errorf("app: http: %w", err))
	}
	n.HTTP = ln.Addr().String()
	n.http = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	n.http.RegisterOnShutdown(n.Events.Close) // ends the open event streams, or Shutdown waits for them
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		if err := n.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("http stopped", "err", err)
		}
	}()
	log.Info("callrec ready", "sip", s.SIPListen, "sip_tls", s.SIPTLSListen, "http", n.HTTP, "data", s.DataDir, "record", s.PolicyDefault(), "anchor", s.Anchor, "media_nodes", len(s.MediaNodes), "auth", s.Auth)
	return n, nil
}

// localAnchor is the in-process media node as an Anchor whose
// recordings learn the call's parties, profile and labels (rtpproxy's R,
// used for remote nodes, carries none of them).
func (n *Node) localAnchor() proxy.ManagerAnchor {
	a := proxy.ManagerAnchor{M: n.Media.Manager}
	if rec := n.Media.Recorder; rec != nil {
		a.Prepare = func(c proxy.Call, d proxy.Decision) error {
			return rec.Prepare(c.CallID, record.Options{Caller: c.Caller, Callee: c.Callee, Profile: d.Profile, Labels: d.Labels,
				Keywords: d.Keywords, CalleeFirst: c.CalleeFirst})
		}
	}
	return a
}

// recordingPolicy builds the proxy's policy from serve.recording (and
// serve.record, its shorthand).
func recordingPolicy(s config.Serve) (*proxy.Policy, error) {
	rules := make([]proxy.Rule, len(s.Recording.Rules))
	for i, r := range s.Recording.Rules {
		rules[i] = proxy.Rule{Caller: r.Caller, Callee: r.Callee, Percent: 100, Record: true, Profile: r.Profile, Labels: r.Labels,
			Keywords: r.Keywords}
		if r.Percent != nil {
			rules[i].Percent = *r.Percent
		}
		if r.Record != nil {
			rules[i].Record = *r.Record
		}
	}
	return proxy.NewPolicy(s.PolicyDefault(), rules)
}

// Close stops the HTTP listener and the proxy (no new calls), then the
// media node (sessions ended, recordings finished), then the database.
func (n *Node) Close(ctx context.Context) error {
	if n.http != nil {
		n.http.Shutdown(ctx)
	}
	if n.Proxy != nil {
		n.Proxy.Close()
	}
	n.cancel()
	n.wg.Wait()
	if n.Pool != nil {
		n.Pool.Close()
	}
	var err error
	if n.Media != nil {
		err = n.Media.Close(ctx)
	}
	if n.stopIndexer != nil {
		// After the recorder: its last sidecars are indexed.
		n.stopIndexer()
		<-n.ixDone
	}
	if n.Store != nil {
		if cerr := n.Store.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// purge applies the retention policy every r.Interval until ctx ends.
func (n *Node) purge(ctx context.Context, r config.Retention, remove catalog.Remover) {
	p := catalog.Retention{MaxBytes: r.MaxBytes, HoldLabel: r.HoldLabel}
	for _, rule := range r.Rules {
		p.Rules = append(p.Rules, catalog.RetentionRule{Label: rule.Label, MaxAge: rule.MaxAge.Std()})
	}
	every := cmp.Or(r.Interval.Std(), time.Hour)
	for {
		res, err := n.Catalog.Purge(ctx, p, time.Now(), remove)
		if err != nil && ctx.Err() == nil {
			n.log.Warn("retention purge", "err", err)
		}
		if res.ByAge+res.BySize > 0 {
			n.log.Info("retention purge", "by_age", res.ByAge, "by_size", res.BySize, "bytes", res.Bytes, "held", res.Held)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

// startPool connects to serve.media_nodes and runs their health checks
// on n.wg until ctx ends.
func (n *Node) startPool(ctx context.Context, s config.Serve) (*proxy.NodePool, error) {
	var nodes []proxy.PoolNode
	closeAll := func() {
		for _, pn := range nodes {
			if c, ok := pn.Anchor.(*proxy.RTPPNode); ok {
				c.Close()
			}
		}
	}
	for _, mn := range s.MediaNodes {
		w := max(mn.Weight, 1)
		if mn.Address == "local" {
			nodes = append(nodes, proxy.PoolNode{Name: "local", Weight: w, Anchor: n.localAnchor()})
			continue
		}
		// Four clients: commands to one node run four at a time.
		rn, err := proxy.DialRTPPNode(mn.Address, 4, s.MediaTimeout.Std(), 2)
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("app: media node %s: %w", mn.Address, err)
		}
		nodes = append(nodes, proxy.PoolNode{Name: mn.Address, Weight: w, Anchor: rn, Ping: rn.Ping})
	}
	p, err := proxy.NewNodePool(proxy.PoolConfig{Nodes: nodes, CheckInterval: s.MediaCheckInterval.Std(),
		CheckTimeout: 2 * s.MediaTimeout.Std(), Logger: n.log.With("component", "media-pool")})
	if err != nil {
		closeAll()
		return nil, err
	}
	n.wg.Add(1)
	go func() { defer n.wg.Done(); p.Run(ctx) }()
	return p, nil
}

// storeLocations is the proxy's registrar on the database.
type storeLocations struct {
	s                    *store.Store
	lookup, bind, unbind prometheus.Observer
}

func (l storeLocations) Lookup(ctx context.Context, aor string) ([]proxy.Binding, error) {
	defer since(l.lookup, time.Now())
	bs, err := l.s.Lookup(ctx, aor)
	if err != nil {
		return nil, err
	}
	out := make([]proxy.Binding, len(bs))
	for i, b := range bs {
		out[i] = proxy.Binding{Contact: b.Contact, Expires: b.Expires}
	}
	return out, nil
}

func (l storeLocations) Bind(ctx context.Context, aor string, b proxy.Binding) error {
	defer since(l.bind, time.Now())
	if !b.Expires.After(time.Now()) {
		err := l.s.RemoveBinding(ctx, aor, b.Contact)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	}
	return l.s.SaveBinding(ctx, store.Binding{AOR: aor, Contact: b.Contact, Expires: b.Expires, Q: 1})
}

func (l storeLocations) Unbind(ctx context.Context, aor string) error {
	defer since(l.unbind, time.Now())
	_, err := l.s.RemoveAll(ctx, aor)
	return err
}

// storeRouter routes by the database's routes table, through a cache
// that serves the last answer while the database is down.
type storeRouter struct {
	c     *store.Cache
	match prometheus.Observer
}

func (r storeRouter) Route(ctx context.Context, req *sip.Request) ([]proxy.Target, error) {
	user := req.Recipient.User
	start := time.Now()
	rs, err := r.c.MatchRoutes(ctx, user)
	since(r.match, start)
	if err != nil {
		return nil, err
	}
	var out []proxy.Target
	for _, rt := range rs {
		var u sip.Uri
		if sip.ParseUri(rt.Destination, &u) != nil {
			continue
		}
		if u.User == "" {
			u.User = user
		}
		out = append(out, proxy.Target{URI: u.String(), Priority: rt.Priority})
	}
	if len(out) == 0 {
		return nil, proxy.ErrNoRoute
	}
	return out, nil
}
