package media

import (
	"context"
	"errors"
	"net/netip"
	"strconv"

	"github.com/callrec/callrec/internal/rtpp"
)

// implemented are the capability dates (VF) this node answers 1 to.
var implemented = map[string]bool{
	rtpp.ProtocolVersion: true,
	rtpp.CapMultiStream:  true, // ;n media numbers, each its own stream
	rtpp.CapStats:        true, // Q
	rtpp.CapCodecs:       true, // C<pt,...> kept for the recorder
	rtpp.CapCounters:     true, // G
	rtpp.CapNoRecord:     true, // N stops recording
}

// Control answers the rtpproxy control protocol on behalf of a Manager;
// it implements rtpp.Handler. Commands is the Server whose counters G
// reports (nil: the ncmds_* counters read 0). Safe for concurrent use.
type Control struct {
	M        *Manager
	Commands *rtpp.Counters
}

// ServeRTPP implements rtpp.Handler.
func (c *Control) ServeRTPP(_ context.Context, cmd *rtpp.Command) string {
	m := c.M
	switch cmd.Op {
	case rtpp.OpVersion:
		if cmd.FeatureCheck {
			return rtpp.FeatureReply(len(cmd.Args) > 0 && implemented[cmd.Args[0]])
		}
		return rtpp.ProtocolVersion
	case rtpp.OpUpdate, rtpp.OpLookup:
		if len(cmd.Sub) > 0 {
			return rtpp.ErrorReply(rtpp.ECodeSubcommand)
		}
		if cmd.Mods.External || cmd.Mods.Internal {
			return rtpp.ErrorReply(rtpp.ECodeBadExternal) // no bridging configured
		}
		if cmd.Mods.Local != "" {
			if a, err := netip.ParseAddr(cmd.Mods.Local); err != nil || a != m.cfg.Listen {
				return rtpp.ErrorReply(rtpp.ECodeLocalAddr)
			}
		}
		o := Offer{CallID: cmd.CallID, FromTag: cmd.FromTag, ToTag: cmd.ToTag, MediaNum: cmd.MediaNum,
			Asymmetric: cmd.Mods.Asymmetric, Codecs: cmd.Mods.Codecs}
		switch {
		case cmd.OnHold:
		case cmd.AddrPort.IsValid():
			o.Addr = cmd.AddrPort
		default:
			return rtpp.ErrorReply(rtpp.ECodeBadAddress)
		}
		var ap netip.AddrPort
		var err error
		if cmd.Op == rtpp.OpUpdate {
			ap, err = m.Update(o)
		} else {
			ap, err = m.Lookup(o)
		}
		if errors.Is(err, ErrNoSession) {
			return rtpp.PortReply(0, netip.Addr{}) // rtpproxy answers a failed lookup with port 0
		}
		if err != nil {
			return errorReply(err)
		}
		return rtpp.PortReply(int(ap.Port()), ap.Addr())
	case rtpp.OpDelete:
		if _, err := m.Delete(cmd.CallID, cmd.FromTag, cmd.ToTag); err != nil {
			return errorReply(err)
		}
		return "0"
	case rtpp.OpRecord:
		if err := m.Record(cmd.CallID, cmd.FromTag, cmd.ToTag); err != nil {
			return errorReply(err)
		}
		return "0"
	case rtpp.OpNoRecord:
		if err := m.StopRecord(cmd.CallID); err != nil {
			return errorReply(err)
		}
		return "0"
	case rtpp.OpQuery:
		return c.query(cmd)
	case rtpp.OpInfo:
		in := m.Info()
		return string(rtpp.AppendInfoReply(nil, &rtpp.Info{
			SessionsCreated: in.Created, ActiveSessions: int64(in.Calls), ActiveStreams: int64(in.Streams),
			PacketsReceived: in.PacketsIn, PacketsTransmitted: in.Relayed,
		}, false))
	case rtpp.OpDeleteAll:
		m.DeleteAll()
		return "0"
	case rtpp.OpGetStats:
		return c.stats(cmd)
	case rtpp.OpPlay:
		return rtpp.ErrorReply(rtpp.ECodePlayFailed)
	case rtpp.OpStopPlay:
		return "0"
	case rtpp.OpCopy:
		return rtpp.ErrorReply(rtpp.ECodeCopyFailed)
	}
	return rtpp.ErrorReply(rtpp.ECodeUnknownCommand)
}

// errorReply maps the media node's errors to rtpproxy's codes.
func errorReply(err error) string {
	switch {
	case errors.Is(err, ErrNoSession):
		return rtpp.ErrorReply(rtpp.ECodeNoSession)
	case errors.Is(err, ErrPortsExhausted):
		return rtpp.ErrorReply(rtpp.ECodeListenerFailed)
	case errors.Is(err, ErrOverload):
		return rtpp.ErrorReply(rtpp.ECodeOverload)
	case errors.Is(err, ErrShutdown):
		return rtpp.ErrorReply(rtpp.ECodeShutdown)
	case errors.Is(err, ErrAddressFamily):
		return rtpp.ErrorReply(rtpp.ECodeNoLocalAF)
	case errors.Is(err, ErrBadAddress):
		return rtpp.ErrorReply(rtpp.ECodeBadAddress)
	}
	return rtpp.ErrorReply(rtpp.ECodeSessionFailed)
}

// query answers Q. "a" is the leg of the party whose tag is the
// command's From tag, as rtpproxy orients it.
func (c *Control) query(cmd *rtpp.Command) string {
	st, err := c.M.Query(cmd.CallID, cmd.FromTag, cmd.ToTag, cmd.MediaNum)
	if err != nil {
		return errorReply(err)
	}
	a, o := st.Legs[0], st.Legs[1]
	if cmd.FromTag != st.FromTag {
		a, o = o, a
	}
	q := rtpp.QueryStats{
		TTL:       int(st.TTL.Seconds()),
		NPktsInA:  a.PacketsIn,
		NPktsInO:  o.PacketsIn,
		NRelayed:  a.Relayed + o.Relayed,
		NDropped:  a.DropBleed + a.DropNoDest + a.DropSendErr + o.DropBleed + o.DropNoDest + o.DropSendErr,
		RtpaNSent: a.Expected + o.Expected,
		RtpaNRcvd: a.Expected + o.Expected - uint64(max(a.Lost, 0)+max(o.Lost, 0)),
		RtpaNDups: a.Duplicates + o.Duplicates,
		RtpaNLost: uint64(max(a.Lost, 0) + max(o.Lost, 0)),
		RtpaJLast: jitterSeconds(a),
	}
	b, err := rtpp.AppendQueryReply(nil, &q, cmd.Args, cmd.Mods.Verbose)
	if err != nil {
		return rtpp.ErrorReply(rtpp.CodeOf(err))
	}
	return string(b)
}

func jitterSeconds(l LegStats) float64 {
	if l.ClockRate == 0 {
		return 0
	}
	return float64(l.Jitter) / float64(l.ClockRate)
}

// stats answers G with rtpproxy's global counter names.
func (c *Control) stats(cmd *rtpp.Command) string {
	in := c.M.Info()
	var cc *rtpp.Counters
	if c.Commands != nil {
		cc = c.Commands
	}
	names := cmd.Args
	if len(names) == 0 {
		names = []string{"nsess_created", "nsess_destroyed", "nsess_timeout", "npkts_rcvd", "npkts_relayed", "npkts_discard"}
	}
	b, err := rtpp.AppendValues(nil, names, cmd.Mods.Verbose, rtpp.ECodeStatsFailed, func(b []byte, name string) ([]byte, bool) {
		var v uint64
		switch name {
		case "nsess_created":
			v = in.Created
		case "nsess_destroyed":
			v = in.Deleted
		case "nsess_timeout":
			v = in.TimedOut
		case "npkts_rcvd":
			v = in.PacketsIn
		case "npkts_relayed":
			v = in.Relayed
		case "npkts_discard":
			v = in.DropBleed + in.DropNoDest + in.DropSendErr
		case "npkts_played", "nplrs_created", "nplrs_destroyed":
			v = 0
		case "ncmds_rcvd", "ncmds_rcvd_ndups", "ncmds_succd", "ncmds_errs", "ncmds_repld":
			if cc != nil {
				v = map[string]uint64{
					"ncmds_rcvd": cc.Received.Load(), "ncmds_rcvd_ndups": cc.Duplicates.Load(),
					"ncmds_succd": cc.Succeeded.Load(), "ncmds_errs": cc.Errors.Load(), "ncmds_repld": cc.Replied.Load(),
				}[name]
			}
		default:
			return b, false
		}
		return strconv.AppendUint(b, v, 10), true
	})
	if err != nil {
		return rtpp.ErrorReply(rtpp.CodeOf(err))
	}
	return string(b)
}
