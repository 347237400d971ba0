package asr

import "errors"

var (
	// ErrStreamURL is a streaming interface URL the client cannot use
	// (scheme other than tcp, tls, ws, wss; no host).
	ErrStreamURL = errors.New("asr: bad stream url")
	// ErrStreamHeader is a connection header an engine refuses.
	ErrStreamHeader = errors.New("asr: bad stream header")
	// ErrStreamFrame is a malformed TCP frame or WebSocket message.
	ErrStreamFrame = errors.New("asr: bad stream frame")
	// ErrStreamResult is a malformed result from an engine.
	ErrStreamResult = errors.New("asr: bad stream result")
	// ErrStreamToken is a header whose token the engine does not accept.
	ErrStreamToken = errors.New("asr: bad stream token")
	// ErrStreamClosed is returned by StreamServer.Serve after Close.
	ErrStreamClosed = errors.New("asr: stream server closed")
)
