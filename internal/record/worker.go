package record

import (
	"sync"
	"time"
)

// worker processes a share of the recordings every Tick.
type worker struct {
	r    *Recorder
	mu   sync.Mutex
	recs []*Recording
	wake chan struct{}
	done chan struct{}
}

func (w *worker) add(rec *Recording) {
	w.mu.Lock()
	w.recs = append(w.recs, rec)
	w.mu.Unlock()
}

func (w *worker) run() {
	// The relay never waits for the recorder: if a worker falls behind by
	// more than its rings hold, packets are dropped from the recording
	// (and counted), not from the call. Running workers at a lower OS
	// priority was tried and is worse: a descheduled thread holding a P
	// stalls the Go runtime (garbage collection waits for it), and with it
	// the relay.
	t := time.NewTicker(w.r.cfg.Tick)
	defer t.Stop()
	var recs []*Recording
	for {
		final := false
		select {
		case <-t.C:
		case <-w.done:
			final = true
		}
		now := time.Now().UnixNano()
		w.mu.Lock()
		recs = append(recs[:0], w.recs...)
		w.mu.Unlock()
		var finished []*Recording
		for _, rec := range recs {
			if rec.process(now, final) {
				finished = append(finished, rec)
			}
		}
		if len(finished) > 0 {
			w.mu.Lock()
			kept := w.recs[:0]
			for _, rec := range w.recs {
				if !contains(finished, rec) {
					kept = append(kept, rec)
				}
			}
			w.recs = kept
			w.mu.Unlock()
		}
		if final {
			return
		}
	}
}

func contains(s []*Recording, r *Recording) bool {
	for _, x := range s {
		if x == r {
			return true
		}
	}
	return false
}
