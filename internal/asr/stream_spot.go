package asr

import (
	"github.com/callrec/callrec/internal/spot"
)

// SpotEngine returns a StreamServer.NewEngine that runs the built-in
// spotter (internal/spot) on each leg: the reference engine of the
// streaming interface (callrec spot --listen). cfg.Keywords, when set,
// are spotted in every call; otherwise each header's keywords (a leg
// without any is refused). cfg.SampleRate is taken from the header.
func SpotEngine(cfg spot.Config) func(h *StreamHeader) (LegEngine, error) {
	return func(h *StreamHeader) (LegEngine, error) {
		c := cfg
		c.SampleRate = h.SampleRate
		if len(c.Keywords) == 0 {
			kws, err := ParseKeywords(h.Keywords)
			if err != nil {
				return nil, err
			}
			c.Keywords = kws
		}
		sp, err := spot.New(c)
		if err != nil {
			return nil, err
		}
		return &spotEngineLeg{sp: sp, cfg: c, off: h.OffsetSeconds, zeros: make([]int16, h.SampleRate/10)}, nil
	}
}

// spotEngineLeg is one leg's spotter.
type spotEngineLeg struct {
	sp      *spot.Spotter
	cfg     spot.Config
	off     float64 // offset in the recording of sp's first sample
	written int64   // samples given to sp
	zeros   []int16 // silence written for a gap
	out     []StreamResult
	held    []StreamResult // found before a restart, not yet taken
}

func (l *spotEngineLeg) Audio(pcm []int16) error {
	l.written += int64(len(pcm))
	return l.sp.Write(pcm)
}

// maxSilentGap is the longest gap filled with silence; after a longer
// one the spotter starts again (0.1 s of CPU) at the right offset, so a
// client's gap costs at most this much decoding.
const maxSilentGap = 10 // seconds

// Gap writes silence in place of the dropped samples, so that the
// spotter's offsets stay offsets in the recording.
func (l *spotEngineLeg) Gap(n int) error {
	if n > maxSilentGap*l.cfg.SampleRate {
		if err := l.sp.Flush(); err != nil {
			return err
		}
		l.Results()
		held := append([]StreamResult(nil), l.out...)
		sp, err := spot.New(l.cfg)
		if err != nil {
			return err
		}
		l.sp.Close()
		l.sp, l.held = sp, held
		l.off += float64(l.written+int64(n)) / float64(l.cfg.SampleRate)
		l.written = 0
		return nil
	}
	l.written += int64(n)
	for n > 0 {
		k := min(n, len(l.zeros))
		if err := l.sp.Write(l.zeros[:k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

func (l *spotEngineLeg) Results() []StreamResult {
	l.out = append(l.out[:0], l.held...)
	l.held = nil
	for _, d := range l.sp.Detections() {
		l.out = append(l.out, StreamResult{
			Type: "keyword", Keyword: d.Keyword,
			StartSeconds: round3(l.off + d.Start.Seconds()), EndSeconds: round3(l.off + d.End.Seconds()),
			Confidence: round3(d.Confidence),
		})
	}
	return l.out
}

func (l *spotEngineLeg) End() error { return l.sp.Flush() }
func (l *spotEngineLeg) Close()     { l.sp.Close() }
