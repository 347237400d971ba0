// Package api is callrec serve's HTTP API, mounted on the listener that
// also serves /metrics, /healthz and /readyz. It is JSON, described by
// the OpenAPI 3 document openapi.json (served at /api/openapi.json and
// kept true by TestOpenAPIRoutes and TestOpenAPIResponses):
//
//	GET    /api/recordings              search the catalogue (its filters as query parameters, keyset cursor)
//	GET    /api/recordings/{id}         one recording: legs' quality, labels, events
//	GET    /api/recordings/{id}/audio   the audio, with Range (http.ServeContent)
//	DELETE /api/recordings/{id}         delete its audio (catalog.Remover), never under legal hold
//	GET    /api/calls                   calls in progress with live per-stream quality
//	GET    /api/events                  keywords spotted live, as server-sent events (?call_id= filters)
//	POST   /api/events                  publish one a remote media node spotted (its asr.webhook, admin token)
//	POST   /api/calls/{call-id}/record  start recording (optional body {"profile": "...", "labels": {...}})
//	DELETE /api/calls/{call-id}/record  stop recording (the media stays anchored)
//	POST   /api/calls/{call-id}/record/pause and /resume
//	GET, POST /api/routes, DELETE /api/routes/{id}
//	GET, POST /api/users, DELETE /api/users/{domain}/{user}
//	POST   /api/login, /api/logout; GET /api/session
//
// Call-IDs and recording keys are one path segment, percent-encoded as
// needed (url.PathEscape). Every error is ErrorBody,
// {"error": {"code": "not_found", "message": "..."}}, including unknown
// paths below /api/ and wrong methods.
//
// # Authentication
//
// A request carries an API token (Authorization: Bearer) or the session
// cookie POST /api/login sets (HttpOnly, SameSite=Strict: the browser
// never sends it cross-site, which is the UI's CSRF defence), an HMAC of
// name, role and expiry under a server secret. Tokens are compared by
// SHA-256 in constant time, so the config may hold only the hash.
// Logout clears the cookie and this process refuses copies of it until
// it would have expired (12 h); sessions are otherwise stateless, so a
// copy stays valid at another process sharing the secret, and across a
// restart. Credentials that are present but wrong are refused even
// with AuthConfig.Insecure. An address that fails 10 logins within a
// minute is answered 429 until the minute ends (SIP passwords are often
// short); bearer tokens are long random secrets and are not throttled.
//
// Handlers run on net/http's goroutines; they start no goroutines of
// their own. GET /api/events holds its request until the client goes or
// the asr.Broker closes (close it on http.Server.RegisterOnShutdown, or
// Shutdown waits for the streams). Starting a recording of an unanchored call waits for the
// proxy's re-INVITEs (bounded by the proxy's ReinviteTimeout) and is not
// cancelled when the client goes away, so the call is never left
// half-anchored.
package api
