package asr

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// wsStream is a connection over WebSocket (RFC 6455): the header and
// control messages as text, audio as binary messages, results as text.
type wsStream struct {
	c      *websocket.Conn
	ctx    context.Context // the connection's life: recv waits on it
	cancel context.CancelFunc
	out    []byte // one binary message
	ctl    []byte // one control message
	wt     time.Duration
	once   sync.Once
}

func dialWS(ctx context.Context, s *streamer, hdr []byte, batch int) (*wsStream, error) {
	opts := &websocket.DialOptions{}
	if s.tls != nil {
		opts.HTTPClient = &http.Client{Transport: &http.Transport{TLSClientConfig: s.tls}}
	}
	if s.cfg.Token != "" {
		opts.HTTPHeader = http.Header{"Authorization": {"Bearer " + s.cfg.Token}}
	}
	c, resp, err := websocket.Dial(ctx, s.u.String(), opts)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("asr: stream dial: %w", err)
	}
	c.SetReadLimit(maxResultLine)
	if err := c.Write(ctx, websocket.MessageText, hdr); err != nil {
		c.CloseNow()
		return nil, fmt.Errorf("asr: stream header: %w", err)
	}
	w := &wsStream{c: c, out: make([]byte, 2*batch), ctl: make([]byte, 0, 64), wt: s.cfg.WriteTimeout}
	w.ctx, w.cancel = context.WithCancel(s.ctx)
	return w, nil
}

func (w *wsStream) write(typ websocket.MessageType, b []byte) error {
	ctx, cancel := context.WithTimeout(w.ctx, w.wt)
	defer cancel()
	return w.c.Write(ctx, typ, b)
}

func (w *wsStream) send(lost int, pcm []int16) error {
	if lost > 0 {
		b := append(w.ctl[:0], `{"type":"gap","samples":`...)
		b = strconv.AppendInt(b, int64(lost), 10)
		if err := w.write(websocket.MessageText, append(b, '}')); err != nil {
			return err
		}
	}
	if len(pcm) == 0 {
		return nil
	}
	b := w.out[:2*len(pcm)]
	putPCM(b, pcm)
	return w.write(websocket.MessageBinary, b)
}

func (w *wsStream) end() error {
	return w.write(websocket.MessageText, []byte(`{"type":"end"}`))
}

func (w *wsStream) recv() ([]byte, error) {
	for {
		typ, b, err := w.c.Read(w.ctx)
		if err != nil {
			if websocket.CloseStatus(err) == websocket.StatusNormalClosure {
				return nil, io.EOF
			}
			return nil, err
		}
		if typ == websocket.MessageText {
			return b, nil
		}
		// Binary messages from the engine mean nothing in version 1.
	}
}

func (w *wsStream) close() {
	w.once.Do(func() {
		w.c.CloseNow()
		w.cancel()
	})
}
