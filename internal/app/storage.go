package app

import (
	"context"
	"fmt"

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
	}
	return nil, fmt.Errorf("app: storage.kind %q", c.Kind)
}
