package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client talks to one callrec serve. The zero value is not usable: set
// Server.
type Client struct {
	// Server is the base URL, e.g. "http://127.0.0.1:8080"; a bare
	// host:port is taken as http.
	Server string
	// Token, when set, is sent as "Authorization: Bearer TOKEN"
	// (serve.api_tokens).
	Token string
	// HTTP is the client used; nil means one with a 30 s timeout for
	// JSON requests and none for audio downloads (ctx bounds those).
	HTTP *http.Client
}

// Error is an error status answered by the server.
type Error struct {
	Method, URL string
	Status      int    // HTTP status code
	Code        string // the API's error code ("not_found"...); "" if the body had none
	Message     string // the API's message, or the status text
}

// Error implements error.
func (e *Error) Error() string {
	if e.Code != "" {
		return fmt.Sprintf("apiclient: %s %s: %d %s: %s", e.Method, e.URL, e.Status, e.Code, e.Message)
	}
	return fmt.Sprintf("apiclient: %s %s: %d %s", e.Method, e.URL, e.Status, e.Message)
}

// maxJSON bounds a JSON answer read into memory.
const maxJSON = 16 << 20

func (c *Client) base() string {
	s := strings.TrimSuffix(c.Server, "/")
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	return s
}

func (c *Client) httpClient(stream bool) *http.Client {
	switch {
	case c.HTTP != nil:
		return c.HTTP
	case stream:
		return http.DefaultClient
	}
	return &http.Client{Timeout: 30 * time.Second}
}

// request builds a request of path (already escaped) with query q and a
// JSON body when in is not nil.
func (c *Client) request(ctx context.Context, method, path string, q url.Values, in any) (*http.Request, error) {
	u := c.base() + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, fmt.Errorf("apiclient: %w", err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	return req, nil
}

// statusError reads an error answer's body into an *Error. It accepts
// {"error": {"code", "message"}} and the older {"error": "message"}.
func statusError(req *http.Request, res *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	e := &Error{Method: req.Method, URL: req.URL.Redacted(), Status: res.StatusCode, Message: http.StatusText(res.StatusCode)}
	var body struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(b, &body) == nil && len(body.Error) > 0 {
		var d struct{ Code, Message string }
		var s string
		switch {
		case json.Unmarshal(body.Error, &d) == nil && d.Message != "":
			e.Code, e.Message = d.Code, d.Message
		case json.Unmarshal(body.Error, &s) == nil && s != "":
			e.Message = s
		}
	}
	return e
}

// do sends a JSON request and returns the raw answer, decoded into out
// when out is not nil. A 204 answers nil.
func (c *Client) do(ctx context.Context, method, path string, q url.Values, in, out any) (json.RawMessage, error) {
	req, err := c.request(ctx, method, path, q, in)
	if err != nil {
		return nil, err
	}
	res, err := c.httpClient(false).Do(req)
	if err != nil {
		return nil, fmt.Errorf("apiclient: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode >= 300 {
		return nil, statusError(req, res)
	}
	b, err := io.ReadAll(io.LimitReader(res.Body, maxJSON+1))
	if err != nil {
		return nil, fmt.Errorf("apiclient: %s %s: %w", method, req.URL.Redacted(), err)
	}
	if len(b) > maxJSON {
		return nil, fmt.Errorf("apiclient: %s %s: answer over %d bytes", method, req.URL.Redacted(), maxJSON)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, nil
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return nil, fmt.Errorf("apiclient: %s %s: %w", method, req.URL.Redacted(), err)
		}
	}
	return b, nil
}
