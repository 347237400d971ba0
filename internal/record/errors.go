package record

import "errors"

var (
	// ErrBadProfile means a recording profile is a combination that
	// makes no sense (opus in wav, gsm in stereo, ...).
	ErrBadProfile = errors.New("record: bad profile")
	// ErrUnknownProfile means a recording named a profile the config
	// does not define.
	ErrUnknownProfile = errors.New("record: unknown profile")
	// ErrNoRecording means no recording is running for the call.
	ErrNoRecording = errors.New("record: no such recording")
	// ErrClosed means the recorder is shut down.
	ErrClosed = errors.New("record: recorder closed")
)
