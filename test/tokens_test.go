package test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/app"
	"github.com/callrec/callrec/internal/config"
)

// TestTokensNew: `callrec tokens new` prints a token on stdout and, on
// stderr, a config entry holding only its hash; callrec serve loaded
// with that config accepts the token with its role, and the config file
// does not contain the token.
func TestTokensNew(t *testing.T) {
	bin := BuildCallrec(t)
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, "tokens", "new", "ops", "--role", "admin")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("callrec tokens new: %v\n%s", err, stderr.String())
	}
	tok := strings.TrimSpace(stdout.String())
	if len(tok) < 40 || strings.Contains(stderr.String(), tok) {
		t.Fatalf("token %q, entry %s", tok, stderr.String())
	}
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "callrec.yaml")
	yaml := stderr.String() + fmt.Sprintf("  data_dir: %s\n  sip_listen: 127.0.0.1:%d\n  http_listen: 127.0.0.1:0\n",
		filepath.Join(dir, "data"), FreeUDPPort(t, "127.0.0.1"))
	if err := os.WriteFile(cfgPath, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(cfgPath)
	if err != nil {
		t.Fatalf("config from tokens new: %v\n%s", err, yaml)
	}
	c.Media.PortMin = FreeUDPRange(t, "127.0.0.1", 4)
	c.Media.PortMax = c.Media.PortMin + 3
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	n, err := app.StartServe(ctx, c, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close(context.Background())
	for _, c := range []struct {
		token string
		code  int
	}{{tok, 200}, {tok + "x", 401}, {"", 401}} {
		if res, b := apiDo(t, n, "GET", "/api/routes", c.token); res.StatusCode != c.code {
			t.Errorf("GET /api/routes with %q: %d %s, want %d", c.token, res.StatusCode, b, c.code)
		}
	}
}
