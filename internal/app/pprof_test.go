package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/config"
	"github.com/callrec/callrec/internal/nettest"
)

// TestServePprof: /debug/pprof/ is served only when serve.pprof is on.
func TestServePprof(t *testing.T) {
	for _, on := range []bool{false, true} {
		t.Run(fmt.Sprint(on), func(t *testing.T) {
			c := config.Default()
			c.Serve.DataDir = t.TempDir()
			c.Serve.SIPListen = fmt.Sprintf("127.0.0.1:%d", nettest.FreeUDPPort(t, "127.0.0.1"))
			c.Serve.HTTPListen = "127.0.0.1:0"
			c.Serve.Pprof = on
			c.Media.PortMin, c.Media.PortMax = freePorts(t, 4)
			n, err := StartServe(context.Background(), c, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				n.Close(ctx)
			})
			cl := http.Client{Timeout: 5 * time.Second}
			res, err := cl.Get("http://" + n.HTTP + "/debug/pprof/cmdline")
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			want := http.StatusNotFound
			if on {
				want = http.StatusOK
			}
			if res.StatusCode != want {
				t.Errorf("pprof %v: /debug/pprof/cmdline answered %d, want %d", on, res.StatusCode, want)
			}
		})
	}
}
