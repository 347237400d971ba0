// Package sdp parses session descriptions (RFC 8866, which obsoletes
// RFC 4566) and rewrites the few fields a media-anchoring SIP proxy must
// change, keeping every other byte as it was.
//
// The proxy rewrites the SDP of INVITE, 183, 200 OK, ACK and UPDATE so
// that RTP flows through callrec's media node, and the recorder needs
// the payload types of each m= line. Parse returns a Session that keeps
// the byte offsets of every line; its accessors give, per media, the
// type, port, protocol, payload types in order with their a=rtpmap and
// a=fmtp (or the RFC 3551 static defaults), the direction (media level
// over session level, RFC 3264 §5.1), the connection address (media c=
// over session c=, RFC 8866 §5.7), a=rtcp (RFC 3605), a=rtcp-mux, ptime,
// and whether SDES crypto or ICE candidates are present. Session.Hold
// tells a rejected stream (port 0, RFC 3264 §6) and the two kinds of
// hold: c=0.0.0.0 (RFC 2543 §B.5, still sent by older phones) and
// a=sendonly/a=inactive (RFC 3264 §8.4).
//
// Session.AppendRewrite (or Rewrite) replaces c= addresses (inserting a
// media-level c= when one media needs an address other than the
// session's), m= ports, the a=rtcp port and address, optionally removes
// ICE attributes and a=rtcp-mux, and increments the o= sess-version when
// anything changed, as RFC 3264 §8 requires of a modified offer.
// Everything else, line endings and trailing whitespace included, is
// copied as is: the zero Edit returns the input byte for byte.
//
// # Why not pion/sdp
//
// pion/sdp unmarshals into a struct and marshals from it: it writes
// CRLF after every line, puts lines in the RFC order, drops empty values
// and normalises fields, so a body from a phone that uses LF endings,
// misorders lines or pads with spaces comes back different (pion/sdp
// issue #11 shows a round trip that changes the o= line). A proxy that
// rewrites other people's offers must change only what it needs to, so
// this package splices the original bytes instead.
//
// This is a wire package: no I/O, no goroutines, no logging. Parsing is
// bounds-checked, bodies are limited to MaxSize, and errors are
// *ParseError values that give the line number and what was wrong.
package sdp
