package api

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"time"

	"github.com/callrec/callrec/internal/asr"
	"github.com/callrec/callrec/internal/catalog"
	"github.com/callrec/callrec/internal/store"
)

// Config is what the API serves. A nil component makes its routes
// answer 501 (a serve without a local media node has no catalogue).
type Config struct {
	// Calls is the proxy's view of calls in progress and their control.
	Calls Calls
	// Media adds the media node's per-stream quality to the calls and
	// pauses and resumes recordings; nil: no quality, pause answers 501.
	Media Media
	// Catalog is the recordings catalogue, Audio opens a recording's
	// audio wherever it lives and Remove deletes it (the remover
	// retention uses, catalog.FileRemover).
	Catalog *catalog.Catalog
	Audio   *Audio
	Remove  catalog.Remover
	// HoldLabel is the legal-hold label: recordings carrying it are
	// never deleted through the API. "" is catalog.DefaultHoldLabel.
	HoldLabel string
	// Events are keywords spotted in calls as they happen, streamed by
	// GET /api/events and published by remote media nodes through POST
	// /api/events; nil: both answer 501.
	Events *asr.Broker
	// EventsKeepAlive is how often an idle event stream gets a comment.
	// Zero: 15 s.
	EventsKeepAlive time.Duration
	// Store holds routes and users (and the users who may log in).
	Store *store.Store
	// Auth says who may call the API.
	Auth AuthConfig
	// EventsSecret, when set, authenticates POST /api/events by the
	// body's signature (asr.SignatureHeader, as asr.Webhook signs with
	// the same secret) instead of an admin token.
	EventsSecret []byte
	// CheckKeywords, when set, checks the keywords an on-demand
	// recording asks for (a bad list is answered 400).
	CheckKeywords func([]string) error
	// Logger receives failed requests (5xx) and deletions; nil discards.
	Logger *slog.Logger
}

// Server is the HTTP API. Its handlers run on net/http's goroutines and
// start none of their own; it is safe for concurrent use.
type Server struct {
	cfg    Config
	auth   *authenticator
	log    *slog.Logger
	mux    *http.ServeMux
	routes []string
	m      *metrics
	limit  throttle
	// delivered drops repeated POST /api/events deliveries.
	delivered recentSet
}

// Mount registers the API below /api/ on mux and returns it.
func Mount(mux *http.ServeMux, cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.EventsKeepAlive <= 0 {
		cfg.EventsKeepAlive = 15 * time.Second
	}
	if cfg.HoldLabel == "" {
		cfg.HoldLabel = catalog.DefaultHoldLabel
	}
	a, err := newAuthenticator(cfg.Auth, cfg.Store)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, auth: a, log: cfg.Logger, mux: mux, m: newMetrics()}
	s.handle("GET /api/openapi.json", rolePublic, serveOpenAPI)
	s.handle("POST /api/login", rolePublic, s.login)
	s.handle("POST /api/logout", rolePublic, s.logout)
	s.handle("GET /api/session", RoleViewer, s.session)

	s.handle("GET /api/recordings", RoleViewer, s.searchRecordings)
	s.handle("GET /api/recordings/{id}", RoleViewer, s.getRecording)
	s.handle("GET /api/recordings/{id}/audio", RoleViewer, s.audio)
	s.handle("DELETE /api/recordings/{id}", RoleAdmin, s.deleteRecording)

	s.handle("GET /api/calls", RoleViewer, s.listCalls)
	s.handle("GET /api/events", RoleViewer, s.events)
	s.routes = append(s.routes, "POST /api/events")
	s.mux.Handle("POST /api/events", s.counted("POST /api/events", s.signedOr(RoleAdmin, s.publishEvent)))
	s.handle("POST /api/calls/{id}/record", RoleAdmin, s.record)
	s.handle("DELETE /api/calls/{id}/record", RoleAdmin, s.stopRecord)
	s.handle("POST /api/calls/{id}/record/pause", RoleAdmin, s.pause)
	s.handle("POST /api/calls/{id}/record/resume", RoleAdmin, s.resume)

	s.handle("GET /api/routes", RoleAdmin, s.listRoutes)
	s.handle("POST /api/routes", RoleAdmin, s.addRoute)
	s.handle("DELETE /api/routes/{id}", RoleAdmin, s.removeRoute)
	s.handle("GET /api/users", RoleAdmin, s.listUsers)
	s.handle("POST /api/users", RoleAdmin, s.addUser)
	s.handle("DELETE /api/users/{domain}/{user}", RoleAdmin, s.removeUser)
	mux.Handle("/api/", s.counted("other", http.HandlerFunc(s.notFound)))
	return s, nil
}

// Routes returns the patterns ("GET /api/calls") Mount registered,
// sorted: the OpenAPI document's test compares them with its paths.
func (s *Server) Routes() []string {
	out := append([]string(nil), s.routes...)
	sort.Strings(out)
	return out
}

// handle registers h for pattern behind the check that the client has
// role need.
func (s *Server) handle(pattern string, need Role, h http.HandlerFunc) {
	s.routes = append(s.routes, pattern)
	s.mux.Handle(pattern, s.counted(pattern, s.guard(need, h)))
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	_ = e.Encode(v)
}

// readJSON decodes r's body (at most 64 KiB) into v; an empty body
// leaves v as it is. It answers 400 itself and returns false on error.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		writeError(w, http.StatusBadRequest, CodeBadRequest, "api: body: "+err.Error())
		return false
	}
	return true
}
