package collect

import "github.com/prometheus/client_golang/prometheus"

// Metrics exports a Server's counters to Prometheus, read at scrape
// time.
type Metrics struct{ s *Server }

// NewMetrics returns a collector of s's metrics; register it once.
func NewMetrics(s *Server) *Metrics { return &Metrics{s} }

var (
	descConns     = prometheus.NewDesc("callrec_collector_connections", "Media node connections open.", nil, nil)
	descStreams   = prometheus.NewDesc("callrec_collector_streams", "Recording files being received.", nil, nil)
	descBytes     = prometheus.NewDesc("callrec_collector_bytes_total", "Recording bytes written to storage.", nil, nil)
	descCommits   = prometheus.NewDesc("callrec_collector_commits_total", "Files committed (checksum verified).", nil, nil)
	descRows      = prometheus.NewDesc("callrec_collector_catalogue_rows_total", "Catalogue rows written.", nil, nil)
	descRefused   = prometheus.NewDesc("callrec_collector_refused_total", "Connections, frames and streams refused, by reason.", []string{"reason"}, nil)
	descStreamErr = prometheus.NewDesc("callrec_collector_stream_errors_total", "Streams failed (storage, checksum, commit, catalogue); the media node resumes them.", nil, nil)
)

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descConns, descStreams, descBytes, descCommits, descRows, descRefused, descStreamErr} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	s := m.s
	g := func(d *prometheus.Desc, v float64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, l...)
	}
	c := func(d *prometheus.Desc, v uint64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), l...)
	}
	g(descConns, float64(s.Conns.Load()))
	g(descStreams, float64(s.Streams.Load()))
	c(descBytes, s.Bytes.Load())
	c(descCommits, s.Commits.Load())
	c(descRows, s.Rows.Load())
	c(descRefused, s.AuthFailures.Load(), "auth")
	c(descRefused, s.Malformed.Load(), "malformed")
	c(descRefused, s.BadChecksums.Load(), "checksum")
	c(descStreamErr, s.StreamErr.Load())
}
