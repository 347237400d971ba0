package apiclient

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"time"
)

// Call is a call in progress as GET /api/calls lists it.
type Call struct {
	CallID    string    `json:"call_id"`
	FromTag   string    `json:"from_tag"`
	ToTag     string    `json:"to_tag"`
	Caller    string    `json:"caller"`
	Callee    string    `json:"callee"`
	Started   time.Time `json:"started"`
	Answered  time.Time `json:"answered"` // zero while ringing
	Anchored  bool      `json:"anchored"`
	Recording bool      `json:"recording"`
	MediaNode string    `json:"media_node"`
	Streams   []Stream  `json:"streams"`
}

// Stream is the live quality of what one party of a call sends.
type Stream struct {
	Party    string  `json:"party"`
	Packets  uint64  `json:"packets"`
	Loss     float64 `json:"loss"` // fraction lost, 0..1
	JitterMs float64 `json:"jitter_ms"`
	MOS      float64 `json:"mos"`
}

// CallList is the answer of GET /api/calls.
type CallList struct {
	Calls []Call `json:"calls"`
}

// CallResult is the answer of the record, stop, pause and resume
// requests: the call as it is afterwards.
type CallResult struct {
	Call Call `json:"call"`
}

// RecordRequest is the optional body of POST /api/calls/{id}/record.
type RecordRequest struct {
	Profile  string            `json:"profile,omitempty"`
	Labels   map[string]string `json:"labels,omitempty"`
	Keywords []string          `json:"keywords,omitempty"`
}

// Calls lists the calls in progress.
func (c *Client) Calls(ctx context.Context) (*CallList, json.RawMessage, error) {
	var l CallList
	raw, err := c.do(ctx, http.MethodGet, "/api/calls", nil, nil, &l)
	return &l, raw, err
}

func callPath(id, suffix string) string {
	return "/api/calls/" + url.PathEscape(id) + "/record" + suffix
}

func (c *Client) callOp(ctx context.Context, method, path string, in any) (*CallResult, json.RawMessage, error) {
	var r CallResult
	raw, err := c.do(ctx, method, path, nil, in, &r)
	return &r, raw, err
}

// Record starts recording the call (POST /api/calls/{id}/record); req
// may be nil for the policy's profile and labels.
func (c *Client) Record(ctx context.Context, callID string, req *RecordRequest) (*CallResult, json.RawMessage, error) {
	var in any
	if req != nil && (req.Profile != "" || len(req.Labels) > 0) {
		in = req
	}
	return c.callOp(ctx, http.MethodPost, callPath(callID, ""), in)
}

// StopRecord stops recording the call (DELETE /api/calls/{id}/record).
func (c *Client) StopRecord(ctx context.Context, callID string) (*CallResult, json.RawMessage, error) {
	return c.callOp(ctx, http.MethodDelete, callPath(callID, ""), nil)
}

// Pause pauses the call's recording (POST /api/calls/{id}/record/pause).
func (c *Client) Pause(ctx context.Context, callID string) (*CallResult, json.RawMessage, error) {
	return c.callOp(ctx, http.MethodPost, callPath(callID, "/pause"), nil)
}

// Resume resumes a paused recording (POST /api/calls/{id}/record/resume).
func (c *Client) Resume(ctx context.Context, callID string) (*CallResult, json.RawMessage, error) {
	return c.callOp(ctx, http.MethodPost, callPath(callID, "/resume"), nil)
}
