package ship

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"time"

	"github.com/minio/minio-go/v7"
)

// s3Object is one recording file being uploaded (see S3Target).
type s3Object struct {
	t         *S3Target
	key       string // object key, with the prefix
	size      int64  // bytes accepted: in S3 or buffered
	part1     []byte // bytes [0, min(size, PartSize)); nil once staged full and dropped
	head      []byte // with part1 nil: bytes [0, HeaderWindow), rewrites applied; nil until needed
	staged    int64  // bytes of part 1 in <key>.part1
	snapAt    time.Time
	uploadID  string
	parts     []minio.CompletePart // parts 2..k, uploaded, each PartSize
	cur       []byte               // bytes from PartSize*(1+len(parts)), not yet uploaded
	committed bool
}

// Open implements Target. It finds what S3 holds of key: a committed
// object, or an upload in progress (its staged part 1 and its parts),
// and resumes after the last byte held contiguously from 0.
func (t *S3Target) Open(ctx context.Context, key string) (Object, error) {
	k, err := t.objectKey(key)
	if err != nil {
		return nil, err
	}
	o := &s3Object{t: t, key: k}
	ups, err := t.uploads(ctx, k)
	if err != nil {
		return nil, fmt.Errorf("ship: s3 open %s: %w", k, err)
	}
	st, err := t.c.StatObject(ctx, t.cfg.Bucket, k+part1Suffix, minio.StatObjectOptions{})
	staged := err == nil
	if err != nil && !isNotFound(err) {
		return nil, fmt.Errorf("ship: s3 open %s: %w", k, err)
	}
	if len(ups) == 0 {
		fin, err := t.c.StatObject(ctx, t.cfg.Bucket, k, minio.StatObjectOptions{})
		if err == nil {
			// Committed (a staged part 1 left over is deleted by Commit).
			o.size, o.committed = fin.Size, true
			return o, nil
		}
		if !isNotFound(err) {
			return nil, fmt.Errorf("ship: s3 open %s: %w", k, err)
		}
	}
	if !staged {
		return o, nil // new; uploads without a staged part 1 are stale
	}
	o.staged = st.Size
	switch {
	case st.Size > PartSize:
		return nil, fmt.Errorf("ship: s3 %s%s holds %d bytes, more than a part", k, part1Suffix, st.Size)
	case st.Size < PartSize:
		// Part 1 is still filling: resume it in memory. No part 2 can
		// exist before part 1 is staged full.
		if o.part1, err = o.get(ctx, k+part1Suffix, 0, st.Size); err != nil {
			return nil, err
		}
		o.size = st.Size
		o.snapAt = time.Now()
		return o, nil
	}
	o.size = PartSize
	if len(ups) == 0 {
		return o, nil
	}
	o.uploadID = ups[len(ups)-1].UploadID // the newest; Commit aborts the others
	for marker := 0; ; {
		r, err := t.c.ListObjectParts(ctx, t.cfg.Bucket, k, o.uploadID, marker, 1000)
		if err != nil {
			return nil, fmt.Errorf("ship: s3 list parts of %s: %w", k, err)
		}
		for _, p := range r.ObjectParts {
			// Only whole parts right after the last one count; a short
			// part (a commit that died) or a gap is sent again.
			if p.PartNumber == len(o.parts)+2 && p.Size == PartSize {
				o.parts = append(o.parts, minio.CompletePart{PartNumber: p.PartNumber, ETag: p.ETag})
			}
		}
		if !r.IsTruncated {
			break
		}
		marker = r.NextPartNumberMarker
	}
	o.size += int64(len(o.parts)) * PartSize
	return o, nil
}

func (o *s3Object) Size() int64 { return o.size }

// WriteAt implements Object. Appends fill part 1, then the current
// part, which is uploaded when full; header rewrites patch part 1 in
// memory. With SnapshotInterval, part 1 is staged again when due.
func (o *s3Object) WriteAt(ctx context.Context, p []byte, off int64) error {
	if o.committed {
		return fmt.Errorf("ship: s3 %s is committed", o.key)
	}
	if off > o.size || (off < o.size && off+int64(len(p)) > HeaderWindow) {
		return ErrBadWrite
	}
	if off < o.size {
		n := min(int64(len(p)), o.size-off)
		if err := o.rewrite(ctx, p[:n], off); err != nil {
			return err
		}
		p = p[n:]
	}
	for len(p) > 0 {
		if o.size < PartSize {
			n := min(int64(len(p)), PartSize-o.size)
			o.part1 = appendCapped(o.part1, p[:n])
			o.size += n
			p = p[n:]
			if o.size == PartSize {
				if err := o.stage(ctx); err != nil {
					return err
				}
				o.head = append([]byte(nil), o.part1[:HeaderWindow]...)
				putBuf(o.part1)
				o.part1 = nil
			}
			continue
		}
		if o.cur == nil {
			o.cur = getBuf()
		}
		n := min(len(p), PartSize-len(o.cur))
		o.cur = append(o.cur, p[:n]...)
		o.size += int64(n)
		p = p[n:]
		if len(o.cur) == PartSize {
			cp, err := o.uploadPart(ctx, o.cur, len(o.parts)+2)
			if err != nil {
				return err
			}
			o.parts = append(o.parts, cp)
			o.cur = o.cur[:0]
		}
	}
	if iv := o.t.cfg.SnapshotInterval; iv > 0 && o.part1 != nil && o.size > o.staged && time.Since(o.snapAt) >= iv {
		return o.stage(ctx)
	}
	return nil
}

// appendCapped appends p to b, growing b at most to PartSize.
func appendCapped(b, p []byte) []byte {
	if need := len(b) + len(p); need > cap(b) {
		nb := make([]byte, len(b), min(max(2*cap(b), need, 64<<10), PartSize))
		copy(nb, b)
		b = nb
	}
	return append(b, p...)
}

// rewrite patches bytes below HeaderWindow.
func (o *s3Object) rewrite(ctx context.Context, p []byte, off int64) error {
	if o.part1 != nil {
		copy(o.part1[off:], p)
		return nil
	}
	if o.head == nil { // resumed with part 1 staged full: fetch its header
		h, err := o.get(ctx, o.key+part1Suffix, 0, HeaderWindow)
		if err != nil {
			return err
		}
		o.head = h
	}
	copy(o.head[off:], p)
	return nil
}

// stage puts part 1 as it is now in <key>.part1.
func (o *s3Object) stage(ctx context.Context) error {
	if err := o.put(ctx, o.key+part1Suffix, o.part1); err != nil {
		return err
	}
	o.staged = int64(len(o.part1))
	o.snapAt = time.Now()
	return nil
}

// put stores b as the object k in one request.
func (o *s3Object) put(ctx context.Context, k string, b []byte) error {
	sum := md5.Sum(b)
	_, err := o.t.c.PutObject(ctx, o.t.cfg.Bucket, k, bytes.NewReader(b), int64(len(b)),
		base64.StdEncoding.EncodeToString(sum[:]), "", minio.PutObjectOptions{})
	if err != nil {
		return fmt.Errorf("ship: s3 put %s: %w", k, err)
	}
	return nil
}

// uploadPart uploads b as part num, starting the multipart upload
// first if needed.
func (o *s3Object) uploadPart(ctx context.Context, b []byte, num int) (minio.CompletePart, error) {
	if o.uploadID == "" {
		id, err := o.t.c.NewMultipartUpload(ctx, o.t.cfg.Bucket, o.key, minio.PutObjectOptions{})
		if err != nil {
			return minio.CompletePart{}, fmt.Errorf("ship: s3 start upload of %s: %w", o.key, err)
		}
		o.uploadID = id
	}
	sum := md5.Sum(b)
	p, err := o.t.c.PutObjectPart(ctx, o.t.cfg.Bucket, o.key, o.uploadID, num, bytes.NewReader(b), int64(len(b)),
		minio.PutObjectPartOptions{Md5Base64: base64.StdEncoding.EncodeToString(sum[:])})
	if err != nil {
		return minio.CompletePart{}, fmt.Errorf("ship: s3 upload part %d of %s: %w", num, o.key, err)
	}
	return minio.CompletePart{PartNumber: num, ETag: p.ETag}, nil
}

// get reads n bytes of object k from off.
func (o *s3Object) get(ctx context.Context, k string, off, n int64) ([]byte, error) {
	opts := minio.GetObjectOptions{}
	if err := opts.SetRange(off, off+n-1); err != nil {
		return nil, err
	}
	rc, _, _, err := o.t.c.GetObject(ctx, o.t.cfg.Bucket, k, opts)
	if err != nil {
		return nil, fmt.Errorf("ship: s3 get %s: %w", k, err)
	}
	defer rc.Close()
	var b []byte
	if n == PartSize {
		b = getBuf()[:n]
	} else {
		b = make([]byte, n)
	}
	if _, err := io.ReadFull(rc, b); err != nil {
		return nil, fmt.Errorf("ship: s3 get %s: %w", k, err)
	}
	return b, nil
}

// Commit implements Object. It sends what is left (the last part, then
// part 1 with the final header) and completes the upload, or puts an
// object under PartSize whole; then it verifies the object by reading
// it back and comparing its length and SHA-256 with size and sum (one
// GET of the recording per commit: the strongest check, as S3's ETags
// of multipart objects are not a checksum of the content). Finally it
// deletes the staged part 1 and aborts other uploads of the key.
func (o *s3Object) Commit(ctx context.Context, size int64, sum [32]byte) error {
	if o.committed {
		if size < o.size { // a commit that died between completing and truncating
			if err := o.truncate(ctx, size); err != nil {
				return err
			}
		}
		if err := o.verify(ctx, size, sum); err != nil {
			return err
		}
		o.cleanup(ctx)
		return nil
	}
	if size > o.size {
		return fmt.Errorf("ship: s3 commit %s at %d bytes, holds %d", o.key, size, o.size)
	}
	if err := o.send(ctx, size); err != nil {
		return err
	}
	if err := o.verify(ctx, size, sum); err != nil {
		return err
	}
	o.committed = true
	o.release()
	o.cleanup(ctx)
	return nil
}

// cleanup deletes what a committed object leaves behind: other uploads
// of its key and the staged part 1. Failures are left to retention's
// Remove, which deletes both too.
func (o *s3Object) cleanup(ctx context.Context) {
	if ups, err := o.t.uploads(ctx, o.key); err == nil {
		for _, u := range ups {
			o.t.c.AbortMultipartUpload(ctx, o.t.cfg.Bucket, o.key, u.UploadID)
		}
	}
	o.t.c.RemoveObject(ctx, o.t.cfg.Bucket, o.key+part1Suffix, minio.RemoveObjectOptions{})
}

// send makes the object hold the first size bytes.
func (o *s3Object) send(ctx context.Context, size int64) error {
	p1, err := o.loadPart1(ctx)
	if err != nil {
		return err
	}
	if size <= PartSize {
		return o.put(ctx, o.key, p1[:size])
	}
	end := PartSize * int64(1+len(o.parts)) // of the parts uploaded
	parts := o.parts[:len(o.parts):len(o.parts)]
	if size > end {
		cp, err := o.uploadPart(ctx, o.cur[:size-end], len(o.parts)+2)
		if err != nil {
			return err
		}
		parts = append(parts, cp)
	} else {
		parts = parts[:(size+PartSize-1)/PartSize-1] // truncated into parts already uploaded
	}
	cp1, err := o.uploadPart(ctx, p1, 1)
	if err != nil {
		return err
	}
	parts = append([]minio.CompletePart{cp1}, parts...)
	if _, err := o.t.c.CompleteMultipartUpload(ctx, o.t.cfg.Bucket, o.key, o.uploadID, parts, minio.PutObjectOptions{}); err != nil {
		return fmt.Errorf("ship: s3 complete %s: %w", o.key, err)
	}
	o.uploadID, o.parts = "", nil
	if size < PartSize*int64(len(parts)) {
		return o.truncate(ctx, size)
	}
	return nil
}

// loadPart1 returns part 1 with the final header: from memory, or read
// back from <key>.part1.
func (o *s3Object) loadPart1(ctx context.Context) ([]byte, error) {
	if o.part1 == nil && o.size > 0 {
		b, err := o.get(ctx, o.key+part1Suffix, 0, PartSize)
		if err != nil {
			return nil, err
		}
		o.part1 = b
	}
	if o.head != nil {
		copy(o.part1, o.head)
		o.head = nil
	}
	return o.part1, nil
}

// truncate cuts the committed object to size by copying its first size
// bytes onto itself, server side (crash recovery shortening a file into
// a part already uploaded: rare, and never more than a few bytes).
func (o *s3Object) truncate(ctx context.Context, size int64) error {
	id, err := o.t.c.NewMultipartUpload(ctx, o.t.cfg.Bucket, o.key, minio.PutObjectOptions{})
	if err != nil {
		return fmt.Errorf("ship: s3 truncate %s: %w", o.key, err)
	}
	var parts []minio.CompletePart
	for off, n := int64(0), 1; off < size; off, n = off+PartSize, n+1 {
		p, err := o.t.c.CopyObjectPart(ctx, o.t.cfg.Bucket, o.key, o.t.cfg.Bucket, o.key, id, n, off, min(PartSize, size-off), nil)
		if err != nil {
			o.t.c.AbortMultipartUpload(ctx, o.t.cfg.Bucket, o.key, id)
			return fmt.Errorf("ship: s3 truncate %s: %w", o.key, err)
		}
		parts = append(parts, p)
	}
	if _, err := o.t.c.CompleteMultipartUpload(ctx, o.t.cfg.Bucket, o.key, id, parts, minio.PutObjectOptions{}); err != nil {
		return fmt.Errorf("ship: s3 truncate %s: %w", o.key, err)
	}
	return nil
}

// verify reads the object back and compares it with size and sum.
func (o *s3Object) verify(ctx context.Context, size int64, sum [32]byte) error {
	rc, info, _, err := o.t.c.GetObject(ctx, o.t.cfg.Bucket, o.key, minio.GetObjectOptions{})
	if err != nil {
		return fmt.Errorf("ship: s3 verify %s: %w", o.key, err)
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, rc)
	if err != nil {
		return fmt.Errorf("ship: s3 verify %s: %w", o.key, err)
	}
	if n != size || info.Size != size || [32]byte(h.Sum(nil)) != sum {
		return fmt.Errorf("ship: s3 %s: checksum mismatch after delivery (%d bytes, want %d)", o.key, n, size)
	}
	return nil
}

func (o *s3Object) release() {
	putBuf(o.part1)
	putBuf(o.cur)
	o.part1, o.cur, o.head = nil, nil, nil
}

// Close implements Object: it frees the buffers; the upload stays in
// S3 for a later Open to resume.
func (o *s3Object) Close() error {
	o.release()
	return nil
}
