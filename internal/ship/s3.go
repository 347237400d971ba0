package ship

// S3Target delivers recordings into S3-compatible object storage (AWS
// S3, MinIO, Ceph RGW, versitygw...) with a multipart upload that runs
// while the call is still recording.
//
// The client is minio-go (github.com/minio/minio-go/v7): its Core type
// exposes the multipart calls one by one (create, upload part, list
// uploads and parts, complete, abort), which resuming an upload after a
// restart needs, and it pulls in a handful of small modules where the
// AWS SDK v2 brings a code generator's worth.
//
// # Layout of an upload
//
// S3 parts are at least PartSize (5 MiB) except the last, and a part is
// written whole in one request. The recorder's bytes arrive as appends,
// and the container header in the first HeaderWindow bytes is rewritten
// as the file grows; those bytes live in part 1. So:
//
//   - part 1 (bytes 0 to PartSize) is held back in memory and staged in
//     S3 as the object <key>.part1 once it is full (and, with
//     SnapshotInterval, every interval before that), so that it survives
//     a restart of the media node; it is uploaded as part 1 at Commit,
//     with the final header;
//   - parts 2..N are uploaded as each fills, while the call runs;
//   - Commit uploads the last (short) part and part 1, completes the
//     upload, checks the object (see Commit) and deletes <key>.part1.
//
// A recording that ends under PartSize is one PutObject at Commit: its
// audio leaves the media node at the end of the call, or at each
// SnapshotInterval (a WAV file of two 8 kHz 16-bit channels, 32 KB/s,
// fills part 1 in 164 s; Ogg/Opus at 32 kbit/s in about 22 minutes).
//
// # Memory
//
// An object holds at most one PartSize buffer at a time: part 1 while
// it fills, then (once part 1 is staged and dropped) the part being
// filled. So a live recording costs up to 5 MiB, and a G.711 stereo WAV
// reaches that after 164 s; 1,000 long concurrent calls need 5 GiB.
// Commit reads part 1 back from <key>.part1 (5 MiB more, briefly).
// Buffers of full parts come from a pool shared by all objects.
//
// # Resume
//
// Nothing is kept locally: Open finds the upload in progress for the
// key (ListMultipartUploads), its parts (ListObjectParts) and the staged
// part 1, and reports as Size the bytes they hold contiguously from 0;
// the Shipper sends the rest again from its local file.
// Within one process Size also counts bytes buffered in memory and not
// yet in S3; after an error the Shipper reopens the object, which
// reports only what S3 holds.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// PartSize is the size of every part of an upload but the last: the
// smallest S3 allows.
const PartSize = 5 << 20

// part1Suffix names the object staging part 1 of key.
const part1Suffix = ".part1"

// S3Config configures an S3Target.
type S3Config struct {
	// Endpoint is the server's URL ("https://s3.eu-west-1.amazonaws.com",
	// "http://127.0.0.1:7070"). Zero value: https://s3.amazonaws.com.
	Endpoint string
	// Region of the bucket. Zero value: us-east-1.
	Region string
	// Bucket receives the recordings (required; it must exist).
	Bucket string
	// Prefix is prepended to every key ("recordings/"). Zero value: none.
	Prefix string
	// AccessKey and SecretKey sign requests (static credentials).
	AccessKey, SecretKey string
	// PathStyle addresses the bucket in the path (http://host/bucket/key),
	// which MinIO, versitygw and most non-AWS servers need; otherwise the
	// bucket is a host name (bucket.host), as AWS prefers.
	PathStyle bool
	// SnapshotInterval, when positive, stages part 1 in S3 this often
	// while it fills, so a recording shorter than PartSize loses at most
	// this much audio if the media node dies (each snapshot uploads part
	// 1 so far again). Zero: part 1 is staged only once full.
	SnapshotInterval time.Duration
}

// S3Target implements Target on an S3 bucket. It is safe for
// concurrent use; each Object it opens is used by one goroutine.
type S3Target struct {
	cfg S3Config
	c   minio.Core
}

// NewS3Target returns a target on cfg.Bucket. It does not contact the
// server (Check does).
func NewS3Target(cfg S3Config) (*S3Target, error) {
	if cfg.Bucket == "" {
		return nil, errors.New("ship: s3 needs a bucket")
	}
	if cfg.Endpoint == "" {
		cfg.Endpoint = "https://s3.amazonaws.com"
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	u, err := url.Parse(cfg.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return nil, fmt.Errorf("ship: s3 endpoint %q: want http(s)://host[:port]", cfg.Endpoint)
	}
	lookup := minio.BucketLookupDNS
	if cfg.PathStyle {
		lookup = minio.BucketLookupPath
	}
	cl, err := minio.New(u.Host, &minio.Options{
		Creds:        credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:       u.Scheme == "https",
		Region:       cfg.Region,
		BucketLookup: lookup,
		MaxRetries:   1, // the Shipper retries with backoff
	})
	if err != nil {
		return nil, fmt.Errorf("ship: s3: %w", err)
	}
	return &S3Target{cfg: cfg, c: minio.Core{Client: cl}}, nil
}

// Check tells whether the bucket exists and the credentials reach it.
func (t *S3Target) Check(ctx context.Context) error {
	ok, err := t.c.BucketExists(ctx, t.cfg.Bucket)
	if err != nil {
		return fmt.Errorf("ship: s3 bucket %s at %s: %w", t.cfg.Bucket, t.cfg.Endpoint, err)
	}
	if !ok {
		return fmt.Errorf("ship: s3 bucket %s at %s does not exist", t.cfg.Bucket, t.cfg.Endpoint)
	}
	return nil
}

// IsUnreachable tells whether err (from Check) means no S3 server
// answered, rather than one that refused: an outage to ride out, not a
// configuration error.
func IsUnreachable(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded)
}

// Client returns the underlying client (tests read objects with it).
func (t *S3Target) Client() *minio.Client { return t.c.Client }

// Key returns the object key of a recording file's key.
func (t *S3Target) Key(key string) string { return t.cfg.Prefix + key }

// Location implements Target: s3://bucket/prefix/key.
func (t *S3Target) Location(key string) string {
	return "s3://" + t.cfg.Bucket + "/" + t.Key(key)
}

func (t *S3Target) objectKey(key string) (string, error) {
	if key == "" || path.IsAbs(key) || strings.HasPrefix(path.Clean(key), "..") || path.Clean(key) != key {
		return "", fmt.Errorf("ship: s3 key %q is not a clean relative path", key)
	}
	return t.Key(key), nil
}

// uploads returns the ids of the multipart uploads in progress for k,
// oldest first.
func (t *S3Target) uploads(ctx context.Context, k string) ([]minio.ObjectMultipartInfo, error) {
	var out []minio.ObjectMultipartInfo
	keyMarker, idMarker := "", ""
	for {
		r, err := t.c.ListMultipartUploads(ctx, t.cfg.Bucket, k, keyMarker, idMarker, "", 1000)
		if err != nil {
			return nil, err
		}
		for _, u := range r.Uploads {
			if u.Key == k {
				out = append(out, u)
			}
		}
		if !r.IsTruncated {
			break
		}
		keyMarker, idMarker = r.NextKeyMarker, r.NextUploadIDMarker
	}
	for i := 1; i < len(out); i++ { // few: insertion sort by start
		for j := i; j > 0 && out[j].Initiated.Before(out[j-1].Initiated); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out, nil
}

// Remove implements Target: it aborts the key's uploads and deletes the
// object and its staged part 1.
func (t *S3Target) Remove(ctx context.Context, key string) error {
	k, err := t.objectKey(key)
	if err != nil {
		return err
	}
	ups, err := t.uploads(ctx, k)
	if err != nil {
		return fmt.Errorf("ship: s3 remove %s: %w", k, err)
	}
	for _, u := range ups {
		if err := t.c.AbortMultipartUpload(ctx, t.cfg.Bucket, k, u.UploadID); err != nil && !isNotFound(err) {
			return fmt.Errorf("ship: s3 abort %s: %w", k, err)
		}
	}
	for _, o := range []string{k, k + part1Suffix} {
		if err := t.c.RemoveObject(ctx, t.cfg.Bucket, o, minio.RemoveObjectOptions{}); err != nil && !isNotFound(err) {
			return fmt.Errorf("ship: s3 remove %s: %w", o, err)
		}
	}
	return nil
}

func isNotFound(err error) bool {
	switch minio.ToErrorResponse(err).Code {
	case "NoSuchKey", "NoSuchUpload", "NotFound":
		return true
	}
	return false
}

// bufPool holds PartSize buffers.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, PartSize); return &b }}

func getBuf() []byte { return (*bufPool.Get().(*[]byte))[:0] }

func putBuf(b []byte) {
	if cap(b) == PartSize {
		bufPool.Put(&b)
	}
}

// ErrNotStored means a location names no object of this target.
var ErrNotStored = errors.New("ship: no such object")

// OpenLocation opens the committed object at location (as Location
// returned it: s3://bucket/key) for reading: an io.ReadSeekCloser that
// fetches ranges as it is read (playback, download). ErrNotStored when
// the bucket holds no such object, or the location is another bucket's.
func (t *S3Target) OpenLocation(ctx context.Context, location string) (io.ReadSeekCloser, error) {
	k, ok := strings.CutPrefix(location, "s3://"+t.cfg.Bucket+"/")
	if !ok || k == "" {
		return nil, fmt.Errorf("%w: %s is not in bucket %s", ErrNotStored, location, t.cfg.Bucket)
	}
	o, err := t.c.Client.GetObject(ctx, t.cfg.Bucket, k, minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("ship: s3 get %s: %w", k, err)
	}
	if _, err := o.Stat(); err != nil {
		o.Close()
		if isNotFound(err) {
			return nil, fmt.Errorf("%w: %s", ErrNotStored, location)
		}
		return nil, fmt.Errorf("ship: s3 get %s: %w", k, err)
	}
	return o, nil
}
