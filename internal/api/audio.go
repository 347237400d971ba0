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
	"github.com/callrec/callrec/internal/record"
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

// AudioFile is one audio file of a recording: recordings with layout
// separate have one per party, and a rollover starts a new part.
type AudioFile struct {
	Index int    `json:"index"` // ?file=Index of the audio URL
	Party string `json:"party,omitempty"`
	Part  int    `json:"part"`
	Bytes int64  `json:"bytes"`
	// Audio is the path of this file's audio.
	Audio    string `json:"audio"`
	location string
}

// Files lists r's audio files from its sidecar in Dir (and where its
// delivery marker says they went); without a sidecar, the catalogue's
// one location.
func (a *Audio) Files(r *catalog.Recording) []AudioFile {
	one := []AudioFile{{Part: 1, Bytes: r.Size, location: r.Location}}
	_, base, ok := strings.Cut(r.Key, "/")
	if a == nil || a.Dir == "" || !ok || !filepath.IsLocal(filepath.FromSlash(base)) {
		return one
	}
	side := filepath.Join(a.Dir, filepath.FromSlash(base)+".json")
	m, err := record.ReadMeta(side)
	if err != nil {
		return one
	}
	shipped := map[string]string{}
	if mk, err := ship.ReadMarker(side); err == nil {
		for _, f := range mk.Files {
			shipped[f.Path] = f.Location
		}
	}
	var out []AudioFile
	for _, f := range m.Files {
		if f.Raw {
			continue
		}
		loc := f.Path
		if l, ok := shipped[f.Path]; ok {
			loc = l
		}
		out = append(out, AudioFile{Index: len(out), Party: f.Party, Part: max(f.Part, 1), Bytes: f.Bytes, location: loc})
	}
	if len(out) == 0 || out[0].location != r.Location {
		return one // the sidecar is not the catalogue's row (yet)
	}
	return out
}

// Open returns a reader of the audio at location (one of a recording's
// files).
func (a *Audio) Open(ctx context.Context, loc string) (io.ReadSeekCloser, error) {
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
	files := s.cfg.Audio.Files(rec)
	idx := 0
	if v := r.URL.Query().Get("file"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, CodeBadRequest, "api: file "+strconv.Quote(v)+" is not an index")
			return
		}
		if n >= len(files) {
			writeError(w, http.StatusNotFound, CodeNotFound, fmt.Sprintf("api: recording %s has %d audio files, no index %d", id, len(files), n))
			return
		}
		idx = n
	}
	loc := files[idx].location
	f, err := s.cfg.Audio.Open(r.Context(), loc)
	if errors.Is(err, errNoAudio) {
		writeError(w, http.StatusNotFound, CodeNotFound, "api: recording "+id+": no audio this node can read at "+strconv.Quote(loc))
		return
	}
	if err != nil {
		s.log.Error("open audio", "id", rec.ID, "location", rec.Location, "err", err)
		writeError(w, http.StatusInternalServerError, CodeInternal, "api: open audio: "+err.Error())
		return
	}
	defer f.Close()
	name := path.Base(filepath.ToSlash(loc))
	if i := strings.LastIndexAny(name, ":/"); i >= 0 {
		name = name[i+1:]
	}
	h := w.Header()
	h.Set("Content-Type", contentType(rec))
	h.Set("X-Content-Type-Options", "nosniff")
	if rec.Status != catalog.StatusRecording && rec.Checksum != "" && len(files) == 1 {
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
