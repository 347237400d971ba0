package media

import "github.com/prometheus/client_golang/prometheus"

// Collector exports a Manager's counters to Prometheus. It reads them at
// scrape time, so the relay never touches a Prometheus metric.
type Collector struct{ m *Manager }

// NewCollector returns a collector for m; register it once.
func NewCollector(m *Manager) *Collector { return &Collector{m} }

var (
	descStreams   = prometheus.NewDesc("callrec_media_streams", "Active media streams (one per m-line).", nil, nil)
	descCalls     = prometheus.NewDesc("callrec_media_calls", "Active calls (distinct Call-IDs) on the media node.", nil, nil)
	descPorts     = prometheus.NewDesc("callrec_media_port_pairs", "RTP/RTCP port pairs by state.", []string{"state"}, nil)
	descCreated   = prometheus.NewDesc("callrec_media_streams_created_total", "Streams created.", nil, nil)
	descEnded     = prometheus.NewDesc("callrec_media_streams_ended_total", "Streams ended, by reason.", []string{"reason"}, nil)
	descPackets   = prometheus.NewDesc("callrec_media_packets_received_total", "Packets received from parties.", nil, nil)
	descBytes     = prometheus.NewDesc("callrec_media_bytes_received_total", "Bytes received from parties.", nil, nil)
	descRelayed   = prometheus.NewDesc("callrec_media_packets_relayed_total", "Packets forwarded to the other party.", nil, nil)
	descDropped   = prometheus.NewDesc("callrec_media_packets_dropped_total", "Packets not forwarded, by reason.", []string{"reason"}, nil)
	descMalformed = prometheus.NewDesc("callrec_media_packets_malformed_total", "Packets on an RTP port that are not RTP version 2, or truncated (relayed unless truncated).", nil, nil)
	descExhausted = prometheus.NewDesc("callrec_media_port_exhaustion_total", "Offers refused because no RTP/RTCP port pair was free (E71).", nil, nil)
	descLatches   = prometheus.NewDesc("callrec_media_latches_total", "Source addresses latched or relatched.", nil, nil)
	descLoss      = prometheus.NewDesc("callrec_media_stream_loss_ratio", "RTP packets lost over packets expected (RFC 3550 §6.4.1), per party of each stream that sent RTP, observed when the stream ends.", nil, nil)
	descJitter    = prometheus.NewDesc("callrec_media_stream_jitter_seconds", "RTP interarrival jitter (RFC 3550 §6.4.1) at the end of each stream, per party that sent RTP.", nil, nil)
)

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descStreams, descCalls, descPorts, descCreated, descEnded,
		descPackets, descBytes, descRelayed, descDropped, descMalformed, descLatches, descExhausted, descLoss, descJitter} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	in := c.m.Info()
	g := func(d *prometheus.Desc, v float64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, l...)
	}
	n := func(d *prometheus.Desc, v uint64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), l...)
	}
	g(descStreams, float64(in.Streams))
	g(descCalls, float64(in.Calls))
	g(descPorts, float64(in.PortsInUse), "used")
	g(descPorts, float64(in.PortsTotal-in.PortsInUse), "free")
	n(descCreated, in.Created)
	n(descEnded, in.Deleted-in.TimedOut, "deleted")
	n(descEnded, in.TimedOut, "timeout")
	n(descPackets, in.PacketsIn)
	n(descBytes, in.BytesIn)
	n(descRelayed, in.Relayed)
	n(descDropped, in.DropBleed, "bleed")
	n(descDropped, in.DropNoDest, "no_destination")
	n(descDropped, in.DropSendErr, "send_error")
	n(descMalformed, in.Malformed)
	n(descLatches, in.Latches)
	n(descExhausted, in.Exhausted)
	for _, h := range []struct {
		d *prometheus.Desc
		h *histogram
	}{{descLoss, c.m.quality.loss}, {descJitter, c.m.quality.jitter}} {
		count, sum, buckets := h.h.snapshot()
		ch <- prometheus.MustNewConstHistogram(h.d, count, sum, buckets)
	}
}
