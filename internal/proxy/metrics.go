package proxy

import "github.com/prometheus/client_golang/prometheus"

// Collector exports a Server's Stats to Prometheus, read at scrape time.
type Collector struct{ s *Server }

// NewCollector returns a collector for s; register it once.
func NewCollector(s *Server) *Collector { return &Collector{s} }

var (
	descRequests  = prometheus.NewDesc("callrec_proxy_requests_total", "SIP requests received, ACK included.", nil, nil)
	descCalls     = prometheus.NewDesc("callrec_proxy_calls_answered_total", "Initial INVITEs answered 2xx.", nil, nil)
	descAnchorErr = prometheus.NewDesc("callrec_proxy_anchor_failures_total", "Offers or answers the media node failed on (forwarded unanchored, or refused when fail-closed).", nil, nil)
	descDialogs   = prometheus.NewDesc("callrec_proxy_calls", "Calls with media state in the proxy.", nil, nil)
	descOversized = prometheus.NewDesc("callrec_proxy_oversized_total", "UDP datagrams dropped for exceeding the maximum message size.", nil, nil)
	descLimited   = prometheus.NewDesc("callrec_proxy_rate_limited_total", "Requests dropped (UDP) or answered 503 (TCP) over the per-source rate.", nil, nil)
	descAuthChal  = prometheus.NewDesc("callrec_proxy_auth_challenges_total", "Digest challenges sent (401/407, stale nonces included).", nil, nil)
	descAuthFail  = prometheus.NewDesc("callrec_proxy_auth_failures_total", "Digest credentials refused (403 wrong password, unknown user or user mismatch; 400 malformed).", nil, nil)
	descTrunkReqs = prometheus.NewDesc("callrec_proxy_trunk_requests_total", "Initial requests let in without authentication by the trunk allow-list.", nil, nil)
)

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descRequests, descCalls, descAnchorErr, descDialogs, descOversized, descLimited,
		descAuthChal, descAuthFail, descTrunkReqs} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	st := c.s.Stats()
	ch <- prometheus.MustNewConstMetric(descRequests, prometheus.CounterValue, float64(st.Requests))
	ch <- prometheus.MustNewConstMetric(descCalls, prometheus.CounterValue, float64(st.Calls))
	ch <- prometheus.MustNewConstMetric(descAnchorErr, prometheus.CounterValue, float64(st.AnchorFailures))
	ch <- prometheus.MustNewConstMetric(descDialogs, prometheus.GaugeValue, float64(st.Dialogs))
	ch <- prometheus.MustNewConstMetric(descOversized, prometheus.CounterValue, float64(st.Oversized))
	ch <- prometheus.MustNewConstMetric(descLimited, prometheus.CounterValue, float64(st.RateLimited))
	ch <- prometheus.MustNewConstMetric(descAuthChal, prometheus.CounterValue, float64(st.AuthChallenges))
	ch <- prometheus.MustNewConstMetric(descAuthFail, prometheus.CounterValue, float64(st.AuthFailures))
	ch <- prometheus.MustNewConstMetric(descTrunkReqs, prometheus.CounterValue, float64(st.TrunkRequests))
}
