// Package spottest helps tests outside internal/spot that need the
// spotter's PocketSphinx model.
package spottest

import (
	"bufio"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/callrec/callrec/internal/spot"
)

// RequireModel skips the test when the PocketSphinx en-US model is
// missing, except under CI (CI=true), where scripts/deps.sh installs it
// and a missing model is a failure.
func RequireModel(t testing.TB) {
	t.Helper()
	if spot.ModelInstalled() {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("pocketsphinx en-US model missing at %s: scripts/deps.sh installs pocketsphinx-en-us", spot.DefaultModelDir)
	}
	t.Skipf("pocketsphinx en-US model missing at %s (apt-get install pocketsphinx-en-us); skipping", spot.DefaultModelDir)
}

// WordStarts returns where the speaker ("caller" or "agent") of the
// speech fixtures starts each word the timings list, in seconds from the
// fixture's start (internal/spot/testdata/timings.txt; a word said
// twice has two).
func WordStarts(t testing.TB, speaker string) map[string][]float64 {
	t.Helper()
	_, self, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(self), "..", "testdata", "timings.txt")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]float64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := strings.Fields(sc.Text())
		if len(l) != 4 || l[0] != speaker {
			continue
		}
		s, err := strconv.ParseFloat(l[2], 64)
		if err != nil {
			t.Fatalf("%s: bad line %q", path, sc.Text())
		}
		out[l[1]] = append(out[l[1]], s)
	}
	return out
}
