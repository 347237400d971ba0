package asr

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// hit is one request a test receiver got.
type hit struct {
	body          []byte
	sig, delivery string
	ctype, auth   string
	event         Event
}

// receiver starts a loopback HTTP server that reports each request on
// the returned channel and answers what answer returns.
func receiver(t *testing.T, answer func(n int, r *http.Request) int) (*httptest.Server, chan hit) {
	t.Helper()
	hits := make(chan hit, 100)
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h := hit{body: b, sig: r.Header.Get(SignatureHeader), delivery: r.Header.Get(DeliveryHeader), ctype: r.Header.Get("Content-Type"), auth: r.Header.Get("Authorization")}
		json.Unmarshal(b, &h.event)
		n++
		code := answer(n, r)
		hits <- h
		w.WriteHeader(code)
	}))
	t.Cleanup(srv.Close)
	return srv, hits
}

func next(t *testing.T, hits chan hit) hit {
	t.Helper()
	select {
	case h := <-hits:
		return h
	case <-time.After(5 * time.Second):
		t.Fatal("no webhook request within 5s")
		return hit{}
	}
}

func closeWebhook(t *testing.T, w *Webhook) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.Close(ctx); err != nil {
		t.Fatalf("close: %v", err)
	}
}

// TestWebhookRetrySigned: 5xx answers are retried with the same
// delivery id and a valid signature until the receiver takes the event;
// a 4xx is final.
func TestWebhookRetrySigned(t *testing.T) {
	srv, hits := receiver(t, func(n int, r *http.Request) int {
		switch {
		case n <= 2:
			return http.StatusServiceUnavailable
		case n == 3:
			return http.StatusNoContent
		}
		return http.StatusBadRequest
	})
	w, err := NewWebhook(WebhookConfig{URL: srv.URL + "/hook", Secret: "s3cret", Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	want := kw("call-1", "refund")
	w.Detected(want)
	var first string
	for i := range 3 {
		h := next(t, hits)
		m := hmac.New(sha256.New, []byte("s3cret"))
		m.Write(h.body)
		if h.sig != "sha256="+hex.EncodeToString(m.Sum(nil)) {
			t.Errorf("attempt %d: signature %q does not match the body", i, h.sig)
		}
		if i == 0 {
			first = h.delivery
		}
		if h.delivery == "" || h.delivery != first {
			t.Errorf("attempt %d: delivery %q, first %q", i, h.delivery, first)
		}
		if h.ctype != "application/json" || h.event.CallID != "call-1" || h.event.Keyword != "refund" || h.event.Confidence != 0.9 || !h.event.Time.Equal(want.Time) {
			t.Errorf("attempt %d: %s %s", i, h.ctype, h.body)
		}
	}
	w.Detected(kw("call-2", "cancel")) // answered 400: not retried
	if h := next(t, hits); h.delivery == first || h.event.CallID != "call-2" {
		t.Errorf("second event: %+v", h)
	}
	closeWebhook(t, w)
	if len(hits) != 0 {
		t.Errorf("%d more requests: a 400 was retried", len(hits))
	}
	if w.Sent.Load() != 1 || w.Failed.Load() != 1 || w.Retries.Load() != 2 || w.Dropped.Load() != 0 {
		t.Errorf("sent %d failed %d retries %d dropped %d; want 1 1 2 0", w.Sent.Load(), w.Failed.Load(), w.Retries.Load(), w.Dropped.Load())
	}
}

// TestWebhookNetworkError: a receiver that is not there is tried
// 1+Retries times, then the event counts as failed; no signature header
// without a secret.
func TestWebhookNetworkError(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // connections are refused from now on
	w, err := NewWebhook(WebhookConfig{URL: "http://" + addr + "/", Retries: 2, Backoff: time.Millisecond, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	w.Detected(kw("a", "x"))
	closeWebhook(t, w)
	if w.Failed.Load() != 1 || w.Retries.Load() != 2 || w.Sent.Load() != 0 {
		t.Errorf("failed %d retries %d sent %d; want 1 2 0", w.Failed.Load(), w.Retries.Load(), w.Sent.Load())
	}

	srv, hits := receiver(t, func(int, *http.Request) int { return 200 })
	w, _ = NewWebhook(WebhookConfig{URL: srv.URL})
	w.Detected(kw("a", "x"))
	if h := next(t, hits); h.sig != "" || h.auth != "" {
		t.Errorf("signature %q, Authorization %q without a secret or token", h.sig, h.auth)
	}
	closeWebhook(t, w)
}

// TestWebhookToken: with a token every attempt, retries included,
// carries it as a bearer token (what a central serve's POST /api/events
// checks), and the body is signed as well when there is a secret too.
func TestWebhookToken(t *testing.T) {
	srv, hits := receiver(t, func(n int, r *http.Request) int {
		if n == 1 {
			return http.StatusServiceUnavailable
		}
		return http.StatusNoContent
	})
	w, err := NewWebhook(WebhookConfig{URL: srv.URL + "/api/events", Token: "node-t0ken", Secret: "s", Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	w.Detected(kw("call-t", "refund"))
	for i := range 2 {
		if h := next(t, hits); h.auth != "Bearer node-t0ken" || h.sig == "" || h.event.CallID != "call-t" {
			t.Errorf("attempt %d: Authorization %q, signature %q, event %+v", i, h.auth, h.sig, h.event)
		}
	}
	closeWebhook(t, w)
	if w.Sent.Load() != 1 || w.Retries.Load() != 1 {
		t.Errorf("sent %d retries %d; want 1 1", w.Sent.Load(), w.Retries.Load())
	}
}

// TestWebhookQueueFull: while the receiver is stuck, events past the
// queue are dropped and Detected does not wait; Close then delivers the
// queued ones.
func TestWebhookQueueFull(t *testing.T) {
	release, first := make(chan struct{}), make(chan struct{})
	srv, hits := receiver(t, func(n int, r *http.Request) int {
		if n == 1 {
			close(first)
			<-release
		}
		return 200
	})
	w, err := NewWebhook(WebhookConfig{URL: srv.URL, Queue: 2, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	w.Detected(kw("1", "a"))
	// Wait until the first is in flight (the handler holds it), so the
	// queue is empty again.
	select {
	case <-first:
	case <-time.After(5 * time.Second):
		t.Fatal("first event never arrived")
	}
	start := time.Now()
	for _, c := range []string{"2", "3", "4", "5"} {
		w.Detected(kw(c, "a"))
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Detected blocked %v", d)
	}
	if w.Dropped.Load() != 2 {
		t.Errorf("dropped %d, want 2", w.Dropped.Load())
	}
	close(release)
	closeWebhook(t, w)
	var calls []string
	for len(hits) > 0 {
		calls = append(calls, (<-hits).event.CallID)
	}
	if len(calls) != 3 || calls[0] != "1" || calls[1] != "2" || calls[2] != "3" || w.Sent.Load() != 3 {
		t.Errorf("delivered %v (sent %d), want [1 2 3]", calls, w.Sent.Load())
	}
	w.Detected(kw("6", "a"))
	if w.Dropped.Load() != 3 {
		t.Errorf("after Close: dropped %d, want 3", w.Dropped.Load())
	}
}

// TestWebhookCloseDeadline: Close gives up on a receiver that never
// answers when its context ends: the attempt is cancelled, the queued
// events are dropped, and Close returns the context's error.
func TestWebhookCloseDeadline(t *testing.T) {
	stuck := make(chan struct{})
	srv, _ := receiver(t, func(_ int, r *http.Request) int {
		select {
		case <-stuck:
		case <-r.Context().Done():
		}
		return 200
	})
	t.Cleanup(func() { close(stuck) }) // before srv.Close (cleanups run last first)
	w, err := NewWebhook(WebhookConfig{URL: srv.URL, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"1", "2", "3"} {
		w.Detected(kw(c, "a"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = w.Close(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("close: %v, want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("close took %v", d)
	}
	if w.Sent.Load() != 0 || w.Failed.Load()+w.Dropped.Load() != 3 {
		t.Errorf("sent %d failed %d dropped %d; want all 3 failed or dropped", w.Sent.Load(), w.Failed.Load(), w.Dropped.Load())
	}
	if err := w.Close(context.Background()); err != nil {
		t.Errorf("second close: %v", err)
	}
}

func TestWebhookBadURL(t *testing.T) {
	for _, u := range []string{"", "ftp://h/x", "http://", "::"} {
		if _, err := NewWebhook(WebhookConfig{URL: u}); err == nil {
			t.Errorf("%q accepted", u)
		}
	}
}
