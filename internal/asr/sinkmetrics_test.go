package asr

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestSinkMetrics: the Broker's and Webhook's collectors pass the
// Prometheus linter and export their counters.
func TestSinkMetrics(t *testing.T) {
	b := NewBroker(BrokerConfig{Buffer: 1})
	s, _ := b.Subscribe(nil)
	defer s.Close()
	b.Detected(kw("a", "x"))
	b.Detected(kw("a", "y")) // the buffer of one is full: dropped
	w, err := NewWebhook(WebhookConfig{URL: "http://127.0.0.1:9/"})
	if err != nil {
		t.Fatal(err)
	}
	w.Sent.Add(3)
	w.Dropped.Add(2)
	w.Close(t.Context())
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(b.Collector(), w.Collector())
	if probs, err := testutil.GatherAndLint(reg); err != nil || len(probs) > 0 {
		t.Errorf("lint: %v %+v", err, probs)
	}
	want := `# HELP callrec_asr_broker_dropped_total ASR events a live event stream (GET /api/events) lost because its client read too slowly; one per stream that lost it.
# TYPE callrec_asr_broker_dropped_total counter
callrec_asr_broker_dropped_total 1
# HELP callrec_asr_broker_events_total ASR events given to the Broker of the live event streams (GET /api/events).
# TYPE callrec_asr_broker_events_total counter
callrec_asr_broker_events_total 2
# HELP callrec_asr_broker_subscribers Live event streams open (GET /api/events clients).
# TYPE callrec_asr_broker_subscribers gauge
callrec_asr_broker_subscribers 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "callrec_asr_broker_dropped_total", "callrec_asr_broker_events_total", "callrec_asr_broker_subscribers"); err != nil {
		t.Error(err)
	}
	mf, _ := reg.Gather()
	got := map[string]float64{}
	for _, f := range mf {
		for _, m := range f.GetMetric() {
			k := f.GetName()
			for _, l := range m.GetLabel() {
				k += "/" + l.GetValue()
			}
			got[k] = m.GetCounter().GetValue()
		}
	}
	if got["callrec_asr_webhook_events_total/sent"] != 3 || got["callrec_asr_webhook_events_total/dropped"] != 2 || got["callrec_asr_webhook_events_total/failed"] != 0 {
		t.Errorf("webhook series %v", got)
	}
}
