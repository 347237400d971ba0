package proxy

import "errors"

var (
	// ErrNoRoute: the Router found no destination for the request.
	ErrNoRoute = errors.New("proxy: no route")
	// ErrBadSDP: a body could not be anchored because it is not SDP the
	// proxy understands (malformed, or a c= address that is a name).
	ErrBadSDP = errors.New("proxy: bad sdp")
	// ErrBadTarget: a Target URI is not a sip: or sips: URI.
	ErrBadTarget = errors.New("proxy: bad target uri")
	// ErrNoTLS: a next hop needs TLS (transport=tls, sips:) and the
	// proxy has no TLS listener.
	ErrNoTLS = errors.New("proxy: next hop needs tls, no tls listener")
	// ErrClosed: Serve was called after Close, or twice.
	ErrClosed = errors.New("proxy: server closed")
	// ErrNoMediaNode: no media node of a NodePool answered a new call's
	// offer (all down, or each failed).
	ErrNoMediaNode = errors.New("proxy: no media node answers")
	// ErrNodeDown: the media node holding a call is down; the call is
	// not moved to another node.
	ErrNodeDown = errors.New("proxy: media node down")
	// ErrBadPolicy: a recording policy rule or default is invalid.
	ErrBadPolicy = errors.New("proxy: bad recording policy")
	// ErrNoCall: no call with that Call-ID is in progress.
	ErrNoCall = errors.New("proxy: no such call")
	// ErrNotAnswered: the call has not been answered yet.
	ErrNotAnswered = errors.New("proxy: call not answered")
	// ErrRecordingRefused: the recording policy excludes the call from
	// recording (a rule with record: false, or default none).
	ErrRecordingRefused = errors.New("proxy: recording refused by policy")
	// ErrNoRecorder: the proxy has no Anchor that can record.
	ErrNoRecorder = errors.New("proxy: no recorder")
	// ErrAnchorBusy: a mid-call anchoring of the call is already in
	// progress.
	ErrAnchorBusy = errors.New("proxy: call is being anchored")
	// ErrMidCallAnchor: moving a call's media through the node with
	// re-INVITEs failed (glare, a refusal or a timeout); the call goes on
	// as it was.
	ErrMidCallAnchor = errors.New("proxy: mid-call anchoring failed")
)
