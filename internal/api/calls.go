package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/callrec/callrec/internal/catalog"
	"github.com/callrec/callrec/internal/media"
	"github.com/callrec/callrec/internal/proxy"
	"github.com/callrec/callrec/internal/record"
)

// Calls is what the calls API needs of the proxy (*proxy.Server).
type Calls interface {
	Calls() []proxy.Call
	Record(ctx context.Context, callID string, o proxy.RecordOptions) error
	StopRecord(ctx context.Context, callID string) error
}

// Media is what the calls API needs of the media node: the quality of a
// call's streams, and pausing its recording.
type Media interface {
	// CallMedia returns the name of the media node relaying c ("" when
	// none) and the counters of its stream; false when this process
	// cannot read them (a remote node, or no stream).
	CallMedia(c proxy.Call) (node string, st media.StreamStats, ok bool)
	// Pause and Resume pause and resume the call's recording
	// (record.ErrNoRecording when none runs); Paused says whether it is.
	Pause(callID string) error
	Resume(callID string) error
	Paused(callID string) bool
}

// Stream is the live quality of what one party of a call sends.
type Stream struct {
	Party    string  `json:"party"` // caller or callee
	Packets  uint64  `json:"packets"`
	Lost     int64   `json:"lost"`
	Loss     float64 `json:"loss"` // fraction lost, 0..1
	JitterMs float64 `json:"jitter_ms"`
	// MOS is the E-model estimate of catalog.EstimateMOS.
	MOS         float64 `json:"mos"`
	PayloadType uint8   `json:"payload_type"`
}

// LiveCall is a call in progress as GET /api/calls shows it.
type LiveCall struct {
	proxy.Call
	// Duration is seconds since the INVITE.
	Duration float64 `json:"duration"`
	// Paused: the recording is paused (Recording stays true).
	Paused    bool     `json:"paused"`
	MediaNode string   `json:"media_node,omitempty"`
	Streams   []Stream `json:"streams"`
}

// CallList is the body of GET /api/calls.
type CallList struct {
	Calls []LiveCall `json:"calls"`
}

// RecordRequest is the optional body of POST /api/calls/{id}/record.
type RecordRequest struct {
	Profile string            `json:"profile,omitempty"`
	Labels  map[string]string `json:"labels,omitempty"`
	// Keywords are spotted live in this recording ("cancel",
	// "refund/1e-25"), instead of its rule's or profile's.
	Keywords []string `json:"keywords,omitempty"`
}

// CallResult is the body of a successful record, stop, pause or resume.
type CallResult struct {
	Call LiveCall `json:"call"`
}

func (s *Server) live(c proxy.Call, now time.Time) LiveCall {
	l := LiveCall{Call: c, Duration: now.Sub(c.Started).Seconds(), Streams: []Stream{}}
	if s.cfg.Media == nil {
		return l
	}
	l.Paused = c.Recording && s.cfg.Media.Paused(c.CallID)
	node, st, ok := s.cfg.Media.CallMedia(c)
	l.MediaNode = node
	if !ok {
		return l
	}
	for i, lg := range st.Legs {
		l.Streams = append(l.Streams, toStream(partyNames[i], lg))
	}
	return l
}

// toStream turns a leg's RTP counters (RFC 3550 A.3 and 6.4.1) into
// loss, jitter in milliseconds and a MOS estimate.
func toStream(party string, lg media.LegStats) Stream {
	st := Stream{Party: party, Packets: lg.PacketsIn - min(lg.RTCPIn, lg.PacketsIn), Lost: lg.Lost, PayloadType: lg.PayloadType}
	if lg.Expected > 0 && lg.Lost > 0 {
		st.Loss = float64(lg.Lost) / float64(lg.Expected)
	}
	if lg.ClockRate > 0 {
		st.JitterMs = float64(lg.Jitter) * 1000 / float64(lg.ClockRate)
	}
	if st.Packets > 0 {
		st.MOS = catalog.EstimateMOS(int64(st.Packets), max(lg.Lost, 0), st.JitterMs)
	}
	return st
}

func (s *Server) haveCalls(w http.ResponseWriter) bool {
	if s.cfg.Calls == nil {
		writeError(w, http.StatusNotImplemented, CodeNotImplemented, "api: this node has no SIP proxy")
		return false
	}
	return true
}

func (s *Server) listCalls(w http.ResponseWriter, _ *http.Request) {
	if !s.haveCalls(w) {
		return
	}
	cs := s.cfg.Calls.Calls()
	now := time.Now()
	out := CallList{Calls: make([]LiveCall, 0, len(cs))}
	for _, c := range cs {
		out.Calls = append(out.Calls, s.live(c, now))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) record(w http.ResponseWriter, r *http.Request) {
	if !s.haveCalls(w) {
		return
	}
	id := r.PathValue("id")
	var req RecordRequest
	if !readJSON(w, r, &req) {
		return
	}
	if f := s.cfg.CheckKeywords; f != nil && req.Keywords != nil {
		if err := f(req.Keywords); err != nil {
			writeError(w, http.StatusBadRequest, CodeBadRequest, err.Error())
			return
		}
	}
	// Not cancelled with the request: a mid-call anchoring runs to its
	// end (or its own timeout) so that the call is never left half-way.
	if err := s.cfg.Calls.Record(context.WithoutCancel(r.Context()), id,
		proxy.RecordOptions{Profile: req.Profile, Labels: req.Labels, Keywords: req.Keywords}); err != nil {
		s.fail(w, id, err)
		return
	}
	s.result(w, id)
}

func (s *Server) stopRecord(w http.ResponseWriter, r *http.Request) {
	if !s.haveCalls(w) {
		return
	}
	id := r.PathValue("id")
	if err := s.cfg.Calls.StopRecord(context.WithoutCancel(r.Context()), id); err != nil {
		s.fail(w, id, err)
		return
	}
	s.result(w, id)
}

func (s *Server) pause(w http.ResponseWriter, r *http.Request)  { s.pauseResume(w, r, true) }
func (s *Server) resume(w http.ResponseWriter, r *http.Request) { s.pauseResume(w, r, false) }

func (s *Server) pauseResume(w http.ResponseWriter, r *http.Request, pause bool) {
	if !s.haveCalls(w) {
		return
	}
	if s.cfg.Media == nil {
		writeError(w, http.StatusNotImplemented, CodeNotImplemented, "api: this node pauses no recordings (no local media node)")
		return
	}
	id := r.PathValue("id")
	if !s.known(id) {
		s.fail(w, id, proxy.ErrNoCall)
		return
	}
	var err error
	if pause {
		err = s.cfg.Media.Pause(id)
	} else {
		err = s.cfg.Media.Resume(id)
	}
	if err != nil {
		s.fail(w, id, err)
		return
	}
	s.result(w, id)
}

func (s *Server) known(id string) bool {
	for _, c := range s.cfg.Calls.Calls() {
		if c.CallID == id {
			return true
		}
	}
	return false
}

func (s *Server) result(w http.ResponseWriter, id string) {
	for _, c := range s.cfg.Calls.Calls() {
		if c.CallID == id {
			writeJSON(w, http.StatusOK, CallResult{Call: s.live(c, time.Now())})
			return
		}
	}
	// The call ended in the meantime.
	writeJSON(w, http.StatusOK, CallResult{Call: LiveCall{Call: proxy.Call{CallID: id}, Streams: []Stream{}}})
}

func (s *Server) fail(w http.ResponseWriter, id string, err error) {
	status, code := http.StatusInternalServerError, CodeInternal
	switch {
	case errors.Is(err, proxy.ErrNoCall):
		status, code = http.StatusNotFound, CodeNotFound
	case errors.Is(err, proxy.ErrNotAnswered), errors.Is(err, proxy.ErrAnchorBusy), errors.Is(err, record.ErrNoRecording):
		status, code = http.StatusConflict, CodeConflict
	case errors.Is(err, proxy.ErrRecordingRefused):
		status, code = http.StatusForbidden, CodeForbidden
	case errors.Is(err, proxy.ErrMidCallAnchor):
		status, code = http.StatusBadGateway, CodeBadGateway
	case errors.Is(err, proxy.ErrNoRecorder):
		status, code = http.StatusNotImplemented, CodeNotImplemented
	}
	if status >= 500 {
		s.log.Warn("call request failed", "call_id", id, "err", err)
	}
	writeError(w, status, code, err.Error())
}
