package api

import (
	"net/http"
)

// The error codes of ErrorBody.Error.Code, one per kind of failure.
const (
	CodeBadRequest     = "bad_request"        // 400: a parameter or the body is malformed
	CodeUnauthorized   = "unauthorized"       // 401: no credentials, or bad ones
	CodeForbidden      = "forbidden"          // 403: the role may not do this, or the policy refuses
	CodeNotFound       = "not_found"          // 404
	CodeMethod         = "method_not_allowed" // 405
	CodeConflict       = "conflict"           // 409: the state does not allow it now
	CodeLegalHold      = "legal_hold"         // 409: the recording is under legal hold
	CodeGone           = "gone"               // 410: the recording's audio was deleted
	CodeTooMany        = "too_many_requests"  // 429: too many failed logins from the address
	CodeInternal       = "internal"           // 500
	CodeNotImplemented = "not_implemented"    // 501: this node has no such component
	CodeBadGateway     = "bad_gateway"        // 502: a peer (media node, call party) failed
	CodeUnavailable    = "unavailable"        // 503: too many event streams, or shutting down
)

// ErrorBody is the body of every error response:
// {"error": {"code": "not_found", "message": "..."}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is a machine-readable code and a message for people.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// writeError writes an ErrorBody with status.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, ErrorBody{ErrorDetail{Code: code, Message: msg}})
}

// notFound answers paths below /api/ that no route serves: 405 with
// Allow when the path exists with other methods, 404 otherwise, both as
// ErrorBody (ServeMux's own answers are plain text).
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		r2 := r.Clone(r.Context())
		r2.Method = m
		if _, p := s.mux.Handler(r2); p != "" && p != "/api/" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		for _, m := range allow {
			w.Header().Add("Allow", m)
		}
		writeError(w, http.StatusMethodNotAllowed, CodeMethod, r.Method+" is not allowed on "+r.URL.Path)
		return
	}
	writeError(w, http.StatusNotFound, CodeNotFound, "no such API path: "+r.URL.Path)
}
