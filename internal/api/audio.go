package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/callrec/callrec/internal/blobstore"
	"github.com/callrec/callrec/internal/catalog"
	"github.com/callrec/callrec/internal/ship"
)

// Audio opens a recording's audio wherever the catalogue says it lives:
// a path relative to Dir (the node's recordings directory), file:/abs
// (storage.kind dir), blob:KEY (Blobs) or s3://bucket/key (S3).
// Recordings a collector stored are served by the collector's own
// catalogue. Nil fields serve nothing of their kind.
type Audio struct {
	Dir   string
	Blobs *blobstore.Target
	S3    *ship.S3Target
}

// errNoAudio means the audio is not where this node can read it.
var errNoAudio = errors.New("api: audio not stored here")

// Open returns a reader of r's audio (its first file) and its size.
func (a *Audio) Open(ctx context.Context, r *catalog.Recording) (io.ReadSeekCloser, error) {
	loc := r.Location
	switch {
	case a == nil || loc == "":
		return nil, errNoAudio
	case strings.HasPrefix(loc, "file:"):
		return openFile(strings.TrimPrefix(loc, "file:"))
	case strings.HasPrefix(loc, blobstore.LocationPrefix):
		key, _ := blobstore.KeyOf(loc)
		if a.Blobs == nil {
			return nil, errNoAudio
		}
		b, err := a.Blobs.OpenBlob(ctx, key)
		if errors.Is(err, blobstore.ErrNotFound) {
			return nil, fmt.Errorf("%w: %w", errNoAudio, err)
		}
		return b, err
	case strings.HasPrefix(loc, "s3://"):
		if a.S3 == nil {
			return nil, errNoAudio
		}
		rc, err := a.S3.OpenLocation(ctx, loc)
		if errors.Is(err, ship.ErrNotStored) {
			return nil, fmt.Errorf("%w: %w", errNoAudio, err)
		}
		return rc, err
	case strings.Contains(loc, "://"):
		// collector://, or a scheme of a target this node does not read.
		return nil, errNoAudio
	}
	if a.Dir == "" || path.IsAbs(loc) || !filepath.IsLocal(filepath.FromSlash(loc)) {
		return nil, errNoAudio
	}
	return openFile(filepath.Join(a.Dir, filepath.FromSlash(loc)))
}

func openFile(p string) (io.ReadSeekCloser, error) {
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %w", errNoAudio, err)
	}
	return f, err
}

// contentType is the MIME type of r's container ("wav/pcm_s16le/..."),
// or of its file name's extension.
func contentType(r *catalog.Recording) string {
	c, _, _ := strings.Cut(r.Format, "/")
	if c == "" {
		c = strings.TrimPrefix(path.Ext(r.Location), ".")
	}
	switch c {
	case "wav":
		return "audio/wav"
	case "ogg", "opus":
		return "audio/ogg"
	case "mp3":
		return "audio/mpeg"
	case "flac":
		return "audio/flac"
	}
	return "application/octet-stream"
}

// audio serves a recording's audio with http.ServeContent: Range and
// If-Range (the ETag is the checksum of a finished recording), HEAD.
// ?download=1 asks the browser to save it.
func (s *Server) audio(w http.ResponseWriter, r *http.Request) {
	rec := s.recording(w, r)
	if rec == nil {
		return
	}
	id := strconv.FormatInt(rec.ID, 10)
	if rec.Status == catalog.StatusDeleted {
		writeError(w, http.StatusGone, CodeGone, "api: recording "+id+" was deleted ("+rec.Reason+")")
		return
	}
	f, err := s.cfg.Audio.Open(r.Context(), rec)
	if errors.Is(err, errNoAudio) {
		writeError(w, http.StatusNotFound, CodeNotFound, "api: recording "+id+": no audio this node can read at "+strconv.Quote(rec.Location))
		return
	}
	if err != nil {
		s.log.Error("open audio", "id", rec.ID, "location", rec.Location, "err", err)
		writeError(w, http.StatusInternalServerError, CodeInternal, "api: open audio: "+err.Error())
		return
	}
	defer f.Close()
	name := path.Base(filepath.ToSlash(rec.Location))
	if i := strings.LastIndexAny(name, ":/"); i >= 0 {
		name = name[i+1:]
	}
	h := w.Header()
	h.Set("Content-Type", contentType(rec))
	h.Set("X-Content-Type-Options", "nosniff")
	if rec.Status != catalog.StatusRecording && rec.Checksum != "" {
		// Browsers may keep it; shared caches must not (it is a
		// recording of a call, served to an authenticated client).
		h.Set("Cache-Control", "private")
		h.Set("ETag", strconv.Quote(rec.Checksum))
	} else {
		h.Set("Cache-Control", "no-store") // still growing
	}
	if d := r.URL.Query().Get("download"); d == "1" || d == "true" {
		h.Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", strings.ReplaceAll(name, `"`, "")))
	}
	http.ServeContent(w, r, name, rec.Ended, f) // a zero Ended sends no Last-Modified
}
