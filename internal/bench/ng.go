package bench

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// ngClient speaks rtpengine's ng protocol: "COOKIE <bencoded dict>" over
// UDP, answered by "COOKIE <bencoded dict>" with a "result" key.
type ngClient struct {
	conn  *net.UDPConn
	relay netip.Addr
	buf   []byte
}

func newNG(hostport string) (*ngClient, error) {
	ap, err := netip.ParseAddrPort(hostport)
	if err != nil {
		return nil, fmt.Errorf("%w: control ng:%s: %v", ErrConfig, hostport, err)
	}
	conn, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(ap))
	if err != nil {
		return nil, fmt.Errorf("bench: control: %w", err)
	}
	return &ngClient{conn: conn, relay: ap.Addr(), buf: make([]byte, 65536)}, nil
}

func (n *ngClient) do(ctx context.Context, req map[string]any) (map[string]any, error) {
	cookie := newCookie()
	msg, err := AppendBencode([]byte(cookie+" "), req)
	if err != nil {
		return nil, err
	}
	for try := 0; try < controlTries; try++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if _, err := n.conn.Write(msg); err != nil {
			return nil, fmt.Errorf("bench: control: %w", err)
		}
		deadline := time.Now().Add(controlTimeout)
		if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
			deadline = d
		}
		n.conn.SetReadDeadline(deadline)
		for {
			k, err := n.conn.Read(n.buf)
			if err != nil {
				break
			}
			got, body, ok := bytes.Cut(n.buf[:k], []byte(" "))
			if !ok || string(got) != cookie {
				continue
			}
			v, err := DecodeBencode(body)
			if err != nil {
				return nil, err
			}
			d, _ := v.(map[string]any)
			if d == nil {
				return nil, fmt.Errorf("%w: reply is not a dictionary", ErrControl)
			}
			if r, _ := d["result"].(string); r != "ok" {
				return nil, fmt.Errorf("%w: %s: result %q: %v", ErrControl, req["command"], r, d["error-reason"])
			}
			return d, nil
		}
	}
	return nil, fmt.Errorf("%w: ng %s after %d tries", ErrTimeout, req["command"], controlTries)
}

func (n *ngClient) Offer(ctx context.Context, c CallIDs, a netip.AddrPort) (netip.AddrPort, error) {
	return n.media(ctx, map[string]any{
		"command": "offer", "call-id": c.CallID, "from-tag": c.FromTag, "sdp": MakeSDP(a),
	})
}

func (n *ngClient) Answer(ctx context.Context, c CallIDs, a netip.AddrPort) (netip.AddrPort, error) {
	return n.media(ctx, map[string]any{
		"command": "answer", "call-id": c.CallID, "from-tag": c.FromTag, "to-tag": c.ToTag, "sdp": MakeSDP(a),
	})
}

func (n *ngClient) media(ctx context.Context, req map[string]any) (netip.AddrPort, error) {
	d, err := n.do(ctx, req)
	if err != nil {
		return netip.AddrPort{}, err
	}
	sdp, _ := d["sdp"].(string)
	ap, err := ParseSDPAudio(sdp)
	if err != nil {
		return netip.AddrPort{}, err
	}
	if ap.Addr().IsUnspecified() {
		ap = netip.AddrPortFrom(n.relay, ap.Port())
	}
	return ap, nil
}

func (n *ngClient) Record(ctx context.Context, c CallIDs) error {
	_, err := n.do(ctx, map[string]any{"command": "start recording", "call-id": c.CallID, "from-tag": c.FromTag})
	return err
}

func (n *ngClient) Delete(ctx context.Context, c CallIDs) error {
	_, err := n.do(ctx, map[string]any{"command": "delete", "call-id": c.CallID, "from-tag": c.FromTag})
	return err
}

func (n *ngClient) Close() error { return n.conn.Close() }

// MakeSDP returns a minimal SDP offering PCMU (payload type 0) at a.
func MakeSDP(a netip.AddrPort) string {
	ip := "IP4"
	if a.Addr().Is6() && !a.Addr().Is4In6() {
		ip = "IP6"
	}
	return fmt.Sprintf("v=0\r\no=- %d 1 IN %s %s\r\ns=callrec-bench\r\nc=IN %s %s\r\nt=0 0\r\n"+
		"m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\na=sendrecv\r\n",
		a.Port(), ip, a.Addr(), ip, a.Addr(), a.Port())
}

// ParseSDPAudio returns the connection address and port of the first
// m=audio section of sdp (a media-level c= overrides the session one).
func ParseSDPAudio(sdp string) (netip.AddrPort, error) {
	var sess, media netip.Addr
	port := -1
	inOther := false // inside an m= section that is not the chosen audio one
	for _, line := range strings.Split(sdp, "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.HasPrefix(line, "m=") && port >= 0 {
			break // past the audio section
		}
		switch {
		case strings.HasPrefix(line, "c="):
			f := strings.Fields(line[2:])
			if len(f) < 3 {
				continue
			}
			a, err := netip.ParseAddr(strings.SplitN(f[2], "/", 2)[0])
			if err != nil {
				continue
			}
			switch {
			case port >= 0:
				media = a
			case !inOther:
				sess = a
			}
		case strings.HasPrefix(line, "m="):
			inOther = true
			f := strings.Fields(line[2:])
			if len(f) >= 2 && f[0] == "audio" {
				if p, err := strconv.ParseUint(f[1], 10, 16); err == nil {
					port = int(p)
				}
			}
		}
	}
	if port <= 0 {
		return netip.AddrPort{}, fmt.Errorf("%w: no m=audio port in SDP", ErrControl)
	}
	addr := sess
	if media.IsValid() {
		addr = media
	}
	if !addr.IsValid() {
		return netip.AddrPort{}, fmt.Errorf("%w: no c= address in SDP", ErrControl)
	}
	return netip.AddrPortFrom(addr, uint16(port)), nil
}
