package timeline

import (
	"math"
	"strings"

	"github.com/callrec/callrec/internal/codec"
	"github.com/callrec/callrec/internal/rtp"
)

// kind says how a payload type is rendered.
type kind uint8

const (
	kindAudio kind = iota // decoded into the timeline
	kindEvent             // RFC 4733 telephone-event: extracted, never mixed
	kindCN                // RFC 3389 comfort noise: silence
	kindRaw               // undecodable: silence, handed to OnRaw
)

// ptState is what a leg knows about one payload type, built on first
// sight: the decoder, its concealer and the resampler to the recording
// rate.
type ptState struct {
	kind    kind
	clock   int64
	dec     codec.Decoder
	conceal codec.Concealer
	rs      *codec.Resampler
	rsDelay int64 // resampler and known codec delay, recording samples
	ch      int
}

// format returns the rtpmap of pt: the caller's map first, then RFC 3551,
// then telephone-event/8000 for 101.
func (l *Leg) format(pt uint8) (codec.Format, bool) {
	if f, ok := l.cfg.Payloads[pt]; ok {
		return f, true
	}
	if f, ok := codec.StaticPayloadType(pt); ok {
		return f, true
	}
	if name, rate, ok := rtp.StaticPayload(pt); ok {
		return codec.Format{Name: name, ClockRate: int(rate), Channels: 1}, true
	}
	if pt == DefaultEventPT {
		return codec.Format{Name: "telephone-event", ClockRate: 8000, Channels: 1}, true
	}
	return codec.Format{Name: "", ClockRate: rtp.DefaultClockRate, Channels: 1}, false
}

// payloadType returns the state of pt, building it on first use. This is
// the only allocation after NewLeg, once per payload type.
func (l *Leg) payloadType(pt uint8) *ptState {
	pt &= 0x7f
	if p := l.pts[pt]; p != nil {
		return p
	}
	f, known := l.format(pt)
	p := &ptState{kind: kindRaw, clock: int64(f.ClockRate), ch: 1}
	if p.clock <= 0 {
		p.clock = rtp.DefaultClockRate
	}
	l.pts[pt] = p
	switch {
	case !known:
	case strings.EqualFold(f.Name, "telephone-event"):
		p.kind = kindEvent
	case strings.EqualFold(f.Name, "CN"):
		p.kind = kindCN
	default:
		ch := f.Channels
		if strings.EqualFold(f.Name, "opus") {
			ch = 1 // libopus downmixes for us
		}
		dec, err := l.cfg.NewDecoder(f.Name, f.ClockRate, ch)
		if err != nil || dec == nil || dec.SampleRate() <= 0 || dec.Channels() <= 0 {
			return p
		}
		if dec.SampleRate() != int(l.rate) {
			rs, err := codec.NewResampler(dec.SampleRate(), int(l.rate))
			if err != nil {
				return p
			}
			p.rs = rs
			p.rsDelay = int64(math.Round(rs.Delay()))
		}
		if strings.EqualFold(f.Name, "G722") {
			// The G.722 QMF analysis and synthesis filters delay the
			// decoded audio by 22 samples at 16 kHz (1.375 ms).
			p.rsDelay += 22 * l.rate / 16000
		}
		p.kind, p.dec, p.ch = kindAudio, dec, dec.Channels()
		p.conceal, _ = dec.(codec.Concealer)
	}
	return p
}

// resetDecoders returns every decoder and resampler to its initial state,
// for a new stream.
func (l *Leg) resetDecoders() {
	for _, p := range l.pts {
		if p == nil {
			continue
		}
		if p.dec != nil {
			p.dec.Reset()
		}
		if p.rs != nil {
			p.rs.Reset()
		}
	}
}

// decode decodes payload with p into mono PCM at the recording rate and
// returns it (a view of the leg's scratch buffers, valid until the next
// decode).
func (l *Leg) decode(p *ptState, payload []byte) ([]int16, bool) {
	need := p.dec.MaxSamples(len(payload)) * p.ch
	if need <= 0 {
		return nil, false
	}
	if len(l.scratch) < need {
		l.scratch = make([]int16, need) // grows once per larger frame size
	}
	n, err := p.dec.Decode(payload, l.scratch[:need])
	if err != nil || n < 0 || n*p.ch > need {
		return nil, false
	}
	return l.toRate(p, l.scratch[:n*p.ch]), true
}

// concealFor asks p's concealer for samples decoder-rate samples and
// returns them as mono PCM at the recording rate.
func (l *Leg) concealFor(p *ptState, samples int) []int16 {
	need := samples * p.ch
	if len(l.scratch) < need {
		l.scratch = make([]int16, need)
	}
	n := p.conceal.Conceal(l.scratch[:need], samples)
	if n <= 0 || n*p.ch > need {
		return nil
	}
	return l.toRate(p, l.scratch[:n*p.ch])
}

// toRate downmixes interleaved pcm to mono in place and resamples it.
func (l *Leg) toRate(p *ptState, pcm []int16) []int16 {
	if p.ch > 1 {
		frames := len(pcm) / p.ch
		for i := range frames {
			var sum int
			for c := range p.ch {
				sum += int(pcm[i*p.ch+c])
			}
			pcm[i] = int16(sum / p.ch)
		}
		pcm = pcm[:frames]
	}
	if p.rs == nil {
		return pcm
	}
	need := p.rs.MaxOut(len(pcm))
	if len(l.mono) < need {
		l.mono = make([]int16, need)
	}
	n, err := p.rs.Process(pcm, l.mono[:need])
	if err != nil {
		return nil
	}
	return l.mono[:n]
}
