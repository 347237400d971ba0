package apiclient

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"
)

// Recording is a catalogue row as GET /api/recordings/{id} answers it.
type Recording struct {
	ID          int64             `json:"id"`
	Key         string            `json:"key"`
	CallID      string            `json:"call_id"`
	Caller      string            `json:"caller"`
	Callee      string            `json:"callee"`
	Started     time.Time         `json:"started"`
	Ended       time.Time         `json:"ended"`
	Duration    float64           `json:"duration"` // seconds
	Codecs      string            `json:"codecs"`
	Profile     string            `json:"profile"`
	Format      string            `json:"format"`
	ContentType string            `json:"content_type"`
	Size        int64             `json:"size"`
	Checksum    string            `json:"checksum"` // "sha256:HEX"
	Location    string            `json:"location"`
	Status      string            `json:"status"`
	Reason      string            `json:"reason"`
	Node        string            `json:"node"`
	Labels      map[string]string `json:"labels"`
	Legs        []Leg             `json:"legs"`
	Events      []Event           `json:"events"`
}

// Leg is the quality of what one party sent, over the whole recording.
type Leg struct {
	Party    string  `json:"party"`
	Packets  int64   `json:"packets"`
	Lost     int64   `json:"lost"`
	Loss     float64 `json:"loss"`
	JitterMs float64 `json:"jitter_ms"`
	MOS      float64 `json:"mos"`
}

// Event is something that happened at an offset of the recording
// (DTMF, a keyword).
type Event struct {
	Type  string  `json:"type"`
	At    float64 `json:"at"` // seconds from the start
	Party string  `json:"party"`
	Value string  `json:"value"`
	// Confidence (0..1) and Source (spot, stream) are a keyword's.
	Confidence float64 `json:"confidence"`
	Source     string  `json:"source"`
}

// RecordingPage is one page of a search, newest first; Next is the
// cursor of the next page, "" on the last.
type RecordingPage struct {
	Items []Recording `json:"items"`
	Next  string      `json:"next_cursor"`
}

// Query holds the filters of GET /api/recordings; zero fields are not
// sent. Times are RFC 3339, dates or Unix seconds; durations Go
// durations or seconds, as the API takes them.
type Query struct {
	From, To       string
	Party, Number  string
	CallID, Status string
	Label, Event   string
	// Keyword is a keyword spotted in the call (event=keyword=Keyword).
	Keyword                  string
	MinDuration, MaxDuration string
	Limit                    int
	Cursor                   string
}

func (q Query) values() url.Values {
	v := url.Values{}
	for _, kv := range [][2]string{{"from", q.From}, {"to", q.To}, {"party", q.Party}, {"number", q.Number},
		{"call_id", q.CallID}, {"status", q.Status}, {"label", q.Label}, {"event", q.Event}, {"keyword", q.Keyword},
		{"min_duration", q.MinDuration}, {"max_duration", q.MaxDuration}, {"cursor", q.Cursor}} {
		if kv[1] != "" {
			v.Set(kv[0], kv[1])
		}
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	return v
}

// Recordings searches the catalogue: one page.
func (c *Client) Recordings(ctx context.Context, q Query) (*RecordingPage, json.RawMessage, error) {
	var p RecordingPage
	raw, err := c.do(ctx, http.MethodGet, "/api/recordings", q.values(), nil, &p)
	return &p, raw, err
}

// recordingPath names a recording by catalogue id or key (keys hold
// slashes, escaped here).
func recordingPath(id string) string { return "/api/recordings/" + url.PathEscape(id) }

// Recording returns one recording's metadata; id is its catalogue id or
// its key.
func (c *Client) Recording(ctx context.Context, id string) (*Recording, json.RawMessage, error) {
	var r Recording
	raw, err := c.do(ctx, http.MethodGet, recordingPath(id), nil, nil, &r)
	return &r, raw, err
}

// DeleteRecording deletes a recording's audio and marks its row deleted.
func (c *Client) DeleteRecording(ctx context.Context, id string) error {
	_, err := c.do(ctx, http.MethodDelete, recordingPath(id), nil, nil, nil)
	return err
}

// Download is what Audio wrote.
type Download struct {
	Bytes       int64  // bytes written to w by this call
	Offset      int64  // where they start in the audio (the Range asked for)
	ContentType string // of the audio
	SHA256      string // "sha256:HEX" of the bytes written (all of the audio when Offset is 0)
}

// Audio streams the recording's audio into w from byte offset on (a
// Range request when offset > 0, to resume a download), never holding
// it whole in memory.
func (c *Client) Audio(ctx context.Context, id string, offset int64, w io.Writer) (*Download, error) {
	req, err := c.request(ctx, http.MethodGet, recordingPath(id)+"/audio", nil, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Del("Accept")
	if offset > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(offset, 10)+"-")
	}
	res, err := c.httpClient(true).Do(req)
	if err != nil {
		return nil, fmt.Errorf("apiclient: %w", err)
	}
	defer res.Body.Close()
	switch {
	case res.StatusCode == http.StatusRequestedRangeNotSatisfiable && offset > 0:
		return &Download{Offset: offset}, nil // nothing beyond offset
	case res.StatusCode >= 300:
		return nil, statusError(req, res)
	case offset > 0 && res.StatusCode != http.StatusPartialContent:
		return nil, fmt.Errorf("apiclient: GET %s: asked bytes from %d, got %s", req.URL.Redacted(), offset, res.Status)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), res.Body)
	d := &Download{Bytes: n, Offset: offset, ContentType: res.Header.Get("Content-Type"), SHA256: "sha256:" + hex.EncodeToString(h.Sum(nil))}
	if err != nil {
		return d, fmt.Errorf("apiclient: GET %s: after %d bytes: %w", req.URL.Redacted(), n, err)
	}
	if res.ContentLength >= 0 && n != res.ContentLength {
		return d, fmt.Errorf("apiclient: GET %s: %d of %d bytes", req.URL.Redacted(), n, res.ContentLength)
	}
	return d, nil
}

// FileSHA256 returns "sha256:HEX" of the file at path, the form of a
// recording's Checksum.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}
