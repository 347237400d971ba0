package api

import (
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the API's counters, registered by the caller through
// Server.Collectors.
type metrics struct {
	requests *prometheus.CounterVec // route, code
	authFail *prometheus.CounterVec // reason
	// eventRepeats counts POST /api/events deliveries dropped as
	// repeats (webhook retries, replays of a signed body).
	eventRepeats prometheus.Counter
}

func newMetrics() *metrics {
	return &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "callrec_api_requests_total",
			Help: "HTTP API requests answered, by route pattern and status code."}, []string{"route", "code"}),
		authFail: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "callrec_api_auth_failures_total",
			Help: "API requests and logins refused for their credentials: missing, bad_token, bad_cookie, bad_signature, forbidden (role too low), login."}, []string{"reason"}),
		eventRepeats: prometheus.NewCounter(prometheus.CounterOpts{Name: "callrec_api_event_repeats_total",
			Help: "Keyword events posted to POST /api/events again (a webhook retry or a replayed signed body), answered 204 and not published twice."}),
	}
}

// Collectors returns the API's metrics for a Prometheus registry.
func (s *Server) Collectors() []prometheus.Collector {
	return []prometheus.Collector{s.m.requests, s.m.authFail, s.m.eventRepeats}
}

// statusWriter remembers the status a handler answered.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// counted counts h's answers under route.
func (s *Server) counted(route string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		s.m.requests.WithLabelValues(route, strconv.Itoa(max(sw.code, 200))).Inc()
	})
}
