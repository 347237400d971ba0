package asr

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// The headers of a webhook request besides Content-Type.
const (
	// SignatureHeader carries "sha256=" and the hex HMAC-SHA256 of the
	// request body under WebhookConfig.Secret; absent without a secret.
	// A receiver computes the same over the raw body and compares in
	// constant time.
	SignatureHeader = "X-Callrec-Signature-256"
	// DeliveryHeader is a random id per event, the same on every retry
	// of it, so a receiver can drop a retried event it already has.
	DeliveryHeader = "X-Callrec-Delivery"
)

// WebhookConfig says where a Webhook posts events. Zero values other than
// URL take the defaults.
type WebhookConfig struct {
	// URL receives a POST of each Event as JSON (http or https).
	URL string
	// Secret, when set, signs each body (SignatureHeader).
	Secret string
	// Token, when set, is sent as "Authorization: Bearer TOKEN": an API
	// token of the receiver, such as a central callrec serve's POST
	// /api/events.
	Token string
	// Timeout bounds one attempt, response included. Zero: 5 s.
	Timeout time.Duration
	// Queue is how many events may wait for delivery; more are dropped.
	// Zero: 1024.
	Queue int
	// Retries is how many times an event is tried again after a network
	// error, a timeout, 429 or 5xx (other answers are final). Zero: 3;
	// negative: none.
	Retries int
	// Backoff is the wait before the first retry, doubled for each next
	// one up to 30 s. Zero: 1 s.
	Backoff time.Duration
	// Logger receives events given up on. Nil: discard.
	Logger *slog.Logger
}

// Webhook is a Sink that POSTs each Event to a URL. Detected queues the
// event and returns; one goroutine, started by NewWebhook and stopped by
// Close, posts them in order, one at a time. Redirects are not
// followed (a 3xx is a failure). Safe for concurrent use.
type Webhook struct {
	cfg    WebhookConfig
	host   string // what errors name: the URL may hold a credential
	log    *slog.Logger
	client *http.Client

	mu     sync.RWMutex // guards closed against sends to q
	closed bool
	q      chan Event
	stop   chan struct{} // closed by Close: drain q, then return
	ctx    context.Context
	abort  context.CancelFunc // Close's deadline passed: give up
	done   chan struct{}

	// Sent counts events the receiver took (2xx), Failed those given up
	// on (a final answer, or retries exhausted), Dropped those never
	// tried (queue full, after Close, or left when Close's deadline
	// passed); Retries counts attempts after the first.
	Sent, Failed, Dropped, Retries atomic.Uint64
}

// NewWebhook checks cfg and starts the delivery goroutine.
func NewWebhook(cfg WebhookConfig) (*Webhook, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("asr: webhook url %q: want http(s)://host/path", cfg.URL)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.Queue <= 0 {
		cfg.Queue = 1024
	}
	if cfg.Retries == 0 {
		cfg.Retries = 3
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	w := &Webhook{cfg: cfg, host: u.Host, log: cfg.Logger, q: make(chan Event, cfg.Queue),
		stop: make(chan struct{}), done: make(chan struct{}),
		client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	w.ctx, w.abort = context.WithCancel(context.Background())
	go w.run()
	return w, nil
}

// Detected queues e for delivery, or drops it (counted) when the queue
// is full or the Webhook closed.
func (w *Webhook) Detected(e Event) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		w.Dropped.Add(1)
		return
	}
	select {
	case w.q <- e:
	default:
		w.Dropped.Add(1)
	}
}

// Close stops taking events and waits until the queued ones are
// delivered or given up on. When ctx ends first, the attempt in flight
// is cancelled, what is left is dropped (counted) and ctx's error is
// returned. Close returns once the goroutine has; later calls return nil
// at once.
func (w *Webhook) Close(ctx context.Context) error {
	w.mu.Lock()
	was := w.closed
	w.closed = true
	w.mu.Unlock()
	if was {
		<-w.done
		return nil
	}
	close(w.stop)
	select {
	case <-w.done:
		w.abort()
		return nil
	case <-ctx.Done():
		w.abort()
		<-w.done
		return fmt.Errorf("asr: webhook close: %w", ctx.Err())
	}
}

func (w *Webhook) run() {
	defer close(w.done)
	for {
		select {
		case e := <-w.q:
			w.deliver(e)
		case <-w.stop:
			for {
				select {
				case e := <-w.q:
					if w.ctx.Err() != nil {
						w.Dropped.Add(1)
						continue
					}
					w.deliver(e)
				default:
					return
				}
			}
		}
	}
}

// deliver posts e, retrying as configured, and counts the outcome.
func (w *Webhook) deliver(e Event) {
	body, err := json.Marshal(e)
	if err != nil { // an Event always marshals; keep the count honest anyway
		w.Failed.Add(1)
		return
	}
	var id [16]byte
	rand.Read(id[:])
	delivery := hex.EncodeToString(id[:])
	var sig string
	if w.cfg.Secret != "" {
		m := hmac.New(sha256.New, []byte(w.cfg.Secret))
		m.Write(body)
		sig = "sha256=" + hex.EncodeToString(m.Sum(nil))
	}
	wait := w.cfg.Backoff
	for attempt := 0; ; attempt++ {
		retry, err := w.post(body, delivery, sig)
		if err == nil {
			w.Sent.Add(1)
			return
		}
		if !retry || attempt >= w.cfg.Retries || w.ctx.Err() != nil {
			w.Failed.Add(1)
			w.log.Warn("webhook: event not delivered", "call_id", e.CallID, "keyword", e.Keyword, "attempts", attempt+1, "err", err)
			return
		}
		w.Retries.Add(1)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-w.ctx.Done():
			t.Stop()
		}
		wait = min(2*wait, 30*time.Second)
	}
}

// post makes one attempt. retry says whether the failure may pass.
func (w *Webhook) post(body []byte, delivery, sig string) (retry bool, err error) {
	ctx, cancel := context.WithTimeout(w.ctx, w.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("asr: webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "callrec-webhook")
	req.Header.Set(DeliveryHeader, delivery)
	if sig != "" {
		req.Header.Set(SignatureHeader, sig)
	}
	if w.cfg.Token != "" {
		req.Header.Set("Authorization", "Bearer "+w.cfg.Token)
	}
	res, err := w.client.Do(req)
	if err != nil {
		return true, fmt.Errorf("asr: webhook: %w", err)
	}
	// Read a little of the body so the connection can be reused.
	io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
	switch {
	case res.StatusCode >= 200 && res.StatusCode < 300:
		return false, nil
	case res.StatusCode == http.StatusTooManyRequests || res.StatusCode >= 500:
		return true, fmt.Errorf("asr: webhook: %s answered %d", w.host, res.StatusCode)
	}
	return false, fmt.Errorf("asr: webhook: %s answered %d", w.host, res.StatusCode)
}
