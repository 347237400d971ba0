package ship

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// DirTarget delivers recordings into another directory (an archive on a
// network mount, say). An object grows as <key>.part, synced after
// every write, and is renamed to <key> on Commit.
type DirTarget struct {
	Dir string
	// DeferSync leaves syncing to the objects' Sync (Syncer) instead
	// of every WriteAt; Commit syncs either way.
	DeferSync bool
}

// Location implements Target.
func (t DirTarget) Location(key string) string {
	return "file:" + filepath.Join(t.Dir, filepath.FromSlash(key))
}

func (t DirTarget) path(key string) (string, error) {
	p := filepath.Join(t.Dir, filepath.FromSlash(key))
	if rel, err := filepath.Rel(t.Dir, p); err != nil || strings.HasPrefix(rel, "..") {
		return "", fmt.Errorf("ship: key %q leaves %s", key, t.Dir)
	}
	return p, nil
}

// Open implements Target.
func (t DirTarget) Open(_ context.Context, key string) (Object, error) {
	p, err := t.path(key)
	if err != nil {
		return nil, err
	}
	if st, err := os.Stat(p); err == nil {
		return &dirObject{final: p, size: st.Size(), committed: true, deferSync: t.DeferSync}, nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(p+".part", os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &dirObject{f: f, final: p, size: st.Size(), deferSync: t.DeferSync}, nil
}

// Remove implements Target.
func (t DirTarget) Remove(_ context.Context, key string) error {
	p, err := t.path(key)
	if err != nil {
		return err
	}
	for _, q := range []string{p, p + ".part"} {
		if err := os.Remove(q); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

type dirObject struct {
	f         *os.File
	final     string
	size      int64
	committed bool
	deferSync bool
}

func (o *dirObject) Size() int64 { return o.size }

func (o *dirObject) WriteAt(_ context.Context, p []byte, off int64) error {
	if o.committed {
		// A Shipper that died between a commit and its marker
		// resends the header: the same bytes are no change.
		if same, err := fileHolds(o.final, p, off); err != nil || !same {
			return fmt.Errorf("ship: %s is committed", o.final)
		}
		return nil
	}
	if off != o.size && off+int64(len(p)) > HeaderWindow {
		return ErrBadWrite
	}
	if _, err := o.f.WriteAt(p, off); err != nil {
		return err
	}
	if !o.deferSync {
		if err := o.f.Sync(); err != nil {
			return err
		}
	}
	o.size = max(o.size, off+int64(len(p)))
	return nil
}

// Sync implements Syncer: with DeferSync, what was written becomes
// durable; otherwise every WriteAt was synced already.
func (o *dirObject) Sync() error {
	if !o.deferSync || o.f == nil {
		return nil
	}
	return o.f.Sync()
}

func (o *dirObject) Commit(_ context.Context, size int64, sum [32]byte) error {
	if o.committed {
		got, err := fileSum(o.final)
		if err != nil {
			return err
		}
		if got != sum || o.size != size {
			return fmt.Errorf("ship: %s committed with other content", o.final)
		}
		return nil
	}
	if size > o.size {
		return fmt.Errorf("ship: commit %s at %d bytes, holds %d", o.final, size, o.size)
	}
	if err := o.f.Truncate(size); err != nil {
		return err
	}
	if _, err := o.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	h := sha256.New()
	if _, err := io.Copy(h, o.f); err != nil {
		return err
	}
	if [32]byte(h.Sum(nil)) != sum {
		return fmt.Errorf("ship: %s: checksum mismatch after delivery", o.final)
	}
	if err := o.f.Sync(); err != nil {
		return err
	}
	if err := o.f.Close(); err != nil {
		return err
	}
	o.f = nil
	if err := os.Rename(o.final+".part", o.final); err != nil {
		return err
	}
	o.committed = true
	return nil
}

func (o *dirObject) Close() error {
	if o.f == nil {
		return nil
	}
	err := o.f.Close()
	o.f = nil
	if errors.Is(err, fs.ErrClosed) {
		return nil
	}
	return err
}

func fileSum(p string) ([32]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return [32]byte{}, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return [32]byte{}, err
	}
	return [32]byte(h.Sum(nil)), nil
}

// fileHolds reports whether the file at path holds p at off.
func fileHolds(path string, p []byte, off int64) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	b := make([]byte, len(p))
	if _, err := f.ReadAt(b, off); err != nil {
		return false, err
	}
	return bytes.Equal(b, p), nil
}
