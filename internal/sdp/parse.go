package sdp

import (
	"net/netip"
	"strings"
)

// MaxSize is the longest body Parse accepts. SIP over UDP cannot carry
// more, and no real offer comes near it.
const MaxSize = 65535

// Parse parses a session description (RFC 8866, RFC 4566). It keeps
// the offset of every line so that Rewrite can change a few fields and
// copy every other byte. The body is copied once; b is not retained.
//
// Parse is tolerant where real phones differ from the RFC: LF-only or
// mixed line endings, trailing spaces and tabs, blank lines, a missing
// final line ending, unknown line types and attributes, lines out of
// the RFC order. It rejects what cannot be an SDP body or what the
// proxy would have to guess at: a first line other than v=0, a missing
// or malformed o=, a malformed c= or m= line, a malformed a=rtpmap,
// a=rtcp or a=ptime, a NUL byte or a bare CR. Errors are *ParseError
// wrapping one of the sentinels in errors.go.
func Parse(b []byte) (*Session, error) {
	if len(b) > MaxSize {
		return nil, perr(0, ErrTooLarge, "%d bytes > %d", len(b), MaxSize)
	}
	s := &Session{raw: string(b)}
	nfmt, nmedia, err := s.split()
	if err != nil {
		return nil, err
	}
	if len(s.Lines) == 0 {
		return nil, perr(1, ErrVersion, "empty body")
	}
	if nmedia > 0 {
		s.Media = make([]Media, 0, nmedia)
	}
	var formats []Format
	if nfmt > 0 {
		formats = make([]Format, 0, nfmt)
	}
	haveOrigin := false
	for i := range s.Lines {
		l := &s.Lines[i]
		var m *Media
		if len(s.Media) > 0 {
			m = &s.Media[len(s.Media)-1]
		}
		switch l.Type {
		case 'v':
			if i != 0 || l.Value() != "0" {
				return nil, perr(l.Num, ErrVersion, "want v=0 as the first line, got %q", clip(l.Text))
			}
		case 'o':
			if haveOrigin || m != nil {
				return nil, perr(l.Num, ErrOrigin, "o= repeated or inside a media description")
			}
			if err := s.parseOrigin(i); err != nil {
				return nil, err
			}
			haveOrigin = true
		case 's':
			if m == nil {
				s.Name = l.Value()
			}
		case 'c':
			c, err := parseConn(s.raw, l.Start+2, l.End, l.Num)
			if err != nil {
				return nil, err
			}
			c.line = i + 1
			dst := &s.Conn
			if m != nil {
				dst = &m.Conn
			}
			if dst.Address != "" {
				return nil, perr(l.Num, ErrConnection, "second c= line at the same level")
			}
			*dst = c
		case 'm':
			if m != nil {
				m.End = i
			}
			s.Media = append(s.Media, Media{Line: i})
			m = &s.Media[len(s.Media)-1]
			if formats, err = s.parseMedia(m, l, formats); err != nil {
				return nil, err
			}
		case 'a':
			if err := s.parseAttr(m, i); err != nil {
				return nil, err
			}
		}
		if i == 0 && l.Type != 'v' {
			return nil, perr(l.Num, ErrVersion, "first line is %q, want v=0", clip(l.Text))
		}
	}
	if !haveOrigin {
		return nil, perr(s.Lines[len(s.Lines)-1].Num, ErrOrigin, "no o= line")
	}
	if len(s.Media) > 0 {
		s.Media[len(s.Media)-1].End = len(s.Lines)
	}
	return s, nil
}

// split fills s.Lines and counts the m= lines and their <fmt> tokens so
// that Parse allocates Media and Formats once.
func (s *Session) split() (nfmt, nmedia int, err error) {
	raw := s.raw
	s.Lines = make([]Line, 0, strings.Count(raw, "\n")+1)
	for pos, num := 0, 1; pos < len(raw); num++ {
		end, next := len(raw), len(raw)
		if nl := strings.IndexByte(raw[pos:], '\n'); nl >= 0 {
			end, next = pos+nl, pos+nl+1
			if end > pos && raw[end-1] == '\r' {
				end-- // CRLF; a CR without LF is a bare CR, rejected below
			}
		}
		for end > pos && (raw[end-1] == ' ' || raw[end-1] == '\t') {
			end--
		}
		start := pos
		pos = next
		if end == start {
			continue // blank line: tolerated, kept byte for byte
		}
		text := raw[start:end]
		if len(text) < 2 || text[1] != '=' || text[0] < 'a' || text[0] > 'z' {
			return 0, 0, perr(num, ErrLine, "want <letter>=<value>, got %q", clip(text))
		}
		if i := strings.IndexAny(text, "\x00\r"); i >= 0 {
			return 0, 0, perr(num, ErrLine, "NUL or bare CR at column %d", i+1)
		}
		if text[0] == 'm' {
			nmedia++
			if n := countFields(text[2:]) - 3; n > 0 {
				nfmt += n
			}
		}
		s.Lines = append(s.Lines, Line{Type: text[0], Num: num, Start: start, End: end, Next: next, Text: text})
	}
	return nfmt, nmedia, nil
}

// parseOrigin parses line i, an o= line.
func (s *Session) parseOrigin(i int) error {
	l := &s.Lines[i]
	var f [6]string
	var offs [6]int
	off := l.Start + 2
	for k := range f {
		a, b := field(s.raw, off, l.End)
		if a == b {
			return perr(l.Num, ErrOrigin, "want 6 fields, got %d", k)
		}
		f[k], offs[k], off = s.raw[a:b], a, b
	}
	if a, b := field(s.raw, off, l.End); a != b {
		return perr(l.Num, ErrOrigin, "more than 6 fields")
	}
	if len(f[2]) > 64 || !allDigits(f[2]) {
		return perr(l.Num, ErrOrigin, "sess-version %q is not a number", clip(f[2]))
	}
	s.Origin = Origin{Username: f[0], SessionID: f[1], Version: f[2], NetType: f[3], AddrType: f[4], Address: f[5], line: i, verOff: offs[2]}
	return nil
}

// parseConn parses "<nettype> <addrtype> <connection-address>" in
// raw[off:end], the value of a c= line or the tail of a=rtcp.
func parseConn(raw string, off, end, num int) (Connection, error) {
	var c Connection
	a, b := field(raw, off, end)
	c.NetType = raw[a:b]
	if !strings.EqualFold(c.NetType, "IN") {
		return c, perr(num, ErrConnection, "network type %q, want IN", clip(c.NetType))
	}
	a, b = field(raw, b, end)
	c.AddrType, c.typeOff = raw[a:b], a
	v6 := strings.EqualFold(c.AddrType, "IP6")
	if !v6 && !strings.EqualFold(c.AddrType, "IP4") {
		return c, perr(num, ErrConnection, "unknown address type %q", clip(c.AddrType))
	}
	a, b = field(raw, b, end)
	if a == b {
		return c, perr(num, ErrConnection, "no address")
	}
	if x, y := field(raw, b, end); x != y {
		return c, perr(num, ErrConnection, "extra field %q", clip(raw[x:y]))
	}
	c.addrEnd = b
	addr := raw[a:b]
	if i := strings.IndexByte(addr, '/'); i >= 0 {
		// Multicast: addr/ttl[/count] (IP4) or addr[/count] (IP6).
		for _, n := range strings.Split(addr[i+1:], "/") {
			if _, ok := parseUint(n, 1<<16); !ok {
				return c, perr(num, ErrConnection, "bad multicast suffix in %q", clip(addr))
			}
		}
		addr = addr[:i]
	}
	c.Address = addr
	if ip, err := netip.ParseAddr(addr); err == nil {
		if ip.Zone() != "" || ip.Is4() == v6 {
			return c, perr(num, ErrConnection, "address %q does not match type %s", clip(addr), c.AddrType)
		}
		c.Addr = ip
	} else if !isHostname(addr) {
		return c, perr(num, ErrConnection, "bad address %q", clip(addr))
	}
	return c, nil
}

// parseMedia parses the m= line l into m, appending its payload types
// to formats (allocated by Parse with room for all of them).
func (s *Session) parseMedia(m *Media, l *Line, formats []Format) ([]Format, error) {
	raw := s.raw
	a, b := field(raw, l.Start+2, l.End)
	m.Type = raw[a:b]
	a, b = field(raw, b, l.End)
	port := raw[a:b]
	if i := strings.IndexByte(port, '/'); i >= 0 {
		n, ok := parseUint(port[i+1:], 1<<16)
		if !ok || n == 0 {
			return formats, perr(l.Num, ErrMedia, "bad number of ports in %q", clip(port))
		}
		m.NumPorts, port = n, port[:i]
	}
	p, ok := parseUint(port, 65535)
	if !ok {
		return formats, perr(l.Num, ErrMedia, "bad port %q", clip(port))
	}
	m.Port, m.portOff, m.portEnd = p, a, a+len(port)
	a, b = field(raw, b, l.End)
	m.Proto = raw[a:b]
	if m.Type == "" || m.Proto == "" {
		return formats, perr(l.Num, ErrMedia, "want <media> <port> <proto> <fmt>...")
	}
	a, _ = field(raw, b, l.End)
	m.Fmts = raw[a:l.End]
	if m.Fmts == "" && m.Port != 0 {
		return formats, perr(l.Num, ErrMedia, "no formats")
	}
	if !m.IsRTP() {
		return formats, nil
	}
	first := len(formats)
	for off := a; ; {
		x, y := field(raw, off, l.End)
		if x == y {
			break
		}
		off = y
		pt, ok := parseUint(raw[x:y], 127)
		if !ok {
			return formats, perr(l.Num, ErrMedia, "payload type %q is not 0-127", clip(raw[x:y]))
		}
		f, _ := StaticFormat(uint8(pt))
		formats = append(formats, f)
	}
	m.Formats = formats[first:len(formats):len(formats)]
	return formats, nil
}
