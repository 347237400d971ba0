package rtp

import "testing"

func TestSeqUnwrap(t *testing.T) {
	type step struct {
		seq uint16
		res SeqResult
		ext int64
	}
	tests := []struct {
		name  string
		steps []step
		base  uint32
		max   uint32
	}{
		{"probation then in order", []step{
			{100, SeqProbation, 100}, {101, SeqInOrder, 101}, {102, SeqInOrder, 102},
		}, 101, 102},
		{"probation restarts on a gap", []step{
			{100, SeqProbation, 100}, {105, SeqProbation, 105}, {106, SeqInOrder, 106},
		}, 106, 106},
		{"gap below MaxDropout is loss", []step{
			{1, SeqProbation, 1}, {2, SeqInOrder, 2}, {2 + 2999, SeqInOrder, 3001},
		}, 2, 3001},
		{"wrap at 65535", []step{
			{65534, SeqProbation, 65534}, {65535, SeqInOrder, 65535}, {0, SeqInOrder, 65536}, {1, SeqInOrder, 65537},
		}, 65535, 65537},
		{"late packet from before the wrap", []step{
			{65533, SeqProbation, 65533}, {65534, SeqInOrder, 65534}, {1, SeqInOrder, 65537},
			{65535, SeqLate, 65535}, {0, SeqLate, 65536},
		}, 65534, 65537},
		{"late before the first valid packet", []step{
			{0, SeqProbation, 0}, {1, SeqInOrder, 1}, {65535, SeqLate, -1},
		}, 1, 1},
		{"MaxMisorder-1 behind is late", []step{
			{1000, SeqProbation, 1000}, {1001, SeqInOrder, 1001}, {902, SeqLate, 902},
		}, 1001, 1001},
		{"MaxMisorder behind is a jump", []step{
			{1000, SeqProbation, 1000}, {1001, SeqInOrder, 1001}, {901, SeqJump, 901},
		}, 1001, 1001},
		{"MaxDropout ahead is a jump, dropped if not followed", []step{
			{1, SeqProbation, 1}, {2, SeqInOrder, 2}, {3002, SeqJump, 3002}, {3, SeqInOrder, 3},
		}, 2, 3},
		{"jump followed by its successor resyncs", []step{
			{10, SeqProbation, 10}, {11, SeqInOrder, 11}, {40000, SeqJump, 40000}, {40001, SeqResync, 40001},
			{40002, SeqInOrder, 40002},
		}, 40001, 40002},
		{"jump to 65535 then 0 resyncs", []step{
			{10, SeqProbation, 10}, {11, SeqInOrder, 11}, {65535 - 200, SeqJump, 65335}, {65336, SeqResync, 65336},
		}, 65336, 65336},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s SeqUnwrap
			for i, st := range tt.steps {
				res, ext := s.Update(st.seq)
				if res != st.res || ext != st.ext {
					t.Fatalf("step %d seq %d: got %v %d, want %v %d", i, st.seq, res, ext, st.res, st.ext)
				}
			}
			if !s.Valid() || s.Base() != tt.base || s.Max() != tt.max {
				t.Errorf("valid %v base %d max %d, want %d %d", s.Valid(), s.Base(), s.Max(), tt.base, tt.max)
			}
		})
	}
}

func TestSeqUnwrapManyCycles(t *testing.T) {
	var s SeqUnwrap
	seq := uint16(65000)
	for range 3 * 65536 {
		s.Update(seq)
		seq++
	}
	if s.Cycles() != 3 || s.Max() != 3<<16+65000-1 {
		t.Errorf("cycles %d max %d", s.Cycles(), s.Max())
	}
	s.Reset()
	if s.Valid() {
		t.Error("valid after Reset")
	}
}

func TestSeqResultString(t *testing.T) {
	for r, want := range map[SeqResult]string{SeqProbation: "probation", SeqInOrder: "in-order", SeqLate: "late",
		SeqJump: "jump", SeqResync: "resync", 99: "invalid"} {
		if r.String() != want {
			t.Errorf("%d: %q", r, r.String())
		}
	}
}
