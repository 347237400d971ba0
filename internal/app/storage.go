package app

import (
	"context"
	"fmt"

	"github.com/callrec/callrec/internal/config"
	"github.com/callrec/callrec/internal/ship"
	"github.com/callrec/callrec/internal/store"
)

// storageTarget returns where recordings are delivered, or nil when
// they stay in the local recordings directory.
func storageTarget(_ context.Context, c config.Storage, _ *store.Store) (ship.Target, error) {
	switch c.Kind {
	case "", "local":
		return nil, nil
	case "dir":
		return ship.DirTarget{Dir: c.Dir}, nil
	}
	return nil, fmt.Errorf("app: storage.kind %q", c.Kind)
}
