package rtpp

import "strconv"

// QueryStats are the per-stream counters of the Q reply (sippy/rtpproxy
// src/commands/rpcpv1_query.c). "a" is the stream the command's tags
// name, "o" the other direction.
type QueryStats struct {
	TTL        int     // ttl: seconds left before the session times out
	NPktsInA   uint64  // npkts_ina: packets received on this stream
	NPktsInO   uint64  // npkts_ino: packets received on the other one
	NRelayed   uint64  // nrelayed: packets relayed (session total)
	NDropped   uint64  // ndropped: packets dropped (session total)
	RtpaNSent  uint64  // rtpa_nsent: unique packets sent to us (SEQ tracking)
	RtpaNRcvd  uint64  // rtpa_nrcvd: unique packets received
	RtpaNDups  uint64  // rtpa_ndups: duplicates
	RtpaNLost  uint64  // rtpa_nlost: lost
	RtpaPErrs  uint64  // rtpa_perrs: packets that failed RTP parsing
	LongestIPI float64 // longest_ipi: longest inter-packet interval, seconds
	RtpaJLast  float64 // rtpa_jlast: last jitter estimate
	RtpaJMax   float64 // rtpa_jmax: maximum jitter
	RtpaJAvg   float64 // rtpa_javg: average jitter
}

// QueryCounters are the counter names Q accepts after the to tag, at
// most eleven per command.
var QueryCounters = []string{
	"ttl", "npkts_ina", "npkts_ino", "longest_ipi", "rtpa_jlast",
	"rtpa_jmax", "rtpa_javg", "nrelayed", "ndropped", "rtpa_nsent",
	"rtpa_nrcvd", "rtpa_ndups", "rtpa_nlost", "rtpa_perrs",
}

// AppendQueryReply appends the Q reply. Without names it is rtpproxy's
// default "ttl npkts_ina npkts_ino nrelayed ndropped" ("name=value" each
// when verbose); with names, those counters in order. An unknown name
// gives an *Error with ECodeQueryFailed.
func AppendQueryReply(b []byte, st *QueryStats, names []string, verbose bool) ([]byte, error) {
	if len(names) == 0 {
		names = defaultQuery
	}
	return AppendValues(b, names, verbose, ECodeQueryFailed, st.appendValue)
}

var defaultQuery = []string{"ttl", "npkts_ina", "npkts_ino", "nrelayed", "ndropped"}

func (st *QueryStats) appendValue(b []byte, name string) ([]byte, bool) {
	u := func(v uint64) ([]byte, bool) { return strconv.AppendUint(b, v, 10), true }
	f := func(v float64) ([]byte, bool) { return strconv.AppendFloat(b, v, 'f', 6, 64), true }
	switch name {
	case "ttl":
		return strconv.AppendInt(b, int64(st.TTL), 10), true
	case "npkts_ina":
		return u(st.NPktsInA)
	case "npkts_ino":
		return u(st.NPktsInO)
	case "nrelayed":
		return u(st.NRelayed)
	case "ndropped":
		return u(st.NDropped)
	case "rtpa_nsent":
		return u(st.RtpaNSent)
	case "rtpa_nrcvd":
		return u(st.RtpaNRcvd)
	case "rtpa_ndups":
		return u(st.RtpaNDups)
	case "rtpa_nlost":
		return u(st.RtpaNLost)
	case "rtpa_perrs":
		return u(st.RtpaPErrs)
	case "longest_ipi":
		return f(st.LongestIPI)
	case "rtpa_jlast":
		return f(st.RtpaJLast)
	case "rtpa_jmax":
		return f(st.RtpaJMax)
	case "rtpa_javg":
		return f(st.RtpaJAvg)
	}
	return b, false
}

// Counter names a global counter of the G command.
type Counter struct {
	Name  string // as asked in G
	Descr string // rtpproxy's description
}

// GlobalCounters are the counter names rtpproxy answers in G
// (src/rtpp_stats.c), for a node that wants to offer the same. The
// ncmds_* ones correspond to the Server's Counters.
var GlobalCounters = []Counter{
	{"nsess_created", "Number of RTP sessions created"},
	{"nsess_destroyed", "Number of RTP sessions destroyed"},
	{"nsess_timeout", "Number of RTP sessions ended due to media timeout"},
	{"nsess_complete", "Number of RTP sessions fully setup"},
	{"nsess_nortp", "Number of sessions that had no RTP neither in nor out"},
	{"nsess_owrtp", "Number of sessions that had one-way RTP only"},
	{"nsess_nortcp", "Number of sessions that had no RTCP neither in nor out"},
	{"nsess_owrtcp", "Number of sessions that had one-way RTCP only"},
	{"nplrs_created", "Number of RTP players created"},
	{"nplrs_destroyed", "Number of RTP players destroyed"},
	{"npkts_rcvd", "Total number of RTP/RTPC packets received"},
	{"npkts_played", "Total number of RTP packets locally generated (played out)"},
	{"npkts_relayed", "Total number of RTP/RTPC packets relayed"},
	{"npkts_resizer_in", "Total number of RTP packets ingress into resizer"},
	{"npkts_resizer_out", "Total number of RTP packets egress out of resizer"},
	{"npkts_resizer_discard", "Total number of RTP packets dropped by the resizer"},
	{"npkts_discard", "Total number of RTP/RTPC packets discarded"},
	{"total_duration", "Cumulative duration of all sessions"},
	{"ncmds_rcvd", "Total number of control commands received"},
	{"ncmds_rcvd_ndups", "Total number of duplicate control commands received"},
	{"ncmds_succd", "Total number of control commands successfully processed"},
	{"ncmds_errs", "Total number of control commands ended up with an error"},
	{"ncmds_repld", "Total number of control commands that had a reply generated"},
	{"rtpa_nsent", "Total number of unique RTP packets sent to us based on SEQ tracking"},
	{"rtpa_nrcvd", "Total number of unique RTP packets received by us based on SEQ tracking"},
	{"rtpa_ndups", "Total number of duplicate RTP packets received by us based on SEQ tracking"},
	{"rtpa_nlost", "Total number of lost RTP packets based on SEQ tracking"},
	{"rtpa_perrs", "Total number of RTP packets that failed RTP parse routine in SEQ tracking"},
	{"pps_in", "Rate at which RTP/RTPC packets are received (packets per second)"},
}
