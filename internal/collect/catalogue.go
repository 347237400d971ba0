package collect

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/callrec/callrec/internal/catalog"
	"github.com/callrec/callrec/internal/ship"
)

// recordings holds, per recording with several files, the files
// committed so far: its row is written when the last one commits.
type recordings struct {
	mu sync.Mutex
	m  map[string]*recState // by node/recording
}

type recState struct {
	files map[string]ship.ShippedFile // by client key
}

func hexSum(sum [32]byte) string { return hex.EncodeToString(sum[:]) }

// catalogue notes the commit of f, the file st received, and once every
// file of st's recording is committed writes the recording's catalogue
// row: its sidecar's fields, with the collector's location, the size and
// the checksum of the files as stored (their SHA-256 was verified by the
// target's Commit). Keys are node/recording, as the media node's own
// indexer names them, so a catalogue both write holds one row.
func (s *Server) catalogue(ctx context.Context, node string, st *srvStream, f ship.ShippedFile) error {
	if s.cfg.Catalog == nil {
		return nil
	}
	id := node + "/" + st.rec
	var files []ship.ShippedFile
	s.recs.mu.Lock()
	rs := s.recs.m[id]
	if rs == nil {
		rs = &recState{files: map[string]ship.ShippedFile{}}
		s.recs.m[id] = rs
	}
	rs.files[f.Path] = f
	for _, mf := range st.meta.Files {
		sf, ok := rs.files[mf.Path]
		if !ok {
			files = nil
			break
		}
		files = append(files, sf)
	}
	if len(files) == 0 && len(st.meta.Files) > 0 {
		s.recs.mu.Unlock()
		return nil // more files to come
	}
	delete(s.recs.m, id)
	s.recs.mu.Unlock()
	if len(files) == 0 {
		files = []ship.ShippedFile{f} // a sidecar naming no file: the one committed
	}

	r := catalog.FromMeta(node, strings.TrimSuffix(st.rec, ".json"), st.meta)
	r.Location, r.Size = files[0].Location, 0
	h := sha256.New()
	for _, sf := range files {
		r.Size += sf.Bytes
		io.WriteString(h, sf.SHA256)
	}
	r.Checksum = "sha256:" + files[0].SHA256
	if len(files) > 1 {
		r.Checksum = "sha256-of-sha256s:" + hex.EncodeToString(h.Sum(nil))
	}
	if err := s.cfg.Catalog.Put(ctx, r); err != nil {
		// The client retries the commit, which is idempotent: the
		// files come back and the row is written then.
		s.recs.mu.Lock()
		s.recs.m[id] = rs
		s.recs.mu.Unlock()
		return fmt.Errorf("collect: catalogue %s: %w", id, err)
	}
	s.Rows.Add(1)
	return nil
}
