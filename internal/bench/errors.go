package bench

import "errors"

// ErrBencode is returned (wrapped, with the offset) when a bencoded
// message is malformed or truncated.
var ErrBencode = errors.New("bench: malformed bencode")

// ErrControl is returned (wrapped) when the relay answers a control
// command with an error or with a reply that cannot be understood.
var ErrControl = errors.New("bench: control command failed")

// ErrTimeout is returned (wrapped) when the relay does not answer a control
// command within the retry budget.
var ErrTimeout = errors.New("bench: control command timed out")

// ErrConfig is returned (wrapped) when a Config is invalid.
var ErrConfig = errors.New("bench: invalid config")
