package apiclient

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestErrors: both error bodies the API has answered ({"error":
// {"code","message"}} and the older {"error": "..."}) and a bare status
// become an *Error with the status, code and message; the token is sent
// as Bearer and never appears in the error.
func TestErrors(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/recordings/1", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok-123" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"error":{"code":"not_found","message":"catalog: no such recording: 1"}}`))
	})
	mux.HandleFunc("DELETE /api/calls/x/record", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusConflict)
		w.Write([]byte(`{"error":"proxy: call not answered"}`))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ctx := context.Background()
	c := &Client{Server: strings.TrimPrefix(srv.URL, "http://"), Token: "tok-123"} // bare host:port
	var e *Error
	if _, _, err := c.Recording(ctx, "1"); !errors.As(err, &e) || e.Status != 404 || e.Code != "not_found" || !strings.Contains(e.Message, "no such recording") {
		t.Errorf("structured error: %v", err)
	}
	if _, _, err := c.StopRecord(ctx, "x"); !errors.As(err, &e) || e.Status != 409 || e.Code != "" || e.Message != "proxy: call not answered" {
		t.Errorf("string error: %v", err)
	}
	c.Token = "wrong"
	if _, _, err := c.Recording(ctx, "1"); !errors.As(err, &e) || e.Status != 401 || e.Message != "Unauthorized" || strings.Contains(err.Error(), "wrong") {
		t.Errorf("bare status: %v", err)
	}
}

// TestAudioRange: a download from an offset sends a Range and takes the
// 206; a server that ignores the Range is an error, not a corrupt file.
func TestAudioRange(t *testing.T) {
	audio := bytes.Repeat([]byte("0123456789"), 1000)
	var ignore atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ignore.Load() {
			r.Header.Del("Range")
		}
		http.ServeContent(w, r, "a.wav", time.Time{}, bytes.NewReader(audio))
	}))
	defer srv.Close()
	c := &Client{Server: srv.URL}
	var buf bytes.Buffer
	d, err := c.Audio(context.Background(), "1", 4000, &buf)
	if err != nil || d.Bytes != 6000 || !bytes.Equal(buf.Bytes(), audio[4000:]) {
		t.Fatalf("from 4000: %+v, %v, %d bytes", d, err, buf.Len())
	}
	if d, err := c.Audio(context.Background(), "1", int64(len(audio)), &buf); err != nil || d.Bytes != 0 {
		t.Errorf("from the end: %+v, %v", d, err)
	}
	ignore.Store(true)
	if _, err := c.Audio(context.Background(), "1", 4000, &buf); err == nil {
		t.Errorf("a 200 to a Range request was taken")
	}
}

// TestRecordingsQuery: the filters go out as the API's query
// parameters (keyword among them), unset ones not at all.
func TestRecordingsQuery(t *testing.T) {
	got := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.URL.RawQuery
		w.Write([]byte(`{"items":[{"id":7,"events":[{"type":"keyword","at":1.5,"value":"refund","confidence":0.8,"source":"spot"}]}],"next_cursor":""}`))
	}))
	defer srv.Close()
	c := &Client{Server: srv.URL}
	p, _, err := c.Recordings(context.Background(), Query{Keyword: "refund", Party: "alice", Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	if q := <-got; q != "keyword=refund&limit=5&party=alice" {
		t.Errorf("query %q", q)
	}
	if len(p.Items) != 1 || len(p.Items[0].Events) != 1 || p.Items[0].Events[0].Confidence != 0.8 || p.Items[0].Events[0].Source != "spot" {
		t.Errorf("page %+v", p)
	}
}
