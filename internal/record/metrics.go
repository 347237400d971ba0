package record

import "github.com/prometheus/client_golang/prometheus"

// Collector exports a Recorder's counters to Prometheus at scrape time.
type Collector struct{ r *Recorder }

// NewCollector returns a collector for r; register it once.
func NewCollector(r *Recorder) *Collector { return &Collector{r} }

var (
	descActive  = prometheus.NewDesc("callrec_recordings_active", "Recordings in progress.", nil, nil)
	descEnded   = prometheus.NewDesc("callrec_recordings_total", "Recordings by final status (interrupted: found after a crash and repaired).", []string{"status"}, nil)
	descStarted = prometheus.NewDesc("callrec_recordings_started_total", "Recordings started.", nil, nil)
	descBytes   = prometheus.NewDesc("callrec_recording_bytes_written_total", "Bytes of audio files finished.", nil, nil)
	descDropped = prometheus.NewDesc("callrec_recording_packets_dropped_total", "Packets the recorder could not take because it fell behind (relayed all the same).", nil, nil)
)

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descActive, descEnded, descStarted, descBytes, descDropped} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	r := c.r
	ch <- prometheus.MustNewConstMetric(descActive, prometheus.GaugeValue, float64(r.Active()))
	ch <- prometheus.MustNewConstMetric(descStarted, prometheus.CounterValue, float64(r.Started.Load()))
	ch <- prometheus.MustNewConstMetric(descEnded, prometheus.CounterValue, float64(r.Completed.Load()), StatusComplete)
	ch <- prometheus.MustNewConstMetric(descEnded, prometheus.CounterValue, float64(r.Failed.Load()), StatusFailed)
	ch <- prometheus.MustNewConstMetric(descEnded, prometheus.CounterValue, float64(r.Interrupted.Load()), StatusInterrupted)
	ch <- prometheus.MustNewConstMetric(descBytes, prometheus.CounterValue, float64(r.BytesWritten.Load()))
	ch <- prometheus.MustNewConstMetric(descDropped, prometheus.CounterValue, float64(r.Dropped.Load()))
}
