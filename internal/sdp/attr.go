package sdp

import "strings"

// parseAttr parses line i, an a= line, at session level when m is nil.
func (s *Session) parseAttr(m *Media, i int) error {
	l := &s.Lines[i]
	name, val, valOff := l.Value(), "", l.End
	if c := strings.IndexByte(name, ':'); c >= 0 {
		name, val, valOff = name[:c], name[c+1:], l.Start+2+c+1
	}
	dir := DirNone
	switch name {
	case "sendrecv":
		dir = SendRecv
	case "sendonly":
		dir = SendOnly
	case "recvonly":
		dir = RecvOnly
	case "inactive":
		dir = Inactive
	}
	if m == nil {
		switch {
		case dir != DirNone:
			s.Direction = dir
		case isICE(name):
			s.ICE++
		}
		return nil
	}
	switch {
	case dir != DirNone:
		m.Direction = dir
	case name == "rtpmap":
		return parseRtpmap(m, val, l.Num)
	case name == "fmtp":
		pt, params := val, ""
		if k := strings.IndexAny(val, " \t"); k >= 0 {
			pt, params = val[:k], val[k+1:]
		}
		if n, ok := parseUint(pt, 127); ok {
			for k := range m.Formats {
				if m.Formats[k].PT == uint8(n) {
					m.Formats[k].Fmtp = strings.TrimLeft(params, " \t")
				}
			}
		}
	case name == "rtcp":
		return s.parseRTCP(m, i, valOff)
	case name == "rtcp-mux":
		m.RTCPMux = true
	case name == "ptime":
		ms, frac, _ := strings.Cut(val, ".")
		n, ok := parseUint(ms, 10000)
		if _, fok := parseUint(frac, 1<<30); !ok || (frac != "" && !fok) {
			return perr(l.Num, ErrAttribute, "bad ptime %q", clip(val))
		}
		m.Ptime = n
	case name == "crypto":
		m.Crypto++
	case name == "candidate":
		m.Candidates++
	case isICE(name):
		m.ICE++
	}
	return nil
}

// parseRtpmap parses "<pt> <name>/<rate>[/<params>]" (RFC 8866 §6.6).
func parseRtpmap(m *Media, val string, num int) error {
	pts, enc, ok := strings.Cut(val, " ")
	pt, ptOK := parseUint(pts, 127)
	enc = strings.Trim(enc, " \t")
	name, rest, _ := strings.Cut(enc, "/")
	rates, chs, hasCh := strings.Cut(rest, "/")
	rate, rateOK := parseUint(rates, 1<<30)
	ch, chOK := parseUint(chs, 255)
	if !ok || !ptOK || name == "" || !rateOK || rate == 0 || (hasCh && !chOK) {
		return perr(num, ErrAttribute, "want rtpmap:<pt> <name>/<rate>[/<channels>], got %q", clip(val))
	}
	for k := range m.Formats {
		f := &m.Formats[k]
		if f.PT == uint8(pt) {
			f.Name, f.Rate, f.Channels, f.Rtpmap = name, rate, ch, true
		}
	}
	return nil
}

// parseRTCP parses a=rtcp:<port> [<nettype> <addrtype> <address>]
// (RFC 3605 §2.1) whose value starts at off.
func (s *Session) parseRTCP(m *Media, i, off int) error {
	l := &s.Lines[i]
	a, b := field(s.raw, off, l.End)
	p, ok := parseUint(s.raw[a:b], 65535)
	if !ok {
		return perr(l.Num, ErrAttribute, "bad rtcp port %q", clip(s.raw[a:b]))
	}
	r := RTCP{Port: p, line: i + 1, portOff: a, portEnd: b}
	if x, _ := field(s.raw, b, l.End); x != l.End {
		c, err := parseConn(s.raw, b, l.End, l.Num)
		if err != nil {
			return err
		}
		r.Conn = c
	}
	m.RTCP = r
	return nil
}
