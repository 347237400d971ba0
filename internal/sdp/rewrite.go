package sdp

import (
	"fmt"
	"net/netip"
)

// Edit says what Rewrite changes: what a media-anchoring proxy must
// change so that RTP flows through the media node, and nothing else.
// The zero Edit changes nothing.
type Edit struct {
	// Addr, when valid, is the new connection address of the whole
	// description: it replaces the session-level c= and every
	// media-level c= and a=rtcp address of media without their own
	// MediaEdit.Addr. The address type follows Addr (IP4 or IP6) and a
	// multicast /ttl suffix is dropped; the nettype is kept.
	Addr netip.Addr
	// Media are per-media edits by m= index; may be shorter than the
	// media list (the others get only Addr), never longer.
	Media []MediaEdit
	// DropICE removes a=candidate and the other ICE attributes
	// (a=ice-ufrag, a=ice-pwd, a=ice-lite, a=ice-options,
	// a=end-of-candidates, a=remote-candidates, ...) at every level: the
	// candidates name the endpoint, not the media node.
	DropICE bool
	// DropRTCPMux removes a=rtcp-mux (RFC 5761), for a media node that
	// relays RTCP on a separate port.
	DropRTCPMux bool
	// RewriteHold also replaces an RFC 2543 hold address (0.0.0.0, ::,
	// see Session.Hold). By default it is kept, as rtpproxy
	// controllers do, so that a held stream stays held.
	RewriteHold bool
	// KeepVersion leaves the o= sess-version alone. By default it is
	// incremented whenever the body changes (RFC 3264 §8).
	KeepVersion bool
	// Version, when not "", is written as the o= sess-version (decimal
	// digits) instead of the increment, whether or not anything else
	// changed: for a proxy that keeps its own version per dialog so that
	// an unchanged re-offer from the phone with a new media port still
	// gets a new version.
	Version string
}

// MediaEdit is the edit of one media description.
type MediaEdit struct {
	// Addr, when valid, is the connection address of this media: its
	// c= line is replaced, or one is inserted after the m= line (and
	// its i= line) when the session-level address differs.
	Addr netip.Addr
	// Port, when not 0, replaces the m= port. A rejected stream (port
	// 0) keeps port 0 whatever Port says (RFC 3264 §6).
	Port int
	// RTCPPort, when not 0, replaces the a=rtcp port if the media has an
	// a=rtcp line (RFC 3605; none is added). When 0 and Port changes,
	// the a=rtcp port follows: Port if it was equal to the m= port
	// (rtcp-mux, RFC 5761 §5.1.3) and Edit.DropRTCPMux is not set,
	// else Port+1.
	RTCPPort int
}

// Rewrite parses b and applies e: a shorthand for Parse and
// AppendRewrite(nil, e). The caller fixes Content-Length.
func Rewrite(b []byte, e Edit) ([]byte, error) {
	s, err := Parse(b)
	if err != nil {
		return nil, err
	}
	return s.AppendRewrite(make([]byte, 0, len(b)+64), e)
}

// AppendRewrite appends the body of s with e applied to dst and returns
// the extended buffer. Every byte that e does not change is copied as
// is, line endings and trailing whitespace included; with the zero Edit
// the result is the body Parse was given. When anything changed and
// e.KeepVersion is false, the o= sess-version is incremented.
func (s *Session) AppendRewrite(dst []byte, e Edit) ([]byte, error) {
	if len(e.Media) > len(s.Media) {
		return dst, fmt.Errorf("%w: %d media edits for %d m= lines", ErrEdit, len(e.Media), len(s.Media))
	}
	for i, me := range e.Media {
		if me.Port < 0 || me.Port > 65535 || me.RTCPPort < 0 || me.RTCPPort > 65535 {
			return dst, fmt.Errorf("%w: media %d: port %d/%d out of range", ErrEdit, i, me.Port, me.RTCPPort)
		}
	}
	if e.Version != "" && (len(e.Version) > 64 || !allDigits(e.Version)) {
		return dst, fmt.Errorf("%w: version %q is not a number", ErrEdit, clip(e.Version))
	}
	n := len(dst)
	out, changed := s.emit(dst, &e, e.Version != "")
	if !changed || e.KeepVersion || e.Version != "" {
		return out, nil
	}
	out, _ = s.emit(out[:n], &e, true)
	return out, nil
}

// writer copies the body into dst with splices.
type writer struct {
	dst     []byte
	raw     string
	pos     int  // raw[:pos] has been handled
	changed bool // some splice differs from the original text
}

// begin copies the body up to off and returns the mark for end.
func (w *writer) begin(off int) int {
	w.dst = append(w.dst, w.raw[w.pos:off]...)
	w.pos = off
	return len(w.dst)
}

// end skips the original text up to off, which what was appended since
// mark replaces.
func (w *writer) end(mark, off int) {
	if string(w.dst[mark:]) != w.raw[w.pos:off] {
		w.changed = true
	}
	w.pos = off
}

// emit writes the rewritten body; bump increments the o= version, or
// sets it to e.Version.
func (s *Session) emit(dst []byte, e *Edit, bump bool) ([]byte, bool) {
	w := &writer{dst: dst, raw: s.raw}
	mi := -1
	for i := range s.Lines {
		l := &s.Lines[i]
		switch l.Type {
		case 'o':
			if bump && i == s.Origin.line {
				mark := w.begin(s.Origin.verOff)
				if e.Version != "" {
					w.dst = append(w.dst, e.Version...)
				} else {
					w.dst = appendIncrement(w.dst, s.Origin.Version)
				}
				w.end(mark, s.Origin.verOff+len(s.Origin.Version))
			}
		case 'm':
			mi++
			m := &s.Media[mi]
			if p := s.newPort(e, mi); p != m.Port {
				mark := w.begin(m.portOff)
				w.dst = appendInt(w.dst, p)
				w.end(mark, m.portEnd)
			}
		case 'c':
			if a, ok := s.newAddr(e, mi); ok {
				c := &s.Conn
				if mi >= 0 {
					c = &s.Media[mi].Conn
				}
				w.replaceConn(c, a)
			}
		case 'a':
			name := attrName(l.Value())
			if (e.DropICE && (name == "candidate" || isICE(name))) || (e.DropRTCPMux && name == "rtcp-mux") {
				w.begin(l.Start)
				w.pos, w.changed = l.Next, true
				continue
			}
			if mi >= 0 && s.Media[mi].RTCP.line == i+1 {
				s.rewriteRTCP(w, e, mi)
			}
		}
		if mi >= 0 && i == s.insertAt(mi) {
			if a, ok := s.insertAddr(e, mi); ok {
				w.begin(l.Next)
				eol := lineEnding(s.raw, l)
				if eol == "" { // unterminated last line
					eol = lineEnding(s.raw, &s.Lines[0])
					w.dst = append(w.dst, eol...)
				}
				w.dst = append(w.dst, "c=IN "...)
				w.dst = appendAddr(w.dst, a)
				if l.Next < len(s.raw) {
					w.dst = append(w.dst, eol...)
				}
				w.changed = true
			}
		}
	}
	w.begin(len(s.raw))
	return w.dst, w.changed
}

// newPort returns the port media mi gets.
func (s *Session) newPort(e *Edit, mi int) int {
	m := &s.Media[mi]
	if mi >= len(e.Media) || e.Media[mi].Port == 0 || m.Port == 0 {
		return m.Port
	}
	return e.Media[mi].Port
}

// wantAddr returns the address media mi should have, if any.
func wantAddr(e *Edit, mi int) netip.Addr {
	if mi >= 0 && mi < len(e.Media) && e.Media[mi].Addr.IsValid() {
		return e.Media[mi].Addr.Unmap()
	}
	return e.Addr.Unmap()
}

// newAddr returns the address for the c= line at level mi (-1:
// session), and false to keep the line.
func (s *Session) newAddr(e *Edit, mi int) (netip.Addr, bool) {
	a := wantAddr(e, mi)
	if !a.IsValid() || (s.holdAddr(mi) && !e.RewriteHold) {
		return netip.Addr{}, false
	}
	return a, true
}

// insertAddr returns the address of a c= line to insert into media mi,
// which has none, when the session-level address (after the edit)
// differs from the one the media should have.
func (s *Session) insertAddr(e *Edit, mi int) (netip.Addr, bool) {
	m := &s.Media[mi]
	a := wantAddr(e, mi)
	if m.Conn.Address != "" || !a.IsValid() || (s.holdAddr(mi) && !e.RewriteHold) {
		return netip.Addr{}, false
	}
	if s.Conn.Address == "" {
		return a, true
	}
	sa, ok := s.newAddr(e, -1)
	if !ok {
		sa = s.Conn.Addr
	}
	return a, sa != a
}

// insertAt returns the index of the line after which a media-level c=
// goes: the m= line, or its i= line (RFC 8866 §5 order: m, i, c).
func (s *Session) insertAt(mi int) int {
	m := &s.Media[mi]
	if m.Line+1 < m.End && s.Lines[m.Line+1].Type == 'i' {
		return m.Line + 1
	}
	return m.Line
}

// rewriteRTCP rewrites the port and address of the a=rtcp of media mi.
func (s *Session) rewriteRTCP(w *writer, e *Edit, mi int) {
	m := &s.Media[mi]
	r := &m.RTCP
	port := r.Port
	if mi < len(e.Media) && e.Media[mi].RTCPPort != 0 {
		port = e.Media[mi].RTCPPort
	} else if np := s.newPort(e, mi); np != m.Port {
		port = np + 1
		if (r.Port == m.Port && !e.DropRTCPMux) || np == 65535 {
			port = np
		}
	}
	if port != r.Port {
		mark := w.begin(r.portOff)
		w.dst = appendInt(w.dst, port)
		w.end(mark, r.portEnd)
	}
	if r.Conn.Address == "" {
		return
	}
	a := wantAddr(e, mi)
	// The a=rtcp address follows the media's c= (WebRTC writes a dummy
	// "a=rtcp:9 IN IP4 0.0.0.0" that must not survive a new port).
	if a.IsValid() && (!s.holdAddr(mi) || e.RewriteHold) {
		w.replaceConn(&r.Conn, a)
	}
}

// replaceConn replaces "<addrtype> <address>" of c by a.
func (w *writer) replaceConn(c *Connection, a netip.Addr) {
	mark := w.begin(c.typeOff)
	w.dst = appendAddr(w.dst, a)
	w.end(mark, c.addrEnd)
}

// appendAddr appends "IP4 a" or "IP6 a".
func appendAddr(dst []byte, a netip.Addr) []byte {
	if a.Is4() {
		dst = append(dst, "IP4 "...)
	} else {
		dst = append(dst, "IP6 "...)
	}
	return a.AppendTo(dst)
}

func appendInt(dst []byte, n int) []byte {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return append(dst, b[i:]...)
}

// appendIncrement appends the decimal number v plus one, any length.
func appendIncrement(dst []byte, v string) []byte {
	start := len(dst)
	dst = append(dst, v...)
	i := len(dst) - 1
	for ; i >= start && dst[i] == '9'; i-- {
		dst[i] = '0'
	}
	if i >= start {
		dst[i]++
		return dst
	}
	dst = append(dst, 0)
	copy(dst[start+1:], dst[start:])
	dst[start] = '1'
	return dst
}

// attrName returns the attribute name of an a= value.
func attrName(v string) string {
	for i := 0; i < len(v); i++ {
		if v[i] == ':' {
			return v[:i]
		}
	}
	return v
}

// lineEnding returns the line ending of l: "\r\n", "\n" or "".
func lineEnding(raw string, l *Line) string {
	t := raw[l.End:l.Next]
	switch {
	case len(t) >= 2 && t[len(t)-2:] == "\r\n":
		return "\r\n"
	case len(t) >= 1 && t[len(t)-1] == '\n':
		return "\n"
	}
	return ""
}
