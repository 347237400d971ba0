package timeline

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/callrec/callrec/internal/codec"
	"github.com/callrec/callrec/internal/rtp"
)

// readWAV reads a 16-bit PCM mono WAV file (enough of RIFF for the
// fixtures) and returns its samples and rate.
func readWAV(t testing.TB, path string) ([]int16, int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		t.Fatalf("%s: not a WAV file", path)
	}
	var rate int
	for off := 12; off+8 <= len(b); {
		id, n := string(b[off:off+4]), int(binary.LittleEndian.Uint32(b[off+4:]))
		body := b[off+8 : min(off+8+n, len(b))]
		switch id {
		case "fmt ":
			if binary.LittleEndian.Uint16(body[0:]) != 1 || binary.LittleEndian.Uint16(body[2:]) != 1 ||
				binary.LittleEndian.Uint16(body[14:]) != 16 {
				t.Fatalf("%s: want 16-bit PCM mono", path)
			}
			rate = int(binary.LittleEndian.Uint32(body[4:]))
		case "data":
			pcm := make([]int16, len(body)/2)
			for i := range pcm {
				pcm[i] = int16(binary.LittleEndian.Uint16(body[2*i:]))
			}
			return pcm, rate
		}
		off += 8 + n + n&1
	}
	t.Fatalf("%s: no data chunk", path)
	return nil, 0
}

// source returns the speech fixture, repeated to at least d of audio.
func source(t testing.TB, d time.Duration) []int16 {
	pcm, rate := readWAV(t, "testdata/caller-8k.wav")
	if rate != 8000 {
		t.Fatalf("fixture rate %d", rate)
	}
	want := int(d.Seconds() * 8000)
	out := make([]int16, 0, want+len(pcm))
	for len(out) < want {
		out = append(out, pcm...)
	}
	return out[:want]
}

// sent is one packet as the test sender emits it.
type sent struct {
	arrival int64
	pkt     []byte
}

// stream packetises pcm as 20 ms RTP packets of encoding enc.
type stream struct {
	pt   uint8
	ssrc uint32
	seq  uint16
	ts   uint32
	enc  codec.Encoder
}

func newStream(t testing.TB, name string, pt uint8, ssrc uint32, seq uint16, ts uint32) *stream {
	enc, err := codec.NewEncoder(name, 8000, 1)
	if err != nil {
		t.Fatal(err)
	}
	return &stream{pt: pt, ssrc: ssrc, seq: seq, ts: ts, enc: enc}
}

// packet builds the next packet from 160 samples (or payload when frame
// is nil) and advances seq and ts by tsStep.
func (s *stream) packet(frame []int16, payload []byte, pt uint8, marker bool, tsStep uint32) []byte {
	h := rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: s.seq, Timestamp: s.ts, SSRC: s.ssrc, Marker: marker}
	b := make([]byte, 12, 12+400)
	if _, err := h.MarshalTo(b); err != nil {
		panic(err)
	}
	if frame != nil {
		out := make([]byte, s.enc.MaxPayload(len(frame)))
		n, err := s.enc.Encode(frame, out)
		if err != nil {
			panic(err)
		}
		payload = out[:n]
	}
	s.seq++
	s.ts += tsStep
	return append(b, payload...)
}

// dtmf builds the packets of one RFC 4733 event: one per 20 ms with the
// duration so far, then the end packet three times.
func (s *stream) dtmf(code uint8, d time.Duration, pt uint8) [][]byte {
	var pkts [][]byte
	total := uint16(d.Seconds() * 8000)
	for dur := uint16(160); ; dur += 160 {
		end := dur >= total
		if end {
			dur = total
		}
		flags := byte(10) // volume -10 dBm0
		reps := 1
		if end {
			flags |= 0x80
			reps = 3
		}
		for range reps {
			pkts = append(pkts, s.packet(nil, []byte{code, flags, byte(dur >> 8), byte(dur)}, pt, dur == 160, 0))
		}
		if end {
			break
		}
	}
	s.ts += uint32(total)
	return pkts
}

// run feeds the packets in arrival order and pulls every 20 ms up to
// now−delay, then up to end; it returns the concatenated output.
func run(t testing.TB, l *Leg, pkts []sent, end int64, delay time.Duration) []int16 {
	sort.SliceStable(pkts, func(i, j int) bool { return pkts[i].arrival < pkts[j].arrival })
	var out []int16
	buf := make([]int16, 4096)
	pull := func(upTo int64) {
		for {
			n := l.Pull(upTo, buf)
			out = append(out, buf[:n]...)
			if n < len(buf) {
				return
			}
		}
	}
	next := l.cfg.Start
	for _, p := range pkts {
		for ; next+int64(20*time.Millisecond) <= p.arrival; next += int64(20 * time.Millisecond) {
			pull(next - int64(delay))
		}
		if err := l.Push(p.arrival, p.pkt); err != nil {
			t.Fatalf("push at %d: %v", p.arrival, err)
		}
	}
	for ; next < end; next += int64(20 * time.Millisecond) {
		pull(min(end, next))
	}
	pull(end)
	return out
}

// ulaw is what the source sounds like after µ-law, the reference for
// correlation.
func ulaw(t testing.TB, pcm []int16) []int16 {
	enc, dec := codec.NewPCMUEncoder(), codec.NewPCMUDecoder()
	b := make([]byte, len(pcm))
	n, err := enc.Encode(pcm, b)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int16, n)
	if _, err := dec.Decode(b[:n], out); err != nil {
		t.Fatal(err)
	}
	return out
}

// corr is the normalised correlation of a and b over their common length.
func corr(a, b []int16) float64 {
	n := min(len(a), len(b))
	var ab, aa, bb float64
	for i := range n {
		x, y := float64(a[i]), float64(b[i])
		ab += x * y
		aa += x * x
		bb += y * y
	}
	if aa == 0 || bb == 0 {
		return 0
	}
	return ab / math.Sqrt(aa*bb)
}

// bestLag finds the lag in [-maxLag, maxLag] at which out[at+lag:]
// correlates best with ref, and that correlation.
func bestLag(out []int16, at int, ref []int16, maxLag int) (int, float64) {
	best, bestC := 0, -2.0
	for lag := -maxLag; lag <= maxLag; lag++ {
		i := at + lag
		if i < 0 || i+len(ref) > len(out) {
			continue
		}
		if c := corr(out[i:i+len(ref)], ref); c > bestC {
			best, bestC = lag, c
		}
	}
	return best, bestC
}

// rms of pcm.
func rms(pcm []int16) float64 {
	var s float64
	for _, v := range pcm {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s / float64(max(len(pcm), 1)))
}

// goertzel is the power of pcm at frequency f (Hz, at 8000 Hz) relative
// to its total power.
func goertzel(pcm []int16, f float64) float64 {
	w := 2 * math.Pi * f / 8000
	c := 2 * math.Cos(w)
	var s1, s2, tot float64
	for _, v := range pcm {
		x := float64(v)
		s1, s2 = x+c*s1-s2, s1
		tot += x * x
	}
	p := s1*s1 + s2*s2 - c*s1*s2
	if tot == 0 {
		return 0
	}
	return p / (tot * float64(len(pcm)) / 2)
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }

const ms = int64(time.Millisecond)

// resampleRef converts 8 kHz pcm to rate, delay-compensated like the leg.
func resampleRef(t testing.TB, pcm []int16, rate int) []int16 {
	if rate == 8000 {
		return pcm
	}
	r, err := codec.NewResampler(8000, rate)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int16, r.MaxOut(len(pcm)+400))
	in := append(append([]int16(nil), pcm...), make([]int16, 400)...)
	n, _ := r.Process(in, out)
	d := int(math.Round(r.Delay()))
	return out[d : d+len(pcm)*rate/8000 : n]
}
