package rtpp

import (
	"context"
	"net"
	"time"
)

// ServePacket serves UDP commands on pc in the calling goroutine until
// ctx is done or Close is called; it then closes pc and returns
// ErrServerClosed. Every datagram is one command "<cookie> <command>";
// the reply is "<cookie> <body>\n". A datagram whose cookie (with its
// source address) was answered within RetransmitTTL gets the cached
// reply again and the Handler is not called: controllers retransmit
// after a timeout, and running U or D twice would be wrong.
//
// Commands on one socket are handled one at a time, in order, like in
// rtpproxy; use several sockets for parallelism.
func (s *Server) ServePacket(ctx context.Context, pc net.PacketConn) error {
	if !s.track(pc) {
		pc.Close()
		return ErrServerClosed
	}
	defer s.untrack(pc)
	stop := context.AfterFunc(ctx, func() { pc.Close() })
	defer stop()
	cache := newRcache(s.RetransmitTTL, s.CacheSize)
	buf := make([]byte, MaxCommandLen)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				continue
			}
			pc.Close()
			return s.closedErr(ctx, err)
		}
		s.servePacket(ctx, pc, cache, buf[:n], from)
	}
}

func (s *Server) servePacket(ctx context.Context, pc net.PacketConn, cache *rcache, pkt []byte, from net.Addr) {
	now := time.Now()
	cookie, _, ok := nextToken(string(pkt[:min(len(pkt), 256)]), 0)
	var key string
	if ok {
		key = from.String() + " " + cookie
		if reply, hit := cache.get(key, now); hit {
			s.Counters.Duplicates.Add(1)
			pc.WriteTo(reply, from)
			return
		}
	}
	body, cmd := s.handle(ctx, pkt, true)
	out := make([]byte, 0, len(cmd.Cookie)+len(body)+2)
	if cmd.Cookie != "" {
		out = append(append(out, cmd.Cookie...), ' ')
	}
	out = append(append(out, body...), '\n')
	if _, err := pc.WriteTo(out, from); err != nil {
		s.logger().Debug("rtpp: write reply", "err", err, "to", from)
	} else {
		s.Counters.Replied.Add(1)
	}
	if cmd.Cookie != "" && cmd.Cookie == cookie {
		cache.put(key, out, now)
	}
}
