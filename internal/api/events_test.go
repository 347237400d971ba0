package api

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/callrec/callrec/internal/asr"
)

// sseMessage is one server-sent event: its fields, or a comment.
type sseMessage struct {
	id, event, data, comment string
}

// stream is a client reading GET /api/events over a real connection.
type stream struct {
	t      *testing.T
	res    *http.Response
	cancel context.CancelFunc
	msgs   chan sseMessage // closed at the end of the stream
}

// openStream starts GET path and parses the stream on a goroutine that
// ends with the response body.
func (f *fixture) openStream(path, token string) *stream {
	f.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", f.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := f.srv.Client().Do(req)
	if err != nil {
		cancel()
		f.t.Fatal(err)
	}
	s := &stream{t: f.t, res: res, cancel: cancel, msgs: make(chan sseMessage, 100)}
	f.t.Cleanup(func() { cancel(); res.Body.Close() })
	go func() {
		defer close(s.msgs)
		sc := bufio.NewScanner(res.Body)
		var m sseMessage
		for sc.Scan() {
			l := sc.Text()
			k, v, _ := strings.Cut(l, ":")
			v = strings.TrimPrefix(v, " ")
			switch {
			case l == "":
				s.msgs <- m
				m = sseMessage{}
			case k == "":
				m.comment = v
			case k == "id":
				m.id = v
			case k == "event":
				m.event = v
			case k == "data":
				m.data = v
			}
		}
	}()
	return s
}

// next returns the next message that is not a comment (or a comment
// when comments is set); ok is false at the end of the stream.
func (s *stream) next(comments bool) (m sseMessage, ok bool) {
	s.t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case m, ok = <-s.msgs:
			if !ok || (m.comment == "") != comments {
				return m, ok
			}
		case <-timeout:
			s.t.Fatal("event stream: nothing within 5s")
		}
	}
}

// waitSubscribers waits until the broker has n subscribers.
func waitSubscribers(t *testing.T, b *asr.Broker, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for b.Subscribers() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d subscribers, want %d", b.Subscribers(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestEventStream: an event given to the Broker arrives on every open
// stream as an SSE message (event: keyword, id, the Event as JSON
// data); ?call_id= filters; an idle stream gets keep-alive comments; a
// client that goes away is unsubscribed; closing the Broker ends the
// streams.
func TestEventStream(t *testing.T) {
	b := asr.NewBroker(asr.BrokerConfig{})
	f := newFixture(t, func(c *Config) { c.Events = b; c.EventsKeepAlive = 50 * time.Millisecond })
	all := f.openStream("/api/events", viewerToken)
	if all.res.StatusCode != 200 || all.res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("GET /api/events: %d %s", all.res.StatusCode, all.res.Header.Get("Content-Type"))
	}
	onlyB := f.openStream("/api/events?call_id="+"call-b%40test", viewerToken)
	// The first comment comes once the stream is subscribed.
	for _, s := range []*stream{all, onlyB} {
		if m, ok := s.next(true); !ok || m.comment != "callrec events" {
			t.Fatalf("first comment: %+v %v", m, ok)
		}
	}
	at := time.Date(2026, 11, 24, 10, 0, 2, 0, time.UTC)
	evA := asr.Event{CallID: "call-a@test", Recording: "2026/11/24/call-a", Leg: "caller", Type: "keyword", Keyword: "refund",
		Start: 1.25, End: 1.75, Confidence: 0.91, Source: "spot", Caller: "sip:1001@example.com", Callee: "sip:2000@example.com", Time: at}
	evB := evA
	evB.CallID, evB.Keyword, evB.Leg = "call-b@test", "cancel", "callee"
	b.Detected(evA)
	b.Detected(evB)
	for i, want := range []asr.Event{evA, evB} {
		m, ok := all.next(false)
		var got asr.Event
		if !ok || m.event != "keyword" || m.id != []string{"1", "2"}[i] || json.Unmarshal([]byte(m.data), &got) != nil {
			t.Fatalf("message %d: %+v %v", i, m, ok)
		}
		if !got.Time.Equal(want.Time) || got.CallID != want.CallID || got.Keyword != want.Keyword || got.Leg != want.Leg ||
			got.Start != want.Start || got.End != want.End || got.Confidence != want.Confidence || got.Source != "spot" || got.Caller != want.Caller {
			t.Errorf("message %d: got %+v, want %+v", i, got, want)
		}
	}
	// The filtered stream has only call-b's, numbered from 1.
	if m, ok := onlyB.next(false); !ok || m.id != "1" || !strings.Contains(m.data, `"keyword":"cancel"`) {
		t.Errorf("filtered stream: %+v %v", m, ok)
	}
	// Idle: keep-alive comments.
	if m, ok := onlyB.next(true); !ok || m.comment != "keep-alive" {
		t.Errorf("keep-alive: %+v %v", m, ok)
	}
	// A client that goes is unsubscribed.
	waitSubscribers(t, b, 2)
	onlyB.cancel()
	waitSubscribers(t, b, 1)
	b.Detected(evB) // the remaining stream still works
	if m, ok := all.next(false); !ok || m.id != "3" {
		t.Errorf("after the other left: %+v %v", m, ok)
	}
	// Closing the broker ends the stream (the server can shut down).
	b.Close()
	if m, ok := all.next(false); ok {
		t.Errorf("after Broker.Close: %+v", m)
	}
	res, body := f.do("GET", "/api/events", viewerToken, "")
	wantError(t, "closed broker", res, body, 503, CodeUnavailable)
}

// TestEventStreamRefused: no credentials is 401, no broker 501, too
// many streams 503.
func TestEventStreamRefused(t *testing.T) {
	b := asr.NewBroker(asr.BrokerConfig{MaxSubscribers: 1})
	f := newFixture(t, func(c *Config) { c.Events = b })
	res, body := f.do("GET", "/api/events", "", "")
	wantError(t, "no token", res, body, 401, CodeUnauthorized)
	s := f.openStream("/api/events", viewerToken)
	s.next(true)
	res, body = f.do("GET", "/api/events", viewerToken, "")
	wantError(t, "second stream", res, body, 503, CodeUnavailable)

	f = newFixture(t, nil)
	res, body = f.do("GET", "/api/events", viewerToken, "")
	wantError(t, "no broker", res, body, 501, CodeNotImplemented)
}

// TestPublishEvent: POST /api/events takes an event as a remote media
// node's webhook sends it (an asr.Event as JSON, admin token) and hands
// it to the Broker, so a subscription sees it unchanged; events that
// are not a keyword on a leg of a call with sane offsets and confidence,
// bodies too large or not JSON, viewers and anonymous clients are
// refused and publish nothing; without a Broker it is 501.
func TestPublishEvent(t *testing.T) {
	b := asr.NewBroker(asr.BrokerConfig{})
	f := newFixture(t, func(c *Config) { c.Events = b })
	sub, err := b.Subscribe(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	at := time.Date(2026, 11, 25, 1, 0, 3, 0, time.UTC)
	want := asr.Event{CallID: "remote-1@test", Recording: "2026/11/25/remote-1", Leg: "caller", Type: "keyword", Keyword: "refund",
		Start: 11.03, End: 11.43, Confidence: 0.86, Source: "spot", Caller: "sip:1001@example.com", Time: at}
	body := func(mod func(*asr.Event)) string {
		e := want
		if mod != nil {
			mod(&e)
		}
		j, _ := json.Marshal(e)
		return string(j)
	}
	res, msg := f.do("POST", "/api/events", adminToken, body(nil), "Content-Type", "application/json")
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("POST /api/events: %d %s", res.StatusCode, msg)
	}
	select {
	case got := <-sub.C:
		if !got.Time.Equal(at) {
			t.Errorf("time %v, want %v", got.Time, at)
		}
		got.Time = at
		if got != want {
			t.Errorf("published %+v, want %+v", got, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("posted event not published within 5s")
	}

	bad := map[string]string{
		"type":             body(func(e *asr.Event) { e.Type = "dtmf" }),
		"leg":              body(func(e *asr.Event) { e.Leg = "both" }),
		"no call_id":       body(func(e *asr.Event) { e.CallID = "" }),
		"no keyword":       body(func(e *asr.Event) { e.Keyword = "" }),
		"negative start":   body(func(e *asr.Event) { e.Start = -0.1 }),
		"end before start": body(func(e *asr.Event) { e.End = 1 }),
		"confidence > 1":   body(func(e *asr.Event) { e.Confidence = 1.01 }),
		"confidence < 0":   body(func(e *asr.Event) { e.Confidence = -0.5 }),
		"empty":            "",
		"not json":         "refund",
		"unknown field":    strings.Replace(body(nil), `{`, `{"extra":1,`, 1),
		"too large":        strings.Replace(body(nil), `"caller":"`, `"caller":"`+strings.Repeat("x", 70<<10), 1),
	}
	for what, b := range bad {
		res, msg := f.do("POST", "/api/events", adminToken, b, "Content-Type", "application/json")
		wantError(t, what, res, msg, http.StatusBadRequest, CodeBadRequest)
	}
	res, msg = f.do("POST", "/api/events", viewerToken, body(nil))
	wantError(t, "viewer", res, msg, http.StatusForbidden, CodeForbidden)
	res, msg = f.do("POST", "/api/events", "", body(nil))
	wantError(t, "anonymous", res, msg, http.StatusUnauthorized, CodeUnauthorized)
	select {
	case e := <-sub.C:
		t.Errorf("a refused post was published: %+v", e)
	default:
	}
	if n := b.Published.Load(); n != 1 {
		t.Errorf("broker published %d, want 1", n)
	}

	f = newFixture(t, nil)
	res, msg = f.do("POST", "/api/events", adminToken, body(nil))
	wantError(t, "no broker", res, msg, http.StatusNotImplemented, CodeNotImplemented)
}

// TestPublishEventSigned: with Config.EventsSecret, a body signed as
// asr.Webhook signs it with that secret is accepted without a token; a
// wrong signature, or none and no token, is refused and publishes
// nothing; an admin token still works alone. A signed body sent again
// (a replay) and a delivery id seen before (a webhook retry) are
// answered 204 but published once; a signed event older than the
// window is refused.
func TestPublishEventSigned(t *testing.T) {
	b := asr.NewBroker(asr.BrokerConfig{})
	secret := []byte("node-secret")
	f := newFixture(t, func(c *Config) { c.Events, c.EventsSecret = b, secret })
	sign := func(body string, key []byte) string {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(body))
		return "sha256=" + hex.EncodeToString(m.Sum(nil))
	}
	ev := asr.Event{CallID: "c@x", Leg: "caller", Type: "keyword", Keyword: "cancel", Start: 1, End: 1.4, Confidence: 0.8, Time: time.Now()}
	j, _ := json.Marshal(ev)
	body := string(j)
	res, msg := f.do("POST", "/api/events", "", body, asr.SignatureHeader, sign(body, secret))
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("signed POST: %d %s", res.StatusCode, msg)
	}
	res, msg = f.do("POST", "/api/events", "", body, asr.SignatureHeader, sign(body, []byte("other")))
	wantError(t, "wrong secret", res, msg, http.StatusUnauthorized, CodeUnauthorized)
	res, msg = f.do("POST", "/api/events", "", body, asr.SignatureHeader, sign(body+" ", secret))
	wantError(t, "signature of another body", res, msg, http.StatusUnauthorized, CodeUnauthorized)
	res, msg = f.do("POST", "/api/events", "", body)
	wantError(t, "unsigned, no token", res, msg, http.StatusUnauthorized, CodeUnauthorized)
	res, msg = f.do("POST", "/api/events", adminToken, body)
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("admin POST: %d %s", res.StatusCode, msg)
	}
	// Replayed signed body: 204, not published again.
	res, msg = f.do("POST", "/api/events", "", body, asr.SignatureHeader, sign(body, secret))
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("replayed signed POST: %d %s", res.StatusCode, msg)
	}
	// A webhook retry: the same delivery id twice, published once.
	ev.Keyword = "refund"
	j, _ = json.Marshal(ev)
	for range 2 {
		res, msg = f.do("POST", "/api/events", adminToken, string(j), asr.DeliveryHeader, "delivery-1")
		if res.StatusCode != http.StatusNoContent {
			t.Fatalf("POST with a delivery id: %d %s", res.StatusCode, msg)
		}
	}
	// A signed event of long ago.
	ev.Time = time.Now().Add(-time.Hour)
	j, _ = json.Marshal(ev)
	res, msg = f.do("POST", "/api/events", "", string(j), asr.SignatureHeader, sign(string(j), secret))
	wantError(t, "old signed event", res, msg, http.StatusBadRequest, CodeBadRequest)
	if n := b.Published.Load(); n != 3 {
		t.Errorf("broker published %d, want 3", n)
	}
	if got := testutil.ToFloat64(f.api.m.eventRepeats); got != 2 {
		t.Errorf("repeats %v, want 2", got)
	}
	if got := testutil.ToFloat64(f.api.m.authFail.WithLabelValues("bad_signature")); got != 2 {
		t.Errorf("bad_signature failures %v, want 2", got)
	}
}
