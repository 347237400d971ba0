package ship

import "github.com/prometheus/client_golang/prometheus"

// Collector exports a Shipper's counters to Prometheus, read at scrape
// time.
type Collector struct{ s *Shipper }

// NewCollector returns a collector for s; register it once. A nil s
// (recordings stored where the recorder writes them, so nothing waits
// for delivery) exports every series as zero, so that dashboards work
// the same with and without a storage target.
func NewCollector(s *Shipper) *Collector { return &Collector{s} }

var (
	descSpool     = prometheus.NewDesc("callrec_ship_spool_bytes", "Bytes of recordings on local disk that their storage target has not yet taken.", nil, nil)
	descPending   = prometheus.NewDesc("callrec_ship_recordings_pending", "Recordings being delivered (live or waiting for their target).", nil, nil)
	descShipped   = prometheus.NewDesc("callrec_ship_bytes_total", "Bytes of audio written to the storage target.", nil, nil)
	descCommitted = prometheus.NewDesc("callrec_ship_recordings_committed_total", "Recordings delivered and committed with their checksums.", nil, nil)
	descErrors    = prometheus.NewDesc("callrec_ship_errors_total", "Delivery passes that failed (retried with backoff; the recording stays on disk).", nil, nil)
)

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descSpool, descPending, descShipped, descCommitted, descErrors} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	s := c.s
	if s == nil {
		s = &Shipper{}
	}
	ch <- prometheus.MustNewConstMetric(descSpool, prometheus.GaugeValue, float64(s.Spool.Load()))
	ch <- prometheus.MustNewConstMetric(descPending, prometheus.GaugeValue, float64(s.Active.Load()))
	ch <- prometheus.MustNewConstMetric(descShipped, prometheus.CounterValue, float64(s.Bytes.Load()))
	ch <- prometheus.MustNewConstMetric(descCommitted, prometheus.CounterValue, float64(s.Committed.Load()))
	ch <- prometheus.MustNewConstMetric(descErrors, prometheus.CounterValue, float64(s.Errors.Load()))
}
