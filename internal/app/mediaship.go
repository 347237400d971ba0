package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/callrec/callrec/internal/config"
	"github.com/callrec/callrec/internal/ship"
)

// Shipping delivers a standalone media node's recordings (`callrec
// media` with a storage section) while the calls run.
type Shipping struct {
	Shipper *ship.Shipper
	target  ship.Target
	cancel  context.CancelFunc
	done    chan struct{}
}

// StartShipping starts delivering the recordings below recordDir to
// storage (kinds dir, s3 and collector: a media node has no database for
// blob). Pass its Notify to WithSidecarHook. It returns nil for kind
// local.
func StartShipping(storage config.Storage, recordDir string, log *slog.Logger) (*Shipping, error) {
	switch storage.Kind {
	case "", "local":
		return nil, nil
	case "blob":
		return nil, errors.New("app: storage.kind blob needs callrec serve's database; a media node ships to dir, s3 or collector")
	}
	if recordDir == "" {
		return nil, fmt.Errorf("app: storage.kind %s needs media.record_dir (--record-dir)", storage.Kind)
	}
	target, err := storageTarget(context.Background(), storage, nil)
	if err != nil {
		return nil, err
	}
	sh, err := ship.New(ship.Config{Dir: recordDir, Target: target, Interval: storage.Interval.Std(),
		KeepLocal: storage.KeepLocal, Logger: log.With("component", "ship")})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Shipping{Shipper: sh, target: target, cancel: cancel, done: make(chan struct{})}
	go func() { defer close(s.done); sh.Run(ctx) }()
	return s, nil
}

// Notify is the sidecar hook.
func (s *Shipping) Notify(path string) { s.Shipper.Notify(path) }

// Close stops delivering; what is not delivered is on disk and resumes
// at the next start.
func (s *Shipping) Close() {
	s.cancel()
	<-s.done
	closeTarget(s.target)
}

// closeTarget releases a target that holds a connection (collector).
func closeTarget(t ship.Target) {
	if c, ok := t.(io.Closer); ok {
		c.Close()
	}
}
