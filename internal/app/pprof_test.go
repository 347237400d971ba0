package app

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/config"
)

// TestServePprof: /debug/pprof/ is served only when serve.pprof is on.
func TestServePprof(t *testing.T) {
	for _, on := range []bool{false, true} {
		t.Run(fmt.Sprint(on), func(t *testing.T) {
			n := startServeWith(t, func(c *config.Config) { c.Serve.Pprof = on })
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
