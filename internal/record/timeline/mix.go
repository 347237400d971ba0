package timeline

// Combining two legs. Each function works on whole slices the caller
// owns, writes min(len(a), len(b)) frames and allocates nothing. For
// "separate" recordings the caller simply writes each leg's Pull output
// to its own file.

// Interleave writes left and right as interleaved stereo frames into out
// (left first: the caller's leg by convention) and returns the number of
// frames written: min(len(left), len(right), len(out)/2).
func Interleave(left, right, out []int16) int {
	n := min(len(left), len(right), len(out)/2)
	out = out[:2*n]
	for i := range n {
		out[2*i] = left[i]
		out[2*i+1] = right[i]
	}
	return n
}

// mixKnee is where Mix's limiter starts to bend: 0.75 of full scale,
// about -2.5 dBFS, above any level speech normally reaches on one leg.
const mixKnee = 24576

// Mix writes the mono sum of a and b into out and returns the number of
// samples written: min(len(a), len(b), len(out)). out may alias a or b.
//
// Mix adds at full level and passes sums up to ±mixKnee unchanged; above
// it a memoryless soft knee, knee + r·x/(x+r) with x the excess and r the
// headroom to full scale, bends the sum smoothly (slope 1 at the knee)
// towards full scale without reaching it, so nothing clips or wraps.
// This is chosen over a/2+b/2 because in a call the two parties rarely
// speak at once: halving would make every recording 6 dB quieter to
// protect the few moments of double talk, which the limiter handles with
// mild compression instead. Being memoryless it has no attack or release
// to pump on the other party's voice.
func Mix(a, b, out []int16) int {
	n := min(len(a), len(b), len(out))
	for i := range n {
		out[i] = softLimit(int32(a[i]) + int32(b[i]))
	}
	return n
}

func softLimit(s int32) int16 {
	const r = 32767 - mixKnee
	switch {
	case s > mixKnee:
		x := s - mixKnee
		return int16(mixKnee + r*x/(x+r))
	case s < -mixKnee:
		x := -s - mixKnee
		return int16(-mixKnee - r*x/(x+r))
	}
	return int16(s)
}
