package app

import (
	"context"
	"fmt"
	"time"

	"github.com/callrec/callrec/internal/blobstore"
	"github.com/callrec/callrec/internal/config"
	"github.com/callrec/callrec/internal/ship"
	"github.com/callrec/callrec/internal/store"
)

// storageTarget returns where recordings are delivered, or nil when
// they stay in the local recordings directory.
func storageTarget(ctx context.Context, c config.Storage, st *store.Store) (ship.Target, error) {
	switch c.Kind {
	case "", "local":
		return nil, nil
	case "dir":
		return ship.DirTarget{Dir: c.Dir}, nil
	case "blob":
		return blobstore.New(ctx, st, blobstore.Options{ChunkSize: c.ChunkSize})
	case "s3":
		access, secret := c.S3.Credentials()
		t, err := ship.NewS3Target(ship.S3Config{Endpoint: c.S3.Endpoint, Region: c.S3.Region, Bucket: c.S3.Bucket,
			Prefix: c.S3.Prefix, AccessKey: access, SecretKey: secret, PathStyle: c.S3.PathStyle,
			SnapshotInterval: c.S3.SnapshotInterval.Std()})
		if err != nil {
			return nil, err
		}
		// A wrong bucket or key is a configuration error worth failing
		// the start for; an unreachable server is an outage the Shipper
		// rides out (recordings wait on disk).
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := t.Check(cctx); err != nil && !ship.IsUnreachable(err) {
			return nil, err
		}
		return t, nil
	case "collector":
		return collectorTarget(c.Collector)
	}
	return nil, fmt.Errorf("app: storage.kind %q", c.Kind)
}
