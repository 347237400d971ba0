package demo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Config is a phone's identity and where it registers. The zero values
// of the optional fields are the demo's choices.
type Config struct {
	// User is the phone's user name and AOR user part (alice).
	User string
	// Display is the display name in From ("" for none).
	Display string
	// Proxy is the UDP address (host:port) of the SIP proxy the phone
	// registers to and sends every request through.
	Proxy string
	// IP is the local address of the SIP and RTP sockets; "" is
	// 127.0.0.1.
	IP string
	// Speech is what the phone says in every call: 8 kHz G.711 µ-law
	// samples, looped when the call outlasts it. Required.
	Speech []byte
	// MaxCall ends an answered call the caller never hangs up; 0 is
	// 5 minutes.
	MaxCall time.Duration
	// Logger receives sipgo's own warnings; nil discards them.
	Logger *slog.Logger
}

// Phone is a SIP user agent on one UDP socket: it registers, places
// calls (Call) and answers every INVITE it receives with its own
// speech. Its methods are safe for concurrent use; calls may overlap.
type Phone struct {
	cfg      Config
	proxy    sip.Uri
	ua       *sipgo.UserAgent
	srv      *sipgo.Server
	client   *sipgo.Client
	conn     net.PacketConn
	contact  sip.ContactHeader
	uac      *sipgo.DialogClientCache
	uas      *sipgo.DialogServerCache
	ctx      context.Context // ends with Close: answered calls hang up
	cancel   context.CancelFunc
	mu       sync.Mutex // guards closed against calls joining wg
	closed   bool
	calls    sync.WaitGroup // answered calls
	served   chan struct{}  // closed when the SIP server stops
	answered atomic.Int64
	talking  atomic.Int64 // answered calls not yet ended
}

// NewPhone binds the phone's SIP socket and starts answering.
func NewPhone(cfg Config) (*Phone, error) {
	if cfg.User == "" || len(cfg.Speech) < frame {
		return nil, errors.New("demo: a phone needs a user and speech")
	}
	cfg.IP = cmp.Or(cfg.IP, "127.0.0.1")
	cfg.MaxCall = cmp.Or(cfg.MaxCall, 5*time.Minute)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	host, port, err := net.SplitHostPort(cfg.Proxy)
	if err != nil {
		return nil, fmt.Errorf("demo: proxy address %q: %w", cfg.Proxy, err)
	}
	pport, err := strconv.Atoi(port)
	if err != nil {
		return nil, fmt.Errorf("demo: proxy port %q: %w", port, err)
	}
	p := &Phone{cfg: cfg, proxy: sip.Uri{Scheme: "sip", Host: host, Port: pport}}
	if p.conn, err = net.ListenPacket("udp4", net.JoinHostPort(cfg.IP, "0")); err != nil {
		return nil, fmt.Errorf("demo: sip socket: %w", err)
	}
	local := p.conn.LocalAddr().(*net.UDPAddr)
	log := cfg.Logger.With("component", "demo", "phone", cfg.User)
	if p.ua, err = sipgo.NewUA(sipgo.WithUserAgent(cfg.User), sipgo.WithUserAgentHostname(cfg.IP),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(log)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(log))); err != nil {
		p.conn.Close()
		return nil, fmt.Errorf("demo: %w", err)
	}
	p.srv, _ = sipgo.NewServer(p.ua, sipgo.WithServerLogger(log))
	// Every request leaves from the listening socket, so that the
	// proxy's responses and in-dialog requests find the phone there.
	p.client, err = sipgo.NewClient(p.ua, sipgo.WithClientLogger(log), sipgo.WithClientAddr(local.String()),
		sipgo.WithClientConnectionAddr(local.String()))
	if err != nil {
		p.ua.Close()
		p.conn.Close()
		return nil, fmt.Errorf("demo: %w", err)
	}
	p.contact = sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: cfg.User, Host: cfg.IP, Port: local.Port}}
	p.uac = sipgo.NewDialogClientCache(p.client, p.contact)
	p.uas = sipgo.NewDialogServerCache(p.client, p.contact)
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.srv.OnInvite(p.answer)
	p.srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) { p.uas.ReadAck(req, tx) })
	p.srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		// Either side may hang up: the BYE belongs to a call this
		// phone placed or to one it answered.
		if err := p.uac.ReadBye(req, tx); err == nil {
			return
		}
		if err := p.uas.ReadBye(req, tx); err != nil {
			tx.Respond(sip.NewResponseFromRequest(req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist", nil))
		}
	})
	p.srv.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		tx.Respond(sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil))
	})
	p.served = make(chan struct{})
	go func() { defer close(p.served); p.srv.ServeUDP(p.conn) }()
	// Requests can leave from the socket once sipgo's transport has it
	// in its pool, which ServeUDP does first thing; sipgo signals
	// nothing, so poll (bounded).
	for i := 0; ; i++ {
		if c, _ := p.ua.TransportLayer().GetConnection("udp", local.String()); c != nil {
			break
		}
		if i == 2000 {
			p.Close()
			return nil, errors.New("demo: sipgo did not serve the phone's socket within 2 s")
		}
		time.Sleep(time.Millisecond)
	}
	return p, nil
}

// Addr is the phone's SIP address (its Contact's host:port).
func (p *Phone) Addr() string { return p.conn.LocalAddr().String() }

// Answered is the number of calls the phone has answered.
func (p *Phone) Answered() int64 { return p.answered.Load() }

// aor is the phone's address of record at the proxy's domain.
func (p *Phone) aor(user string) sip.Uri {
	return sip.Uri{Scheme: "sip", User: user, Host: p.proxy.Host, Port: p.proxy.Port}
}

func (p *Phone) from() *sip.FromHeader {
	f := &sip.FromHeader{DisplayName: p.cfg.Display, Address: p.aor(p.cfg.User)}
	f.Params.Add("tag", sip.GenerateTagN(16))
	return f
}

// Register binds the phone's Contact to its AOR at the proxy (RFC 3261
// §10) for an hour.
func (p *Phone) Register(ctx context.Context) error { return p.register(ctx, 3600) }

// Unregister removes the binding Register made (Expires: 0), so that the
// proxy does not fork calls to the phone once it is closed.
func (p *Phone) Unregister(ctx context.Context) error { return p.register(ctx, 0) }

func (p *Phone) register(ctx context.Context, expires uint32) error {
	req := sip.NewRequest(sip.REGISTER, p.proxy)
	req.AppendHeader(&sip.ToHeader{Address: p.aor(p.cfg.User)})
	req.AppendHeader(p.from())
	req.AppendHeader(&p.contact)
	exp := sip.ExpiresHeader(expires)
	req.AppendHeader(&exp)
	res, err := p.client.Do(ctx, req)
	if err != nil {
		return fmt.Errorf("demo: %s REGISTER (expires %d): %w", p.cfg.User, expires, err)
	}
	if !res.IsSuccess() {
		return fmt.Errorf("demo: %s REGISTER (expires %d): %d %s", p.cfg.User, expires, res.StatusCode, res.Reason)
	}
	return nil
}

// Call is what a placed call did.
type Call struct {
	CallID string
	// Talked is the time from the answer to the hang-up.
	Talked time.Duration
	// Sent and Received count the caller's RTP packets each way.
	Sent, Received int64
}

// Call calls user through the proxy, talks for talk (or until the
// callee hangs up or ctx ends) and hangs up. It returns once the BYE is
// answered.
func (p *Phone) Call(ctx context.Context, user string, talk time.Duration) (Call, error) {
	var c Call
	s, err := openStream(p.cfg.IP)
	if err != nil {
		return c, err
	}
	defer s.close()
	inv := sip.NewRequest(sip.INVITE, p.aor(user))
	inv.AppendHeader(p.from())
	inv.AppendHeader(&sip.ToHeader{Address: p.aor(user)})
	inv.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	inv.SetBody(offer(p.cfg.User, p.cfg.IP, s.port()))
	sess, err := p.uac.WriteInvite(ctx, inv)
	if err != nil {
		return c, fmt.Errorf("demo: %s INVITE %s: %w", p.cfg.User, user, err)
	}
	defer sess.Close()
	c.CallID = inv.CallID().Value()
	if err := sess.WaitAnswer(ctx, sipgo.AnswerOptions{}); err != nil {
		return c, fmt.Errorf("demo: %s calling %s: %w", p.cfg.User, user, err)
	}
	target, err := audioTarget(sess.InviteResponse.Body())
	if err != nil {
		sess.Ack(ctx)
		sess.Bye(ctx)
		return c, err
	}
	if err := sess.Ack(ctx); err != nil {
		return c, fmt.Errorf("demo: %s ACK: %w", p.cfg.User, err)
	}
	answered := time.Now()
	s.play(target, p.cfg.Speech)
	sleep(ctx, talk, sess.Context().Done())
	c.Talked = time.Since(answered)
	if sess.LoadState() != sip.DialogStateEnded {
		// The BYE is sent even when ctx has ended: the call must not
		// outlive the demo at the callee and the proxy.
		bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := sess.Bye(bctx); err != nil {
			return c, fmt.Errorf("demo: %s BYE: %w", p.cfg.User, err)
		}
	}
	c.Sent, c.Received = s.sent.Load(), s.recv.Load()
	return c, nil
}

// answer takes an incoming INVITE (in sipgo's handler goroutine): 180,
// 200 with its SDP, then speech until the caller hangs up.
func (p *Phone) answer(req *sip.Request, tx sip.ServerTransaction) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		tx.Respond(sip.NewResponseFromRequest(req, sip.StatusServiceUnavailable, "Service Unavailable", nil))
		return
	}
	p.calls.Add(1)
	p.mu.Unlock()
	defer p.calls.Done()
	sess, err := p.uas.ReadInvite(req, tx)
	if err != nil {
		tx.Respond(sip.NewResponseFromRequest(req, sip.StatusBadRequest, "Bad Request", nil))
		return
	}
	defer sess.Close()
	target, err := audioTarget(req.Body())
	if err != nil {
		sess.Respond(sip.StatusNotAcceptableHere, "Not Acceptable Here", nil)
		return
	}
	s, err := openStream(p.cfg.IP)
	if err != nil {
		sess.Respond(sip.StatusInternalServerError, "Server Internal Error", nil)
		return
	}
	defer s.close()
	sess.Respond(sip.StatusRinging, "Ringing", nil)
	// RespondSDP returns once the ACK arrives (it retransmits the 200
	// until then); the callee talks from there.
	if err := sess.RespondSDP(offer(p.cfg.User, p.cfg.IP, s.port())); err != nil {
		p.cfg.Logger.Warn("demo: answer", "phone", p.cfg.User, "err", err)
		return
	}
	p.answered.Add(1)
	p.talking.Add(1)
	defer p.talking.Add(-1)
	s.play(target, p.cfg.Speech)
	sleep(p.ctx, p.cfg.MaxCall, sess.Context().Done())
	if sess.LoadState() != sip.DialogStateEnded {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		sess.Bye(ctx)
	}
}

// Close hangs up the calls the phone answered, stops its SIP server and
// waits for them. Calls placed with Call end with their ctx.
func (p *Phone) Close() error {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.cancel()
	p.calls.Wait() // their BYEs go out before the socket closes
	p.ua.Close()
	err := p.conn.Close()
	<-p.served
	return err
}
