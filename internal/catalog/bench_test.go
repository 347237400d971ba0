package catalog

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/store"
	"github.com/callrec/callrec/internal/store/storetest"
)

// benchRows is the size of the search benchmarks' catalogue:
// CALLREC_BENCH_ROWS, default a million (the target). The data
// set is built once and kept (a SQLite file in the temporary directory,
// a PostgreSQL schema named after the size) for later runs.
func benchRows() int {
	if v, err := strconv.Atoi(os.Getenv("CALLREC_BENCH_ROWS")); err == nil && v > 0 {
		return v
	}
	return 1_000_000
}

var firstNames = []string{"Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi", "Ivan", "Judy",
	"Mallory", "Niaj", "Olivia", "Peggy", "Rupert", "Sybil", "Trent", "Victor", "Walter", "Yolanda"}

// benchRecording is recording i of the benchmark data set: a year of
// calls from 100,000 numbers to 500 agents in 20 queues, 10% with DTMF,
// 1% with a keyword.
func benchRecording(rng *rand.Rand, i, n int) *Recording {
	start := t0.Add(-365 * 24 * time.Hour).Add(time.Duration(i) * (365 * 24 * time.Hour / time.Duration(n)))
	num := 100000 + rng.IntN(100000)
	first := firstNames[rng.IntN(len(firstNames))]
	agent := rng.IntN(500)
	r := &Recording{
		Key:     fmt.Sprintf("bench/%d", i),
		CallID:  fmt.Sprintf("%x-%d@pbx.example.com", rng.Uint64(), i),
		FromTag: "a", ToTag: "b",
		Caller:     fmt.Sprintf("sip:+44207%d@pstn.example.net", num),
		CallerName: fmt.Sprintf("%s %d", first, num),
		Callee:     fmt.Sprintf("sip:agent%d@cc.example.com", agent),
		CalleeName: fmt.Sprintf("Agent %d", agent),
		Direction:  "inbound",
		Started:    start, Duration: time.Duration(5+rng.IntN(900)) * time.Second,
		Codecs: "PCMA", Profile: "default", Format: "wav", Size: int64(rng.IntN(10 << 20)),
		Location: fmt.Sprintf("%s/%d.wav", start.Format("2006/01/02"), i),
		Status:   StatusComplete, Node: "node1",
		Labels: map[string]string{"queue": fmt.Sprintf("q%02d", rng.IntN(20))},
	}
	r.Ended = r.Started.Add(r.Duration)
	if rng.IntN(10) == 0 {
		r.Events = append(r.Events, Event{Type: "dtmf", At: time.Second, Party: "caller", Value: strconv.Itoa(rng.IntN(10))})
	}
	if rng.IntN(100) == 0 {
		r.Events = append(r.Events, Event{Type: "keyword", At: 2 * time.Second, Party: "callee", Value: "refund"})
	}
	if rng.IntN(1000) == 0 {
		r.Labels["hold"] = "legal"
	}
	return r
}

// benchCatalog opens (building it the first time) the data set of n rows.
func benchCatalog(b *testing.B, d store.Dialect, n int) *Catalog {
	b.Helper()
	ctx := context.Background()
	var dsn string
	if d == store.SQLite {
		dsn = "sqlite:" + filepath.Join(os.TempDir(), fmt.Sprintf("callrec-catalog-bench-%d.db", n))
	} else {
		admin, base := storetest.Postgres(b)
		schema := fmt.Sprintf("callrec_bench_catalog_%d", n)
		if _, err := admin.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+schema); err != nil {
			b.Fatal(err)
		}
		dsn = base + "&search_path=" + schema
	}
	st, err := store.Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	c, err := Open(ctx, st)
	if err != nil {
		b.Fatal(err)
	}
	var have int
	if err := st.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM recordings").Scan(&have); err != nil {
		b.Fatal(err)
	}
	if have >= n {
		return c
	}
	b.Logf("%s: loading %d recordings (once)", d, n-have)
	start := time.Now()
	rng := rand.New(rand.NewPCG(1, 2))
	const batch = 2000
	rs := make([]*Recording, 0, batch)
	for i := 0; i < n; i++ {
		r := benchRecording(rng, i, n)
		if i < have {
			continue
		}
		rs = append(rs, r)
		if len(rs) == batch || i == n-1 {
			if err := c.PutBatch(ctx, rs); err != nil {
				b.Fatal(err)
			}
			rs = rs[:0]
		}
	}
	if d == store.Postgres {
		if _, err := st.DB().ExecContext(ctx, "ANALYZE"); err != nil {
			b.Fatal(err)
		}
	}
	el := time.Since(start)
	b.Logf("%s: loaded %d in %v (%.0f/s)", d, n-have, el.Round(time.Second), float64(n-have)/el.Seconds())
	return c
}

// BenchmarkSearch runs typical searches on a catalogue of benchRows()
// recordings: go test ./internal/catalog -run - -bench Search -benchtime 200x
func BenchmarkSearch(b *testing.B) {
	n := benchRows()
	day := t0.Add(-100 * 24 * time.Hour)
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		b.Run(string(d), func(b *testing.B) {
			c := benchCatalog(b, d, n)
			for _, tc := range []struct {
				name string
				q    Query
			}{
				{"latest", Query{}},
				{"day", Query{From: day, To: day.Add(24 * time.Hour)}},
				{"party substring", Query{Party: "olivia 1234"}},
				{"party rare", Query{Party: "+44207123456"}},
				{"number prefix", Query{Number: "+4420712345"}},
				{"agent prefix", Query{Number: "agent42"}},
				{"label", Query{Label: "queue=q07"}},
				{"legal hold", Query{Label: "hold=legal"}},
				{"keyword", Query{Event: "keyword=refund"}},
				{"long calls in a week", Query{From: day, To: day.Add(7 * 24 * time.Hour), MinDuration: 14 * time.Minute}},
				{"party in a month", Query{Party: "grace", From: day, To: day.Add(30 * 24 * time.Hour)}},
				{"interrupted", Query{Status: StatusInterrupted}},
			} {
				b.Run(tc.name, func(b *testing.B) {
					ctx := context.Background()
					rows := 0
					for b.Loop() {
						p, err := c.Search(ctx, tc.q)
						if err != nil {
							b.Fatal(err)
						}
						rows = len(p.Recordings)
					}
					b.ReportMetric(float64(rows), "rows")
				})
			}
		})
	}
}

// BenchmarkPut measures inserting one recording (with a label and an
// event) per transaction, as the recorder does at the end of a call.
func BenchmarkPut(b *testing.B) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		b.Run(string(d), func(b *testing.B) {
			c := openTest(b, d)
			ctx := context.Background()
			rng := rand.New(rand.NewPCG(3, 4))
			i := 0
			for b.Loop() {
				r := benchRecording(rng, i, 1_000_000)
				if err := c.Put(ctx, r); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
