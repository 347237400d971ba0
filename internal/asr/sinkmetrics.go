package asr

import "github.com/prometheus/client_golang/prometheus"

var (
	descBrokerPublished   = prometheus.NewDesc("callrec_asr_broker_events_total", "ASR events given to the Broker of the live event streams (GET /api/events).", nil, nil)
	descBrokerDropped     = prometheus.NewDesc("callrec_asr_broker_dropped_total", "ASR events a live event stream (GET /api/events) lost because its client read too slowly; one per stream that lost it.", nil, nil)
	descBrokerSubscribers = prometheus.NewDesc("callrec_asr_broker_subscribers", "Live event streams open (GET /api/events clients).", nil, nil)
	descWebhook           = prometheus.NewDesc("callrec_asr_webhook_events_total", "ASR events by webhook outcome: sent (2xx), failed (given up on), dropped (queue full or shutting down).", []string{"result"}, nil)
	descWebhookRetries    = prometheus.NewDesc("callrec_asr_webhook_retries_total", "Webhook attempts after an event's first (network error, timeout, 429, 5xx).", nil, nil)
)

// Collector returns the Broker's metrics for a Prometheus registry.
func (b *Broker) Collector() prometheus.Collector { return brokerCollector{b} }

type brokerCollector struct{ b *Broker }

func (c brokerCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descBrokerPublished
	ch <- descBrokerDropped
	ch <- descBrokerSubscribers
}

func (c brokerCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(descBrokerPublished, prometheus.CounterValue, float64(c.b.Published.Load()))
	ch <- prometheus.MustNewConstMetric(descBrokerDropped, prometheus.CounterValue, float64(c.b.Dropped.Load()))
	ch <- prometheus.MustNewConstMetric(descBrokerSubscribers, prometheus.GaugeValue, float64(c.b.Subscribers()))
}

// Collector returns the Webhook's metrics for a Prometheus registry.
func (w *Webhook) Collector() prometheus.Collector { return webhookCollector{w} }

type webhookCollector struct{ w *Webhook }

func (c webhookCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descWebhook
	ch <- descWebhookRetries
}

func (c webhookCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(descWebhook, prometheus.CounterValue, float64(c.w.Sent.Load()), "sent")
	ch <- prometheus.MustNewConstMetric(descWebhook, prometheus.CounterValue, float64(c.w.Failed.Load()), "failed")
	ch <- prometheus.MustNewConstMetric(descWebhook, prometheus.CounterValue, float64(c.w.Dropped.Load()), "dropped")
	ch <- prometheus.MustNewConstMetric(descWebhookRetries, prometheus.CounterValue, float64(c.w.Retries.Load()))
}
