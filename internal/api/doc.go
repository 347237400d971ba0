// Package api is callrec serve's HTTP API, mounted on the listener that
// also serves /metrics, /healthz and /readyz. It is small and JSON:
//
//	GET    /api/calls                 calls in progress, with their anchored and recording state
//	POST   /api/calls/{call-id}/record start recording (optional body {"profile": "...", "labels": {...}})
//	DELETE /api/calls/{call-id}/record stop recording (the media stays anchored)
//
// The Call-ID is one path segment, percent-encoded as needed (url.PathEscape).
// Errors are {"error": "..."} with 404 (no such call), 409 (not answered
// yet, or being anchored), 403 (the recording policy excludes the call),
// 502 (mid-call anchoring failed: the call goes on unrecorded), 501 (no
// recorder), 400 (bad body) or 500.
//
// Handlers run on net/http's goroutines; they start no goroutines of
// their own. Starting a recording of an unanchored call waits for the
// proxy's re-INVITEs (bounded by the proxy's ReinviteTimeout) and is not
// cancelled when the client goes away, so the call is never left
// half-anchored.
package api
