package spot

// Skip tells the spotter that n samples (at Config.SampleRate) of the
// stream were lost before the next Write, say dropped by a queue that
// fell behind. Detections after it keep their offsets in the leg's
// audio: they count the lost samples as if they had been written.
//
// Offsets of one utterance are counted from its start, so Skip ends the
// utterance (as Flush does: what was written is decoded and its
// detections queued) and starts the next one at the new position; a
// keyword cut by the loss is not found. An error of the decoder is
// returned by the next Write or Flush. Skip after Close does nothing.
func (s *Spotter) Skip(n int) {
	if s.closed || s.err != nil || n <= 0 {
		return
	}
	if !s.primed && len(s.prime) > 0 {
		// The held-back start adapts the cepstral mean as far as it
		// goes; what follows the gap is decoded as it comes.
		if s.err = s.doPrime(); s.err != nil {
			return
		}
	}
	if s.err = s.decodeBlock(); s.err != nil {
		return
	}
	if s.pos() > s.base {
		// This utterance has frames: end it, and start one whose
		// frames count from after the gap.
		if s.err = s.restart(); s.err != nil {
			return
		}
	}
	s.lost += int64(n)
	s.base = s.pos()
}
