package timeline

// slot is one packet held for reordering, with its payload copied into
// storage the jitter buffer owns.
type slot struct {
	seq     int64 // extended sequence number
	extTS   int64 // extended RTP timestamp
	arrival int64
	ts      uint32
	pt      uint8
	marker  bool
	n       int    // payload length in data
	data    []byte // grown to the largest payload this slot held (at most MaxPayload)
}

// jitter holds up to jitterSlots packets ordered by extended sequence
// number. The slots are allocated once by init and each slot's storage
// grows to the largest payload it has held, so a G.711 leg keeps 32 ×
// 160 bytes, not 32 × MaxPayload; order is a permutation
// of slot indices, order[:n] sorted by seq, so inserting moves indices,
// not payloads.
type jitter struct {
	slots []slot
	order []int
	n     int
}

func (j *jitter) init() {
	j.slots = make([]slot, jitterSlots)
	j.order = make([]int, jitterSlots)
	for i := range j.order {
		j.order[i] = i
	}
}

func (j *jitter) full() bool { return j.n == len(j.slots) }

// head is the held packet with the lowest sequence number (n > 0).
func (j *jitter) head() *slot { return &j.slots[j.order[0]] }

// pop removes the head and returns it; the slot stays valid until the
// next insert.
func (j *jitter) pop() *slot {
	i := j.order[0]
	copy(j.order, j.order[1:j.n])
	j.n--
	j.order[j.n] = i
	return &j.slots[i]
}

// insert returns a free slot placed at the sorted position of seq, or
// nil when a packet with seq is already held (a duplicate). The caller
// fills the slot; the buffer must not be full.
func (j *jitter) insert(seq int64) *slot {
	k := j.n
	for k > 0 && j.slots[j.order[k-1]].seq >= seq {
		if j.slots[j.order[k-1]].seq == seq {
			return nil
		}
		k--
	}
	free := j.order[j.n]
	copy(j.order[k+1:j.n+1], j.order[k:j.n])
	j.order[k] = free
	j.n++
	s := &j.slots[free]
	s.seq = seq
	return s
}
