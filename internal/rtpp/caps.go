package rtpp

// Capability is one protocol extension, named by the date rtpproxy
// introduced it. Controllers ask "VF <date>" and expect "1" when the node
// implements it, "0" otherwise.
type Capability struct {
	Date string // YYYYMMDD as sent in VF
	Name string // what it means, as rtpproxy describes it
}

// Capability dates the controllers ask about. Kamailio's rtpproxy module
// requires CapMultiStream and asks CapRepacketize and CapCodecs to decide
// whether to send Z<n> and c<pt,...>. OpenSIPS also asks CapBridging,
// CapNotify, CapStats, CapNotifySelf, CapSeqTracking, CapCopy,
// CapSubcommands and "20170313" (a "T<ttl>" U/L modifier that sippy
// rtpproxy never had; answer 0, Parse rejects T with E35).
const (
	// ProtocolVersion is the reply to "V": the base protocol version.
	ProtocolVersion = "20040107"
	CapMultiStream  = "20050322" // multiple RTP streams and MOH
	CapVExtra       = "20060704" // extra parameter in the V command
	CapRepacketize  = "20071116" // RTP re-packetization (Z<n>)
	CapCopy         = "20071218" // forking (copying) an RTP stream (C)
	CapStats        = "20080403" // RTP statistics querying (Q)
	CapCodecs       = "20081102" // codecs in U/L (C<pt,...>)
	CapNotify       = "20081224" // session timeout notifications
	CapBridging     = "20090810" // automatic bridging (E/I)
	CapLoad         = "20140323" // tracking/reporting load (I l)
	CapConnectTime  = "20140617" // anchoring session connect time
	CapCounters     = "20141004" // extendable performance counters (G)
	CapNewPort      = "20150330" // allocating a new port (Un/Ln)
	CapSeqTracking  = "20150420" // SEQ tracking, rtpa_ counters, extended Q
	CapNotifySelf   = "20150617" // %%CC_SELF%% as disconnect notify target
	CapSubcommands  = "20191015" // the && sub-command specifier
	CapNoRecord     = "20200226" // the N command to stop recording
)

// Capabilities lists every capability date sippy/rtpproxy knows
// (src/commands/rpcpv1_ver.c, proto_caps), oldest first. The first entry
// is the base version. Which of them a node implements is the node's
// decision; this table only names them.
var Capabilities = []Capability{
	{ProtocolVersion, "Basic RTP proxy functionality"},
	{CapMultiStream, "Support for multiple RTP streams and MOH"},
	{CapVExtra, "Support for extra parameter in the V command"},
	{CapRepacketize, "Support for RTP re-packetization"},
	{CapCopy, "Support for forking (copying) RTP stream"},
	{CapStats, "Support for RTP statistics querying"},
	{CapCodecs, "Support for setting codecs in the update/lookup command"},
	{CapNotify, "Support for session timeout notifications"},
	{CapBridging, "Support for automatic bridging"},
	{CapLoad, "Support for tracking/reporting load"},
	{CapConnectTime, "Support for anchoring session connect time"},
	{CapCounters, "Support for extendable performance counters"},
	{CapNewPort, "Support for allocating a new port (\"Un\"/\"Ln\" commands)"},
	{CapSeqTracking, "Support for SEQ tracking and new rtpa_ counters; Q command extended"},
	{CapNotifySelf, "Support for the wildcard %%CC_SELF%% as a disconnect notify target"},
	{CapSubcommands, "Support for the && sub-command specifier"},
	{CapNoRecord, "Support for the N command to stop recording"},
	{"20230205", "Support for \"rtpa_nlost\" counter; extend catch_dtmf module with \"h\" modifier"},
	{"20230314", "Support for \"fusing\" G and D commands"},
	{"20230424", "Support for \"longest_ipi\", \"rtpa_jlast\", \"rtpa_jmax\" and \"rtpa_javg\" counters"},
	{"20250523", "Support for the \"P\" modifier in the C command"},
	{"20251015", "Support for changing session's ttl / IP tos via S subcommand"},
	{"20260306", "Support for address labels in the \"Ul\"/\"Ll\" commands"},
	{"20260308", "Support for single-shot dual-leg setup via \"U ... && L ...\""},
	{"20260309", "Support for forking both streams via \"C\" sub-command"},
}

// LookupCapability returns the capability with that date, if rtpproxy
// knows it.
func LookupCapability(date string) (Capability, bool) {
	for _, c := range Capabilities {
		if c.Date == date {
			return c, true
		}
	}
	return Capability{}, false
}

// FeatureReply returns the reply to "VF <date>": "1" if supported.
func FeatureReply(supported bool) string {
	if supported {
		return "1"
	}
	return "0"
}
