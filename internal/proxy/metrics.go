package proxy

import "github.com/prometheus/client_golang/prometheus"

// Collector exports a Server's Stats to Prometheus, read at scrape time.
type Collector struct{ s *Server }

// NewCollector returns a collector for s; register it once.
func NewCollector(s *Server) *Collector { return &Collector{s} }

var (
	descRequests  = prometheus.NewDesc("callrec_proxy_requests_total", "SIP requests received, ACK included.", nil, nil)
	descCalls     = prometheus.NewDesc("callrec_proxy_calls_answered_total", "Initial INVITEs answered 2xx.", nil, nil)
	descInvites   = prometheus.NewDesc("callrec_proxy_invites_total", "Initial INVITEs received (call attempts; a challenged INVITE and its retry with credentials are two).", nil, nil)
	descAnchorErr = prometheus.NewDesc("callrec_proxy_anchor_failures_total", "Offers or answers the media node failed on (forwarded unanchored, or refused when fail-closed).", nil, nil)
	descDialogs   = prometheus.NewDesc("callrec_proxy_calls", "Calls with media state in the proxy.", nil, nil)
	descOversized = prometheus.NewDesc("callrec_proxy_oversized_total", "UDP datagrams dropped for exceeding the maximum message size.", nil, nil)
	descLimited   = prometheus.NewDesc("callrec_proxy_rate_limited_total", "Requests dropped (UDP) or answered 503 (TCP) over the per-source rate.", nil, nil)
	descAuthChal  = prometheus.NewDesc("callrec_proxy_auth_challenges_total", "Digest challenges sent (401/407, stale nonces included).", nil, nil)
	descAuthFail  = prometheus.NewDesc("callrec_proxy_auth_failures_total", "Digest credentials refused (403 wrong password, unknown user or user mismatch; 400 malformed).", nil, nil)
	descTrunkReqs = prometheus.NewDesc("callrec_proxy_trunk_requests_total", "Initial requests let in without authentication by the trunk allow-list.", nil, nil)
	descMidOK     = prometheus.NewDesc("callrec_proxy_midcall_anchored_total", "Calls moved through the media node mid-call with re-INVITEs.", nil, nil)
	descMidFail   = prometheus.NewDesc("callrec_proxy_midcall_failures_total", "Mid-call anchorings that failed (glare, refusal, timeout); the call went on unanchored.", nil, nil)
)

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descRequests, descCalls, descInvites, descAnchorErr, descDialogs, descOversized, descLimited,
		descAuthChal, descAuthFail, descTrunkReqs, descMidOK, descMidFail} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	st := c.s.Stats()
	ch <- prometheus.MustNewConstMetric(descRequests, prometheus.CounterValue, float64(st.Requests))
	ch <- prometheus.MustNewConstMetric(descCalls, prometheus.CounterValue, float64(st.Calls))
	ch <- prometheus.MustNewConstMetric(descInvites, prometheus.CounterValue, float64(st.Invites))
	ch <- prometheus.MustNewConstMetric(descAnchorErr, prometheus.CounterValue, float64(st.AnchorFailures))
	ch <- prometheus.MustNewConstMetric(descDialogs, prometheus.GaugeValue, float64(st.Dialogs))
	ch <- prometheus.MustNewConstMetric(descOversized, prometheus.CounterValue, float64(st.Oversized))
	ch <- prometheus.MustNewConstMetric(descLimited, prometheus.CounterValue, float64(st.RateLimited))
	ch <- prometheus.MustNewConstMetric(descAuthChal, prometheus.CounterValue, float64(st.AuthChallenges))
	ch <- prometheus.MustNewConstMetric(descAuthFail, prometheus.CounterValue, float64(st.AuthFailures))
	ch <- prometheus.MustNewConstMetric(descTrunkReqs, prometheus.CounterValue, float64(st.TrunkRequests))
	ch <- prometheus.MustNewConstMetric(descMidOK, prometheus.CounterValue, float64(st.MidCallAnchored))
	ch <- prometheus.MustNewConstMetric(descMidFail, prometheus.CounterValue, float64(st.MidCallFailures))
}

// PoolCollector exports a NodePool's node states and counters, read at
// scrape time.
type PoolCollector struct{ p *NodePool }

// NewPoolCollector returns a collector for p; register it once.
func NewPoolCollector(p *NodePool) *PoolCollector { return &PoolCollector{p} }

var (
	descNodeUp       = prometheus.NewDesc("callrec_proxy_media_node_up", "1 when the media node answers (health check or last command), 0 while it is skipped.", []string{"node"}, nil)
	descNodeOffers   = prometheus.NewDesc("callrec_proxy_media_node_offers_total", "New calls placed on the media node.", []string{"node"}, nil)
	descNodeFailures = prometheus.NewDesc("callrec_proxy_media_node_failures_total", "Commands and health checks that failed on the media node, and commands not sent because it was down.", []string{"node"}, nil)
	descNodeCalls    = prometheus.NewDesc("callrec_proxy_media_node_calls", "Calls the media node holds.", []string{"node"}, nil)
	descNodesUp      = prometheus.NewDesc("callrec_proxy_media_nodes_up", "Media nodes that answer.", nil, nil)
	descUnavailable  = prometheus.NewDesc("callrec_proxy_media_unavailable_total", "New calls no media node answered (forwarded unanchored and unrecorded, or refused 503 when fail-closed).", nil, nil)
)

// Describe implements prometheus.Collector.
func (c *PoolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descNodeUp, descNodeOffers, descNodeFailures, descNodeCalls, descNodesUp, descUnavailable} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *PoolCollector) Collect(ch chan<- prometheus.Metric) {
	up := 0
	for _, n := range c.p.Nodes() {
		v := 0.0
		if n.Up {
			v, up = 1, up+1
		}
		ch <- prometheus.MustNewConstMetric(descNodeUp, prometheus.GaugeValue, v, n.Name)
		ch <- prometheus.MustNewConstMetric(descNodeOffers, prometheus.CounterValue, float64(n.Offers), n.Name)
		ch <- prometheus.MustNewConstMetric(descNodeFailures, prometheus.CounterValue, float64(n.Failures), n.Name)
		ch <- prometheus.MustNewConstMetric(descNodeCalls, prometheus.GaugeValue, float64(n.Calls), n.Name)
	}
	ch <- prometheus.MustNewConstMetric(descNodesUp, prometheus.GaugeValue, float64(up))
	ch <- prometheus.MustNewConstMetric(descUnavailable, prometheus.CounterValue, float64(c.p.Unavailable()))
}
