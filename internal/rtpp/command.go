package rtpp

// Op is the command letter of an rtpproxy control command, upper-cased.
type Op byte

// Command letters understood by the control protocol.
const (
	OpVersion   Op = 'V' // V: base version; VF <date>: capability query
	OpUpdate    Op = 'U' // U: offer, creates or updates a session
	OpLookup    Op = 'L' // L: answer, never creates a session
	OpDelete    Op = 'D' // D: delete a call's sessions
	OpRecord    Op = 'R' // R: start recording
	OpQuery     Op = 'Q' // Q: per-session statistics
	OpInfo      Op = 'I' // I: global information
	OpDeleteAll Op = 'X' // X: delete every session
	OpGetStats  Op = 'G' // G: named global counters
	OpPlay      Op = 'P' // P: play a prompt (answered with an error code)
	OpStopPlay  Op = 'S' // S: stop playing
	OpCopy      Op = 'C' // C: copy (record) to a remote address
	OpNoPlay    Op = 'N' // N: noplay (answered with an error code)
)

// Modifiers are the parsed modifier letters that follow the command letter
// (for example "UAIc0,8"). A zero value means: no modifier given, the
// rtpproxy defaults apply (symmetric, IPv4, no codec list).
type Modifiers struct {
	Asymmetric bool   // A: send only to the signalled address, never latch
	Symmetric  bool   // S: explicit symmetric (the default)
	Weak       bool   // W: weak session (Kamailio "w" flag)
	IPv6       bool   // 6: the remote address is IPv6
	External   bool   // E: external (public) interface in bridging mode
	Internal   bool   // I: internal interface in bridging mode
	Verbose    bool   // v (Q, I, G): verbose / named output
	Codecs     []int  // C<pt,pt,...>: payload types offered, in order
	Local      string // L<addr>: local address to use for this stream
	Remote     string // R<addr>: remote address hint
	NoLatch    bool   // N: do not latch (rtpproxy "N" / no NAT)
	ZeroPTime  int    // Z<n>: requested packetisation time (ms), 0 if absent
	Raw        string // the modifier string exactly as received
}

// Command is one parsed control command. The parser fills a value that
// the caller owns; string fields are copies and stay valid after the
// input buffer is reused.
type Command struct {
	Cookie string // UDP cookie ("" on stream sockets)
	Op     Op
	Mods   Modifiers

	// U, L, D, R, Q, C, P, S fields. Empty when the command does not
	// carry them.
	CallID   string
	Addr     string // remote address as given (may be "0.0.0.0" = hold)
	Port     int    // remote port (0 allowed)
	FromTag  string // without the ;n suffix
	ToTag    string // without the ;n suffix
	MediaNum int    // the ;n suffix of the tags (1 when absent)

	// NotifySocket and NotifyTag are the optional trailing arguments of U
	// (timeout notification target). Accepted and stored; may be empty.
	NotifySocket string
	NotifyTag    string

	// Args holds the remaining arguments for commands whose arguments are
	// not named above (VF <date>, G <stat> <stat>..., P <file> <codecs>...).
	Args []string
}
