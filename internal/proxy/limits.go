package proxy

import (
	"bytes"
	"math"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Limits bounds what one source may cost the proxy (issue 5: oversized
// messages and floods from one source are limited and counted). The zero
// value gives the defaults documented per field.
type Limits struct {
	// MaxMessageSize is the largest SIP message accepted, in bytes. Zero:
	// 65535. Over UDP the effective limit is also below sipgo's read
	// buffer (sip.TransportBufferReadSize, 32 KiB): a datagram that fills
	// the buffer may have been truncated and is dropped. Larger datagrams
	// are dropped and counted in Stats.Oversized; over TCP sipgo's
	// stream parser refuses the message and closes the connection.
	MaxMessageSize int
	// Rate is the sustained number of requests per second accepted from
	// one source IP address. Zero: 10000 (high enough for a trunk or a
	// benchmark from one address; set lower for UAs on the Internet).
	// Negative: no rate limit.
	Rate float64
	// Burst is how many requests a source may send at once above Rate.
	// Zero: 2×Rate (at least 1).
	Burst int
	// MaxSources bounds the table of per-source buckets. Zero: 65536.
	MaxSources int
}

func (l Limits) withDefaults() Limits {
	if l.MaxMessageSize <= 0 {
		l.MaxMessageSize = 65535
	}
	if l.Rate == 0 {
		l.Rate = 10000
	}
	if l.Burst <= 0 {
		l.Burst = max(1, int(2*l.Rate))
	}
	if l.MaxSources <= 0 {
		l.MaxSources = 65536
	}
	return l
}

// rateLimiter is a token bucket per source IP address. It is safe for
// concurrent use; one mutex guards the table (a lookup is a map access
// and a little arithmetic, far cheaper than parsing the message it
// guards). The table holds at most max entries: a bucket idle long enough
// to be full again is forgotten, which loses nothing. No goroutine: idle
// entries are swept when the table is full, at most once per second; if
// it is still full, an arbitrary entry is evicted so memory stays bounded
// under a flood of spoofed sources (that source's budget restarts full).
type rateLimiter struct {
	rate  float64 // tokens per second
	burst float64
	max   int
	now   func() time.Time

	mu        sync.Mutex
	buckets   map[netip.Addr]*bucket
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

// newRateLimiter returns nil when rate is negative (no limit).
func newRateLimiter(rate float64, burst, maxSources int, now func() time.Time) *rateLimiter {
	if rate < 0 {
		return nil
	}
	if now == nil {
		now = time.Now
	}
	return &rateLimiter{rate: rate, burst: float64(burst), max: maxSources, now: now,
		buckets: make(map[netip.Addr]*bucket)}
}

// allow takes one token from ip's bucket and reports whether there was one.
func (r *rateLimiter) allow(ip netip.Addr) bool {
	if r == nil {
		return true
	}
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	b, ok := r.buckets[ip]
	if !ok {
		if len(r.buckets) >= r.max {
			r.makeRoom(now)
		}
		b = &bucket{tokens: r.burst, last: now}
		r.buckets[ip] = b
	} else if d := now.Sub(b.last); d > 0 {
		b.tokens = math.Min(r.burst, b.tokens+d.Seconds()*r.rate)
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// makeRoom frees at least one entry; r.mu is held.
func (r *rateLimiter) makeRoom(now time.Time) {
	if now.Sub(r.lastSweep) >= time.Second {
		r.lastSweep = now
		full := r.fillTime()
		for ip, b := range r.buckets {
			if now.Sub(b.last) >= full {
				delete(r.buckets, ip)
			}
		}
	}
	for ip := range r.buckets {
		if len(r.buckets) < r.max {
			break
		}
		delete(r.buckets, ip)
	}
}

// fillTime is how long an empty bucket takes to fill.
func (r *rateLimiter) fillTime() time.Duration {
	if r.rate == 0 {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(r.burst / r.rate * float64(time.Second))
}

// retryAfter is the Retry-After value (whole seconds, at least 1) for a
// refused request: the time one token takes to come back.
func (r *rateLimiter) retryAfter() int {
	if r == nil || r.rate <= 0 {
		return 1
	}
	return max(1, int(math.Ceil(1/r.rate)))
}

// len returns the number of tracked sources.
func (r *rateLimiter) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.buckets)
}

// guard applies Limits to incoming traffic: the UDP datagram filter
// (before sipgo parses anything) and the request handler wrapper for
// stream transports.
type guard struct {
	maxUDP                          int
	maxMsg                          int
	rl                              *rateLimiter
	oversized, rateLimited, invalid atomic.Uint64
}

func newGuard(l Limits, now func() time.Time) *guard {
	l = l.withDefaults()
	return &guard{
		maxUDP: min(l.MaxMessageSize, int(sip.TransportBufferReadSize)-1),
		maxMsg: l.MaxMessageSize,
		rl:     newRateLimiter(l.Rate, l.Burst, l.MaxSources, now),
	}
}

var sipVersionPrefix = []byte("SIP/2.0 ")

// dnsResolver is the resolver sipgo uses for next hops. Tests that feed
// the proxy messages naming hosts on the Internet (the RFC 4475 corpus)
// replace it with one that fails, so that they never leave loopback.
var dnsResolver = net.DefaultResolver

// filter is sipgo's transport read filter. For UDP it drops, before
// parsing, datagrams that are too large (or filled the read buffer and
// may be truncated) and requests from a source over its rate; dropping
// is silent because any reply to a flood can be used to amplify it.
// Responses are not rate limited: they answer requests the proxy sent.
// TCP chunks pass through (they are not messages; see limitStream).
func (g *guard) filter(p sip.TransportReadProps, data []byte) ([]byte, error) {
	if p.Transport != "UDP" {
		return data, nil
	}
	if len(data) > g.maxUDP {
		g.oversized.Add(1)
		return nil, nil
	}
	if bytes.HasPrefix(data, sipVersionPrefix) {
		return data, nil
	}
	if ua, ok := p.RemoteAddr.(*net.UDPAddr); ok {
		if ip, ok := netip.AddrFromSlice(ua.IP); ok && !g.rl.allow(ip.Unmap()) {
			g.rateLimited.Add(1)
			return nil, nil
		}
	}
	return data, nil
}

// limitStream wraps a request handler: a request over a stream transport
// (TCP, TLS) from a source over its rate is answered 503 with
// Retry-After (RFC 3261 §21.5.4) and counted. UDP requests were already
// limited by filter. Then requests sipgo parsed but RFC 3261 forbids are
// refused (see invalid). ACKs are never answered.
func (g *guard) limitStream(h sipgo.RequestHandler) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		if req.IsAck() {
			h(req, tx)
			return
		}
		if code, reason := invalid(req); code != 0 {
			g.invalid.Add(1)
			_ = tx.Respond(sip.NewResponseFromRequest(req, code, reason, nil))
			return
		}
		if req.Transport() == "UDP" {
			h(req, tx)
			return
		}
		ap, err := netip.ParseAddrPort(req.Source())
		if err != nil || g.rl.allow(ap.Addr().Unmap()) {
			h(req, tx)
			return
		}
		g.rateLimited.Add(1)
		res := sip.NewResponseFromRequest(req, sip.StatusServiceUnavailable, "Service Unavailable", nil)
		res.AppendHeader(sip.NewHeader("Retry-After", strconv.Itoa(g.rl.retryAfter())))
		_ = tx.Respond(res)
	}
}

// singletons are the header fields RFC 3261 §7.3 allows once: a request
// with two of them is ambiguous and must not be forwarded (RFC 4475
// §3.3.8 multi01, §3.3.9 mcl01).
var singletons = []string{"Call-ID", "CSeq", "From", "To", "Max-Forwards", "Content-Length", "Content-Type"}

// invalid checks what sipgo's parser accepts but a proxy must refuse
// (RFC 3261 §16.3 request validation, RFC 4475 §3.1.2 and §3.3), and
// returns the status to answer, or 0.
func invalid(req *sip.Request) (int, string) {
	if req.SipVersion != "SIP/2.0" { // RFC 4475 §3.1.2.16 badvers
		return sip.StatusVersionNotSupported, "Version Not Supported"
	}
	for _, name := range singletons {
		if len(req.GetHeaders(name)) > 1 {
			return sip.StatusBadRequest, "Duplicate " + name
		}
	}
	// §3.1.2.17-18 mismatch. sipgo upper-cases the Request-Line method
	// (methods are case-sensitive, RFC 3261 §7.1), so compare folded.
	if cs := req.CSeq(); cs != nil && !strings.EqualFold(string(cs.MethodName), string(req.Method)) {
		return sip.StatusBadRequest, "CSeq Method Mismatch"
	}
	switch req.Recipient.Scheme { // §3.3.2 unkscm, §3.3.3 novelsc (RFC 3261 §8.2.2.1)
	case "sip", "sips", "tel":
	default:
		return 416, "Unsupported URI Scheme"
	}
	if req.Recipient.Headers != nil && req.Recipient.Headers.Length() > 0 { // §3.1.2.11 escruri
		return sip.StatusBadRequest, "Headers In Request-URI"
	}
	return 0, ""
}
