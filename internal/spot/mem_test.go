package spot

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// procSize reads a size field in kB ("VmRSS", "Pss") of a file of
// /proc/self ("status", "smaps_rollup"), in bytes.
func procSize(t testing.TB, file, field string) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/" + file)
	if err != nil {
		t.Skipf("no /proc/self/%s: %v", file, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		if err != nil {
			t.Fatalf("/proc/self/%s: %s: %v", file, field, err)
		}
		return kb << 10
	}
	t.Fatalf("/proc/self/%s: no %s", file, field)
	return 0
}

// spotterCost opens n spotters for testKeywords at 8 kHz, gives each 4 s
// of the caller (past priming, so the decoder's buffers have grown), and
// returns the growth per spotter of the process's memory and the mean
// time of New. The spotters are closed before it returns.
//
// Of the memory, rss is VmRSS: it counts the model files PocketSphinx
// maps (mdef, 2.4 MB resident) once per spotter, although they are one
// copy in the page cache. pss divides such shared pages among their
// mappings and so is the memory a spotter really adds; anon is its
// private part (RssAnon).
func spotterCost(t testing.TB, n int) (rss, pss, anon int64, create time.Duration) {
	t.Helper()
	pcm, rate := loadWAV(t, "caller-8k.wav")
	pcm = pcm[:4*rate]
	kws, err := ParseKeywords(testKeywords)
	if err != nil {
		t.Fatal(err)
	}
	// One spotter first, so that what every process loads once (the
	// dictionary cache, the shared library's pages, the Go runtime's
	// heap for the fixture) is not counted per spotter.
	warm, err := New(Config{Keywords: kws, SampleRate: rate})
	if err != nil {
		t.Fatal(err)
	}
	defer warm.Close()
	if err := warm.Write(pcm); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	rss0, pss0, anon0 := procSize(t, "status", "VmRSS"), procSize(t, "smaps_rollup", "Pss"), procSize(t, "status", "RssAnon")
	ss := make([]*Spotter, 0, n)
	defer func() {
		for _, s := range ss {
			s.Close()
		}
	}()
	var took time.Duration
	for range n {
		start := time.Now()
		s, err := New(Config{Keywords: kws, SampleRate: rate})
		took += time.Since(start)
		if err != nil {
			t.Fatal(err)
		}
		ss = append(ss, s)
		if err := s.Write(pcm); err != nil {
			t.Fatal(err)
		}
	}
	runtime.GC()
	rss1, pss1, anon1 := procSize(t, "status", "VmRSS"), procSize(t, "smaps_rollup", "Pss"), procSize(t, "status", "RssAnon")
	per := func(a, b int64) int64 { return (b - a) / int64(n) }
	return per(rss0, rss1), per(pss0, pss1), per(anon0, anon1), took / time.Duration(n)
}

// TestSpotterMemory: a spotter costs little memory and creation time,
// because the dictionary holds only the keywords' pronunciations (see
// the package doc). The numbers in BENCHMARKS.md; run with -v.
func TestSpotterMemory(t *testing.T) {
	requireModel(t)
	const n = 16
	rss, pss, anon, create := spotterCost(t, n)
	mb := func(b int64) float64 { return float64(b) / (1 << 20) }
	t.Logf("%d spotters, each: VmRSS +%.1f MB, Pss +%.1f MB, RssAnon +%.1f MB; New %v", n, mb(rss), mb(pss), mb(anon), create.Round(time.Microsecond))
	// With the full dictionary a spotter took 29 MB (VmRSS) and 73 ms.
	if pss > 8<<20 {
		t.Errorf("a spotter adds %.1f MB (Pss), want at most 8 MB", mb(pss))
	}
}

// TestNewLeaksNothing: creating and closing spotters leaves no file
// open (PocketSphinx's -logfn once leaked one per decoder) and no
// temporary file behind.
func TestNewLeaksNothing(t *testing.T) {
	requireModel(t)
	kws, err := ParseKeywords(testKeywords)
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	fds := func() int {
		e, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Skipf("no /proc/self/fd: %v", err)
		}
		return len(e)
	}
	before := fds()
	for range 10 {
		s, err := New(Config{Keywords: kws})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if after := fds(); after > before {
		t.Errorf("%d files open before 10 spotters, %d after", before, after)
	}
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
