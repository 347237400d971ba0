package test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/app"
	"github.com/callrec/callrec/internal/catalog"
	"github.com/callrec/callrec/internal/config"
	"github.com/callrec/callrec/internal/store"
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

// OpenCatalog opens the database dsn (store.Open's form, "sqlite:PATH" or
// a PostgreSQL URL) and its recordings catalogue, closed when the test
// ends: for reading what a serve or collector wrote.
func OpenCatalog(t testing.TB, ctx context.Context, dsn string) (*store.Store, *catalog.Catalog) {
	t.Helper()
	st, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cat, err := catalog.Open(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	return st, cat
}
