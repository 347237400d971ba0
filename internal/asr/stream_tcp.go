package asr

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// streamConn is one connection to an engine, header sent. send and end
// are called by the leg's goroutine, recv by the connection's reader;
// close may be called by either, more than once, and unblocks both.
type streamConn interface {
	// send writes a gap of lost samples (when lost > 0), then pcm.
	send(lost int, pcm []int16) error
	// end says no more audio comes.
	end() error
	// recv returns the engine's next result message, valid until the
	// next recv; io.EOF when the engine closed in order.
	recv() ([]byte, error)
	close()
}

// dialStream connects to the engine and sends hdr; batch is the most
// samples a send carries.
func dialStream(ctx context.Context, s *streamer, hdr []byte, batch []int16) (streamConn, error) {
	switch s.u.Scheme {
	case "ws", "wss":
		return dialWS(ctx, s, hdr, len(batch))
	}
	return dialTCP(ctx, s, hdr, len(batch))
}

// tcpStream is a connection over TCP or TLS: a header line, then
// frames; results come back as JSON lines.
type tcpStream struct {
	c    net.Conn
	r    *bufio.Reader
	out  []byte // one send's frames
	wt   time.Duration
	once sync.Once
}

// maxResultLine bounds a result line (and the header line an engine
// reads).
const maxResultLine = 64 << 10

func dialTCP(ctx context.Context, s *streamer, hdr []byte, batch int) (*tcpStream, error) {
	var (
		d   net.Dialer
		c   net.Conn
		err error
	)
	if s.tls != nil {
		td := tls.Dialer{NetDialer: &d, Config: s.tls}
		c, err = td.DialContext(ctx, "tcp", s.u.Host)
	} else {
		c, err = d.DialContext(ctx, "tcp", s.u.Host)
	}
	if err != nil {
		return nil, fmt.Errorf("asr: stream dial: %w", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		c.SetWriteDeadline(dl)
	}
	line := append(hdr[:len(hdr):len(hdr)], '\n')
	if _, err := c.Write(line); err != nil {
		c.Close()
		return nil, fmt.Errorf("asr: stream header: %w", err)
	}
	return &tcpStream{
		c:   c,
		r:   bufio.NewReaderSize(c, maxResultLine),
		out: make([]byte, 0, 2*frameHeaderLen+4+2*batch),
		wt:  s.cfg.WriteTimeout,
	}, nil
}

func (t *tcpStream) send(lost int, pcm []int16) error {
	b := t.out[:0]
	if lost > 0 {
		b = b[:frameHeaderLen+4]
		putFrameHeader(b, frameGap, 4)
		b[4], b[5], b[6], b[7] = byte(lost>>24), byte(lost>>16), byte(lost>>8), byte(lost)
	}
	if len(pcm) > 0 {
		at := len(b)
		b = b[:at+frameHeaderLen+2*len(pcm)]
		putFrameHeader(b[at:], frameAudio, 2*len(pcm))
		putPCM(b[at+frameHeaderLen:], pcm)
	}
	t.c.SetWriteDeadline(time.Now().Add(t.wt))
	_, err := t.c.Write(b)
	return err
}

func (t *tcpStream) end() error {
	var b [frameHeaderLen]byte
	putFrameHeader(b[:], frameEnd, 0)
	t.c.SetWriteDeadline(time.Now().Add(t.wt))
	_, err := t.c.Write(b[:])
	return err
}

func (t *tcpStream) recv() ([]byte, error) {
	line, err := t.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("%w: result line longer than %d bytes", ErrStreamResult, maxResultLine)
	}
	return line, err
}

func (t *tcpStream) close() { t.once.Do(func() { t.c.Close() }) }
