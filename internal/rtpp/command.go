package rtpp

import "net/netip"

// Op is the command letter of an rtpproxy control command, upper-cased.
type Op byte

// Command letters understood by the control protocol (sippy/rtpproxy
// src/rtpp_command_parse.c, fill_cmd_props). Letters are case-insensitive
// on the wire.
const (
	OpVersion   Op = 'V' // V: base version; VF <date>: capability query (Command.FeatureCheck)
	OpUpdate    Op = 'U' // U: offer, creates or updates a session
	OpLookup    Op = 'L' // L: answer, never creates a session
	OpDelete    Op = 'D' // D: delete a call's sessions
	OpRecord    Op = 'R' // R: start recording
	OpQuery     Op = 'Q' // Q: per-session statistics
	OpInfo      Op = 'I' // I: global information
	OpDeleteAll Op = 'X' // X: delete every session
	OpGetStats  Op = 'G' // G: named global counters
	OpPlay      Op = 'P' // P: play a prompt (answered with an error code)
	OpStopPlay  Op = 'S' // S: stop playing (rtpproxy "noplay")
	OpCopy      Op = 'C' // C: copy (record) to a remote address
	OpNoRecord  Op = 'N' // N: stop recording (rtpproxy "norecord", 20200226)

	// OpNoPlay is the former, wrong name of OpNoRecord: in rtpproxy "N"
	// stops recording; stopping a prompt is "S" (OpStopPlay).
	//
	// Deprecated: use OpNoRecord.
	OpNoPlay = OpNoRecord
)

// Modifiers are the parsed modifier letters that follow the command letter
// (for example "UAIc0,8"). Letters are case-insensitive. Which letters a
// command accepts, and the error code for the others, follow rtpproxy:
//
//	U, L   A S W 6 E I N Z<n> C<pt,...> L<addr>|L{label} R<addr>  else E35
//	D      W                                                      else E8
//	R      S (P gives E6)                                         else E7
//	C      S P                                                    else E7
//	N      A alone                                                E6/E7
//	P      a decimal play count                                   else E17
//	Q      V                                                      else E19
//	G      V                                                      else E9
//	I      B L                                                    else E18
//	V VF X S  none                                                else E2
//
// A zero value means: no modifier given, the rtpproxy defaults apply
// (symmetric, IPv4, no codec list).
type Modifiers struct {
	Asymmetric bool   // A: send only to the signalled address, never latch
	Symmetric  bool   // S: explicit symmetric (the default); the last of A/S wins
	Weak       bool   // W: weak session (U/L) or delete only weak (D)
	IPv6       bool   // 6: the remote address is IPv6
	External   bool   // E: external (public) interface in bridging mode
	Internal   bool   // I: internal interface in bridging mode
	Verbose    bool   // V (Q, G): "name=value" output
	Codecs     []int  // C<pt,pt,...>: payload types offered, in order
	Local      string // L<addr>: local address to use for this stream (no brackets)
	Remote     string // R<addr>: remote address hint, pick the local address routing to it (no brackets)
	ZeroPTime  int    // Z<n>: requested packetisation time (ms, 1..999), 0 if absent
	Raw        string // the modifier string exactly as received

	// Legs holds the E and I letters in the order given ("EI", "IE",
	// "E"...): in bridging mode the first names the interface of the
	// caller's side, the second the callee's. At most two. Parse cannot
	// know the node's interfaces: the node answers E11/E12 when it has
	// no bridging, E31 for an L address it does not own, E32 when no
	// local address routes to R, E36 when it has no address of the
	// stream's family.
	Legs string
	// LocalLabel is the label of an L{label} modifier (20260306).
	LocalLabel string
	// NewPort is U/L "N": allocate a new port for the stream even if the
	// session exists (20150330).
	NewPort bool
	// SingleFile is R/C "S": record both directions into one file.
	SingleFile bool
	// NoRecordAll is "Na": stop every recording of the call.
	NoRecordAll bool
	// ReplyPort is C "P": reply with the local port of the copy (20250523).
	ReplyPort bool
	// Brief and Load are the I modifiers "B" (no per-session list) and
	// "L" (append the average load line).
	Brief, Load bool
	// PlayCount is the P modifier: how many times to play (1 if absent,
	// 0 stops).
	PlayCount int

	// NoLatch is never set by Parse: rtpproxy has no "do not latch"
	// modifier; "N" on U/L means NewPort.
	//
	// Deprecated: use Asymmetric (never latch) or NewPort.
	NoLatch bool
}

// Command is one parsed control command. Parse fills a value that the
// caller owns; string fields share one copy of the input line, so they
// stay valid after the input buffer is reused.
type Command struct {
	Cookie string // UDP cookie ("" on stream sockets)
	Op     Op
	Mods   Modifiers

	// U, L, D, R, Q, C, P, S, N fields. Empty when the command does not
	// carry them.
	CallID   string
	Addr     string // remote address as given (may be "0.0.0.0" = hold)
	Port     int    // remote port (0 allowed)
	FromTag  string // without the ;n suffix
	ToTag    string // without the ;n suffix
	MediaNum int    // the ;n suffix of the from tag (1 when absent, 0 if not a number)

	// AddrPort is Addr and Port when rtpproxy would resolve them (the
	// address has the length of an address of the family chosen by "6");
	// invalid otherwise. OnHold reports a resolved unspecified address
	// (0.0.0.0 or ::): the party is on hold, no remote is set.
	AddrPort netip.AddrPort
	OnHold   bool

	// NotifySocket and NotifyTag are the optional trailing arguments of U
	// (timeout notification target). NotifyTag is URL-decoded. May be
	// empty.
	NotifySocket string
	NotifyTag    string

	// FeatureCheck is true for "VF <date>"; Args[0] is the date.
	FeatureCheck bool

	// Args holds the remaining arguments for commands whose arguments are
	// not named above: VF <date>; G <stat>...; Q's optional counter names
	// after the to tag; P <prompt> <codecs>; C <target>.
	Args []string

	// Sub holds the "&&"-separated sub-commands (U, L and Q only,
	// 20191015), each as its raw arguments. The node answers E3 for
	// sub-commands it does not implement.
	Sub [][]string
}
