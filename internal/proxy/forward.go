package proxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// noBuild is a client request option that keeps the request as the proxy
// built it (sipgo otherwise fills in missing headers).
func noBuild(*sipgo.Client, *sip.Request) error { return nil }

// upstream readies a response for the upstream side of st: pops this
// proxy's Via and takes the CSeq offset off (seqSpace).
func (s *Server) upstream(st *txState, res *sip.Response) {
	res.RemoveHeader("Via")
	res.SetDestination(st.req.Source())
	if st.cseqOff != 0 {
		if h := res.CSeq(); h != nil {
			h.SeqNo -= st.cseqOff
		}
	}
}

func (s *Server) respond(tx sip.ServerTransaction, req *sip.Request, code int, reason string) {
	if tx == nil {
		return
	}
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	res.SetDestination(req.Source())
	_ = tx.Respond(res)
}

func (s *Server) port(network string) int {
	if p, ok := s.ports[strings.ToLower(network)]; ok {
		return p
	}
	if p, ok := s.ports["udp"]; ok {
		return p
	}
	return s.ports["tcp"]
}

// isUs reports whether u names this proxy (host and one of its ports).
func (s *Server) isUs(u sip.Uri) bool {
	if u.Host != s.host {
		return false
	}
	_, p := hopTransport(u)
	for _, lp := range s.ports {
		if lp == p {
			return true
		}
	}
	return false
}

// looped reports a Via that this proxy inserted (RFC 3261 §16.3 step 4,
// simplified: spirals back through the proxy are refused too).
func (s *Server) looped(req *sip.Request) bool {
	for _, h := range req.GetHeaders("Via") {
		if v, ok := h.(*sip.ViaHeader); ok && v.Host == s.host {
			for _, lp := range s.ports {
				if v.Port == lp {
					return true
				}
			}
		}
	}
	return false
}

func tag(p sip.HeaderParams) string { t, _ := p.Get("tag"); return t }

func hasSDP(m interface {
	Body() []byte
	ContentType() *sip.ContentTypeHeader
}) bool {
	ct := m.ContentType()
	return len(m.Body()) > 0 && ct != nil && strings.HasPrefix(strings.ToLower(ct.Value()), "application/sdp")
}

// handleRequest is sipgo's handler for every request without a more
// specific one; it runs on a goroutine of sipgo's transaction layer and
// returns when the transaction is over.
func (s *Server) handleRequest(req *sip.Request, tx sip.ServerTransaction) {
	s.requests.Add(1)
	if mf := req.MaxForwards(); mf != nil && mf.Val() == 0 {
		s.respond(tx, req, 483, "Too Many Hops")
		return
	}
	if s.looped(req) {
		s.respond(tx, req, 482, "Loop Detected")
		return
	}
	if req.CallID() == nil || req.From() == nil || req.To() == nil || req.CSeq() == nil {
		s.respond(tx, req, 400, "Bad Request")
		return
	}
	if pr := req.GetHeaders("Proxy-Require"); len(pr) > 0 && !req.IsAck() && req.Method != sip.CANCEL {
		// RFC 3261 §16.3 step 5: this proxy supports no extension a
		// request may require of it; the 420 lists them in Unsupported.
		res := sip.NewResponseFromRequest(req, 420, "Bad Extension", nil)
		for _, h := range pr {
			res.AppendHeader(sip.NewHeader("Unsupported", h.Value()))
		}
		res.SetDestination(req.Source())
		_ = tx.Respond(res)
		return
	}
	out := req.Clone()
	for r := out.Route(); r != nil && s.isUs(r.Address); r = out.Route() {
		out.RemoveHeader("Route")
	}
	inDialog := tag(req.To().Params) != ""
	if !inDialog && req.Method == sip.INVITE {
		s.invites.Add(1)
	}
	ctx := context.Background()
	var targets []Target
	switch {
	case inDialog:
		if !s.knownDialog(req) {
			// A To tag alone proves nothing: authenticate it as an
			// initial request (auth.go), or anyone could relay through
			// the proxy by making one up.
			realm, ok := s.authenticate(ctx, req, tx)
			if !ok {
				return
			}
			if realm != "" {
				stripCredentials(out, realm)
			}
		}
		targets = []Target{{URI: out.Recipient.String()}}
	case out.Route() == nil && s.isUs(req.Recipient) && req.Recipient.User == "":
		if req.Method == sip.OPTIONS {
			s.respond(tx, req, 200, "OK")
		} else {
			s.respond(tx, req, 404, "Not Found")
		}
		return
	default:
		// An initial request the proxy forwards: authenticate it (auth.go).
		realm, ok := s.authenticate(ctx, req, tx)
		if !ok {
			return
		}
		if realm != "" {
			stripCredentials(out, realm)
		}
		if out.Route() != nil {
			targets = []Target{{URI: out.Recipient.String()}}
			break
		}
		t, err := s.cfg.Router.Route(ctx, req)
		if err != nil && !errors.Is(err, ErrNoRoute) {
			s.log.Warn("route failed", "call_id", req.CallID().Value(), "err", err)
			s.respond(tx, req, 500, "Server Internal Error")
			return
		}
		if len(t) == 0 {
			s.respond(tx, req, 404, "Not Found")
			return
		}
		targets = t
	}
	if mf := out.MaxForwards(); mf != nil {
		mf.Dec()
	} else {
		m := sip.MaxForwardsHeader(70)
		out.AppendHeader(&m)
	}
	if req.IsInvite() {
		s.respond(tx, req, 100, "Trying")
	}
	st := &txState{req: req, tx: tx, out: out, initial: !inDialog && req.IsInvite(), ctx: ctx,
		deadline: time.Now().Add(s.cfg.InviteTimeout)}
	if inDialog && !req.IsAck() {
		st.cseqOff = s.calls.seqOut(req.CallID().Value(), tag(req.From().Params), out.CSeq())
	}
	if !s.offer(st) {
		return
	}
	if req.Method == sip.BYE {
		// As Kamailio's rtpproxy_destroy on BYE: the media ends when the
		// BYE passes, whatever the far end answers.
		s.deleteMedia(req.CallID().Value(), tag(req.From().Params), tag(req.To().Params))
	}
	s.forward(st, targets)
}

// txState is one proxied server transaction.
type txState struct {
	ctx      context.Context
	req, out *sip.Request
	tx       sip.ServerTransaction
	initial  bool // an out-of-dialog INVITE
	// offered: the request carried an SDP offer that was anchored, so
	// SDP in responses is the answer.
	offered  bool
	hadOffer bool // the request carried SDP at all
	final    bool // a final response went upstream
	anchored bool
	// anchorMedia: this request's SDP (and its answer's) goes through
	// the Anchor; false for calls left unanchored (Config.AnchorOnRecord)
	anchorMedia bool
	// callerSDP and calleeSDP are the offer and answer of an initial
	// INVITE that is not anchored (kept for mid-call anchoring).
	callerSDP, calleeSDP []byte
	// cseqOff was added to the forwarded request's CSeq (seqSpace) and
	// is taken off its responses.
	cseqOff uint32
	// deadline is Timer C for an INVITE; timedOut is set when it fired.
	deadline time.Time
	timedOut bool
}

// handleStrayCancel answers a CANCEL that matches no INVITE transaction
// (sipgo matches the others itself, answering 200 and 487).
func (s *Server) handleStrayCancel(req *sip.Request, tx sip.ServerTransaction) {
	s.requests.Add(1)
	s.respond(tx, req, 481, "Call/Transaction Does Not Exist")
}

func (s *Server) handleRegister(req *sip.Request, tx sip.ServerTransaction) {
	if !s.registers(req) {
		s.handleRequest(req, tx)
		return
	}
	s.requests.Add(1)
	if req.CallID() == nil || req.From() == nil || req.To() == nil || req.CSeq() == nil {
		s.respond(tx, req, 400, "Bad Request")
		return
	}
	if _, ok := s.authenticate(context.Background(), req, tx); !ok {
		return
	}
	res := register(context.Background(), s.cfg.Locations, req, time.Now())
	res.SetDestination(req.Source())
	_ = tx.Respond(res)
}

// registers reports whether req is a REGISTER this proxy answers as the
// registrar (Config.Locations, Request-URI naming it); other REGISTERs
// are forwarded.
func (s *Server) registers(req *sip.Request) bool {
	return req.Method == sip.REGISTER && s.cfg.Locations != nil && (s.isUs(req.Recipient) || req.Recipient.Host == s.host)
}

// prepare sets the request's destination and transport from its next hop
// (the top Route, else target) and pushes this proxy's Via (and
// Record-Route when rr).
func (s *Server) prepare(r *sip.Request, target sip.Uri, rr bool) error {
	hop := target
	if rt := r.Route(); rt != nil {
		hop = rt.Address
	}
	tp, port := hopTransport(hop)
	if _, ok := s.ports[strings.ToLower(tp)]; !ok {
		switch {
		case tp == "TLS":
			// Never downgrade a hop that asks for TLS (tls.go).
			return fmt.Errorf("%w: %s", ErrNoTLS, hop.String())
		case s.ports["udp"] != 0:
			tp = "UDP"
		case s.ports["tcp"] != 0:
			tp = "TCP"
		default:
			tp = "TLS"
		}
	}
	r.SetTransport(tp)
	r.SetDestination(net.JoinHostPort(hop.Host, strconv.Itoa(port)))
	if tp == "UDP" && s.udp != nil {
		// Send from the listening socket (sipgo would otherwise open a
		// socket per destination): the far end and any NAT see the
		// address in Via and Record-Route.
		a := s.udp.LocalAddr().(*net.UDPAddr)
		r.Laddr = sip.Addr{IP: a.IP, Port: a.Port}
	}
	if rr {
		// Double record-routing when the transports differ: the UAS
		// reaches the proxy over the outbound transport, the UAC over
		// the inbound one, and the proxy strips both Routes.
		out := strings.ToLower(tp)
		if in := s.inboundTransport(r); in != out {
			r.PrependHeader(s.recordRoute(in))
		}
		r.PrependHeader(s.recordRoute(out))
	}
	via := &sip.ViaHeader{ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: tp, Host: s.host, Port: s.port(tp)}
	via.Params.Add("branch", sip.GenerateBranchN(16))
	r.PrependHeader(via)
	return nil
}

// inboundTransport is the transport the request arrived on, from its top
// Via (before this proxy adds its own).
func (s *Server) inboundTransport(r *sip.Request) string {
	if v := r.Via(); v != nil && v.Transport != "" {
		return strings.ToLower(v.Transport)
	}
	return "udp"
}

func (s *Server) recordRoute(tp string) *sip.RecordRouteHeader {
	return &sip.RecordRouteHeader{Address: sip.Uri{Scheme: "sip", Host: s.host, Port: s.port(tp),
		UriParams: sip.HeaderParams{{K: "transport", V: tp}, {K: "lr", V: ""}}}}
}

// strayResponse forwards responses that match no client transaction (2xx
// retransmissions after the INVITE transaction ended, RFC 3261 §16.7 and
// RFC 6026) statelessly: pop this proxy's Via and send to the next.
func (s *Server) strayResponse(res *sip.Response) {
	v := res.Via()
	if v == nil || v.Host != s.host || !res.IsSuccess() {
		return
	}
	res.RemoveHeader("Via")
	next := res.Via()
	if next == nil {
		return
	}
	res.SetDestination("")
	_ = s.srv.WriteResponse(res)
}

// sortGroups splits targets into priority groups, ascending.
func sortGroups(ts []Target) [][]Target {
	ts = append([]Target(nil), ts...)
	sort.SliceStable(ts, func(i, j int) bool { return ts[i].Priority < ts[j].Priority })
	var out [][]Target
	for i, t := range ts {
		if i == 0 || t.Priority != ts[i-1].Priority {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], t)
	}
	return out
}
