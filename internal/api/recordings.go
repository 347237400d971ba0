package api

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/callrec/callrec/internal/catalog"
)

// Recording is a catalogue row as the API shows it. Times are RFC 3339,
// durations seconds.
type Recording struct {
	ID          int64             `json:"id"`
	Key         string            `json:"key"`
	CallID      string            `json:"call_id"`
	FromTag     string            `json:"from_tag,omitempty"`
	ToTag       string            `json:"to_tag,omitempty"`
	Caller      string            `json:"caller"`
	Callee      string            `json:"callee"`
	CallerName  string            `json:"caller_name,omitempty"`
	CalleeName  string            `json:"callee_name,omitempty"`
	Direction   string            `json:"direction,omitempty"`
	Started     time.Time         `json:"started"`
	Answered    time.Time         `json:"answered,omitzero"`
	Ended       time.Time         `json:"ended,omitzero"`
	Duration    float64           `json:"duration"`
	Codecs      string            `json:"codecs,omitempty"`
	Profile     string            `json:"profile,omitempty"`
	Format      string            `json:"format,omitempty"`
	ContentType string            `json:"content_type,omitempty"`
	Size        int64             `json:"size"`
	Checksum    string            `json:"checksum,omitempty"`
	Location    string            `json:"location,omitempty"`
	Status      string            `json:"status"`
	Reason      string            `json:"reason,omitempty"`
	Node        string            `json:"node,omitempty"`
	Legs        []Leg             `json:"legs"`
	Labels      map[string]string `json:"labels"`
	Events      []Event           `json:"events"`
	// Audio is the path of the audio (GET, with Range): its first file.
	Audio string `json:"audio"`
	// Files are all its audio files (one per party with layout
	// separate, one per part after a rollover); only GET
	// /api/recordings/{id} lists them.
	Files []AudioFile `json:"files,omitempty"`
}

// Leg is the quality of what one party sent.
type Leg struct {
	Party    string  `json:"party"` // caller or callee
	Packets  int64   `json:"packets"`
	Lost     int64   `json:"lost"`
	Loss     float64 `json:"loss"` // fraction lost, 0..1
	JitterMs float64 `json:"jitter_ms"`
	MOS      float64 `json:"mos,omitempty"`
}

// Event is something that happened at an offset of the recording.
type Event struct {
	Type     string  `json:"type"`
	At       float64 `json:"at"` // seconds from the start
	Duration float64 `json:"duration,omitempty"`
	Party    string  `json:"party,omitempty"`
	Value    string  `json:"value,omitempty"`
	// Confidence (0..1) and Source (spot, stream) are a keyword's.
	Confidence float64 `json:"confidence,omitempty"`
	Source     string  `json:"source,omitempty"`
}

// RecordingPage is the body of GET /api/recordings: newest first; Next
// is the cursor of the next page ("" on the last one).
type RecordingPage struct {
	Items []Recording `json:"items"`
	Next  string      `json:"next_cursor"`
}

var partyNames = [2]string{"caller", "callee"}

func toRecording(r *catalog.Recording) Recording {
	out := Recording{ID: r.ID, Key: r.Key, CallID: r.CallID, FromTag: r.FromTag, ToTag: r.ToTag,
		Caller: r.Caller, Callee: r.Callee, CallerName: r.CallerName, CalleeName: r.CalleeName, Direction: r.Direction,
		Started: r.Started, Answered: r.Answered, Ended: r.Ended, Duration: r.Duration.Seconds(),
		Codecs: r.Codecs, Profile: r.Profile, Format: r.Format, ContentType: contentType(r),
		Size: r.Size, Checksum: r.Checksum, Location: r.Location, Status: string(r.Status), Reason: r.Reason,
		Node: r.Node, Labels: r.Labels, Events: []Event{},
		Audio: "/api/recordings/" + strconv.FormatInt(r.ID, 10) + "/audio"}
	if out.Labels == nil {
		out.Labels = map[string]string{}
	}
	for i, l := range r.Legs {
		lg := Leg{Party: partyNames[i], Packets: l.Packets, Lost: l.Lost, JitterMs: l.JitterMs, MOS: l.MOS}
		if exp := l.Packets + max(l.Lost, 0); exp > 0 {
			lg.Loss = float64(max(l.Lost, 0)) / float64(exp)
		}
		out.Legs = append(out.Legs, lg)
	}
	for _, e := range r.Events {
		out.Events = append(out.Events, Event{Type: e.Type, At: e.At.Seconds(), Duration: e.Duration.Seconds(), Party: e.Party, Value: e.Value,
			Confidence: e.Confidence, Source: e.Source})
	}
	return out
}

// parseQuery turns the query parameters of GET /api/recordings into a
// catalogue query.
func parseQuery(v url.Values) (catalog.Query, error) {
	q := catalog.Query{Party: v.Get("party"), Number: v.Get("number"), Status: catalog.Status(v.Get("status")),
		Label: v.Get("label"), Event: v.Get("event"), CallID: v.Get("call_id"), Cursor: v.Get("cursor")}
	if k := v.Get("keyword"); k != "" {
		// keyword=refund is event=keyword=refund; both at once would
		// need two event filters, which the catalogue has not.
		if q.Event != "" {
			return q, errors.New("keyword: not with event (keyword=X is event=keyword=X)")
		}
		q.Event = "keyword=" + k
	}
	var err error
	for _, t := range []struct {
		name string
		to   *time.Time
	}{{"from", &q.From}, {"to", &q.To}} {
		if s := v.Get(t.name); s != "" {
			if *t.to, err = parseTime(s); err != nil {
				return q, errors.New(t.name + ": " + err.Error())
			}
		}
	}
	for _, d := range []struct {
		name string
		to   *time.Duration
	}{{"min_duration", &q.MinDuration}, {"max_duration", &q.MaxDuration}} {
		if s := v.Get(d.name); s != "" {
			if *d.to, err = parseDuration(s); err != nil {
				return q, errors.New(d.name + ": " + err.Error())
			}
		}
	}
	if s := v.Get("limit"); s != "" {
		if q.Limit, err = strconv.Atoi(s); err != nil || q.Limit < 0 || q.Limit > 1000 {
			return q, errors.New("limit: want 0 to 1000, got " + strconv.Quote(s))
		}
	}
	switch q.Status {
	case "", catalog.StatusRecording, catalog.StatusComplete, catalog.StatusInterrupted, catalog.StatusFailed, catalog.StatusDeleted:
	default:
		return q, errors.New("status: unknown " + strconv.Quote(string(q.Status)))
	}
	return q, nil
}

// parseTime takes RFC 3339 (2026-11-24T10:00:00Z), a date (2026-11-24,
// UTC midnight) or Unix seconds.
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), nil
	}
	return time.Time{}, errors.New("want RFC 3339, YYYY-MM-DD or Unix seconds, got " + strconv.Quote(s))
}

// parseDuration takes seconds (30, 1.5) or a Go duration (90s, 2m).
func parseDuration(s string) (time.Duration, error) {
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 0 {
		return time.Duration(f * float64(time.Second)), nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return d, nil
	}
	return 0, errors.New("want seconds or a duration like 90s, got " + strconv.Quote(s))
}

func (s *Server) searchRecordings(w http.ResponseWriter, r *http.Request) {
	if !s.haveCatalog(w) {
		return
	}
	q, err := parseQuery(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, CodeBadRequest, "api: "+err.Error())
		return
	}
	p, err := s.cfg.Catalog.Search(r.Context(), q)
	if err != nil {
		s.catalogError(w, err)
		return
	}
	out := RecordingPage{Items: make([]Recording, 0, len(p.Recordings)), Next: p.Next}
	for _, rec := range p.Recordings {
		out.Items = append(out.Items, toRecording(rec))
	}
	writeJSON(w, http.StatusOK, out)
}

// recording loads the recording the path's {id} names: a catalogue id,
// or a key (percent-encoded: keys hold slashes). It answers the error
// itself and returns nil.
func (s *Server) recording(w http.ResponseWriter, r *http.Request) *catalog.Recording {
	if !s.haveCatalog(w) {
		return nil
	}
	id := r.PathValue("id")
	var rec *catalog.Recording
	var err error
	if n, perr := strconv.ParseInt(id, 10, 64); perr == nil {
		rec, err = s.cfg.Catalog.Get(r.Context(), n)
	} else if strings.Contains(id, "/") {
		rec, err = s.cfg.Catalog.GetByKey(r.Context(), id)
	} else {
		writeError(w, http.StatusBadRequest, CodeBadRequest, "api: recording id "+strconv.Quote(id)+" is neither a number nor a key")
		return nil
	}
	if err != nil {
		s.catalogError(w, err)
		return nil
	}
	return rec
}

func (s *Server) getRecording(w http.ResponseWriter, r *http.Request) {
	rec := s.recording(w, r)
	if rec == nil {
		return
	}
	out := toRecording(rec)
	if rec.Status != catalog.StatusDeleted {
		out.Files = s.cfg.Audio.Files(rec)
		for i := range out.Files {
			out.Files[i].Audio = out.Audio + "?file=" + strconv.Itoa(i)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) deleteRecording(w http.ResponseWriter, r *http.Request) {
	rec := s.recording(w, r)
	if rec == nil {
		return
	}
	if s.cfg.Remove == nil {
		writeError(w, http.StatusNotImplemented, CodeNotImplemented, "api: this node deletes no recordings")
		return
	}
	if v, held := rec.Labels[s.cfg.HoldLabel]; held {
		// Legal hold is lifted by whoever set it, outside the API; no
		// role and no flag deletes a held recording here.
		writeError(w, http.StatusConflict, CodeLegalHold, "api: recording "+strconv.FormatInt(rec.ID, 10)+" is under legal hold ("+s.cfg.HoldLabel+"="+v+")")
		return
	}
	switch rec.Status {
	case catalog.StatusDeleted:
		writeError(w, http.StatusGone, CodeGone, "api: recording "+strconv.FormatInt(rec.ID, 10)+" is already deleted")
		return
	case catalog.StatusRecording:
		writeError(w, http.StatusConflict, CodeConflict, "api: recording "+strconv.FormatInt(rec.ID, 10)+" is still recording: stop it first")
		return
	}
	p := PrincipalOf(r.Context())
	// Audio first, then the row: a failure leaves a row whose audio may
	// be partly gone, never audio without a row (as retention does).
	if err := s.cfg.Remove(r.Context(), rec); err != nil {
		s.log.Error("delete recording: audio", "id", rec.ID, "err", err)
		writeError(w, http.StatusInternalServerError, CodeInternal, "api: delete audio: "+err.Error())
		return
	}
	if err := s.cfg.Catalog.SetStatus(r.Context(), rec.ID, catalog.StatusDeleted, "deleted through the API by "+p.Name); err != nil {
		s.catalogError(w, err)
		return
	}
	s.log.Info("recording deleted", "id", rec.ID, "key", rec.Key, "by", p.Name)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) haveCatalog(w http.ResponseWriter) bool {
	if s.cfg.Catalog == nil {
		writeError(w, http.StatusNotImplemented, CodeNotImplemented, "api: this node has no recordings catalogue")
		return false
	}
	return true
}

func (s *Server) catalogError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		writeError(w, http.StatusNotFound, CodeNotFound, err.Error())
	case errors.Is(err, catalog.ErrInvalid):
		writeError(w, http.StatusBadRequest, CodeBadRequest, err.Error())
	default:
		s.log.Error("catalogue", "err", err)
		writeError(w, http.StatusInternalServerError, CodeInternal, err.Error())
	}
}
