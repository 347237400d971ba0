package app

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestServeMetricsLint runs promtool's checks (units in names, _total
// on counters only, base units) over everything callrec serve exports,
// and checks the series of the list exist from the start.
func TestServeMetricsLint(t *testing.T) {
	n := startServe(t, nil)
	problems, err := testutil.GatherAndLint(n.Metrics)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "callrec_") {
			t.Errorf("%s: %s", p.Metric, p.Text)
		}
	}
	mfs, err := n.Metrics.Gather()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, mf := range mfs {
		have[mf.GetName()] = true
	}
	for _, name := range []string{
		"callrec_proxy_calls_answered_total", "callrec_proxy_invites_total", "callrec_proxy_calls", "callrec_media_streams",
		"callrec_media_port_pairs", "callrec_media_packets_relayed_total", "callrec_media_packets_dropped_total",
		"callrec_media_stream_loss_ratio", "callrec_media_stream_jitter_seconds",
		"callrec_recordings_active", "callrec_recordings_total", "callrec_recording_bytes_written_total",
		"callrec_ship_spool_bytes", "callrec_proxy_media_command_duration_seconds",
		"callrec_media_control_command_duration_seconds", "callrec_database_query_duration_seconds",
	} {
		if !have[name] {
			t.Errorf("serve does not export %s", name)
		}
	}
}
