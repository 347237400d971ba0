package app

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/callrec/callrec/internal/proxy"
)

// latencyBuckets span a loopback control round trip (tens of µs) to a
// database or media node that is about to time out (seconds).
var latencyBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}

// serveMetrics are the latency histograms app measures around the
// components it wires (the components themselves count, and are read at
// scrape time by their own collectors).
type serveMetrics struct {
	// db is callrec_database_query_duration_seconds{query}: catalogue and
	// store queries on the call path and the indexer's batch writes.
	db *prometheus.HistogramVec
	// anchor is callrec_proxy_media_command_duration_seconds{command}:
	// the proxy's offer/answer/delete/record commands to its media node,
	// in-process or remote, as the proxy waits for them.
	anchor *prometheus.HistogramVec
	// byQuery are db's series of queries, read-only after newServeMetrics.
	byQuery map[string]prometheus.Observer
}

func newServeMetrics() *serveMetrics {
	m := &serveMetrics{
		db: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "callrec_database_query_duration_seconds",
			Help:    "Database queries by kind: location_lookup, location_bind, location_unbind, route_match (through the routes cache), catalog_search and catalog_get (the API), catalog_put_batch (the indexer's writes), catalog_set_status.",
			Buckets: latencyBuckets,
		}, []string{"query"}),
		anchor: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "callrec_proxy_media_command_duration_seconds",
			Help:    "Media node commands the proxy waited for, by command (offer, answer, delete, record, stop_record), errors included.",
			Buckets: latencyBuckets,
		}, []string{"command"}),
	}
	m.byQuery = make(map[string]prometheus.Observer, len(queries))
	for _, q := range queries {
		m.byQuery[q] = m.db.WithLabelValues(q)
	}
	for _, c := range []string{"offer", "answer", "delete", "record", "stop_record"} {
		m.anchor.WithLabelValues(c)
	}
	return m
}

// queries are the database query kinds callrec serve measures; each
// series is exported from the start, so dashboards see zeros, not gaps.
var queries = []string{"location_lookup", "location_bind", "location_unbind", "route_match",
	"catalog_search", "catalog_get", "catalog_put_batch", "catalog_set_status"}

// observeDB is catalog.Catalog.Observe: the query kinds are resolved
// once, in newServeMetrics.
func (m *serveMetrics) observeDB(query string, d time.Duration) {
	if o := m.byQuery[query]; o != nil {
		o.Observe(d.Seconds())
		return
	}
	m.db.WithLabelValues(query).Observe(d.Seconds())
}

func (m *serveMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.db, m.anchor}
}

// since observes the time since start into o.
func since(o prometheus.Observer, start time.Time) { o.Observe(time.Since(start).Seconds()) }

// timedAnchor measures each command of the Anchor it wraps.
type timedAnchor struct {
	a                                 proxy.Anchor
	offer, answer, delete, rec, unrec prometheus.Observer
}

// timeAnchor wraps a so that its commands are measured into h. The
// result implements proxy.Recorder exactly when a does, since the proxy
// decides whether on-demand recording is possible by that assertion.
func timeAnchor(a proxy.Anchor, h *prometheus.HistogramVec) proxy.Anchor {
	t := timedAnchor{a: a, offer: h.WithLabelValues("offer"), answer: h.WithLabelValues("answer"),
		delete: h.WithLabelValues("delete"), rec: h.WithLabelValues("record"), unrec: h.WithLabelValues("stop_record")}
	if r, ok := a.(proxy.Recorder); ok {
		return timedRecorder{t, r}
	}
	return t
}

func (t timedAnchor) Offer(ctx context.Context, callID, fromTag, toTag string, sdp []byte) ([]byte, error) {
	defer since(t.offer, time.Now())
	return t.a.Offer(ctx, callID, fromTag, toTag, sdp)
}

func (t timedAnchor) Answer(ctx context.Context, callID, fromTag, toTag string, sdp []byte) ([]byte, error) {
	defer since(t.answer, time.Now())
	return t.a.Answer(ctx, callID, fromTag, toTag, sdp)
}

func (t timedAnchor) Delete(ctx context.Context, callID, fromTag, toTag string) error {
	defer since(t.delete, time.Now())
	return t.a.Delete(ctx, callID, fromTag, toTag)
}

// timedRecorder is a timedAnchor over an anchor that records.
type timedRecorder struct {
	timedAnchor
	r proxy.Recorder
}

func (t timedRecorder) Record(ctx context.Context, c proxy.Call, d proxy.Decision) error {
	defer since(t.rec, time.Now())
	return t.r.Record(ctx, c, d)
}

func (t timedRecorder) StopRecord(ctx context.Context, c proxy.Call) error {
	defer since(t.unrec, time.Now())
	return t.r.StopRecord(ctx, c)
}
