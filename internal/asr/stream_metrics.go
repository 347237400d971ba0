package asr

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// streamStats counts the streaming client's work; Collectors exports it.
type streamStats struct {
	legs            atomic.Int64 // legs with a goroutine now
	connects        atomic.Int64 // connections made (header sent)
	connectFailures atomic.Int64 // connection attempts that failed
	reconnects      atomic.Int64 // connections made again after one was lost
	samplesSent     atomic.Int64
	samplesDropped  atomic.Int64 // queue overflow, failed writes, never sent
	results         atomic.Int64 // keyword results turned into Events
	badResults      atomic.Int64 // malformed results and engine errors
}

// Collectors returns the streaming client's metrics (callrec_asr_stream_*)
// for a Prometheus registry. They read the counters when scraped.
func (s *streamer) Collectors() []prometheus.Collector {
	counter := func(name, help string, v *atomic.Int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "callrec_asr_stream_" + name, Help: help},
			func() float64 { return float64(v.Load()) })
	}
	st := &s.stats
	return []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "callrec_asr_stream_legs", Help: "Legs streaming to the external ASR engine now (connected or waiting to reconnect)."},
			func() float64 { return float64(st.legs.Load()) }),
		counter("connects_total", "Connections made to the external ASR engine.", &st.connects),
		counter("connect_failures_total", "Connection attempts to the external ASR engine that failed.", &st.connectFailures),
		counter("reconnects_total", "Connections made again to the external ASR engine after one was lost.", &st.reconnects),
		counter("samples_sent_total", "Audio samples sent to the external ASR engine.", &st.samplesSent),
		counter("samples_dropped_total", "Audio samples not sent to the external ASR engine (queue full, engine slow or away).", &st.samplesDropped),
		counter("results_total", "Keyword results received from the external ASR engine.", &st.results),
		counter("bad_results_total", "Malformed results and errors received from the external ASR engine.", &st.badResults),
	}
}
