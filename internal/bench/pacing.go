package bench

import "time"

// Pacing: every call sends one packet per direction every Ptime. Time is
// cut into ticks of Tick; the Ptime/Tick ticks of one packet interval form
// a wheel, and each call is pinned to one slot of its sender's wheel so
// that the load is spread evenly over the interval. A sender processes
// tick k at base + k*Tick, an absolute schedule, so lateness never
// accumulates into drift: after a late wake-up it catches up on every
// tick it missed.

// wheelSlots returns the number of slots in a wheel: ptime/tick, at
// least 1.
func wheelSlots(ptime, tick time.Duration) int {
	if tick <= 0 || ptime <= tick {
		return 1
	}
	return int(ptime / tick)
}

// slotOf returns the wheel slot of call i when calls are dealt round-robin
// to nSenders senders: consecutive calls of one sender take consecutive
// slots.
func slotOf(i, nSenders, slots int) int {
	return (i / nSenders) % slots
}

// senderOf returns the sender that owns call i.
func senderOf(i, nSenders int) int { return i % nSenders }

// tickDue returns the time, relative to base, at which tick k is due.
func tickDue(k int64, tick time.Duration) time.Duration {
	return time.Duration(k) * tick
}

// ticksElapsed returns the index of the last tick due at elapsed (the
// number of ticks due so far, minus one); -1 before the first tick.
func ticksElapsed(elapsed, tick time.Duration) int64 {
	if elapsed < 0 {
		return -1
	}
	return int64(elapsed / tick)
}

// rampStart returns when call i of n starts when calls are ramped up
// evenly over ramp.
func rampStart(i, n int, ramp time.Duration) time.Duration {
	if n <= 1 || ramp <= 0 {
		return 0
	}
	return time.Duration(int64(ramp) * int64(i) / int64(n))
}
