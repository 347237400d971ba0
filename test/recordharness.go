package test

import (
	"context"
	"encoding/binary"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/app"
	"github.com/callrec/callrec/internal/codec"
	"github.com/callrec/callrec/internal/config"
	"github.com/callrec/callrec/internal/record"
	"github.com/callrec/callrec/internal/record/container"
	"github.com/callrec/callrec/internal/rtpp"
)

// ReadWAVMono16 reads a 16-bit PCM WAV fixture as samples (channels
// interleaved).
func ReadWAVMono16(t testing.TB, path string) ([]int16, container.Format) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fm, data, err := container.ReadWAV(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if fm.Encoding != container.EncodingPCM16 {
		t.Fatalf("%s: encoding %s, want pcm16", path, fm.Encoding)
	}
	pcm := make([]int16, len(data)/2)
	for i := range pcm {
		pcm[i] = int16(binary.LittleEndian.Uint16(data[2*i:]))
	}
	return pcm, fm
}

// RecordingNode runs an in-process media node recording into a
// temporary directory, with a UDP control socket.
type RecordingNode struct {
	*app.MediaNode
	Dir string
	ctl *rtpp.Client
	t   testing.TB
}

// realtime bounds how many tests send paced real-time RTP at once: on a
// 2-core machine more of them starve each other's senders, the packets
// arrive late, and the recorder rightly follows the late arrivals.
var realtime = make(chan struct{}, 3)

// StartRecordingNode starts it; mod may change the config. It holds one
// of the real-time slots until the test ends.
func StartRecordingNode(t testing.TB, mod func(*config.Media)) *RecordingNode {
	t.Helper()
	realtime <- struct{}{}
	t.Cleanup(func() { <-realtime })
	c := config.Default().Media
	dir := t.TempDir()
	c.Control = []string{"udp:127.0.0.1:0"}
	c.RecordDir = dir
	base := FreeUDPRange(t, "127.0.0.1", 16)
	c.PortMin, c.PortMax = base, base+15
	if mod != nil {
		mod(&c)
	}
	n, err := app.StartMedia(context.Background(), c, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	cl, err := rtpp.Dial(n.Addrs[0])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cl.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		n.Close(ctx)
	})
	return &RecordingNode{MediaNode: n, Dir: dir, ctl: cl, t: t}
}

// RemoteNode controls a media node running as another process, whose
// recordings go to dir.
func RemoteNode(t testing.TB, control, dir string) *RecordingNode {
	t.Helper()
	cl, err := rtpp.Dial(control)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	return &RecordingNode{Dir: dir, ctl: cl, t: t}
}

// Do sends a control command and fails the test on an error reply.
func (n *RecordingNode) Do(cmd string) string {
	n.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	r, err := n.ctl.Do(ctx, cmd)
	if err != nil {
		n.t.Fatalf("%s: %v", cmd, err)
	}
	return r
}

// Call is one call anchored on the node, with a UDP socket per party.
type Call struct {
	ID                 string
	Caller, Callee     *net.UDPConn
	ToCaller, ToCallee netip.AddrPort // where each party sends
	stop               chan struct{}
}

// Anchor offers and answers a call (U then L) and starts draining what
// the relay sends to each party.
func (n *RecordingNode) Anchor(id string) *Call {
	n.t.Helper()
	c := &Call{ID: id, stop: make(chan struct{})}
	for _, p := range []**net.UDPConn{&c.Caller, &c.Callee} {
		conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			n.t.Fatal(err)
		}
		conn.SetReadBuffer(1 << 20)
		*p = conn
	}
	port := func(c *net.UDPConn) string { return strconv.Itoa(c.LocalAddr().(*net.UDPAddr).Port) }
	pa, addr, err := rtpp.ParsePortReply(n.Do("Uc0,101 " + id + " 127.0.0.1 " + port(c.Caller) + " ftag;1"))
	if err != nil {
		n.t.Fatal(err)
	}
	c.ToCallee = netip.AddrPortFrom(addr, uint16(pa))
	pb, _, err := rtpp.ParsePortReply(n.Do("Lc0,101 " + id + " 127.0.0.1 " + port(c.Callee) + " ftag;1 ttag;1"))
	if err != nil {
		n.t.Fatal(err)
	}
	c.ToCaller = netip.AddrPortFrom(addr, uint16(pb))
	for _, conn := range []*net.UDPConn{c.Caller, c.Callee} {
		go func() {
			b := make([]byte, 2048)
			for {
				if _, _, err := conn.ReadFromUDPAddrPort(b); err != nil {
					return
				}
			}
		}()
	}
	n.t.Cleanup(func() { c.Caller.Close(); c.Callee.Close() })
	return c
}

// Stream is what one party sends: µ-law RTP of pcm, 20 ms a packet.
type Stream struct {
	PCM  []int16 // 8 kHz
	SSRC uint32
	// Impair, if set, returns for packet i whether to send it and how
	// late (jitter) relative to its 20 ms slot.
	Impair func(i int) (send bool, delay time.Duration)
	// SSRCChangeAt and TSJumpAt change the SSRC or jump the timestamp
	// from packet index on (0: never).
	SSRCChangeAt, TSJumpAt int
	// Hold skips packets [HoldFrom, HoldTo) as a party on hold sends none.
	HoldFrom, HoldTo int
	// Frames, when set, are pre-encoded 20 ms payloads sent instead of
	// µ-law of PCM, with payload type PT and timestamp step Step.
	Frames [][]byte
	PT     uint8
	Step   int
	// Replace, if set, may replace packet i (same sequence number) by
	// another payload type, RTP timestamp offset and payload, e.g. an
	// RFC 4733 event during a key press; marker sets the marker bit.
	Replace func(i int) (pt uint8, ts uint32, payload []byte, marker bool, ok bool)
}

// Packets returns the number of 20 ms packets in the stream.
func (s *Stream) Packets() int {
	if s.Frames != nil {
		return len(s.Frames)
	}
	return len(s.PCM) / 160
}

func (s *Stream) packet(i int, buf []byte) []byte {
	step := 160
	if s.Frames != nil {
		step = s.Step
		buf = buf[:12+len(s.Frames[i])]
		copy(buf[12:], s.Frames[i])
	} else {
		buf = buf[:12+160]
		for k := 0; k < 160; k++ {
			buf[12+k] = codec.UlawEncode(s.PCM[i*160+k])
		}
	}
	buf[0], buf[1] = 0x80, s.PT
	ssrc := s.SSRC
	ts := uint32(i*step) + 0x1000
	seq := uint16(i + 100)
	if s.SSRCChangeAt > 0 && i >= s.SSRCChangeAt {
		ssrc ^= 0xffff
		seq += 30000
	}
	if s.TSJumpAt > 0 && i >= s.TSJumpAt {
		ts += 8000 * 3600
	}
	binary.BigEndian.PutUint16(buf[2:], seq)
	binary.BigEndian.PutUint32(buf[4:], ts)
	binary.BigEndian.PutUint32(buf[8:], ssrc)
	if s.Replace != nil {
		if pt, tsOff, payload, marker, ok := s.Replace(i); ok {
			buf = buf[:12+len(payload)]
			copy(buf[12:], payload)
			buf[1] = pt
			if marker {
				buf[1] |= 0x80
			}
			binary.BigEndian.PutUint32(buf[4:], tsOff+0x1000)
		}
	}
	return buf
}

// Play sends both parties' streams through the call in real time, each
// packet at its 20 ms slot (plus any jitter), and returns when done.
func (c *Call) Play(t testing.TB, caller, callee *Stream) {
	t.Helper()
	type ev struct {
		at   time.Duration
		from *net.UDPConn
		to   netip.AddrPort
		s    *Stream
		i    int
	}
	var evs []ev
	add := func(s *Stream, from *net.UDPConn, to netip.AddrPort) {
		if s == nil {
			return
		}
		for i := 0; i < s.Packets(); i++ {
			if i >= s.HoldFrom && i < s.HoldTo {
				continue
			}
			d := time.Duration(0)
			if s.Impair != nil {
				send, delay := s.Impair(i)
				if !send {
					continue
				}
				d = delay
			}
			evs = append(evs, ev{time.Duration(i)*20*time.Millisecond + d, from, to, s, i})
		}
	}
	add(caller, c.Caller, c.ToCaller)
	add(callee, c.Callee, c.ToCallee)
	sortEvents(evs, func(a, b ev) bool { return a.at < b.at })
	start := time.Now()
	buf := make([]byte, 2048)
	for _, e := range evs {
		if d := time.Until(start.Add(e.at)); d > 0 {
			time.Sleep(d)
		}
		if _, err := e.from.WriteToUDPAddrPort(e.s.packet(e.i, buf), e.to); err != nil {
			t.Fatal(err)
		}

	}
}

func sortEvents[T any](s []T, less func(a, b T) bool) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && less(s[j], s[j-1]); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// Impairment returns a deterministic impairment: loss fraction, and
// jitter uniformly in [0, jitter).
func Impairment(seed uint64, loss float64, jitter time.Duration) func(int) (bool, time.Duration) {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	return func(int) (bool, time.Duration) {
		if r.Float64() < loss {
			return false, 0
		}
		return true, time.Duration(r.Int64N(int64(jitter) + 1))
	}
}

// WaitRecording waits for the call's sidecar to leave "recording".
func (n *RecordingNode) WaitRecording(callID string) (*record.Meta, string) {
	n.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		matches, _ := filepath.Glob(filepath.Join(n.Dir, "*", "*.json"))
		for _, p := range matches {
			m, err := record.ReadMeta(p)
			if err == nil && m.CallID == callID && m.Status != record.StatusRecording {
				return m, p
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	n.t.Fatalf("recording of %s did not finish", callID)
	return nil, ""
}

// Deinterleave splits stereo samples.
func Deinterleave(s []int16) (l, r []int16) {
	l, r = make([]int16, len(s)/2), make([]int16, len(s)/2)
	for i := range l {
		l[i], r[i] = s[2*i], s[2*i+1]
	}
	return
}

// MulawRoundTrip is what the far end hears of pcm sent as µ-law.
func MulawRoundTrip(pcm []int16) []int16 {
	out := make([]int16, len(pcm))
	for i, v := range pcm {
		out[i] = codec.UlawDecode(codec.UlawEncode(v))
	}
	return out
}

// BestCorrelation returns the highest normalised correlation of rec
// against ref at lags in [0, maxLag) (ref delayed by lag in rec), and
// that lag, over the length of ref.
func BestCorrelation(rec, ref []int16, maxLag int) (float64, int) {
	best, bestLag := -2.0, 0
	for lag := 0; lag < maxLag; lag++ {
		n := min(len(ref), len(rec)-lag)
		if n <= 0 {
			break
		}
		var xy, xx, yy float64
		for i := 0; i < n; i++ {
			x, y := float64(rec[i+lag]), float64(ref[i])
			xy += x * y
			xx += x * x
			yy += y * y
		}
		if xx == 0 || yy == 0 {
			continue
		}
		if c := xy / math.Sqrt(xx*yy); c > best {
			best, bestLag = c, lag
		}
	}
	return best, bestLag
}

// RMS is the root mean square of s.
func RMS(s []int16) float64 {
	if len(s) == 0 {
		return 0
	}
	var sum float64
	for _, v := range s {
		sum += float64(v) * float64(v)
	}
	return math.Sqrt(sum / float64(len(s)))
}
