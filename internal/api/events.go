package api

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/callrec/callrec/internal/asr"
)

// eventWriteTimeout bounds each write of the event stream: a client that
// reads nothing for this long is cut off (its subscription would only
// be losing events).
const eventWriteTimeout = 30 * time.Second

// events streams ASR events (keywords spotted live) as server-sent
// events (HTML Living Standard, 9.2): one "event: keyword" message per
// event, its data the asr.Event as JSON and its id a counter of this
// stream; "event: dropped" (data {"dropped": n}) says n events were lost
// because the client read too slowly. A comment every keep-alive
// interval holds proxies open. The stream ends when the client goes or
// the Broker closes; nothing is replayed on reconnection.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Events == nil {
		writeError(w, http.StatusNotImplemented, CodeNotImplemented, "api: this node spots no keywords (no live events)")
		return
	}
	var filter func(asr.Event) bool
	if id := r.URL.Query().Get("call_id"); id != "" {
		filter = func(e asr.Event) bool { return e.CallID == id }
	}
	sub, err := s.cfg.Events.Subscribe(filter)
	if err != nil {
		// Too many streams, or shutting down: both pass, so 503.
		if !errors.Is(err, asr.ErrTooManySubscribers) && !errors.Is(err, asr.ErrClosed) {
			s.log.Error("event stream", "err", err)
		}
		writeError(w, http.StatusServiceUnavailable, CodeUnavailable, err.Error())
		return
	}
	defer sub.Close()
	rc := http.NewResponseController(w)
	defer rc.SetWriteDeadline(time.Time{}) // the connection may serve another request
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Accel-Buffering", "no") // nginx: pass each message at once
	w.WriteHeader(http.StatusOK)
	send := func(format string, args ...any) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(eventWriteTimeout))
		if _, err := fmt.Fprintf(w, format, args...); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	// The first comment tells the client it is subscribed.
	if !send(": callrec events\nretry: 5000\n\n") {
		return
	}
	keep := time.NewTicker(s.cfg.EventsKeepAlive)
	defer keep.Stop()
	var id, dropped uint64
	for {
		select {
		case <-r.Context().Done():
			return
		case <-keep.C:
			if !send(": keep-alive\n\n") {
				return
			}
		case e, ok := <-sub.C:
			if !ok { // the Broker closed: the server is stopping
				return
			}
			if d := sub.Dropped(); d > dropped {
				if !send("event: dropped\ndata: {\"dropped\": %d}\n\n", d-dropped) {
					return
				}
				dropped = d
			}
			b, err := json.Marshal(e)
			if err != nil {
				continue
			}
			id++
			if !send("id: %d\nevent: %s\ndata: %s\n\n", id, eventName(e.Type), b) {
				return
			}
		}
	}
}

// signedOr lets a request through when its body is signed with
// Config.EventsSecret (asr.SignatureHeader: "sha256=" and the hex
// HMAC-SHA256 of the raw body), else as the guard of role need would.
// The body is read here (at most 64 KiB) and handed on unread.
func (s *Server) signedOr(need Role, h http.HandlerFunc) http.Handler {
	guarded := s.guard(need, h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sig := r.Header.Get(asr.SignatureHeader)
		if len(s.cfg.EventsSecret) == 0 || sig == "" {
			guarded.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
		if err != nil {
			writeError(w, http.StatusBadRequest, CodeBadRequest, "api: body: "+err.Error())
			return
		}
		mac := hmac.New(sha256.New, s.cfg.EventsSecret)
		mac.Write(body)
		want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
		if !hmac.Equal([]byte(sig), []byte(want)) {
			s.m.authFail.WithLabelValues("bad_signature").Inc()
			writeError(w, http.StatusUnauthorized, CodeUnauthorized, "api: bad "+asr.SignatureHeader)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		h(w, r.WithContext(context.WithValue(r.Context(), signedKey{}, sig)))
	})
}

// signedKey marks a request signedOr let through by its signature (the
// value is the signature).
type signedKey struct{}

// eventWindow is how old a signed event may be, and how long deliveries
// are remembered to drop retries and replays.
const eventWindow = 10 * time.Minute

// recentSet remembers keys (delivery ids, signatures) for eventWindow,
// at most recentMax of them (the oldest are forgotten first).
type recentSet struct {
	mu    sync.Mutex
	at    map[string]time.Time
	order []string
}

const recentMax = 8192

// add records key and reports whether it was new.
func (rs *recentSet) add(key string, now time.Time) bool {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.at == nil {
		rs.at = map[string]time.Time{}
	}
	for len(rs.order) > 0 && (len(rs.order) >= recentMax || now.Sub(rs.at[rs.order[0]]) > eventWindow) {
		delete(rs.at, rs.order[0])
		rs.order = rs.order[1:]
	}
	if _, ok := rs.at[key]; ok {
		return false
	}
	rs.at[key] = now
	rs.order = append(rs.order, key)
	return true
}

// publishEvent takes one keyword detection of another node: a remote
// `callrec media` whose asr.webhook posts to this URL (the body is what
// asr.Webhook sends, an asr.Event), signed with Config.EventsSecret or
// with an admin token. It is checked
// and handed to the Broker, so this serve's event streams carry the
// detections of every media node, not only the in-process one. The
// body is bounded (readJSON); a bad event is refused with 400, which the
// webhook does not retry. A delivery seen in the last eventWindow (its
// asr.DeliveryHeader, or a signed body's signature) is answered 204 and
// not published again: the webhook's retries and replays of a signed
// body; a signed event older than eventWindow is refused.
func (s *Server) publishEvent(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Events == nil {
		writeError(w, http.StatusNotImplemented, CodeNotImplemented, "api: this node has no live events")
		return
	}
	var e asr.Event
	if !readJSON(w, r, &e) {
		return
	}
	if err := checkEvent(e); err != nil {
		writeError(w, http.StatusBadRequest, CodeBadRequest, err.Error())
		return
	}
	now := time.Now()
	sig, signed := r.Context().Value(signedKey{}).(string)
	if signed && (now.Sub(e.Time) > eventWindow || e.Time.Sub(now) > eventWindow) {
		writeError(w, http.StatusBadRequest, CodeBadRequest, fmt.Sprintf("api: signed event of %s: more than %s from now", e.Time.Format(time.RFC3339), eventWindow))
		return
	}
	if id := r.Header.Get(asr.DeliveryHeader); (id != "" && !s.delivered.add("d:"+id, now)) || (signed && !s.delivered.add("s:"+sig, now)) {
		s.m.eventRepeats.Inc()
		w.WriteHeader(http.StatusNoContent) // already published
		return
	}
	if e.Time.IsZero() {
		e.Time = now
	}
	s.cfg.Events.Detected(e)
	w.WriteHeader(http.StatusNoContent)
}

// checkEvent says what is wrong with a posted event, if anything: it
// must be a keyword on a leg of a call, at offsets in the recording,
// with a confidence in [0, 1].
func checkEvent(e asr.Event) error {
	switch {
	case e.Type != "keyword":
		return fmt.Errorf("api: event type %q: want keyword", e.Type)
	case e.Leg != "caller" && e.Leg != "callee":
		return fmt.Errorf("api: event leg %q: want caller or callee", e.Leg)
	case e.CallID == "":
		return errors.New("api: event has no call_id")
	case e.Keyword == "":
		return errors.New("api: event has no keyword")
	case e.Start < 0 || e.End < e.Start:
		return fmt.Errorf("api: event offsets %g..%g s: want 0 <= start_seconds <= end_seconds", e.Start, e.End)
	case e.Confidence < 0 || e.Confidence > 1:
		return fmt.Errorf("api: event confidence %g: want 0..1", e.Confidence)
	}
	return nil
}

// eventName is typ as an SSE event name: a line break would end the
// field and let an engine's string forge others.
func eventName(typ string) string {
	if typ == "" || strings.ContainsAny(typ, "\r\n") {
		return "message"
	}
	return typ
}
