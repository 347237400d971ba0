package test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/callrec/callrec/internal/bench"
)

// RTPCapture describes an RTP stream to write as a pcap file, for sipp's
// play_pcap_audio (bench.RTPCapture).
type RTPCapture = bench.RTPCapture

// WriteRTPPcap writes c as a classic pcap file (bench.RTPPcap) under the
// test's temp dir and returns its path.
func WriteRTPPcap(t testing.TB, name string, c RTPCapture) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, bench.RTPPcap(c), 0o644); err != nil {
		t.Fatalf("interop: write %s: %v", path, err)
	}
	return path
}
