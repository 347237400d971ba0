// Package app wires callrec's components from the configuration and runs
// them in order: it builds each component from its own config section,
// starts it, and stops everything in reverse order on Close.
package app

import (
	"io"
	"log/slog"

	"github.com/callrec/callrec/internal/config"
)

// NewLogger builds the process logger from the log section. Components
// receive it with their own "component" attribute; nothing logs globally.
func NewLogger(c config.Log, w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(c.Level))
	opts := &slog.HandlerOptions{Level: lvl}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
