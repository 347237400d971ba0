package ship

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
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
)

// Config configures a Shipper.
type Config struct {
	// Dir is the recordings directory the recorder writes (required).
	Dir string
	// Target receives the recordings (required).
	Target Target
	// Interval is how often growing files are copied. Zero: 1 s.
	Interval time.Duration
	// KeepLocal keeps the local audio after it was committed; by
	// default it is deleted (the sidecar and marker stay).
	KeepLocal bool
	// OnShipped, when set, is called with the sidecar path once every
	// file of the recording is committed (callrec serve re-indexes the
	// recording with its new location).
	OnShipped func(sidecar string)
	// Logger receives delivery events (never per write). Nil: discard.
	Logger *slog.Logger
}

// Marker is the content of <base>.shipped, written beside the sidecar
// when a recording was delivered.
type Marker struct {
	Files   []ShippedFile `json:"files"`
	Shipped time.Time     `json:"shipped"`
}

// ShippedFile is one delivered file.
type ShippedFile struct {
	Path     string `json:"path"`     // relative to the recordings directory
	Location string `json:"location"` // Target.Location
	Bytes    int64  `json:"bytes"`
	SHA256   string `json:"sha256"`
}

// MarkerPath returns the marker path of the sidecar at sidecar.
func MarkerPath(sidecar string) string {
	return strings.TrimSuffix(sidecar, ".json") + ".shipped"
}

// ReadMarker reads the marker of the sidecar at sidecar.
func ReadMarker(sidecar string) (*Marker, error) {
	b, err := os.ReadFile(MarkerPath(sidecar))
	if err != nil {
		return nil, err
	}
	var m Marker
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("ship: marker %s: %w", MarkerPath(sidecar), err)
	}
	return &m, nil
}

// Shipper delivers recordings to a Target. Notify and Run are safe to
// call from any goroutine; Run owns all other state.
type Shipper struct {
	cfg    Config
	log    *slog.Logger
	notify chan string
	dirty  atomic.Bool
	recs   map[string]*shipment // by sidecar path

	// Counters, read by metrics and tests.
	Bytes, Committed, Errors, Overflows atomic.Uint64
	Active                              atomic.Int64
	// Spool is the bytes of the recordings being delivered that the
	// target has not yet taken: what a lost disk would lose. Updated
	// after every pass (each Interval).
	Spool atomic.Int64
}

// shipment is one recording being delivered.
type shipment struct {
	sidecar string
	meta    *record.Meta
	reread  bool // the sidecar changed since meta was read
	files   []*shipFile
	retryAt time.Time
	backoff time.Duration
}

type shipFile struct {
	rel   string // path relative to Dir, / separated
	obj   Object
	hdr   []byte // header bytes last sent
	local int64  // size of the local file when last copied
	sent  int64  // bytes the target held after that copy
}

// New returns a Shipper; Run starts it.
func New(cfg Config) (*Shipper, error) {
	if cfg.Dir == "" || cfg.Target == nil {
		return nil, errors.New("ship: a directory and a target are required")
	}
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Shipper{cfg: cfg, log: cfg.Logger, notify: make(chan string, 4096), recs: map[string]*shipment{}}, nil
}

// Notify tells the Shipper that the sidecar at path was written. It
// never blocks; on overflow the Shipper rescans the directory.
func (s *Shipper) Notify(path string) {
	select {
	case s.notify <- path:
	default:
		s.Overflows.Add(1)
		s.dirty.Store(true)
	}
}

// Run delivers until ctx ends. It starts with a scan for recordings not
// yet delivered (a restart resumes them), then copies every Interval.
func (s *Shipper) Run(ctx context.Context) {
	s.dirty.Store(true)
	t := time.NewTicker(s.cfg.Interval)
	defer t.Stop()
	defer func() {
		for _, r := range s.recs {
			r.close()
		}
	}()
	for {
		if s.dirty.Swap(false) {
			s.scan()
		}
		now := time.Now()
		for _, r := range s.recs {
			if now.Before(r.retryAt) {
				continue
			}
			done, err := s.pump(ctx, r)
			switch {
			case ctx.Err() != nil:
				return
			case err != nil:
				s.Errors.Add(1)
				r.backoff = min(max(2*r.backoff, time.Second), 30*time.Second)
				r.retryAt = now.Add(r.backoff)
				r.close() // reopened, and resumed from Size, next time
				s.log.Warn("delivery failed; the recording stays on disk and is retried",
					"sidecar", r.sidecar, "err", err, "retry_in", r.backoff)
			case done:
				delete(s.recs, r.sidecar)
			default:
				r.backoff = 0
			}
		}
		s.Active.Store(int64(len(s.recs)))
		s.Spool.Store(s.spool())
		select {
		case <-ctx.Done():
			return
		case p := <-s.notify:
			s.track(p)
		drain:
			for {
				select {
				case p := <-s.notify:
					s.track(p)
				default:
					break drain
				}
			}
		case <-t.C:
		}
	}
}

// track adds or marks for re-reading the recording of sidecar p.
func (s *Shipper) track(p string) {
	if r, ok := s.recs[p]; ok {
		r.reread = true
		return
	}
	if _, err := os.Stat(MarkerPath(p)); err == nil {
		return // delivered already
	}
	s.recs[p] = &shipment{sidecar: p, reread: true}
}

// scan tracks every sidecar below Dir without a marker.
func (s *Shipper) scan() {
	_ = filepath.WalkDir(s.cfg.Dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".json") {
			s.track(path)
		}
		return nil
	})
}

func (r *shipment) close() {
	for _, f := range r.files {
		if f.obj != nil {
			f.obj.Close()
			f.obj = nil
		}
	}
}

// pump copies what is new in r's files; when the recording has ended it
// finishes and commits them and reports done.
func (s *Shipper) pump(ctx context.Context, r *shipment) (done bool, err error) {
	if r.reread || r.meta == nil {
		m, err := record.ReadMeta(r.sidecar)
		if errors.Is(err, fs.ErrNotExist) {
			return true, nil // purged
		}
		if err != nil {
			return false, err
		}
		r.meta, r.reread = m, false
		for _, f := range m.Files {
			if !r.has(f.Path) {
				r.files = append(r.files, &shipFile{rel: f.Path})
			}
		}
	}
	final := r.meta.Status != record.StatusRecording
	for _, f := range r.files {
		if err := s.copyNew(ctx, f, final); err != nil {
			return false, err
		}
	}
	if !final {
		return false, nil
	}
	var mk Marker
	side, err := os.ReadFile(r.sidecar)
	if err != nil {
		return false, err
	}
	rec, _ := filepath.Rel(s.cfg.Dir, strings.TrimSuffix(r.sidecar, ".json"))
	for _, f := range r.files {
		sf, err := s.commit(ctx, f, filepath.ToSlash(rec), side)
		if err != nil {
			return false, err
		}
		mk.Files = append(mk.Files, sf)
	}
	mk.Shipped = time.Now().UTC()
	if err := writeMarker(MarkerPath(r.sidecar), &mk); err != nil {
		return false, err
	}
	s.Committed.Add(1)
	if !s.cfg.KeepLocal {
		for _, f := range r.files {
			os.Remove(filepath.Join(s.cfg.Dir, filepath.FromSlash(f.rel)))
		}
	}
	if s.cfg.OnShipped != nil {
		s.cfg.OnShipped(r.sidecar)
	}
	s.log.Info("recording delivered", "sidecar", r.sidecar, "location", mk.Files[0].Location)
	return true, nil
}

// spool sums what the target has not taken of the tracked recordings,
// as of their last copy.
func (s *Shipper) spool() int64 {
	var n int64
	for _, r := range s.recs {
		for _, f := range r.files {
			n += max(f.local-f.sent, 0)
		}
	}
	return n
}

func (r *shipment) has(rel string) bool {
	for _, f := range r.files {
		if f.rel == rel {
			return true
		}
	}
	return false
}

// copyBuf bounds one read of new bytes.
const copyBuf = 256 << 10

// copyNew appends the bytes of f's local file beyond what the target
// holds, and resends the header when it changed (always when final).
func (s *Shipper) copyNew(ctx context.Context, f *shipFile, final bool) error {
	lf, err := os.Open(filepath.Join(s.cfg.Dir, filepath.FromSlash(f.rel)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil // not created yet (or a part not started)
	}
	if err != nil {
		return err
	}
	defer lf.Close()
	st, err := lf.Stat()
	if err != nil {
		return err
	}
	size := st.Size()
	f.local = size
	if f.obj == nil {
		if f.obj, err = s.cfg.Target.Open(ctx, f.rel); err != nil {
			return fmt.Errorf("open %s: %w", f.rel, err)
		}
		f.hdr = nil // unknown what the target holds: resend
	}
	defer func() { f.sent = f.obj.Size() }()
	buf := make([]byte, min(copyBuf, max(size-f.obj.Size(), HeaderWindow)))
	for off := f.obj.Size(); off < size; {
		n, err := lf.ReadAt(buf[:min(int64(len(buf)), size-off)], off)
		if n > 0 {
			if err := f.obj.WriteAt(ctx, buf[:n], off); err != nil {
				return fmt.Errorf("write %s at %d: %w", f.rel, off, err)
			}
			s.Bytes.Add(uint64(n))
			off += int64(n)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	hn := min(int64(HeaderWindow), f.obj.Size())
	hdr := buf[:hn]
	if n, err := lf.ReadAt(hdr, 0); int64(n) != hn {
		return fmt.Errorf("read header of %s: %w", f.rel, err)
	}
	if !bytes.Equal(hdr, f.hdr) || final {
		if err := f.obj.WriteAt(ctx, hdr, 0); err != nil {
			return fmt.Errorf("rewrite header of %s: %w", f.rel, err)
		}
		f.hdr = append(f.hdr[:0], hdr...)
	}
	return nil
}

// commit hashes f's local file and commits its object, after handing it
// the sidecar when it is a MetaWriter.
func (s *Shipper) commit(ctx context.Context, f *shipFile, rec string, sidecar []byte) (ShippedFile, error) {
	p := filepath.Join(s.cfg.Dir, filepath.FromSlash(f.rel))
	lf, err := os.Open(p)
	if err != nil {
		return ShippedFile{}, err
	}
	defer lf.Close()
	h := sha256.New()
	size, err := io.Copy(h, lf)
	if err != nil {
		return ShippedFile{}, err
	}
	var sum [32]byte
	h.Sum(sum[:0])
	if f.obj == nil {
		if f.obj, err = s.cfg.Target.Open(ctx, f.rel); err != nil {
			return ShippedFile{}, err
		}
	}
	if mw, ok := f.obj.(MetaWriter); ok {
		if err := mw.WriteMeta(ctx, rec, sidecar); err != nil {
			return ShippedFile{}, fmt.Errorf("meta %s: %w", f.rel, err)
		}
	}
	if err := f.obj.Commit(ctx, size, sum); err != nil {
		return ShippedFile{}, fmt.Errorf("commit %s: %w", f.rel, err)
	}
	f.obj = nil
	return ShippedFile{Path: f.rel, Location: s.cfg.Target.Location(f.rel), Bytes: size, SHA256: hex.EncodeToString(sum[:])}, nil
}

// writeMarker writes m to path atomically.
func writeMarker(path string, m *Marker) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
