package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/callrec/callrec/internal/proxy"
)

// Calls is what the calls API needs of the proxy (*proxy.Server).
type Calls interface {
	Calls() []proxy.Call
	Record(ctx context.Context, callID, profile string, labels map[string]string) error
	StopRecord(ctx context.Context, callID string) error
}

// CallList is the body of GET /api/calls.
type CallList struct {
	Calls []proxy.Call `json:"calls"`
}

// RecordRequest is the optional body of POST /api/calls/{id}/record.
type RecordRequest struct {
	Profile string            `json:"profile,omitempty"`
	Labels  map[string]string `json:"labels,omitempty"`
}

// CallResult is the body of a successful POST or DELETE.
type CallResult struct {
	Call proxy.Call `json:"call"`
}

// Error is the body of every error response.
type Error struct {
	Error string `json:"error"`
}

// Mount registers the calls API on mux. log receives failed requests
// (5xx); nil discards.
func Mount(mux *http.ServeMux, c Calls, log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &handler{c: c, log: log}
	mux.HandleFunc("GET /api/calls", h.list)
	mux.HandleFunc("POST /api/calls/{id}/record", h.record)
	mux.HandleFunc("DELETE /api/calls/{id}/record", h.stop)
}

type handler struct {
	c   Calls
	log *slog.Logger
}

func (h *handler) list(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, CallList{Calls: h.c.Calls()})
}

func (h *handler) record(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var req RecordRequest
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err == nil && len(body) > 0 {
		err = json.Unmarshal(body, &req)
	}
	if err != nil {
		writeJSON(w, http.StatusBadRequest, Error{"api: body: " + err.Error()})
		return
	}
	// Not cancelled with the request: a mid-call anchoring runs to its
	// end (or its own timeout) so that the call is never left half-way.
	if err := h.c.Record(context.WithoutCancel(r.Context()), id, req.Profile, req.Labels); err != nil {
		h.fail(w, id, err)
		return
	}
	h.result(w, id)
}

func (h *handler) stop(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := h.c.StopRecord(context.WithoutCancel(r.Context()), id); err != nil {
		h.fail(w, id, err)
		return
	}
	h.result(w, id)
}

func (h *handler) result(w http.ResponseWriter, id string) {
	for _, c := range h.c.Calls() {
		if c.CallID == id {
			writeJSON(w, http.StatusOK, CallResult{Call: c})
			return
		}
	}
	// The call ended in the meantime.
	writeJSON(w, http.StatusOK, CallResult{Call: proxy.Call{CallID: id}})
}

func (h *handler) fail(w http.ResponseWriter, id string, err error) {
	code := http.StatusInternalServerError
	switch {
	case errors.Is(err, proxy.ErrNoCall):
		code = http.StatusNotFound
	case errors.Is(err, proxy.ErrNotAnswered), errors.Is(err, proxy.ErrAnchorBusy):
		code = http.StatusConflict
	case errors.Is(err, proxy.ErrRecordingRefused):
		code = http.StatusForbidden
	case errors.Is(err, proxy.ErrMidCallAnchor):
		code = http.StatusBadGateway
	case errors.Is(err, proxy.ErrNoRecorder):
		code = http.StatusNotImplemented
	}
	if code >= 500 {
		h.log.Warn("record request failed", "call_id", id, "err", err)
	}
	writeJSON(w, code, Error{err.Error()})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	_ = e.Encode(v)
}
