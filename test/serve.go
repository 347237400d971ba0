package test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/app"
	"github.com/callrec/callrec/internal/config"
)

// StartServe runs `callrec serve` in-process with c until the test ends
// (stopped by a cleanup, after the test's peers: cleanups run in reverse
// order). Its log goes to stderr with -v, nowhere otherwise.
func StartServe(t testing.TB, ctx context.Context, c config.Config) *app.Node {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	n, err := app.StartServe(ctx, c, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		n.Close(cctx)
	})
	return n
}
