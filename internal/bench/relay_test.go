package bench

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

func mustAP(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

// fakeRelay is a minimal RTP relay for tests: it answers the rtpproxy
// UDP protocol (U/L/R/D) and the ng protocol (offer/answer/delete) on one
// control socket, and forwards each leg to the address given in the
// command, without latching.
type fakeRelay struct {
	t       *testing.T
	ctl     *net.UDPConn
	mu      sync.Mutex
	calls   map[string]*fakeCall
	wg      sync.WaitGroup
	deletes atomic.Int64
	records atomic.Int64
}

type fakeCall struct {
	toCaller, toCallee *net.UDPConn // U/offer port, L/answer port
	callerDst          netip.AddrPort
}

func startFakeRelay(t *testing.T) *fakeRelay {
	ctl, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(mustAP("127.0.0.1:0")))
	if err != nil {
		t.Fatal(err)
	}
	r := &fakeRelay{t: t, ctl: ctl, calls: map[string]*fakeCall{}}
	r.wg.Go(r.serve)
	t.Cleanup(func() {
		ctl.Close()
		r.mu.Lock()
		for _, c := range r.calls {
			c.close()
		}
		r.mu.Unlock()
		r.wg.Wait()
	})
	return r
}

func (r *fakeRelay) addr() string { return r.ctl.LocalAddr().String() }

func (c *fakeCall) close() {
	c.toCaller.Close()
	if c.toCallee != nil {
		c.toCallee.Close()
	}
}

// leg opens a relay port that forwards what it receives to dst.
func (r *fakeRelay) leg(dst netip.AddrPort) *net.UDPConn {
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(mustAP("127.0.0.1:0")))
	if err != nil {
		r.t.Error(err)
		return nil
	}
	r.wg.Go(func() {
		buf := make([]byte, 2048)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			conn.WriteToUDPAddrPort(buf[:n], dst)
		}
	})
	return conn
}

func port(c *net.UDPConn) int { return c.LocalAddr().(*net.UDPAddr).Port }

func (r *fakeRelay) serve() {
	buf := make([]byte, 65536)
	for {
		n, from, err := r.ctl.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		cookie, body, _ := bytes.Cut(buf[:n], []byte(" "))
		var reply string
		if len(body) > 0 && body[0] == 'd' {
			reply = r.ng(body)
		} else {
			reply = r.rtpp(strings.Fields(string(body)))
		}
		r.ctl.WriteToUDPAddrPort([]byte(string(cookie)+" "+reply), from)
	}
}

// handle applies one operation; addr is the media address of the side
// that sent the offer/answer.
func (r *fakeRelay) handle(op, callID string, addr netip.AddrPort) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.calls[callID]
	switch op {
	case "U":
		if c == nil {
			c = &fakeCall{callerDst: addr, toCaller: r.leg(addr)}
			r.calls[callID] = c
		}
		return port(c.toCaller), nil
	case "L":
		if c == nil {
			return 0, fmt.Errorf("no call")
		}
		if c.toCallee == nil {
			c.toCallee = r.leg(addr)
		}
		return port(c.toCallee), nil
	case "D":
		if c == nil {
			return 0, fmt.Errorf("no call")
		}
		c.close()
		delete(r.calls, callID)
		r.deletes.Add(1)
	case "R":
		r.records.Add(1)
	}
	return 0, nil
}

func (r *fakeRelay) rtpp(f []string) string {
	if len(f) < 2 {
		return "E1"
	}
	var addr netip.AddrPort
	if f[0] == "U" || f[0] == "L" {
		if len(f) < 5 {
			return "E1"
		}
		a, err := netip.ParseAddrPort(f[2] + ":" + f[3])
		if err != nil {
			return "E2"
		}
		addr = a
	}
	p, err := r.handle(f[0], f[1], addr)
	if err != nil {
		return "E8"
	}
	if f[0] == "U" || f[0] == "L" {
		return fmt.Sprintf("%d 127.0.0.1\n", p)
	}
	return "0\n"
}

func (r *fakeRelay) ng(body []byte) string {
	v, err := DecodeBencode(body)
	d, _ := v.(map[string]any)
	if err != nil || d == nil {
		return "d6:result5:errore"
	}
	ops := map[string]string{"offer": "U", "answer": "L", "delete": "D", "start recording": "R"}
	cmd, _ := d["command"].(string)
	callID, _ := d["call-id"].(string)
	var addr netip.AddrPort
	if sdp, ok := d["sdp"].(string); ok {
		if addr, err = ParseSDPAudio(sdp); err != nil {
			return "d6:result5:errore"
		}
	}
	p, err := r.handle(ops[cmd], callID, addr)
	resp := map[string]any{"result": "ok"}
	if err != nil {
		resp = map[string]any{"result": "error", "error-reason": err.Error()}
	} else if cmd == "offer" || cmd == "answer" {
		resp["sdp"] = MakeSDP(netip.AddrPortFrom(loopback, uint16(p)))
	}
	out, _ := AppendBencode(nil, resp)
	return string(out)
}
