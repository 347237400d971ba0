package media

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Config is what a Manager needs. Zero durations and counts take the
// defaults documented on each field.
type Config struct {
	// Listen is the address RTP sockets bind to (required).
	Listen netip.Addr
	// Advertise is put in replies instead of Listen when valid.
	Advertise netip.Addr
	// PortMin and PortMax bound the port range (required).
	PortMin, PortMax int
	// FirstFree allocates the lowest free pair (the seed's behaviour)
	// instead of a random one. Random is the default: predictable ports
	// make RTP injection easier.
	FirstFree bool
	// Timeout ends a stream silent on both sides this long. Zero: 60s.
	Timeout time.Duration
	// SetupTimeout ends a stream offered but neither answered nor carrying
	// media this long. Zero: 60s.
	SetupTimeout time.Duration
	// RelatchWindow is how long after a re-signal a latched party may
	// change source address. Zero: 3s.
	RelatchWindow time.Duration
	// Workers is the number of relay loops. Zero: GOMAXPROCS.
	Workers int
	// MaxSessions refuses new streams beyond this many. Zero: no limit.
	MaxSessions int
	// Taps starts recordings. Nil: R is accepted and nothing is recorded.
	Taps TapFactory
	// Logger receives session events (never per-packet). Nil: discard.
	Logger *slog.Logger
}

// Offer is one U or L request: what the controller signalled for one
// party of one media stream.
type Offer struct {
	CallID     string
	FromTag    string
	ToTag      string
	MediaNum   int            // 1-based m-line number; 0 is taken as 1
	Addr       netip.AddrPort // the party's RTP address; 0.0.0.0 or port 0 is hold
	Asymmetric bool
	Codecs     []int
}

// Manager owns the media node's streams, ports and relay workers. Its
// methods are safe for concurrent use. New starts Workers relay
// goroutines and one timer goroutine; Close stops them all and waits.
type Manager struct {
	cfg     Config
	log     *slog.Logger
	pool    *portPool
	workers []*worker
	wg      sync.WaitGroup // workers and the timer
	tapWG   sync.WaitGroup // taps being closed
	done    chan struct{}

	mu      sync.Mutex
	calls   map[string][]*stream
	streams int
	closing bool
	next    int // round-robin worker

	created, deleted, timedOut, exhausted atomic.Uint64
	quality                               quality // per-stream loss and jitter, observed in remove
}

// New validates cfg, creates the workers and starts them.
func New(cfg Config) (*Manager, error) {
	if !cfg.Listen.IsValid() {
		return nil, fmt.Errorf("%w: listen address unset", ErrBadAddress)
	}
	if cfg.PortMin <= 0 || cfg.PortMax > 65535 || cfg.PortMax-cfg.PortMin < 1 {
		return nil, fmt.Errorf("media: bad port range %d-%d", cfg.PortMin, cfg.PortMax)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 60 * time.Second
	}
	if cfg.SetupTimeout <= 0 {
		cfg.SetupTimeout = 60 * time.Second
	}
	if cfg.RelatchWindow <= 0 {
		cfg.RelatchWindow = 3 * time.Second
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	m := &Manager{
		cfg:     cfg,
		log:     cfg.Logger,
		pool:    newPortPool(cfg.Listen, cfg.PortMin, cfg.PortMax, !cfg.FirstFree),
		calls:   make(map[string][]*stream),
		done:    make(chan struct{}),
		quality: newQuality(),
	}
	for i := 0; i < cfg.Workers; i++ {
		w, err := newWorker(cfg.RelatchWindow, m.release, m.closeTap)
		if err != nil {
			for _, w := range m.workers {
				w.post(workerOp{shutdown: true})
			}
			return nil, fmt.Errorf("media: worker: %w", err)
		}
		m.workers = append(m.workers, w)
	}
	// Each worker keeps a P while it waits in epoll (see epollWait): give
	// the rest of the process as many Ps as it had.
	addWorkers(len(m.workers))
	for _, w := range m.workers {
		m.wg.Add(1)
		go func() { defer m.wg.Done(); w.run() }()
	}
	m.wg.Add(1)
	go func() { defer m.wg.Done(); m.expire() }()
	return m, nil
}

// advertised returns the address put in replies.
func (m *Manager) advertised() netip.Addr {
	if m.cfg.Advertise.IsValid() {
		return m.cfg.Advertise
	}
	return m.cfg.Listen
}

// Advertised is the address the node puts in replies.
func (m *Manager) Advertised() netip.Addr { return m.advertised() }

// find returns the stream of o's call and media number whose caller tag
// is o.FromTag (party 0) or o.ToTag (party 1), as rtpproxy matches.
// Callers hold m.mu.
func (m *Manager) find(callID, fromTag, toTag string, mediaNum int) (*stream, int) {
	for _, s := range m.calls[callID] {
		if s.mediaNum != mediaNum {
			continue
		}
		if s.fromTag == fromTag {
			return s, caller
		}
		if toTag != "" && s.fromTag == toTag {
			return s, callee
		}
	}
	return nil, -1
}

// Update handles U: it creates the stream when none matches, records
// the signalling party's address and returns where the other party must
// send (the address and port to put into the SDP sent onwards).
func (m *Manager) Update(o Offer) (netip.AddrPort, error) { return m.signal(o, false) }

// Lookup handles L: it never creates a stream. The signalling party is
// the one answering the last offer (rtpproxy inverts the match of U).
func (m *Manager) Lookup(o Offer) (netip.AddrPort, error) { return m.signal(o, true) }

// signal is U (lookup false) or L (lookup true).
func (m *Manager) signal(o Offer, lookup bool) (netip.AddrPort, error) {
	if err := checkOffer(&o, m.cfg.Listen); err != nil {
		return netip.AddrPort{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closing {
		return netip.AddrPort{}, ErrShutdown
	}
	s, party := m.find(o.CallID, o.FromTag, o.ToTag, o.MediaNum)
	switch {
	case s == nil && lookup:
		return netip.AddrPort{}, fmt.Errorf("%w: call %q tags %q/%q", ErrNoSession, o.CallID, o.FromTag, o.ToTag)
	case s == nil:
		var err error
		if s, err = m.create(o); err != nil {
			return netip.AddrPort{}, err
		}
		party = caller
	case lookup:
		party = 1 - party
	}
	// The To tag names the callee: learnt from the first answer, or from
	// an offer that already carries it.
	if s.toTag == "" && o.ToTag != "" && (party == callee) == lookup {
		s.toTag = o.ToTag
	}
	if o.Codecs != nil {
		s.codecs = o.Codecs
	}
	if lookup {
		s.answered.Store(true)
	}
	s.setPeer(party, o.Addr, o.Asymmetric, time.Now().UnixNano())
	return netip.AddrPortFrom(m.advertised(), uint16(s.port(1-party))), nil
}

func checkOffer(o *Offer, listen netip.Addr) error {
	if o.CallID == "" || o.FromTag == "" {
		return fmt.Errorf("%w: empty call-id or tag", ErrBadAddress)
	}
	if o.MediaNum <= 0 {
		o.MediaNum = 1
	}
	a := o.Addr.Addr()
	if a.IsValid() && !a.IsUnspecified() && (a.Is6() && !a.Is4In6()) != (listen.Is6() && !listen.Is4In6()) {
		return fmt.Errorf("%w: remote %s, node listens on %s", ErrAddressFamily, a, listen)
	}
	return nil
}

// create binds a stream's sockets and hands them to a worker. Callers
// hold m.mu.
func (m *Manager) create(o Offer) (*stream, error) {
	if m.cfg.MaxSessions > 0 && m.streams >= m.cfg.MaxSessions {
		return nil, fmt.Errorf("%w: %d streams", ErrOverload, m.streams)
	}
	s := &stream{callID: o.CallID, fromTag: o.FromTag, toTag: o.ToTag, mediaNum: o.MediaNum, created: time.Now().UnixNano()}
	for p := 0; p < 2; p++ {
		pr, err := m.pool.get()
		if err != nil {
			m.exhausted.Add(1)
			if p == 1 {
				closePair(s.pairs[0])
				m.pool.put(s.pairs[0])
			}
			return nil, err
		}
		s.pairs[p] = pr
		s.ep[p][kindRTP] = &endpoint{fd: pr.rtpFD, port: pr.port, s: s, party: uint8(p), kind: kindRTP}
		s.ep[p][kindRTCP] = &endpoint{fd: pr.rtcpFD, port: pr.port + 1, s: s, party: uint8(p), kind: kindRTCP}
	}
	s.w = m.workers[m.next%len(m.workers)]
	m.next++
	m.calls[o.CallID] = append(m.calls[o.CallID], s)
	m.streams++
	m.created.Add(1)
	s.w.post(workerOp{add: s})
	m.log.Debug("stream created", "call_id", o.CallID, "from_tag", o.FromTag, "media", o.MediaNum,
		"ports", []int{s.port(0), s.port(1)})
	return s, nil
}

// Delete handles D: it ends every stream of the call that matches the
// tags in either orientation (all media numbers) and reports how many.
func (m *Manager) Delete(callID, fromTag, toTag string) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, s := range m.calls[callID] {
		if s.fromTag == fromTag || (toTag != "" && s.fromTag == toTag) {
			m.remove(s, "deleted")
			n++
		}
	}
	if n == 0 {
		return 0, fmt.Errorf("%w: call %q tags %q/%q", ErrNoSession, callID, fromTag, toTag)
	}
	return n, nil
}

// DeleteAll handles X: it ends every stream and reports how many.
func (m *Manager) DeleteAll() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, ss := range m.calls {
		for _, s := range ss {
			m.remove(s, "deleted")
			n++
		}
	}
	return n
}

// remove takes s out of the table and has its worker close it. Callers
// hold m.mu.
func (m *Manager) remove(s *stream, why string) {
	ss := m.calls[s.callID]
	for i, x := range ss {
		if x == s {
			ss = append(ss[:i], ss[i+1:]...)
			break
		}
	}
	if len(ss) == 0 {
		delete(m.calls, s.callID)
	} else {
		m.calls[s.callID] = ss
	}
	m.streams--
	m.deleted.Add(1)
	m.quality.observe(s)
	s.w.post(workerOp{remove: s})
	m.log.Debug("stream ended", "call_id", s.callID, "media", s.mediaNum, "reason", why)
}

// release runs on the stream's worker once its sockets are closed.
func (m *Manager) release(s *stream) {
	m.pool.put(s.pairs[0])
	m.pool.put(s.pairs[1])
}

// closeTap closes a tap off the relay goroutine; Close waits for it.
func (m *Manager) closeTap(t Tap) {
	m.tapWG.Add(1)
	go func() {
		defer m.tapWG.Done()
		if err := t.Close(); err != nil {
			m.log.Warn("closing recording", "err", err)
		}
	}()
}

// expire ends streams past their inactivity or setup timeout.
func (m *Manager) expire() {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-m.done:
			return
		case <-tick.C:
		}
		now := time.Now().UnixNano()
		m.mu.Lock()
		for _, ss := range m.calls {
			for _, s := range slicesClone(ss) {
				last := s.lastActivity()
				switch {
				case now-last > int64(m.cfg.Timeout):
					m.remove(s, "timeout")
					m.timedOut.Add(1)
				case !s.answered.Load() && last == s.signal.Load() && now-s.created > int64(m.cfg.SetupTimeout):
					m.remove(s, "setup timeout")
					m.timedOut.Add(1)
				}
			}
		}
		m.mu.Unlock()
	}
}

func slicesClone(ss []*stream) []*stream { return append([]*stream(nil), ss...) }

// Close ends every stream, stops the workers and the timer, and waits
// for them and for recordings being closed, or for ctx.
func (m *Manager) Close(ctx context.Context) error {
	m.mu.Lock()
	if m.closing {
		m.mu.Unlock()
		return nil
	}
	m.closing = true
	for _, ss := range m.calls {
		for _, s := range slicesClone(ss) {
			m.remove(s, "shutdown")
		}
	}
	m.mu.Unlock()
	close(m.done)
	for _, w := range m.workers {
		w.post(workerOp{shutdown: true})
	}
	finished := make(chan struct{})
	go func() { m.wg.Wait(); addWorkers(-len(m.workers)); m.tapWG.Wait(); close(finished) }()
	select {
	case <-finished:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
