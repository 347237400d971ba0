package proxy

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Call describes a call: for the RecordingPolicy (at the initial
// INVITE, when ToTag is still "") and for Server.Calls.
type Call struct {
	CallID            string    `json:"call_id"`
	FromTag           string    `json:"from_tag"`
	ToTag             string    `json:"to_tag,omitempty"`
	Caller            string    `json:"caller"` // From URI
	Callee            string    `json:"callee"` // To URI
	InitialRequestURI string    `json:"request_uri"`
	Started           time.Time `json:"started"`
	Answered          time.Time `json:"answered,omitzero"` // zero while ringing
	Anchored          bool      `json:"anchored"`          // media goes through the node
	Recording         bool      `json:"recording"`         // a recording was started and not stopped
	// CalleeFirst: the INVITE had no SDP and the media node's streams
	// were created by the callee's offer in its 2xx (late offer), so
	// they are oriented callee first; a recorder puts the caller back on
	// the left.
	CalleeFirst bool `json:"callee_first,omitempty"`
}

// RecordingPolicy decides at each initial INVITE whether the call is to
// be recorded from its answer, may be recorded on demand, and with which
// profile and labels. It runs on the transaction's goroutine, must not
// block and must have no side effects: the proxy calls the Anchor's
// Record (when it implements Recorder) only once the call is answered
// and anchored. With Config.AnchorOnRecord the decision also says
// whether the call is anchored at all.
type RecordingPolicy func(ctx context.Context, c Call) Decision

// Config is what a Server needs. Zero values are documented per field.
type Config struct {
	// UDP, TCP and TLS are the listen addresses ("127.0.0.1:5060"; port
	// 0 picks one). At least one is required; "" disables that transport.
	UDP, TCP, TLS string
	// TLSConfig holds the TLS listener's certificate (required with
	// TLS; tls.go).
	TLSConfig *tls.Config
	// ClientTLSConfig verifies the certificates of TLS next hops
	// (transport=tls or sips: URIs). Nil: the system roots.
	ClientTLSConfig *tls.Config
	// Host is the address put into Via and Record-Route. "": the IP of
	// the UDP (else TCP, else TLS) listen address, which then must not
	// be unspecified.
	Host string
	// Router finds destinations of initial requests (required).
	Router Router
	// Locations, when set, makes the proxy a registrar: REGISTER is
	// answered from it.
	Locations Locations
	// Anchor, when set, anchors media of INVITE/UPDATE/ACK bodies.
	Anchor Anchor
	// FailClosed answers 503 when the Anchor fails on an initial offer.
	// By default (fail-open) the call goes through unanchored, counted in
	// Stats.AnchorFailures and logged as a warning.
	FailClosed bool
	// Recording is consulted for every initial INVITE. Nil: record
	// nothing at answer; Server.Record may still record on demand.
	Recording RecordingPolicy
	// AnchorOnRecord leaves calls that are not to be recorded at their
	// answer unanchored: media flows directly between the parties and
	// uses no node ports. Server.Record anchors such a call later with
	// re-INVITEs (midcall.go). False (default): every call is anchored.
	AnchorOnRecord bool
	// ReinviteTimeout bounds each re-INVITE of a mid-call anchoring.
	// Zero: 8 s.
	ReinviteTimeout time.Duration
	// InviteTimeout is Timer C (RFC 3261 §16.6 step 11, §16.8): how
	// long an INVITE may go without a final response before the proxy
	// CANCELs its branches and answers 408. Zero: 181 s (Timer C must
	// exceed 3 minutes).
	InviteTimeout time.Duration
	// DialogTimeout bounds how long the media state of a call is kept
	// without a BYE. Zero: 12 hours.
	DialogTimeout time.Duration
	// Logger receives call events (never per message). Nil: discard.
	Logger *slog.Logger
	// Limits bounds message size and the request rate per source IP
	// (limits.go). Zero: the defaults documented on Limits.
	Limits Limits
	// StreamIdleTimeout closes TCP and TLS connections accepted by the
	// proxy that send nothing (not even a CRLF keepalive) for this long.
	// Zero: 30 minutes.
	StreamIdleTimeout time.Duration
	// Auth, when set, authenticates users with digest and lets trunks
	// in by source address (auth.go). Nil: no authentication.
	Auth *Auth
}

// Stats are the proxy's counters.
type Stats struct {
	Requests        uint64 // requests received (including ACK)
	AnchorFailures  uint64 // offers/answers forwarded unanchored (fail-open) or refused (fail-closed)
	Calls           uint64 // initial INVITEs answered 2xx
	Invites         uint64 // initial INVITEs received (a challenged INVITE and its retry with credentials are two)
	Dialogs         int    // calls with media state now
	Oversized       uint64 // UDP datagrams dropped for exceeding Limits.MaxMessageSize
	RateLimited     uint64 // requests dropped (UDP) or answered 503 (TCP) over the per-source rate
	Invalid         uint64 // parsed requests refused as malformed (limits.go invalid: 400, 416, 505)
	AuthChallenges  uint64 // 401/407 challenges sent (stale nonces included)
	AuthFailures    uint64 // credentials refused: 403 (wrong password, unknown user, user mismatch) or 400 (malformed)
	TrunkRequests   uint64 // initial requests let in without authentication by the trunk allow-list
	MidCallAnchored uint64 // calls moved through the node by re-INVITEs
	MidCallFailures uint64 // mid-call anchorings that failed (call left unanchored)
}

// Server is a stateful SIP proxy. New binds its sockets; Serve runs it
// until ctx ends or Close is called.
type Server struct {
	cfg    Config
	log    *slog.Logger
	ua     *sipgo.UserAgent
	srv    *sipgo.Server
	client *sipgo.Client
	host   string
	udp    net.PacketConn
	tcp    net.Listener
	tls    net.Listener
	ports  map[string]int // "udp"/"tcp"/"tls" -> bound port

	calls  calls
	guard  *guard
	nonces *nonces
	// algorithms are the digest algorithms offered (Auth.Algorithms).
	algorithms []string

	requests, anchorFailures, answered          atomic.Uint64
	invites                                     atomic.Uint64 // initial INVITEs received
	authChallenges, authFailures, trunkRequests atomic.Uint64
	midAnchored, midFailures                    atomic.Uint64

	closeOnce sync.Once
	closed    chan struct{}
	served    atomic.Bool
}

// New validates cfg and binds the listen sockets.
func New(cfg Config) (*Server, error) {
	if cfg.Router == nil {
		return nil, fmt.Errorf("proxy: config: Router is required")
	}
	if cfg.UDP == "" && cfg.TCP == "" && cfg.TLS == "" {
		return nil, fmt.Errorf("proxy: config: no UDP, TCP or TLS listen address")
	}
	if cfg.TLS != "" && (cfg.TLSConfig == nil || len(cfg.TLSConfig.Certificates) == 0 && cfg.TLSConfig.GetCertificate == nil) {
		return nil, fmt.Errorf("proxy: config: TLS listener without a certificate")
	}
	if cfg.StreamIdleTimeout <= 0 {
		cfg.StreamIdleTimeout = 30 * time.Minute
	}
	if cfg.InviteTimeout == 0 {
		cfg.InviteTimeout = 181 * time.Second
	}
	if cfg.DialogTimeout == 0 {
		cfg.DialogTimeout = 12 * time.Hour
	}
	if cfg.ReinviteTimeout == 0 {
		cfg.ReinviteTimeout = 8 * time.Second
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Server{cfg: cfg, log: log.With("component", "proxy"), ports: map[string]int{}, closed: make(chan struct{})}
	s.calls.m = make(map[string]*call)
	s.guard = newGuard(cfg.Limits, nil)
	if cfg.Auth != nil {
		ttl := cfg.Auth.NonceTTL
		if ttl <= 0 {
			ttl = 5 * time.Minute
		}
		if cfg.Auth.Realm != "" && !safeRealm(cfg.Auth.Realm) {
			return nil, fmt.Errorf("proxy: config: realm %q has quotes, backslashes or control characters", cfg.Auth.Realm)
		}
		s.nonces = newNonces(cfg.Auth.Secret, ttl)
		s.algorithms = cfg.Auth.Algorithms
		if len(s.algorithms) == 0 {
			s.algorithms = []string{"MD5"}
		}
		for i, a := range s.algorithms {
			if a != "MD5" && a != "SHA-256" || slices.Contains(s.algorithms[:i], a) {
				return nil, fmt.Errorf("proxy: config: digest algorithms %q: want MD5 and/or SHA-256, once each", s.algorithms)
			}
		}
	}
	var err error
	host := cfg.Host
	if cfg.UDP != "" {
		if s.udp, err = net.ListenPacket("udp", cfg.UDP); err != nil {
			return nil, fmt.Errorf("proxy: %w", err)
		}
		a := s.udp.LocalAddr().(*net.UDPAddr)
		s.ports["udp"] = a.Port
		if host == "" {
			host = a.IP.String()
		}
	}
	if cfg.TCP != "" {
		if s.tcp, err = net.Listen("tcp", cfg.TCP); err != nil {
			s.closeSockets()
			return nil, fmt.Errorf("proxy: %w", err)
		}
		s.tcp = idleListener{Listener: s.tcp, idle: cfg.StreamIdleTimeout}
		a := s.tcp.Addr().(*net.TCPAddr)
		s.ports["tcp"] = a.Port
		if host == "" {
			host = a.IP.String()
		}
	}
	if cfg.TLS != "" {
		if s.tls, err = listenTLS(cfg.TLS, cfg.TLSConfig, cfg.StreamIdleTimeout); err != nil {
			s.closeSockets()
			return nil, err
		}
		a := s.tls.Addr().(*net.TCPAddr)
		s.ports["tls"] = a.Port
		if host == "" {
			host = a.IP.String()
		}
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		s.closeSockets()
		return nil, fmt.Errorf("proxy: config: Host is required with a wildcard listen address")
	}
	s.host = host
	// sipgo logs transport and transaction trouble (at most per
	// message, never per packet); it goes to the proxy's logger.
	libLog := s.log.With("lib", "sipgo")
	if s.ua, err = sipgo.NewUA(sipgo.WithUserAgent("callrec"), sipgo.WithUserAgentHostname(host),
		sipgo.WithUserAgenTLSConfig(clientTLS(cfg.ClientTLSConfig)),
		sipgo.WithUserAgentDNSResolver(dnsResolver),
		sipgo.WithUserAgentParser(sip.NewParser(func(p *sip.Parser) { p.MaxMessageLength = s.guard.maxMsg })),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(libLog), sip.WithTransportLayerReadFilter(s.guard.filter)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(libLog),
			sip.WithTransactionLayerUnhandledResponseHandler(s.strayResponse))); err != nil {
		s.closeSockets()
		return nil, fmt.Errorf("proxy: %w", err)
	}
	if s.srv, err = sipgo.NewServer(s.ua, sipgo.WithServerLogger(libLog)); err != nil {
		s.closeSockets()
		return nil, fmt.Errorf("proxy: %w", err)
	}
	if s.client, err = sipgo.NewClient(s.ua, sipgo.WithClientHostname(host), sipgo.WithClientLogger(libLog)); err != nil {
		s.closeSockets()
		return nil, fmt.Errorf("proxy: %w", err)
	}
	s.srv.OnNoRoute(s.guard.limitStream(s.handleRequest))
	s.srv.OnAck(s.handleAck)
	s.srv.OnCancel(s.handleStrayCancel)
	s.srv.OnRegister(s.guard.limitStream(s.handleRegister))
	return s, nil
}

// Addr returns the bound address of network "udp", "tcp" or "tls" (""
// when not listening on it).
func (s *Server) Addr(network string) string {
	p, ok := s.ports[network]
	if !ok {
		return ""
	}
	return net.JoinHostPort(s.host, strconv.Itoa(p))
}

// Stats returns the counters.
func (s *Server) Stats() Stats {
	return Stats{
		Requests: s.requests.Load(), AnchorFailures: s.anchorFailures.Load(),
		Calls: s.answered.Load(), Invites: s.invites.Load(), Dialogs: s.calls.len(),
		Oversized: s.guard.oversized.Load(), RateLimited: s.guard.rateLimited.Load(), Invalid: s.guard.invalid.Load(),
		AuthChallenges: s.authChallenges.Load(), AuthFailures: s.authFailures.Load(), TrunkRequests: s.trunkRequests.Load(),
		MidCallAnchored: s.midAnchored.Load(), MidCallFailures: s.midFailures.Load(),
	}
}

// Serve reads from the sockets until ctx ends or Close is called, then
// closes them and returns nil (ErrClosed if called twice). It runs one
// reader goroutine per socket (plus one per TCP connection, sipgo's), and
// a sweeper for stale call state.
func (s *Server) Serve(ctx context.Context) error {
	if !s.served.CompareAndSwap(false, true) {
		return ErrClosed
	}
	var wg sync.WaitGroup
	if s.udp != nil {
		wg.Add(1)
		go func() { defer wg.Done(); _ = s.srv.ServeUDP(s.udp) }()
		// Requests forwarded over UDP are sent from the listening socket
		// (prepare sets Laddr), which sipgo finds in its pool only once
		// ServeUDP registered it; until then it would try to bind the
		// address again and fail. So wait for it before taking requests
		// over TCP.
		pool, addr := s.ua.TransportLayer().Pool("udp"), s.udp.LocalAddr().String()
		for i := 0; i < 1000 && pool.Get(addr) == nil; i++ {
			time.Sleep(time.Millisecond)
		}
	}
	if s.tcp != nil {
		wg.Add(1)
		go func() { defer wg.Done(); _ = s.srv.ServeTCP(s.tcp) }()
	}
	if s.tls != nil {
		wg.Add(1)
		go func() { defer wg.Done(); _ = s.srv.ServeTLS(s.tls) }()
	}
	t := time.NewTicker(time.Minute)
	defer t.Stop()
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-s.closed:
			break loop
		case now := <-t.C:
			for _, c := range s.calls.expired(now.Add(-s.cfg.DialogTimeout)) {
				s.deleteMedia(c.id, c.fromTag, c.toTag)
			}
		}
	}
	s.closeSockets()
	wg.Wait()
	_ = s.ua.Close()
	return nil
}

// Close stops Serve. Transactions in flight are abandoned.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { close(s.closed) })
	if !s.served.Load() {
		s.closeSockets()
	}
	return nil
}

func (s *Server) closeSockets() {
	if s.udp != nil {
		s.udp.Close()
	}
	if s.tcp != nil {
		s.tcp.Close()
	}
	if s.tls != nil {
		s.tls.Close()
	}
}
