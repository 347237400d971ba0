package proxy

import (
	"log/slog"
	"os"

	"github.com/emiago/sipgo/sip"
)

func init() {
	if os.Getenv("PROXY_DEBUG") != "" {
		sip.SIPDebug = true
		sip.SetDefaultLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})))
	}
}
