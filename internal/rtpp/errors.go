package rtpp

import (
	"errors"
	"strconv"
)

// ECode is an rtpproxy error code, sent to the controller as "E<n>".
// The numbers are those of sippy/rtpproxy src/rtpp_command_ecodes.h; the
// comment of each constant says which situation rtpproxy reports with it.
// Kamailio and OpenSIPS treat every "E..." reply as a failure and log the
// number, so the exact value matters only to humans reading logs, but
// keeping rtpproxy's numbers makes those logs comparable.
type ECode int

// Error codes of the control protocol.
const (
	// ECodeUnknownCommand (ECODE_CMDUNKN): the command letter is unknown.
	ECodeUnknownCommand ECode = 0
	// ECodeArgCount (ECODE_PARSE_NARGS): wrong number of arguments.
	ECodeArgCount ECode = 1
	// ECodeModifiers (ECODE_PARSE_MODS): modifiers given to a command
	// that takes none (V, VF, X, S).
	ECodeModifiers ECode = 2
	// ECodeSubcommand (ECODE_PARSE_SUBC): "&&" sub-commands given to a
	// command that takes none, or a sub-command the node cannot run.
	ECodeSubcommand ECode = 3
	// ECodeSyntax (ECODE_PARSE_1): the line cannot be split into
	// arguments (empty, NUL byte, too many arguments, missing cookie).
	ECodeSyntax ECode = 5
	// ECodeModNotAllowed (ECODE_PARSE_2): "P" modifier on R, or "Na"
	// followed by more letters.
	ECodeModNotAllowed ECode = 6
	// ECodeBadRecordMod (ECODE_PARSE_3): unknown R/C modifier, or an N
	// modifier other than "a".
	ECodeBadRecordMod ECode = 7
	// ECodeBadDeleteMod (ECODE_PARSE_4): unknown D modifier.
	ECodeBadDeleteMod ECode = 8
	// ECodeBadStatsMod (ECODE_PARSE_5): unknown G modifier.
	ECodeBadStatsMod ECode = 9
	// ECodeBadNotifyTag (ECODE_PARSE_10): U notify tag is not valid
	// URL encoding.
	ECodeBadNotifyTag ECode = 10
	// ECodeBadExternal (ECODE_PARSE_11): "E" given more than twice with
	// "I", or without bridging configured.
	ECodeBadExternal ECode = 11
	// ECodeBadInternal (ECODE_PARSE_12): "I" given more than twice with
	// "E", or without bridging configured.
	ECodeBadInternal ECode = 12
	// ECodeBadPtime (ECODE_PARSE_13): Z<n> outside 1..999.
	ECodeBadPtime ECode = 13
	// ECodeBadCodecs (ECODE_PARSE_14): empty or repeated C<pt,...> list.
	ECodeBadCodecs ECode = 14
	// ECodeBadLocalMod (ECODE_PARSE_15): L<addr> not an address.
	ECodeBadLocalMod ECode = 15
	// ECodeBadRemoteMod (ECODE_PARSE_16): R<addr> not an address.
	ECodeBadRemoteMod ECode = 16
	// ECodeBadPlayCount (ECODE_PARSE_6): P modifier is not a number.
	ECodeBadPlayCount ECode = 17
	// ECodeBadInfoMod (ECODE_PARSE_7): unknown I modifier.
	ECodeBadInfoMod ECode = 18
	// ECodeBadQueryMod (ECODE_PARSE_8): unknown Q modifier.
	ECodeBadQueryMod ECode = 19
	// ECodeStatsTooBig (ECODE_RTOOBIG_1): G reply does not fit.
	ECodeStatsTooBig ECode = 25
	// ECodeQueryTooBig (ECODE_RTOOBIG_2): Q reply does not fit.
	ECodeQueryTooBig ECode = 26
	// ECodeLocalAddr (ECODE_INVLARG_1): L<addr> is not a local address
	// of this node (or an unknown L{label}).
	ECodeLocalAddr ECode = 31
	// ECodeRemoteAddr (ECODE_INVLARG_2): no local address routes to the
	// R<addr> hint.
	ECodeRemoteAddr ECode = 32
	// ECodeBadULMod (ECODE_INVLARG_5): unknown U/L modifier.
	ECodeBadULMod ECode = 35
	// ECodeNoLocalAF (ECODE_INVLARG_6): no local address of the
	// session's address family ("6" on a node without IPv6).
	ECodeNoLocalAF ECode = 36
	// ECodeBadAddress (ECODE_INVLARG_7): remote address/port of U/L do
	// not parse as a numeric address and port.
	ECodeBadAddress ECode = 37
	// ECodeNoSession (ECODE_SESUNKN): no session with that call-id/tags.
	ECodeNoSession ECode = 50
	// ECodePlayFailed (ECODE_PLRFAIL): P could not start playing.
	ECodePlayFailed ECode = 60
	// ECodeQueryFailed (ECODE_QRYFAIL): unknown counter name in Q.
	ECodeQueryFailed ECode = 62
	// ECodeCopyFailed (ECODE_CPYFAIL): C could not start copying.
	ECodeCopyFailed ECode = 65
	// ECodeStatsFailed (ECODE_STSFAIL): unknown counter name in G.
	ECodeStatsFailed ECode = 68
	// ECodeListenerFailed (ECODE_LSTFAIL_1): cannot create the RTP/RTCP
	// listeners, the port range is exhausted.
	ECodeListenerFailed ECode = 71
	// ECodeSessionFailed (ECODE_LSTFAIL_2): cannot create the session.
	ECodeSessionFailed ECode = 72
	// ECodeNotifyOff (ECODE_NSOFF): U asks for timeout notification but
	// notification is not enabled on the node.
	ECodeNotifyOff ECode = 75
	// ECodeNoMem (ECODE_NOMEM_1; rtpproxy uses 81..89 for allocation
	// failures at various places): out of memory.
	ECodeNoMem ECode = 81
	// ECodeOverload (ECODE_OVERLOAD): the node is overloaded and
	// rejects new sessions.
	ECodeOverload ECode = 98
	// ECodeShutdown (ECODE_SLOWSHTDN): the node is draining before
	// shutdown and rejects new sessions.
	ECodeShutdown ECode = 99
)

// String returns the wire form "E<n>".
func (c ECode) String() string { return "E" + strconv.Itoa(int(c)) }

// Error is a protocol error carrying the rtpproxy error code to reply
// with. Parse returns *Error; match with errors.As, or errors.Is against
// another *Error with the same Code (the Msg is ignored).
type Error struct {
	Code ECode
	Msg  string // what was wrong and where, lowercase
}

// Error implements error.
func (e *Error) Error() string {
	return "rtpp: " + e.Msg + " (" + e.Code.String() + ")"
}

// Is reports whether target is an *Error with the same code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

func errf(code ECode, msg string) *Error { return &Error{Code: code, Msg: msg} }

// CodeOf returns the ECode carried by err, or ECodeSyntax when err holds
// no *Error.
func CodeOf(err error) ECode {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ECodeSyntax
}

// ErrServerClosed is returned by the Server's Serve functions after Close
// or after their context is done.
var ErrServerClosed = errors.New("rtpp: server closed")

// ErrTimeout is returned by Client.Do when no reply arrived in time
// (after every retransmission on UDP).
var ErrTimeout = errors.New("rtpp: timeout waiting for reply")

// ErrBadSpec is returned (wrapped, with the spec) for a listener or
// client address that is not unix:, udp:, udp6:, tcp: or tcp6:.
var ErrBadSpec = errors.New("rtpp: bad socket spec")

// ErrBadReply is returned (wrapped) by Client.Do and the reply parsers
// for a reply that does not have the expected form.
var ErrBadReply = errors.New("rtpp: malformed reply")
