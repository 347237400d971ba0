// Package ship delivers recordings from the media node's disk to where
// they live (another directory, database BLOBs, S3-compatible object
// storage, a central collector) while the call is still running, so
// that a media node that dies loses at most a few seconds of audio.
//
// The recorder always writes to local disk first: that is the spool.
// A Shipper follows each recording's files as they grow (it learns of
// them from the recorder's sidecar writes, record.Config.OnMeta) and
// copies new bytes to a Target every Interval. Containers rewrite their
// header as they grow (a WAV header holds the data size), so the first
// HeaderWindow bytes are sent again whenever they change. When the
// recording ends, the Shipper sends the rest and the final header, and
// commits the object with its size and SHA-256; then it writes a marker
// file beside the sidecar (<base>.shipped, JSON) naming where the audio
// now lives, and may delete the local audio.
//
// Targets: DirTarget (a directory) and S3Target (S3-compatible object
// storage, multipart upload while the call runs; see its doc for the
// layout, memory and resume).
//
// Nothing is lost when the target is down: bytes not acknowledged stay
// on disk, the Shipper retries with backoff, and after a restart it
// finds every sidecar without a marker and resumes each file from the
// offset the target says it holds (Object.Size).
package ship

import (
	"context"
	"errors"
)

// Target is where recordings go.
type Target interface {
	// Open returns the object named key (a recording file's path
	// relative to the recordings directory, with / separators), created
	// empty if it does not exist, or resumed with what it already holds.
	Open(ctx context.Context, key string) (Object, error)
	// Location names key in the target, for the catalogue
	// ("s3://bucket/prefix/key", "blob:key", "file:/archive/key").
	Location(key string) string
	// Remove deletes key, committed or not (retention). Removing a key
	// that does not exist is not an error.
	Remove(ctx context.Context, key string) error
}

// Object is one file being delivered. Bytes arrive in order, appended
// at Size; a write below Size rewrites bytes already sent, and only
// ever within the first HeaderWindow bytes. An Object is used by one
// goroutine at a time.
type Object interface {
	// Size is the offset the next append starts from. A freshly opened
	// object reports what the target holds durably; later it may also
	// count bytes the object buffers (S3Target holds parts until they
	// are whole), which an error makes the Shipper send again after
	// reopening.
	Size() int64
	// WriteAt writes p at off: an append when off == Size(), a header
	// rewrite when off+len(p) <= HeaderWindow.
	WriteAt(ctx context.Context, p []byte, off int64) error
	// Commit ends the object: size is the final length and sum its
	// SHA-256. After Commit the object is complete where it lives. A
	// size below Size() truncates (crash recovery may shorten a file to
	// its last whole frame). Opening and committing a committed object
	// again with the same size and sum succeeds (the Shipper may have
	// died between the commit and its marker).
	Commit(ctx context.Context, size int64, sum [32]byte) error
	// Close releases the object without committing (it may be resumed
	// by a later Open).
	Close() error
}

// MetaWriter is implemented by Objects whose target keeps a catalogue
// of its own (the collector): before committing a file, the Shipper
// hands its object the recording's sidecar (record.Meta as JSON) and the
// recording's name (the sidecar's path relative to the recordings
// directory, / separated, without .json).
type MetaWriter interface {
	WriteMeta(ctx context.Context, recording string, sidecar []byte) error
}

// Syncer is implemented by Objects that can defer syncing
// (DirTarget with DeferSync): WriteAt then only writes, and Sync makes
// what was written durable, so a caller that writes in batches (the
// collector) syncs once per batch. Until Sync returns, Size counts bytes
// that a power failure may lose (a killed process loses none).
type Syncer interface {
	Sync() error
}

// HeaderWindow is how much of the start of a file a container may
// rewrite while recording (the WAV header, 44 to 58 bytes, with room for
// more): the Shipper resends it whenever it changes and at the end.
const HeaderWindow = 512

// ErrBadWrite is returned by targets for writes that break the Object
// contract (a gap, or a rewrite beyond HeaderWindow).
var ErrBadWrite = errors.New("ship: write neither appends nor rewrites the header")
