package spot

import "errors"

// ErrNoModel is returned by [New] when the acoustic model or dictionary
// is not installed (Debian package pocketsphinx-en-us).
var ErrNoModel = errors.New("spot: pocketsphinx model not found")

// ErrBadKeyword is returned for a keyword list entry that cannot be
// spotted: empty, a bad threshold, or a word missing from the dictionary.
var ErrBadKeyword = errors.New("spot: bad keyword")

// ErrClosed is returned by Write after Close.
var ErrClosed = errors.New("spot: spotter closed")

// ErrRate is returned by [New] for a sample rate it cannot resample to
// the model's 16000 Hz.
var ErrRate = errors.New("spot: unsupported sample rate")
