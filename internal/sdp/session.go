package sdp

import "net/netip"

// Session is a parsed session description. Every string in it is a
// substring of one copy of the body Parse was given, so a Session does
// not alias the caller's buffer and costs one allocation for all text.
// A Session is read-only after Parse and safe for concurrent readers.
type Session struct {
	raw string

	// Lines are the non-blank lines of the body, in order, with their
	// byte offsets. Blank lines are kept by Rewrite but not listed.
	Lines []Line
	// Origin is the o= line.
	Origin Origin
	// Name is the s= value ("" when absent or empty).
	Name string
	// Conn is the session-level c= line; Conn.Address is "" when absent.
	Conn Connection
	// Direction is the session-level direction attribute, DirNone when
	// absent (RFC 3264 §5.1: then sendrecv).
	Direction Direction
	// ICE is the number of session-level ICE lines (a=ice-ufrag,
	// a=ice-pwd, a=ice-lite, a=ice-options).
	ICE int
	// Media are the media descriptions in m= order.
	Media []Media
}

// Line is one line of the body. Offsets are into the body given to
// Parse: the type letter is at Start, the value (without trailing
// spaces or tabs) ends at End, and the next line starts at Next, so
// body[End:Next] is the trailing whitespace and the line ending ("\r\n",
// "\n", or nothing for an unterminated last line).
type Line struct {
	Type  byte   // 'v', 'o', 's', 'c', 'm', 'a', ...
	Num   int    // 1-based line number, counting blank lines
	Start int    // offset of Type
	End   int    // offset after the value
	Next  int    // offset of the next line
	Text  string // body[Start:End], e.g. "c=IN IP4 192.0.2.1"
}

// Value returns the text after "x=".
func (l Line) Value() string { return l.Text[2:] }

// Origin is the o= line (RFC 8866 §5.2):
//
//	o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>
type Origin struct {
	Username  string
	SessionID string
	// Version is sess-version as written (decimal digits, any length).
	// Rewrite increments it when it changes the body (RFC 3264 §8).
	Version  string
	NetType  string
	AddrType string
	Address  string

	line   int // index into Session.Lines
	verOff int // offset of Version in the body
}

// Connection is a c= line (RFC 8866 §5.7):
//
//	c=<nettype> <addrtype> <connection-address>
type Connection struct {
	NetType  string // "IN"
	AddrType string // "IP4" or "IP6"
	// Address is the connection-address without any multicast /ttl
	// or /count suffix: an IP literal or a domain name. "" means there
	// was no c= line.
	Address string
	// Addr is Address parsed; the zero Addr when Address is a name.
	Addr netip.Addr

	line    int // index into Session.Lines + 1; 0 when absent
	typeOff int // offset of AddrType in the body
	addrEnd int // offset after the address and its /suffixes
}

// IsHold reports whether the address is the RFC 2543 hold address,
// 0.0.0.0 (and, as some IPv6 phones send, ::). Session.Hold also
// checks for ICE, with which 0.0.0.0 only means "no candidate yet".
func (c Connection) IsHold() bool { return c.Addr.IsValid() && c.Addr.IsUnspecified() }

// Media is one media description: the m= line and the lines up to the
// next m= line (RFC 8866 §5.14).
//
//	m=<media> <port>[/<number of ports>] <proto> <fmt> ...
type Media struct {
	Type     string // "audio", "video", "image", "application", ...
	Port     int    // 0 means the stream is rejected or disabled (RFC 3264 §6)
	NumPorts int    // the /<n> of the m= line; 0 when absent (one port)
	Proto    string // "RTP/AVP", "RTP/SAVP", "UDP/TLS/RTP/SAVPF", "udptl", ...
	Fmts     string // the <fmt> list as written, e.g. "0 8 101"
	// Formats are the payload types of the m= line in order, with the
	// a=rtpmap and a=fmtp values, or the RFC 3551 static defaults
	// when there is no a=rtpmap. Nil for non-RTP protocols.
	Formats []Format
	// Conn is the media-level c= line; Conn.Address is "" when absent
	// (then the session c= applies, see Session.Connection).
	Conn Connection
	// Direction is the media-level direction, DirNone when absent.
	Direction Direction
	// RTCP is the a=rtcp attribute (RFC 3605); RTCP.Port is 0 when absent.
	RTCP RTCP
	// RTCPMux reports a=rtcp-mux (RFC 5761).
	RTCPMux bool
	// Ptime is a=ptime in milliseconds, 0 when absent.
	Ptime int
	// Crypto is the number of a=crypto lines (SDES, RFC 4568).
	Crypto int
	// Candidates is the number of a=candidate lines (ICE, RFC 8839).
	Candidates int
	// ICE is the number of other media-level ICE lines (a=ice-ufrag,
	// a=ice-pwd, a=ice-options, a=end-of-candidates, a=remote-candidates).
	ICE int
	// Line is the index into Session.Lines of the m= line; End is the
	// index after the last line of this media description.
	Line, End int

	portOff, portEnd int // offsets of Port in the body
}

// Rejected reports a port of 0: a stream rejected in an answer or
// disabled in an offer (RFC 3264 §6, §8.2).
func (m *Media) Rejected() bool { return m.Port == 0 }

// IsRTP reports whether the protocol carries RTP (its name contains
// "RTP/"), so that Fmts are payload types.
func (m *Media) IsRTP() bool { return isRTPProto(m.Proto) }

// PayloadTypes appends the payload types of the m= line, in order, to
// dst.
func (m *Media) PayloadTypes(dst []uint8) []uint8 {
	for _, f := range m.Formats {
		dst = append(dst, f.PT)
	}
	return dst
}

// Format returns the format of payload type pt if the m= line lists it.
func (m *Media) Format(pt uint8) (Format, bool) {
	for _, f := range m.Formats {
		if f.PT == pt {
			return f, true
		}
	}
	return Format{}, false
}

// Format is one payload type of an RTP m= line (RFC 8866 §6.6,
// RFC 3551 §6).
type Format struct {
	PT       uint8
	Name     string // encoding name as written, e.g. "PCMU", "opus", "telephone-event"; "" if unknown
	Rate     int    // clock rate in Hz; 0 if unknown
	Channels int    // the rtpmap encoding parameters for audio; 0 when not given (one channel)
	Fmtp     string // a=fmtp parameters, "" when absent
	// Rtpmap reports that Name and Rate came from an a=rtpmap line
	// rather than the RFC 3551 static table.
	Rtpmap bool
}

// RTCP is the a=rtcp attribute (RFC 3605 §2.1):
//
//	a=rtcp:<port> [<nettype> <addrtype> <connection-address>]
type RTCP struct {
	Port int
	// Conn holds the optional address; Conn.Address is "" when absent.
	Conn Connection

	line             int // index into Session.Lines + 1; 0 when absent
	portOff, portEnd int
}

// Direction is a direction attribute (RFC 3264 §5.1, RFC 8866 §6.7).
type Direction uint8

// Directions. DirNone means no attribute was given.
const (
	DirNone Direction = iota
	SendRecv
	SendOnly
	RecvOnly
	Inactive
)

// String returns the attribute name, or "" for DirNone.
func (d Direction) String() string {
	switch d {
	case SendRecv:
		return "sendrecv"
	case SendOnly:
		return "sendonly"
	case RecvOnly:
		return "recvonly"
	case Inactive:
		return "inactive"
	}
	return ""
}

// Hold says whether and how a stream is put on hold.
type Hold uint8

// Hold kinds, in the order Session.Hold checks them.
const (
	// NotHeld: an active stream.
	NotHeld Hold = iota
	// Rejected: port 0 (RFC 3264 §6), the stream is not used at all.
	Rejected
	// HoldAddr: c=0.0.0.0, the RFC 2543 way still sent by older phones.
	HoldAddr
	// HoldSendOnly: a=sendonly (RFC 3264 §8.4), the usual hold offer.
	HoldSendOnly
	// HoldInactive: a=inactive, hold while already held by the peer.
	HoldInactive
)

// Connection returns the connection that applies to media i: its own
// c= line, else the session's (RFC 8866 §5.7). Address is "" if neither
// exists or i is out of range.
func (s *Session) Connection(i int) Connection {
	if i < 0 || i >= len(s.Media) {
		return Connection{}
	}
	if s.Media[i].Conn.Address != "" {
		return s.Media[i].Conn
	}
	return s.Conn
}

// MediaDirection returns the direction that applies to media i: its own
// attribute, else the session's, else SendRecv (RFC 3264 §5.1).
func (s *Session) MediaDirection(i int) Direction {
	if i >= 0 && i < len(s.Media) && s.Media[i].Direction != DirNone {
		return s.Media[i].Direction
	}
	if s.Direction != DirNone {
		return s.Direction
	}
	return SendRecv
}

// Hold reports whether media i is rejected or put on hold, and how.
// Recvonly is not hold: it is the answer to a sendonly offer.
func (s *Session) Hold(i int) Hold {
	if i < 0 || i >= len(s.Media) {
		return NotHeld
	}
	if s.Media[i].Port == 0 {
		return Rejected
	}
	if s.holdAddr(i) {
		return HoldAddr
	}
	switch s.MediaDirection(i) {
	case SendOnly:
		return HoldSendOnly
	case Inactive:
		return HoldInactive
	}
	return NotHeld
}

// holdAddr reports an RFC 2543 hold address for media i (-1: the
// session c=). A WebRTC offer says c=IN IP4 0.0.0.0 when it has no
// candidates yet (RFC 8839 §4.2.1.2): with ICE, 0.0.0.0 is not hold.
func (s *Session) holdAddr(i int) bool {
	c := s.Conn
	if i >= 0 {
		c = s.Connection(i)
	}
	return c.IsHold() && !s.hasICE(i)
}

// hasICE reports ICE attributes at session level or in media i (in any
// media when i is -1).
func (s *Session) hasICE(i int) bool {
	if s.ICE > 0 {
		return true
	}
	for k := range s.Media {
		if (i < 0 || k == i) && s.Media[k].Candidates+s.Media[k].ICE > 0 {
			return true
		}
	}
	return false
}

// Body returns the text Parse was given.
func (s *Session) Body() string { return s.raw }
