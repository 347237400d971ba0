package record

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/callrec/callrec/internal/codec"
	"github.com/callrec/callrec/internal/record/container"
)

// sink encodes PCM into one file: the profile's encoder, then the
// container's buffered crash-safe writer. Not safe for concurrent use;
// the recording's goroutine owns it.
type sink struct {
	path  string
	f     *os.File
	w     container.Writer
	enc   codec.Encoder // nil for pcm16 and pcm8, which are converted here
	mp3   *codec.MP3Encoder
	fm    container.Format
	frame int     // samples (interleaved) per encode call
	pend  []int16 // interleaved samples waiting for a whole frame
	out   []byte
	done  bool // closed
}

// ext is the file extension of a profile's container.
func ext(p Profile) string {
	switch p.Container {
	case container.ContainerOgg:
		return ".ogg"
	case container.ContainerMP3:
		return ".mp3"
	case container.ContainerRaw:
		if p.Encoding == container.EncodingGSM {
			return ".gsm"
		}
		return ".raw"
	}
	return ".wav"
}

// newSink creates path (and its directory) for a profile with channels
// channels.
func newSink(path string, p Profile, channels int) (*sink, error) {
	fm := p.format()
	fm.Channels = channels
	if err := fm.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadProfile, err)
	}
	s := &sink{path: path, fm: fm, frame: channels}
	var err error
	switch p.Encoding {
	case container.EncodingPCM16, container.EncodingPCM8:
	case container.EncodingPCMU:
		s.enc = codec.NewPCMUEncoder()
	case container.EncodingPCMA:
		s.enc = codec.NewPCMAEncoder()
	case container.EncodingGSM:
		if p.Container == container.ContainerWAV {
			s.enc = codec.NewGSMEncoderWAV49()
		} else {
			s.enc = codec.NewGSMEncoder()
		}
	case container.EncodingOpus:
		var e *codec.OpusEncoder
		if e, err = codec.NewOpusEncoder(p.SampleRate, channels); err == nil {
			err = e.SetBitrate(p.Bitrate * 1000)
			s.enc = e
		}
	case container.EncodingMP3:
		s.mp3, err = codec.NewMP3Encoder(p.SampleRate, channels, p.Bitrate)
	default:
		err = fmt.Errorf("encoding %q", p.Encoding)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadProfile, err)
	}
	if s.enc != nil {
		s.frame = s.enc.FrameSamples() * channels
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	if s.f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644); err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	// The recording flushes twice a second, so an 8 KiB batch still means
	// a few writes a second per file (8 kHz stereo PCM16 is 32 KB/s),
	// never one per packet, and keeps 2,000 recordings' buffers at 16 MiB.
	if s.w, err = container.New(s.f, fm, container.Options{BufferSize: 8 << 10}); err != nil {
		s.f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("record: %w", err)
	}
	return s, nil
}

// write appends interleaved PCM.
func (s *sink) write(pcm []int16) error {
	if s.mp3 != nil {
		return s.encodeMP3(pcm)
	}
	if len(s.pend) > 0 {
		k := min(s.frame-len(s.pend), len(pcm))
		s.pend = append(s.pend, pcm[:k]...)
		pcm = pcm[k:]
		if len(s.pend) < s.frame {
			return nil
		}
		if err := s.encode(s.pend); err != nil {
			return err
		}
		s.pend = s.pend[:0]
	}
	whole := len(pcm) / s.frame * s.frame
	if s.enc != nil && !s.enc.MultiFrame() {
		for off := 0; off < whole; off += s.frame {
			if err := s.encode(pcm[off : off+s.frame]); err != nil {
				return err
			}
		}
	} else if whole > 0 {
		if err := s.encode(pcm[:whole]); err != nil {
			return err
		}
	}
	s.pend = append(s.pend, pcm[whole:]...)
	return nil
}

// encode encodes whole frames of interleaved PCM and writes them.
func (s *sink) encode(pcm []int16) error {
	samples := len(pcm) / s.fm.Channels
	var n int
	switch {
	case s.enc != nil:
		// G.711 encoders are mono and per sample: they take stereo as
		// twice the samples.
		need := s.enc.MaxPayload(len(pcm) / s.enc.Channels())
		if cap(s.out) < need {
			s.out = make([]byte, need)
		}
		var err error
		if n, err = s.enc.Encode(pcm, s.out[:need]); err != nil {
			return fmt.Errorf("record: encode: %w", err)
		}
	case s.fm.Encoding == container.EncodingPCM8:
		s.grow(len(pcm))
		for i, v := range pcm {
			s.out[i] = byte(v>>8) + 128
		}
		n = len(pcm)
	default: // pcm16 little-endian
		s.grow(2 * len(pcm))
		for i, v := range pcm {
			binary.LittleEndian.PutUint16(s.out[2*i:], uint16(v))
		}
		n = 2 * len(pcm)
	}
	return s.w.WriteFrames(s.out[:n], samples)
}

func (s *sink) encodeMP3(pcm []int16) error {
	if len(pcm) == 0 {
		return nil
	}
	s.grow(s.mp3.MaxPayload(len(pcm)))
	n, err := s.mp3.Encode(pcm, s.out[:cap(s.out)])
	if err != nil {
		return fmt.Errorf("record: encode: %w", err)
	}
	return s.w.WriteFrames(s.out[:n], len(pcm)/s.fm.Channels)
}

func (s *sink) grow(n int) {
	if cap(s.out) < n {
		s.out = make([]byte, n)
	}
	s.out = s.out[:n]
}

// flush makes the file playable up to what was written.
func (s *sink) flush() error { return s.w.Flush() }

// bytes is the file size so far.
func (s *sink) bytes() int64 { return s.w.Written() }

// seconds is the audio written so far.
func (s *sink) seconds() float64 { return s.w.Duration().Seconds() }

// close pads a partial frame with silence, finalises and syncs the file.
// Closing again does nothing.
func (s *sink) close() error {
	if s.done {
		return nil
	}
	s.done = true
	var err error
	if len(s.pend) > 0 && s.mp3 == nil {
		s.pend = append(s.pend, make([]int16, s.frame-len(s.pend))...)
		err = s.encode(s.pend)
		s.pend = s.pend[:0]
	}
	if s.mp3 != nil {
		s.grow(7200)
		if n, ferr := s.mp3.Flush(s.out); ferr == nil && n > 0 {
			err = s.w.WriteFrames(s.out[:n], 0)
		}
		s.mp3.Close()
	}
	if c, ok := s.enc.(io.Closer); ok {
		c.Close()
	}
	if cerr := s.w.Close(); err == nil {
		err = cerr
	}
	if serr := s.f.Sync(); err == nil {
		err = serr
	}
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	return err
}
