package test

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/callrec/callrec/internal/config"
)

// TestRecordUndecodableKeptRaw sends a payload type nobody mapped: the
// recording keeps the payloads in a raw dump and says so.
func TestRecordUndecodableKeptRaw(t *testing.T) {
	t.Parallel()
	n := StartRecordingNode(t, nil)
	frames := make([][]byte, 50)
	for i := range frames {
		frames[i] = []byte(strings.Repeat("x", 40))
	}
	_, agent := fixtures(t, 1)
	m := playAndRecord(t, n, "raw-1", &Stream{Frames: frames, PT: 98, Step: 160, SSRC: 1}, &Stream{PCM: agent, SSRC: 2})
	var raw string
	for _, f := range m.Files {
		if f.Raw {
			raw = f.Path
		}
	}
	if raw == "" || m.Legs[0].Undecodable != 50 || len(m.Legs[0].Codecs) != 1 || m.Legs[0].Codecs[0] != "pt-98" {
		t.Fatalf("files %+v legs %+v: want a raw dump of 50 undecodable pt-98 payloads", m.Files, m.Legs)
	}
	fi, err := os.Stat(filepath.Join(n.Dir, raw))
	if err != nil || fi.Size() != 50*(24+40) {
		t.Errorf("raw dump %v, %v: want 50 records of 24+40 bytes", fi, err)
	}
	if m.Legs[1].Codecs[0] != "PCMU/8000" {
		t.Errorf("callee codecs %v", m.Legs[1].Codecs)
	}
}

func TestMetricsEndpoint(t *testing.T) {
	t.Parallel()
	port := FreeUDPPort(t, "127.0.0.1") // a free number; TCP on it is free too in practice
	addr := "127.0.0.1:" + itoa(port)
	n := StartRecordingNode(t, func(c *config.Media) { c.Metrics = addr })
	caller, agent := fixtures(t, 1)
	playAndRecord(t, n, "metrics-1", &Stream{PCM: caller, SSRC: 1}, &Stream{PCM: agent, SSRC: 2})
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, want := range []string{
		`callrec_recordings_total{status="complete"} 1`,
		`callrec_media_streams_created_total 1`,
		`callrec_media_packets_relayed_total 100`,
		`callrec_media_port_pairs{state="used"} 0`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	// The node timed the controller's commands, and observed each
	// party's loss and jitter when the stream ended.
	s := ScrapeMetrics(t, "http://"+addr+"/metrics")
	for _, cmd := range []string{"U", "L", "D"} {
		if sum, n := s.HistogramSum("callrec_media_control_command_duration_seconds", "command", cmd); n < 1 || sum <= 0 || sum/float64(n) > 1 {
			t.Errorf("/metrics: command %s latency count %d sum %v s", cmd, n, sum)
		}
	}
	if sum, n := s.HistogramSum("callrec_media_stream_loss_ratio"); n != 2 || sum < 0 || sum > 1 {
		t.Errorf("/metrics: loss histogram count %d sum %v, want 2 ratios", n, sum)
	}
	if sum, n := s.HistogramSum("callrec_media_stream_jitter_seconds"); n != 2 || sum < 0 || sum > 2 {
		t.Errorf("/metrics: jitter histogram count %d sum %v s, want 2 under a second", n, sum)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
