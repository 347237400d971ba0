package spot

/*
#cgo pkg-config: pocketsphinx sphinxbase
#include <stdlib.h>
#include <string.h>
#include <pocketsphinx.h>
#include <sphinxbase/err.h>
#include <sphinxbase/logmath.h>

// spot_init builds a decoder for the model in hmm and dictionary dict;
// cmd_ln_init is variadic, which cgo cannot call. Logging goes nowhere:
// sphinxbase's log is one global FILE, disabled here (no -logfn, which
// would open a file per decoder and never close it).
// No -cmn: the model's feat.params overrides it with batch CMN, which
// needs the whole utterance, but PocketSphinx itself switches to live
// CMN when it is given audio in blocks (feat_cmn), as here. The same
// goes for the filterbank (-upperf, -nfilt): the model's values win,
// which is why 8 kHz audio is resampled rather than fed at 8 kHz (see
// BENCHMARKS.md). No voice activity detection: the VAD drops frames and
// then the keyword search's frame numbers no longer tell time (offsets
// 9.7 s late, TestOffsetsWithinStream); the spotter wants every frame.
static ps_decoder_t *spot_init(const char *hmm, const char *dict) {
	err_set_logfp(NULL);
	cmd_ln_t *c = cmd_ln_init(NULL, ps_args(), TRUE,
		"-hmm", hmm, "-dict", dict,
		"-samprate", "16000", "-remove_silence", "no", NULL);
	if (c == NULL) return NULL;
	ps_decoder_t *ps = ps_init(c);
	cmd_ln_free_r(c);
	return ps;
}

static double spot_exp(ps_decoder_t *ps, int32 p) {
	return logmath_exp(ps_get_logmath(ps), p);
}
*/
import "C"

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/callrec/callrec/internal/codec"
)

const (
	// modelRate is the sample rate of the en-US acoustic model.
	modelRate = 16000
	// frameSamples is one decoder frame (10 ms) at modelRate.
	frameSamples = modelRate / 100
	// maxUtterance bounds one decoder utterance; the search restarts after
	// it so that a call of any length uses bounded memory. A keyword
	// spoken across the restart can be missed (one in 30 s of audio).
	maxUtterance = 30 * time.Second
	// maxPending bounds the detections waiting in Detections.
	maxPending = 256
	// maxPerUtterance restarts the utterance after so many detections
	// (PocketSphinx keeps an utterance's detections until it ends).
	maxPerUtterance = 32
	// primeSamples (3 s at modelRate) are decoded twice at the start of
	// a stream; see doPrime.
	primeSamples = 3 * modelRate
	// block is how many samples (at modelRate, 256 ms) the decoder is
	// given at a time; see decode.
	block = 4096
	// chunk is how many input samples Write resamples at a time.
	chunk = 4096
)

// Default model locations of the Debian package pocketsphinx-en-us.
const (
	DefaultModelDir = "/usr/share/pocketsphinx/model/en-us/en-us"
	DefaultDict     = "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict"
)

// Config says what a Spotter listens for and to.
type Config struct {
	// Keywords to spot; at least one.
	Keywords []Keyword
	// SampleRate of the PCM given to Write (0 means 8000). The model
	// wants 16000; other rates (8000, 48000) are resampled to it.
	SampleRate int
	// ModelDir and Dict are the acoustic model directory and the
	// pronunciation dictionary; empty means DefaultModelDir, DefaultDict.
	ModelDir, Dict string
}

// Detection is one keyword spotted in the stream.
type Detection struct {
	// Keyword is the phrase as configured.
	Keyword string
	// Start and End are offsets from the first sample written.
	Start, End time.Duration
	// Confidence is PocketSphinx's posterior of the keyword against its
	// phone-loop alternative, in (0, 1].
	Confidence float64
}

// Spotter spots keywords in one mono PCM stream. Not safe for concurrent
// use; see the package doc.
type Spotter struct {
	ps      *C.ps_decoder_t
	kwsFile string               // keyword list, read again at each restart
	names   map[string]string    // keyword file phrase -> configured phrase
	last    map[string]Detection // latest detection of each keyword
	rs      *codec.Resampler     // nil at 16000 Hz
	up      []int16              // resampled samples
	prime   []int16              // first primeSamples, until primed
	blk     []int16              // samples waiting for a full block
	primed  bool
	rate    int   // Config.SampleRate
	fed     int64 // samples at modelRate given to the decoder
	lost    int64 // input samples (at rate) skipped; see Skip
	base    int64 // pos() when the keyword search was (re)created
	// The keyword search of 0.8+5prealpha numbers frames from the
	// decoder's creation, across utterances and searches: frames counts
	// the frames of all ended utterances, frameBase is frames at base.
	frames, frameBase int64
	seen              int      // detections of this utterance already taken
	hypLen            C.size_t // length of the hypothesis when last collected
	pending           []Detection
	dropped           int64
	err               error // of Skip, returned by the next Write or Flush
	closed            bool
}

// initMu serialises the creation of decoders; see New.
var initMu sync.Mutex

// ModelInstalled reports whether the default en-US model and dictionary
// are installed.
func ModelInstalled() bool {
	_, e1 := os.Stat(filepath.Join(DefaultModelDir, "mdef"))
	_, e2 := os.Stat(DefaultDict)
	return e1 == nil && e2 == nil
}

// New loads the model and returns a Spotter listening for cfg.Keywords.
// It takes about 8 ms of CPU and 3 MB (see the package doc); the first
// New of a keyword list in a process also reads the full dictionary
// once (about 10 ms). Reuse a Spotter for one leg's whole call. Call
// Close to free it. New may be called from several goroutines at once.
func New(cfg Config) (*Spotter, error) {
	if cfg.SampleRate == 0 {
		cfg.SampleRate = 8000
	}
	if cfg.SampleRate < 8000 {
		return nil, fmt.Errorf("%w: %d Hz (want 8000 or more)", ErrRate, cfg.SampleRate)
	}
	if len(cfg.Keywords) == 0 {
		return nil, fmt.Errorf("%w: no keywords", ErrBadKeyword)
	}
	if cfg.ModelDir == "" {
		cfg.ModelDir = DefaultModelDir
	}
	if cfg.Dict == "" {
		cfg.Dict = DefaultDict
	}
	if _, err := os.Stat(filepath.Join(cfg.ModelDir, "mdef")); err != nil {
		return nil, fmt.Errorf("%w: %s (install Debian package pocketsphinx-en-us)", ErrNoModel, cfg.ModelDir)
	}
	if _, err := os.Stat(cfg.Dict); err != nil {
		return nil, fmt.Errorf("%w: %s (install Debian package pocketsphinx-en-us)", ErrNoModel, cfg.Dict)
	}
	dictFile, lines, err := writeDict(cfg.Dict, cfg.Keywords)
	if err != nil {
		return nil, err
	}
	hmm, dict := C.CString(cfg.ModelDir), C.CString(dictFile)
	defer C.free(unsafe.Pointer(hmm))
	defer C.free(unsafe.Pointer(dict))
	// ps_init sets sphinxbase globals (the log, the debug level).
	initMu.Lock()
	s := &Spotter{ps: C.spot_init(hmm, dict), rate: cfg.SampleRate}
	initMu.Unlock()
	os.Remove(dictFile) // read by spot_init, never again
	if s.ps == nil {
		return nil, fmt.Errorf("%w: pocketsphinx could not load %s", ErrNoModel, cfg.ModelDir)
	}
	if err := s.setKeywords(cfg.Keywords, lines); err != nil {
		s.Close()
		return nil, err
	}
	if cfg.SampleRate != modelRate {
		rs, err := codec.NewResampler(cfg.SampleRate, modelRate)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("%w: %w", ErrRate, err)
		}
		s.rs = rs
		s.up = make([]int16, rs.MaxOut(chunk))
	}
	s.blk = make([]int16, 0, block)
	if C.ps_start_utt(s.ps) < 0 {
		s.Close()
		return nil, fmt.Errorf("spot: pocketsphinx could not start decoding")
	}
	return s, nil
}

// setKeywords installs the list as the keyword search (PocketSphinx
// reads it from a file); lines are the dictionary lines of its words. A
// one-word keyword is spotted in each of its dictionary pronunciations
// ("refund" and "refund(2)", R IH F AH N D and R IY F AH N D), since the
// keyword search itself uses only the first.
func (s *Spotter) setKeywords(kws []Keyword, lines map[string][]string) error {
	var b strings.Builder
	s.names = map[string]string{}
	s.last = map[string]Detection{}
	for _, k := range kws {
		line := func(p string) {
			s.names[p] = k.Phrase
			b.WriteString(Keyword{Phrase: p, Threshold: k.Threshold}.String())
			b.WriteByte('\n')
		}
		line(k.Phrase)
		if words := strings.Fields(k.Phrase); len(words) == 1 {
			for _, l := range lines[words[0]][1:] {
				line(dictWord(l))
			}
		}
	}
	f, err := os.CreateTemp("", "callrec-kws-*.txt")
	if err != nil {
		return fmt.Errorf("spot: keyword file: %w", err)
	}
	s.kwsFile = f.Name()
	_, err = f.WriteString(b.String())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("spot: keyword file: %w", err)
	}
	return s.newSearch()
}

// newSearch (re)creates the keyword search from kwsFile; offsets of its
// detections count from base (at frame frameBase).
func (s *Spotter) newSearch() error {
	name, file := C.CString("kws"), C.CString(s.kwsFile)
	defer C.free(unsafe.Pointer(name))
	defer C.free(unsafe.Pointer(file))
	if C.ps_set_kws(s.ps, name, file) < 0 || C.ps_set_search(s.ps, name) < 0 {
		return fmt.Errorf("%w: pocketsphinx rejected the keyword list", ErrBadKeyword)
	}
	s.base, s.frameBase, s.seen, s.hypLen = s.pos(), s.frames, 0, 0
	return nil
}

// Write decodes pcm (mono, at Config.SampleRate). Detections it completes
// are queued for Detections. It runs the decoder on the calling goroutine
// (see BENCHMARKS.md for its CPU cost). The first primeSamples of a
// stream are held back until the decoder's cepstral mean has adapted to
// them, then decoded; so detections start after a few seconds of audio.
func (s *Spotter) Write(pcm []int16) error {
	if s.closed {
		return ErrClosed
	}
	if s.err != nil {
		return s.err
	}
	for len(pcm) > 0 {
		n := min(len(pcm), chunk)
		in := pcm[:n]
		pcm = pcm[n:]
		if s.rs != nil {
			m, err := s.rs.Process(in, s.up)
			if err != nil {
				return fmt.Errorf("spot: %w", err)
			}
			in = s.up[:m]
		}
		if !s.primed {
			take := min(len(in), primeSamples-len(s.prime))
			s.prime = append(s.prime, in[:take]...)
			in = in[take:]
			if len(s.prime) < primeSamples {
				continue
			}
			if err := s.doPrime(); err != nil {
				return err
			}
		}
		if err := s.decode(in); err != nil {
			return err
		}
	}
	return nil
}

// doPrime runs the held-back start of the stream through the decoder
// once to adapt its live cepstral mean normalisation (the model's initial
// mean fits few voices; without this the first seconds are misheard), then
// decodes it again for real.
func (s *Spotter) doPrime() error {
	s.primed = true
	if len(s.prime) > 0 {
		C.ps_process_raw(s.ps, (*C.int16)(unsafe.Pointer(&s.prime[0])), C.size_t(len(s.prime)), 0, 0)
	}
	s.endUtt()
	if err := s.newSearch(); err != nil {
		return err
	}
	if C.ps_start_utt(s.ps) < 0 {
		return fmt.Errorf("spot: pocketsphinx could not restart decoding")
	}
	p := s.prime
	s.prime = nil
	return s.decode(p)
}

// decode queues in for the decoder and decodes every full block. The
// decoder's live cepstral mean moves per call of ps_process_raw, so
// feeding fixed blocks keeps results independent of how the caller cuts
// the stream into writes.
func (s *Spotter) decode(in []int16) error {
	for len(in) > 0 {
		n := min(len(in), block-len(s.blk))
		s.blk = append(s.blk, in[:n]...)
		in = in[n:]
		if len(s.blk) == block {
			if err := s.decodeBlock(); err != nil {
				return err
			}
		}
	}
	return nil
}

// decodeBlock decodes the queued block and takes new detections; it
// restarts the utterance when it grows long or holds many detections.
func (s *Spotter) decodeBlock() error {
	if len(s.blk) == 0 {
		return nil
	}
	if C.ps_process_raw(s.ps, (*C.int16)(unsafe.Pointer(&s.blk[0])), C.size_t(len(s.blk)), 0, 0) < 0 {
		return fmt.Errorf("spot: pocketsphinx failed to decode %d samples", len(s.blk))
	}
	s.fed += int64(len(s.blk))
	s.blk = s.blk[:0]
	s.collect()
	if s.pos()-s.base >= int64(maxUtterance/time.Second)*modelRate || s.seen >= maxPerUtterance {
		return s.restart()
	}
	return nil
}

// restart ends the utterance, takes its last detections and starts the
// next one with a fresh search, so the decoder's state stays bounded.
func (s *Spotter) restart() error {
	s.endUtt()
	s.collect()
	if err := s.newSearch(); err != nil {
		return err
	}
	if C.ps_start_utt(s.ps) < 0 {
		return fmt.Errorf("spot: pocketsphinx could not restart decoding")
	}
	return nil
}

// endUtt ends the utterance and counts its frames.
func (s *Spotter) endUtt() {
	C.ps_end_utt(s.ps)
	s.frames += int64(C.ps_get_n_frames(s.ps))
}

// collect queues the detections of the utterance not yet taken.
// PocketSphinx lists them newest first.
func (s *Spotter) collect() {
	// The hypothesis is the utterance's detections joined; it grows
	// only when there is a new one.
	h := C.ps_get_hyp(s.ps, nil)
	if h == nil || C.strlen(h) == s.hypLen {
		return
	}
	s.hypLen = C.strlen(h)
	var all []Detection
	for seg := C.ps_seg_iter(s.ps); seg != nil; seg = C.ps_seg_next(seg) {
		var sf, ef C.int
		C.ps_seg_frames(seg, &sf, &ef)
		p := C.ps_seg_prob(seg, nil, nil, nil)
		w := strings.TrimSpace(C.GoString(C.ps_seg_word(seg)))
		if n, ok := s.names[w]; ok {
			w = n
		}
		all = append(all, Detection{
			Keyword:    w,
			Start:      s.offset(int64(sf)),
			End:        s.offset(int64(ef) + 1),
			Confidence: min(float64(C.spot_exp(s.ps, p)), 1),
		})
	}
	for i := len(all) - 1 - s.seen; i >= 0; i-- {
		s.seen++
		d := all[i]
		// Two pronunciations of one keyword can both fire on one word:
		// keep one detection per keyword and stretch of audio.
		if last, ok := s.last[d.Keyword]; ok && d.Start < last.End && last.Start < d.End {
			continue
		}
		s.last[d.Keyword] = d
		if len(s.pending) >= maxPending {
			s.dropped++
			continue
		}
		s.pending = append(s.pending, d)
	}
}

// pos is the stream position, in samples at modelRate, of the next
// sample the decoder is given: what it was given plus what was skipped.
func (s *Spotter) pos() int64 {
	return s.fed + s.lost*modelRate/int64(s.rate)
}

// offset converts a frame of the current utterance to a stream offset.
func (s *Spotter) offset(frame int64) time.Duration {
	samples := s.base + (frame-s.frameBase)*frameSamples
	return time.Duration(samples) * time.Second / modelRate
}

// Detections returns the detections found so far and forgets them. The
// slice is the caller's.
func (s *Spotter) Detections() []Detection {
	d := s.pending
	s.pending = nil
	return d
}

// Dropped is how many detections were dropped because more than
// maxPending waited to be taken.
func (s *Spotter) Dropped() int64 { return s.dropped }

// Flush decodes what is held back and ends the current utterance, so
// that a keyword at the very end of the stream is reported; Write may
// continue afterwards.
func (s *Spotter) Flush() error {
	if s.closed {
		return ErrClosed
	}
	if s.err != nil {
		return s.err
	}
	if !s.primed {
		if err := s.doPrime(); err != nil {
			return err
		}
	}
	if err := s.decodeBlock(); err != nil {
		return err
	}
	return s.restart()
}

// Close frees the decoder. Detections not yet taken stay available.
func (s *Spotter) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	if s.ps != nil {
		C.ps_free(s.ps)
		s.ps = nil
	}
	if s.kwsFile != "" {
		os.Remove(s.kwsFile)
	}
	return nil
}
