package timeline

// driftStep decides the smooth correction to apply at pos and applies it
// to the placement, returning the step in samples (negative moves audio
// earlier, dropping samples; positive inserts silence).
//
// The filter's error e is the least offset (arrival minus placement)
// over the last one to two seconds. Correction starts once |e| exceeds
// driftTrigger and stops within driftSettle. A step is taken whole at a
// cut point (a talkspurt start or a gap, where nothing audible is cut),
// up to quietStep in a quiet packet, and otherwise up to forcedStep every
// forcedEvery, so a leg without pauses still follows the clock.
func (l *Leg) driftStep(pos int64, cut, quiet bool) int64 {
	e := min(l.minCur, l.minPrev)
	if !l.correcting {
		if abs(e) <= int64(driftTrigger) {
			return 0
		}
		l.correcting, l.lastStep = true, pos
	}
	if abs(e) <= int64(driftSettle) {
		l.correcting = false
		return 0
	}
	want := l.nsToSamples(e)
	var step int64
	switch {
	case cut:
		step = want
	case quiet:
		step = clampAbs(want, l.nsToSamples(int64(quietStep)))
	case pos-l.lastStep >= l.nsToSamples(int64(forcedEvery)):
		step = clampAbs(want, l.nsToSamples(int64(forcedStep)))
	}
	if step == 0 {
		return 0
	}
	l.lastStep = pos
	l.corr += step
	d := l.samplesToNs(step)
	l.minCur -= d
	l.minPrev -= d
	l.stats.DriftSteps++
	l.stats.DriftNanos += abs(d)
	if abs(e-d) <= int64(driftSettle) {
		l.correcting = false
	}
	return step
}

func clampAbs(v, limit int64) int64 {
	return max(-limit, min(v, limit))
}
