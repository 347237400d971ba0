package asr

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"time"
)

// streamLeg is one leg's stream: its queue and the goroutine (run) that
// owns its connections.
type streamLeg struct {
	s    *streamer
	q    *legQueue
	rate int
	buf  []int16 // one batch, taken from q
	hdr  StreamHeader
	log  *slog.Logger
	emit func(Event)
	// pos counts the leg's samples taken from q or lost before it: the
	// offset in the recording of the next sample (run's goroutine only).
	pos      int64
	failures int // consecutive failed attempts, for backoff and logging
	// streak is failures before the current connection, connected when
	// it was made: a connection lost within MaxBackoff (an engine that
	// refuses, or crashes at once) keeps the backoff growing.
	streak    int
	connected time.Time
}

func (l *streamLeg) push(pcm []int16) { l.q.put(pcm) }
func (l *streamLeg) close()           { l.q.close() }

func (l *streamLeg) run() {
	s := l.s
	defer s.wg.Done()
	defer s.stats.legs.Add(-1)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for connected := false; ; connected = true {
		c := l.connect(timer)
		if c == nil {
			return
		}
		if connected {
			s.stats.reconnects.Add(1)
		}
		if l.stream(c, timer) {
			return
		}
	}
}

// connect dials until a connection is up, waiting with backoff between
// attempts. It returns nil when the leg ends first (what is queued is
// dropped and counted) or the streamer is cut.
func (l *streamLeg) connect(timer *time.Timer) streamConn {
	s := l.s
	for {
		if l.failures > 0 {
			d := s.cfg.MinBackoff << min(l.failures-1, 16)
			if d <= 0 || d > s.cfg.MaxBackoff {
				d = s.cfg.MaxBackoff
			}
			timer.Reset(d)
		wait:
			for {
				select {
				case <-timer.C:
					break wait
				case <-s.ctx.Done():
					timer.Stop()
					return nil
				case <-l.q.ready:
					if l.q.isClosed() {
						timer.Stop()
						l.drop()
						return nil
					}
				}
			}
		}
		l.hdr.OffsetSeconds = float64(l.pos) / float64(l.rate)
		hdr, err := json.Marshal(&l.hdr)
		if err != nil {
			panic(err) // StreamHeader always marshals
		}
		ctx, cancel := context.WithTimeout(s.ctx, s.cfg.DialTimeout)
		c, err := dialStream(ctx, s, hdr, l.buf)
		cancel()
		if err == nil {
			s.stats.connects.Add(1)
			if l.failures > 0 {
				l.log.Info("asr stream: connected", "offset_seconds", l.hdr.OffsetSeconds, "after_failures", l.failures)
			}
			l.streak, l.failures, l.connected = l.failures, 0, time.Now()
			return c
		}
		s.stats.connectFailures.Add(1)
		l.failures++
		if l.failures == 1 {
			l.log.Warn("asr stream: cannot connect; retrying with backoff", "err", err)
		} else {
			l.log.Debug("asr stream: cannot connect", "err", err, "failures", l.failures)
		}
	}
}

// drop empties the closed queue, counting what it held as dropped.
func (l *streamLeg) drop() {
	for {
		n, lost, closed := l.q.get(l.buf)
		l.s.stats.samplesDropped.Add(int64(n + lost))
		l.pos += int64(n + lost)
		if closed || n+lost == 0 {
			return
		}
	}
}

// stream sends the queued audio over c until the leg ends (true) or the
// connection fails (false: dial again).
func (l *streamLeg) stream(c streamConn, timer *time.Timer) (done bool) {
	s := l.s
	readDone := make(chan error, 1)
	go func() { readDone <- l.read(c) }()
	fail := func(why string, err error) bool {
		c.close()
		<-readDone
		l.failures = 1
		if time.Since(l.connected) < s.cfg.MaxBackoff {
			l.failures = l.streak + 1
		}
		lvl := slog.LevelWarn
		if l.failures > 1 {
			lvl = slog.LevelDebug
		}
		l.log.Log(s.ctx, lvl, "asr stream: "+why+"; reconnecting", "err", err, "offset_seconds", float64(l.pos)/float64(l.rate), "failures", l.failures)
		return false
	}
	for {
		select {
		case <-l.q.ready:
		case <-s.ctx.Done():
			c.close()
			<-readDone
			return true
		case err := <-readDone:
			readDone <- err
			return fail("engine closed the connection", err)
		}
		if !l.q.isClosed() { // gather a batch
			timer.Reset(s.cfg.Batch)
			select {
			case <-timer.C:
			case <-s.ctx.Done():
				timer.Stop()
				c.close()
				<-readDone
				return true
			}
		}
		for {
			n, lost, closed := l.q.get(l.buf)
			if n+lost > 0 {
				s.stats.samplesDropped.Add(int64(lost))
				err := c.send(lost, l.buf[:n])
				l.pos += int64(n + lost)
				if err != nil {
					s.stats.samplesDropped.Add(int64(n))
					return fail("write failed", err)
				}
				s.stats.samplesSent.Add(int64(n))
			}
			if closed {
				l.finish(c, readDone)
				return true
			}
			if n+lost == 0 {
				break
			}
		}
	}
}

// finish ends the stream: sends the end, gives the engine CloseWait to
// send its last results and close, then closes.
func (l *streamLeg) finish(c streamConn, readDone chan error) {
	if err := c.end(); err != nil {
		l.log.Debug("asr stream: end", "err", err)
	}
	t := time.NewTimer(l.s.cfg.CloseWait)
	defer t.Stop()
	select {
	case <-readDone:
	case <-t.C:
		l.log.Debug("asr stream: engine did not close after end", "wait", l.s.cfg.CloseWait)
		c.close()
		<-readDone
	case <-l.s.ctx.Done():
		c.close()
		<-readDone
	}
	c.close()
}

// read takes the engine's results until the connection ends (nil at the
// engine's orderly close).
func (l *streamLeg) read(c streamConn) error {
	s := l.s
	for {
		b, err := c.recv()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		r, err := parseResult(b)
		if err != nil {
			s.stats.badResults.Add(1)
			l.log.Debug("asr stream: result ignored", "err", err)
			continue
		}
		switch r.Type {
		case "keyword":
			s.stats.results.Add(1)
			l.emit(Event{
				CallID: l.hdr.CallID, Recording: l.hdr.Recording, Leg: l.hdr.Leg,
				Type: "keyword", Keyword: r.Keyword, Start: r.StartSeconds, End: r.EndSeconds,
				Confidence: r.Confidence, Source: "stream",
				Caller: l.hdr.Caller, Callee: l.hdr.Callee, Time: time.Now(),
			})
		case "error":
			s.stats.badResults.Add(1)
			l.log.Warn("asr stream: engine reports an error", "message", r.Message)
		}
	}
}
