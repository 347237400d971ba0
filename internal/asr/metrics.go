package asr

import "github.com/prometheus/client_golang/prometheus"

// Collector exports a Hub's counters to Prometheus at scrape time.
type Collector struct{ h *Hub }

// NewCollector returns a collector for h; register it once.
func NewCollector(h *Hub) *Collector { return &Collector{h} }

var (
	descLegs     = prometheus.NewDesc("callrec_asr_legs_total", "Call legs given to the keyword spotter, and those whose spotter failed (model missing, decoder error).", []string{"result"}, nil)
	descAudio    = prometheus.NewDesc("callrec_asr_audio_seconds_total", "Seconds of leg audio spotted, dropped because a leg's queue was full (the spotters fell behind), and failed: taken but not spotted because the leg's spotter failed.", []string{"result"}, nil)
	descBusy     = prometheus.NewDesc("callrec_asr_spotter_busy_seconds_total", "Time the spotting goroutines spent creating decoders and decoding (about their CPU time).", nil, nil)
	descDetect   = prometheus.NewDesc("callrec_asr_detections_total", "Keywords detected.", nil, nil)
	descUnstored = prometheus.NewDesc("callrec_asr_events_unstored_total", "Detections that could not be written to their recording's sidecar.", nil, nil)
	descBacklog  = prometheus.NewDesc("callrec_asr_backlog_seconds", "Audio waiting for the spotters, summed over legs; and the longest wait of one leg (max).", []string{"kind"}, nil)
	descBadKw    = prometheus.NewDesc("callrec_asr_bad_keywords_total", "Recordings not spotted because their keyword list did not parse.", nil, nil)
)

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descLegs, descAudio, descBusy, descDetect, descUnstored, descBacklog, descBadKw} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	h := c.h
	ch <- prometheus.MustNewConstMetric(descLegs, prometheus.CounterValue, float64(h.LegsStarted.Load()), "started")
	ch <- prometheus.MustNewConstMetric(descLegs, prometheus.CounterValue, float64(h.LegsFailed.Load()), "failed")
	ch <- prometheus.MustNewConstMetric(descAudio, prometheus.CounterValue, h.SpottedSeconds.Load(), "spotted")
	ch <- prometheus.MustNewConstMetric(descAudio, prometheus.CounterValue, h.LostSeconds.Load(), "dropped")
	ch <- prometheus.MustNewConstMetric(descAudio, prometheus.CounterValue, h.UnspottedSeconds.Load(), "failed")
	ch <- prometheus.MustNewConstMetric(descBusy, prometheus.CounterValue, float64(h.BusyNanos.Load())/1e9)
	ch <- prometheus.MustNewConstMetric(descDetect, prometheus.CounterValue, float64(h.Detections.Load()))
	ch <- prometheus.MustNewConstMetric(descUnstored, prometheus.CounterValue, float64(h.Undelivered.Load()))
	total, longest := h.Backlog()
	ch <- prometheus.MustNewConstMetric(descBacklog, prometheus.GaugeValue, total, "total")
	ch <- prometheus.MustNewConstMetric(descBacklog, prometheus.GaugeValue, longest, "max")
	ch <- prometheus.MustNewConstMetric(descBadKw, prometheus.CounterValue, float64(h.badKeywords.Load()))
}
