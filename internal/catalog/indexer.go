package catalog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/callrec/callrec/internal/record"
	"github.com/callrec/callrec/internal/ship"
)

// Indexer keeps the catalogue in step with a recordings directory: the
// recorder tells it (Notify, from record.Config.OnMeta) each time a
// sidecar is written, and it puts the sidecar's state into the
// catalogue. The sidecars on disk are the source of truth, so nothing is
// lost while the database is down: a failed write is retried with
// backoff, a queue overflow marks the indexer dirty, and Run rescans the
// directory at start (finding recordings that a crash interrupted and
// that record.Recover repaired) and whenever it is dirty. Puts are
// upserts by key, so a sidecar indexed twice is still one row.
type Indexer struct {
	c    *Catalog
	dir  string
	node string
	log  *slog.Logger

	queue chan string
	dirty atomic.Bool

	// Counters, read by metrics and tests.
	Indexed, Errors, Overflows atomic.Uint64
}

// NewIndexer returns an indexer of the recordings below dir, made on
// node (the media node's name: keys are node/base-name, unique across
// the nodes that share a catalogue).
func NewIndexer(c *Catalog, dir, node string, log *slog.Logger) *Indexer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Indexer{c: c, dir: dir, node: node, log: log, queue: make(chan string, 4096)}
}

// batchDelay is how long the indexer gathers notifications before it
// writes them.
const batchDelay = 200 * time.Millisecond

// Notify queues the sidecar at path for indexing. It never blocks: when
// the queue is full the indexer rescans later instead.
func (ix *Indexer) Notify(path string) {
	select {
	case ix.queue <- path:
	default:
		ix.Overflows.Add(1)
		ix.dirty.Store(true)
	}
}

// Run indexes until ctx ends: first a scan of the whole directory, then
// the notified sidecars in batches, rescanning when dirty. When ctx ends
// it makes one last attempt, of up to 5 s, at what is queued (the final
// states of recordings a shutdown finished); what that misses the next
// start's scan finds.
func (ix *Indexer) Run(ctx context.Context) {
	ix.dirty.Store(true)
	pending := map[string]bool{}
	var backoff time.Duration
	var retry *time.Timer // while backing off after a failure
	var retryC <-chan time.Time
	fail := func(err error) {
		backoff = ix.failed(err, backoff)
		retry = time.NewTimer(backoff)
		retryC = retry.C
	}
	defer func() {
		if retry != nil {
			retry.Stop()
		}
	}()
	// A queue overflow sets dirty without a wake-up of its own.
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
	// Notifications are gathered for batchDelay before they are put: a
	// call's start and end often fall in one window (one row written,
	// not two) and one transaction carries every call of the window.
	var gatherC <-chan time.Time
	gathered := false
	for {
		if retryC == nil {
			ok := true
			if ix.dirty.Load() {
				ix.dirty.Store(false)
				if n, err := ix.Scan(ctx); err != nil {
					ix.dirty.Store(true)
					ok = false
					fail(err)
				} else if n > 0 {
					ix.log.Info("catalogue rescan", "recordings", n)
				}
			}
			if ok && len(pending) > 0 && (gathered || len(pending) >= 256) {
				gathered, gatherC = false, nil
				if err := ix.flush(ctx, pending); err != nil {
					ok = false
					gathered = true // retried as soon as the backoff ends
					fail(err)
				}
			}
			if ok {
				backoff = 0
			}
		}
		select {
		case <-ctx.Done():
			ix.drain(pending)
			return
		case p := <-ix.queue:
			pending[p] = true
			if gatherC == nil && !gathered {
				gatherC = time.After(batchDelay)
			}
		case <-gatherC:
			gathered, gatherC = true, nil
		case <-retryC:
			retry, retryC = nil, nil
		case <-tick.C:
		}
	}
}

// drain puts what is queued, with a deadline of its own.
func (ix *Indexer) drain(pending map[string]bool) {
	for {
		select {
		case p := <-ix.queue:
			pending[p] = true
			continue
		default:
		}
		break
	}
	if len(pending) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ix.flush(ctx, pending); err != nil {
		ix.log.Warn("catalogue: final write failed; the next start indexes these recordings", "err", err)
	}
}

// failed logs err and returns the next backoff: 1 s doubling to 30 s.
func (ix *Indexer) failed(err error, backoff time.Duration) time.Duration {
	ix.Errors.Add(1)
	backoff = min(max(2*backoff, time.Second), 30*time.Second)
	ix.log.Warn("catalogue write failed; recordings stay on disk and are indexed on retry", "err", err, "retry_in", backoff)
	return backoff
}

// flush puts the pending sidecars and empties pending on success.
func (ix *Indexer) flush(ctx context.Context, pending map[string]bool) error {
	rs := make([]*Recording, 0, len(pending))
	for p := range pending {
		r, err := ix.load(p)
		if err != nil {
			ix.log.Warn("catalogue: unreadable sidecar", "path", p, "err", err)
			delete(pending, p)
			continue
		}
		rs = append(rs, r)
	}
	if len(rs) > 0 {
		if err := ix.c.PutBatch(ctx, rs); err != nil {
			return err
		}
	}
	ix.Indexed.Add(uint64(len(rs)))
	clear(pending)
	return nil
}

// scanMargin is how far before the catalogue's last write Scan looks:
// sidecars older than that were indexed already.
const scanMargin = 10 * time.Minute

// Scan puts the sidecars below the directory written since the
// catalogue last heard from this node (all of them for a node it does
// not know) into the catalogue and returns how many.
func (ix *Indexer) Scan(ctx context.Context) (int, error) {
	since, err := ix.c.lastUpdate(ctx, ix.node)
	if err != nil {
		return 0, err
	}
	if !since.IsZero() {
		since = since.Add(-scanMargin)
	}
	var batch []*Recording
	n := 0
	put := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := ix.c.PutBatch(ctx, batch); err != nil {
			return err
		}
		n += len(batch)
		ix.Indexed.Add(uint64(len(batch)))
		batch = batch[:0]
		return nil
	}
	err = filepath.WalkDir(ix.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == ix.dir {
				return err
			}
			return nil
		}
		if d.IsDir() || !strings.HasSuffix(path, ".json") {
			return nil
		}
		if !since.IsZero() {
			if info, err := d.Info(); err == nil && info.ModTime().Before(since) {
				return nil
			}
		}
		r, err := ix.load(path)
		if err != nil {
			ix.log.Warn("catalogue: unreadable sidecar", "path", path, "err", err)
			return nil
		}
		batch = append(batch, r)
		if len(batch) == 500 {
			return put()
		}
		return ctx.Err()
	})
	if err == nil {
		err = put()
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return n, fmt.Errorf("catalog: scan %s: %w", ix.dir, err)
	}
	return n, nil
}

// load reads the sidecar at path into a Recording.
func (ix *Indexer) load(path string) (*Recording, error) {
	m, err := record.ReadMeta(path)
	if err != nil {
		return nil, err
	}
	rel, err := filepath.Rel(ix.dir, path)
	if err != nil {
		return nil, err
	}
	r := fromMeta(ix.dir, ix.node, strings.TrimSuffix(filepath.ToSlash(rel), ".json"), m)
	if mk, err := ship.ReadMarker(path); err == nil && len(mk.Files) > 0 {
		// Delivered elsewhere (the local audio may be gone): the
		// marker has where, the size and the checksum.
		r.Location, r.Size = mk.Files[0].Location, 0
		h := sha256.New()
		for _, f := range mk.Files {
			r.Size += f.Bytes
			io.WriteString(h, f.SHA256)
		}
		r.Checksum = "sha256:" + mk.Files[0].SHA256
		if len(mk.Files) > 1 {
			r.Checksum = "sha256-of-sha256s:" + hex.EncodeToString(h.Sum(nil))
		}
	}
	return r, nil
}

// FromMeta converts the sidecar of the recording base (its sidecar's
// path relative to the recordings directory, without .json), made on
// node, to a catalogue row, without reading its audio: the caller sets
// Location, Size and Checksum from where the audio lives (the collector
// does, from what it stored).
func FromMeta(node, base string, m *record.Meta) *Recording { return fromMeta("", node, base, m) }

// fromMeta converts a sidecar to a catalogue row. Finished recordings
// below dir get their size and a SHA-256 of their audio (of each file
// in order, for recordings in several files); with dir "" none is read.
func fromMeta(dir, node, base string, m *record.Meta) *Recording {
	r := &Recording{
		Key: node + "/" + base, CallID: m.CallID, FromTag: m.FromTag, ToTag: m.ToTag,
		Caller: m.Caller, Callee: m.Callee, Started: m.Started, Ended: m.Ended,
		Duration: time.Duration(m.Duration * float64(time.Second)),
		Profile:  m.Profile, Status: Status(m.Status), Reason: m.Reason, Node: node,
	}
	f := m.Format
	if f.Container != "" {
		r.Format = fmt.Sprintf("%s/%s/%d/%s", f.Container, f.Encoding, f.SampleRate, f.Layout)
	}
	var codecs []string
	for i, l := range m.Legs {
		r.Legs[i] = Leg{Packets: int64(l.Packets), Lost: l.Lost, JitterMs: l.JitterMs,
			MOS: EstimateMOS(int64(l.Packets), l.Lost, l.JitterMs)}
		for _, c := range l.Codecs {
			if !contains(codecs, c) {
				codecs = append(codecs, c)
			}
		}
	}
	r.Codecs = strings.Join(codecs, ",")
	if m.Label != "" || len(m.Labels) > 0 {
		// The recording policy's labels, and the controller's one
		// label (rtpproxy's R, the API) under the name "label".
		r.Labels = make(map[string]string, len(m.Labels)+1)
		for k, v := range m.Labels {
			r.Labels[k] = v
		}
		if m.Label != "" {
			r.Labels["label"] = m.Label
		}
	}
	for _, e := range m.Events {
		r.Events = append(r.Events, Event{Type: e.Type, At: time.Duration(e.At * float64(time.Second)),
			Duration: time.Duration(e.Duration * float64(time.Second)), Party: e.Party, Value: e.Value,
			Confidence: e.Confidence, Source: e.Source})
	}
	var files []string
	for _, fl := range m.Files {
		if fl.Raw {
			continue
		}
		files = append(files, fl.Path)
		r.Size += fl.Bytes
	}
	if len(files) > 0 {
		r.Location = files[0]
	}
	if dir != "" && r.Status != StatusRecording && len(files) > 0 {
		// The files as they are now: a repair after a crash leaves the
		// sidecar's byte counts behind.
		h := sha256.New()
		var size int64
		ok := true
		for _, p := range files {
			n, err := hashFile(h, filepath.Join(dir, p))
			if err != nil {
				ok = false
				break
			}
			size += n
		}
		if ok {
			r.Checksum = "sha256:" + hex.EncodeToString(h.Sum(nil))
			r.Size = size
		}
	}
	return r
}

func hashFile(h io.Writer, path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return io.Copy(h, f)
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// FileRemover deletes the audio of recordings the indexer put from dir:
// when the recording was delivered to target (its marker says so), the
// delivered objects and the marker; then every local file the sidecar
// lists, and the sidecar itself (so that no rescan finds the recording
// again). Files already gone are skipped. target may be nil.
func FileRemover(dir string, target ship.Target) Remover {
	return func(ctx context.Context, r *Recording) error {
		_, base, ok := strings.Cut(r.Key, "/")
		if !ok {
			return fmt.Errorf("catalog: key %q names no file", r.Key)
		}
		side := filepath.Join(dir, filepath.FromSlash(base)+".json")
		if mk, err := ship.ReadMarker(side); err == nil && target != nil {
			for _, f := range mk.Files {
				if err := target.Remove(ctx, f.Path); err != nil {
					return err
				}
			}
		}
		if err := os.Remove(ship.MarkerPath(side)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		files := []string{r.Location}
		if m, err := record.ReadMeta(side); err == nil {
			files = files[:0]
			for _, f := range m.Files {
				files = append(files, f.Path)
			}
		}
		for _, f := range append(files, "") {
			p := side
			if f != "" {
				p = filepath.Join(dir, filepath.FromSlash(f))
			}
			if rel, err := filepath.Rel(dir, p); err != nil || strings.HasPrefix(rel, "..") {
				return fmt.Errorf("catalog: %s is outside %s", p, dir)
			}
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
		return nil
	}
}
