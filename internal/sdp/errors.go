package sdp

import (
	"errors"
	"fmt"
)

// Sentinel errors. Parse and Rewrite wrap them in a *ParseError or with
// %w; match them with errors.Is.
var (
	// ErrTooLarge: the body is longer than MaxSize.
	ErrTooLarge = errors.New("sdp: body too large")
	// ErrLine: a line is not "<letter>=<value>", or it holds a NUL or a
	// bare CR.
	ErrLine = errors.New("sdp: malformed line")
	// ErrVersion: the first line is not "v=0".
	ErrVersion = errors.New("sdp: bad v= line")
	// ErrOrigin: the o= line is missing, repeated or malformed.
	ErrOrigin = errors.New("sdp: bad o= line")
	// ErrConnection: a c= line is malformed (fields, address type, or an
	// address that does not match its type).
	ErrConnection = errors.New("sdp: bad c= line")
	// ErrMedia: an m= line is malformed (fields, port, payload types).
	ErrMedia = errors.New("sdp: bad m= line")
	// ErrAttribute: a known attribute (rtpmap, rtcp, ptime) is
	// malformed.
	ErrAttribute = errors.New("sdp: bad attribute")
	// ErrEdit: a rewrite asked for something impossible (more media
	// edits than media, a port out of range).
	ErrEdit = errors.New("sdp: bad edit")
)

// ParseError says which line of a body was wrong and why. Err is one of
// the sentinels above.
type ParseError struct {
	Line   int    // 1-based line number in the body
	Err    error  // sentinel, for errors.Is
	Detail string // what was wrong, for humans
}

// Error returns e.g. `sdp: bad c= line at line 4: unknown address type "IP5"`.
func (e *ParseError) Error() string {
	return fmt.Sprintf("%v at line %d: %s", e.Err, e.Line, e.Detail)
}

// Unwrap returns the sentinel.
func (e *ParseError) Unwrap() error { return e.Err }

func perr(line int, err error, format string, args ...any) error {
	return &ParseError{Line: line, Err: err, Detail: fmt.Sprintf(format, args...)}
}
