package app

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/callrec/callrec/internal/api"
	"github.com/callrec/callrec/internal/catalog"
	"github.com/callrec/callrec/internal/collect"
	"github.com/callrec/callrec/internal/config"
	"github.com/callrec/callrec/internal/ship"
	"github.com/callrec/callrec/internal/store"
)

// nodeName is this host's name at a collector and in the catalogue.
func nodeName() string {
	host, _ := os.Hostname()
	return cmp.Or(host, "local")
}

// collectorTarget is storage.kind collector: recordings streamed to
// `callrec collector` over TLS, verified against the system roots plus
// tls_ca.
func collectorTarget(c config.StorageCollector) (*collect.Target, error) {
	token, err := config.ResolveToken(c.Token, c.TokenFile)
	if err != nil {
		return nil, err
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if c.TLSCA != "" {
		pem, err := os.ReadFile(c.TLSCA)
		if err != nil {
			return nil, fmt.Errorf("app: storage.collector.tls_ca: %w", err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("app: storage.collector.tls_ca %s: no PEM certificate in it", c.TLSCA)
		}
	}
	return collect.NewTarget(collect.TargetConfig{Addr: c.Address, Token: token, Node: cmp.Or(c.Node, nodeName()),
		TLS: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}})
}

// Collector is `callrec collector`: the central recording server with
// its storage and catalogue.
type Collector struct {
	Server  *collect.Server
	Catalog *catalog.Catalog
	Store   *store.Store
	// Addr is the bound listener address; Metrics the /metrics one.
	Addr, Metrics string

	log    *slog.Logger
	lis    net.Listener
	http   *http.Server
	served chan error
}

// StartCollector opens the catalogue and storage and starts listening;
// Close stops it. Storage is c.Storage: kind local keeps recordings in
// collector.data_dir/recordings, other kinds as on a media node.
func StartCollector(ctx context.Context, c config.Config, log *slog.Logger) (*Collector, error) {
	cc := c.Collector
	if err := cc.Validate(); err != nil {
		return nil, err
	}
	token, _ := config.ResolveToken(cc.Token, cc.TokenFile)
	cert, err := tls.LoadX509KeyPair(cc.TLSCert, cc.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("app: collector.tls_cert/tls_key: %w", err)
	}
	if err := os.MkdirAll(cc.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("app: collector data dir: %w", err)
	}
	col := &Collector{log: log}
	fail := func(err error) (*Collector, error) {
		col.Close(context.Background())
		return nil, err
	}
	dsn := cmp.Or(cc.Database, "sqlite:"+filepath.Join(cc.DataDir, "catalogue.db"))
	if col.Store, err = store.Open(ctx, dsn); err != nil {
		return fail(err)
	}
	if col.Catalog, err = catalog.Open(ctx, col.Store); err != nil {
		return fail(err)
	}
	var target ship.Target
	switch c.Storage.Kind {
	case "", "local":
		// Synced once per batch of a stream's frames, before the
		// collector acknowledges them.
		target = ship.DirTarget{Dir: filepath.Join(cc.DataDir, "recordings"), DeferSync: true}
	case "collector":
		return fail(errors.New("app: a collector cannot store into another collector (storage.kind collector)"))
	default:
		if target, err = storageTarget(ctx, c.Storage, col.Store); err != nil {
			return fail(err)
		}
	}
	col.Server, err = collect.NewServer(collect.ServerConfig{Token: token, Target: target, Catalog: col.Catalog,
		TLS:    &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		Logger: log.With("component", "collector")})
	if err != nil {
		return fail(err)
	}
	if col.lis, err = net.Listen("tcp", cc.Listen); err != nil {
		return fail(fmt.Errorf("app: collector.listen: %w", err))
	}
	col.Addr = col.lis.Addr().String()
	col.served = make(chan error, 1)
	go func() { col.served <- col.Server.Serve(col.lis) }()
	if cc.Metrics != "" {
		reg := prometheus.NewRegistry()
		reg.MustRegister(collect.NewMetrics(col.Server), collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		ml, err := net.Listen("tcp", cc.Metrics)
		if err != nil {
			return fail(fmt.Errorf("app: collector.metrics: %w", err))
		}
		col.Metrics = ml.Addr().String()
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		if len(cc.APITokens) > 0 {
			// The recordings the collector stored, read only: deleting
			// is retention's (there are no sidecars here for the API's
			// remover), and there are no calls, routes or users.
			auth, err := apiAuth(cc.DataDir, cc.APITokens, nil, false)
			if err != nil {
				ml.Close()
				return fail(err)
			}
			a, err := api.Mount(mux, api.Config{Catalog: col.Catalog, Audio: apiAudio(filepath.Join(cc.DataDir, "recordings"), target),
				Auth: auth, Logger: log.With("component", "api")})
			if err != nil {
				ml.Close()
				return fail(err)
			}
			reg.MustRegister(a.Collectors()...)
		}
		col.http = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go col.http.Serve(ml)
	}
	log.Info("callrec collector ready", "listen", col.Addr, "storage", cmp.Or(c.Storage.Kind, "local"), "data", cc.DataDir, "metrics", col.Metrics)
	return col, nil
}

// Close stops the listener and connections (media nodes resume later
// from what was acknowledged), then closes the database.
func (col *Collector) Close(ctx context.Context) error {
	if col.http != nil {
		col.http.Shutdown(ctx)
	}
	if col.Server != nil {
		col.Server.Close()
	} else if col.lis != nil {
		col.lis.Close()
	}
	if col.served != nil {
		<-col.served
	}
	if col.Store != nil {
		return col.Store.Close()
	}
	return nil
}
