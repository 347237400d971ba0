package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Status of a recording, as stored in its sidecar.
const (
	StatusRecording   = "recording"
	StatusComplete    = "complete"
	StatusInterrupted = "interrupted" // the process died while recording; repaired on restart
	StatusFailed      = "failed"
)

// Meta is a recording's sidecar: the JSON file written beside the audio
// (NAME.json) when the recording starts and rewritten when it ends, so
// that a crash leaves a sidecar saying "recording" for the recovery scan.
type Meta struct {
	CallID   string            `json:"call_id"`
	FromTag  string            `json:"from_tag"`
	ToTag    string            `json:"to_tag,omitempty"`
	Label    string            `json:"label,omitempty"`
	Labels   map[string]string `json:"labels,omitempty"`
	Caller   string            `json:"caller,omitempty"`
	Callee   string            `json:"callee,omitempty"`
	Started  time.Time         `json:"started"`
	Ended    time.Time         `json:"ended,omitzero"`
	Duration float64           `json:"duration_seconds"`
	Profile  string            `json:"profile"`
	Format   Profile           `json:"format"`
	Files    []File            `json:"files"`
	Legs     [2]Leg            `json:"legs"` // caller, callee
	Events   []Event           `json:"events,omitempty"`
	// Dropped counts packets relayed but not recorded because the
	// recorder fell behind (its ring was full).
	Dropped uint64 `json:"packets_dropped,omitempty"`
	Status  string `json:"status"`
	Reason  string `json:"reason,omitempty"`
}

// File is one audio file of a recording (several with layout separate,
// or after a rollover).
type File struct {
	Path     string  `json:"path"`            // relative to the recordings directory
	Party    string  `json:"party,omitempty"` // caller or callee with layout separate
	Part     int     `json:"part"`
	Bytes    int64   `json:"bytes"`
	Duration float64 `json:"duration_seconds"`
	Raw      bool    `json:"raw,omitempty"` // undecodable payload dump, not audio
}

// Leg is the quality of what one party sent.
type Leg struct {
	Codecs      []string `json:"codecs,omitempty"`
	Packets     uint64   `json:"packets"`
	Lost        int64    `json:"lost"`
	Late        uint64   `json:"late"`
	Duplicates  uint64   `json:"duplicates"`
	JitterMs    float64  `json:"jitter_ms"`
	Undecodable uint64   `json:"undecodable,omitempty"`
}

// Event is something that happened at an offset of the recording.
type Event struct {
	Type     string  `json:"type"` // dtmf, pause, resume, limit, rollover, keyword
	At       float64 `json:"at_seconds"`
	Duration float64 `json:"duration_seconds,omitempty"`
	Party    string  `json:"party,omitempty"`
	Value    string  `json:"value,omitempty"` // digit, keyword, reason
	// Confidence is a keyword spotter's or speech engine's, in [0, 1].
	Confidence float64 `json:"confidence,omitempty"`
	// Source names what found a keyword: spot (built in) or stream (an
	// external engine).
	Source string `json:"source,omitempty"`
}

// metaReserve is trailing white space kept in every sidecar, so that
// the final status can still be written in place when the disk is full.
const metaReserve = 4096

// writeMeta writes m to path atomically (temporary file, rename). When
// the disk is full it overwrites the sidecar in place instead, within
// the space the previous version reserved: a recording that failed for
// lack of space still says so.
func writeMeta(path string, m *Meta) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	padded := append(b, bytes.Repeat([]byte{' '}, metaReserve)...)
	tmp := path + ".tmp"
	err = os.WriteFile(tmp, padded, 0o644)
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		return nil
	}
	os.Remove(tmp)
	if errors.Is(err, syscall.ENOSPC) {
		if fi, serr := os.Stat(path); serr == nil && int64(len(b)) <= fi.Size() {
			f, oerr := os.OpenFile(path, os.O_WRONLY, 0)
			if oerr == nil {
				// Same size as before: the blocks are already allocated.
				_, werr := f.WriteAt(append(b, bytes.Repeat([]byte{' '}, int(fi.Size())-len(b))...), 0)
				cerr := f.Close()
				if werr == nil && cerr == nil {
					return nil
				}
			}
		}
	}
	return fmt.Errorf("record: sidecar: %w", err)
}

// ReadMeta reads a sidecar.
func ReadMeta(path string) (*Meta, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m Meta
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("record: sidecar %s: %w", path, err)
	}
	return &m, nil
}

// baseName expands a name template. Fields: {date} 2006-01-02, {time}
// 150405, {callid}, {from}, {to} (tags), {caller}, {callee}, {label}.
// Path separators and odd characters in values are replaced, so a
// Call-ID cannot escape the recordings directory.
func baseName(tmpl string, m *Meta) string {
	if tmpl == "" {
		tmpl = "{date}/{time}_{callid}"
	}
	r := strings.NewReplacer(
		"{date}", m.Started.UTC().Format("2006-01-02"),
		"{time}", m.Started.UTC().Format("150405"),
		"{callid}", safe(m.CallID), "{from}", safe(m.FromTag), "{to}", safe(m.ToTag),
		"{caller}", safe(m.Caller), "{callee}", safe(m.Callee), "{label}", safe(m.Label),
	)
	return filepath.Clean(r.Replace(tmpl))
}

func safe(s string) string {
	if s == "" {
		return "-"
	}
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.', c == '@', c == '+':
		default:
			b[i] = '_'
		}
	}
	if len(b) > 80 {
		b = b[:80]
	}
	if b[0] == '.' {
		b[0] = '_'
	}
	return string(b)
}
