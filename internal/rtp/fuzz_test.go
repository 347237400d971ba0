package rtp

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// seedCaptures adds every hand-built capture under testdata/dir to f.
func seedCaptures(f *testing.F, dir string) {
	names, _ := filepath.Glob(filepath.Join("testdata", dir, "*.hex"))
	for _, n := range names {
		rel, _ := filepath.Rel("testdata", n)
		f.Add(readHex(f, rel))
	}
}

// FuzzHeaderUnmarshal checks that whatever Unmarshal accepts survives a
// round trip: Unmarshal -> MarshalTo (+ original payload and padding) ->
// Unmarshal gives the same header, the same offset and the same octets.
func FuzzHeaderUnmarshal(f *testing.F) {
	seedCaptures(f, "rtp")
	f.Add([]byte{0x80})
	f.Fuzz(func(t *testing.T, b []byte) {
		var h Header
		off, err := h.Unmarshal(b)
		if _, _, _, _, ok := Peek(b); ok != (len(b) >= HeaderSize && b[0]>>6 == 2) {
			t.Fatalf("Peek ok=%v", ok)
		}
		if err != nil {
			return
		}
		if off > len(b)-int(h.PaddingSize) {
			t.Fatalf("payload offset %d past end %d - padding %d", off, len(b), h.PaddingSize)
		}
		if h.MarshalSize() != off {
			t.Fatalf("MarshalSize %d, offset %d", h.MarshalSize(), off)
		}
		out := make([]byte, off, len(b))
		n, err := h.MarshalTo(out)
		if err != nil || n != off {
			t.Fatalf("MarshalTo = %d, %v", n, err)
		}
		if !bytes.Equal(out, b[:off]) {
			t.Fatalf("re-marshalled header %x, want %x", out, b[:off])
		}
		out = append(out, b[off:]...)
		var h2 Header
		off2, err := h2.Unmarshal(out)
		if err != nil || off2 != off || !headerEqual(&h, &h2) {
			t.Fatalf("round trip: %v off %d/%d\n%+v\n%+v", err, off, off2, h, h2)
		}
	})
}

// FuzzRTCP checks that the compound walker, every block parser and the SDES
// reader never panic and that accepted packets tile the input exactly.
func FuzzRTCP(f *testing.F) {
	seedCaptures(f, "rtcp")
	f.Add([]byte{0x80, 0xc9, 0, 1, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := NewRTCPReader(b)
		var p RTCPPacket
		var (
			sr   SenderReport
			rr   ReceiverReport
			bye  Bye
			app  App
			item SDESItem
		)
		end := 0
		for r.Next(&p) {
			if p.Offset != end || len(p.Raw) != 4*(int(p.Length)+1) || len(p.Body) > len(p.Raw)-RTCPHeaderSize {
				t.Fatalf("packet at %d: %+v raw %d body %d", end, p.RTCPHeader, len(p.Raw), len(p.Body))
			}
			end += len(p.Raw)
			_ = sr.Unmarshal(&p)
			_ = rr.Unmarshal(&p)
			_ = bye.Unmarshal(&p)
			_ = app.Unmarshal(&p)
			if sd, err := NewSDESReader(&p); err == nil {
				for sd.Next(&item) {
				}
			}
		}
		if r.Err() == nil && end != len(b) {
			t.Fatalf("walked %d of %d bytes without error", end, len(b))
		}
		var blocks [8]ReceptionReport
		_, _, _ = ReceptionReports(b, blocks[:])
		_ = IsRTCP(b)
	})
}

// TestFuzzCorpusPresent keeps the committed regression corpus honest: each
// file must be in the native fuzz format.
func TestFuzzCorpusPresent(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "fuzz", "*", "*"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil || !bytes.HasPrefix(b, []byte("go test fuzz v1\n")) {
			t.Errorf("%s: not a fuzz corpus file (%v)", name, err)
		}
	}
}

// FuzzStats feeds arbitrary (ssrc, seq, timestamp, arrival) streams to
// Stats and checks its invariants: it never panics and the counters stay
// consistent with each other.
func FuzzStats(f *testing.F) {
	f.Add([]byte{0, 1, 0, 2, 0, 3, 0, 3, 0, 2, 0xff, 0xff, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		var st Stats
		now := int64(0)
		for i := 0; i+2 <= len(b); i += 2 {
			seq := uint16(b[i])<<8 | uint16(b[i+1])
			ssrc := uint32(1)
			if b[i] == 0xee { // an occasional SSRC change
				ssrc = 2
			}
			now += int64(b[i+1]) * 1e6
			st.Update(ssrc, seq, uint32(seq)*160, 172, now, 8000)
			s := st.Snapshot()
			if s.Lost != int64(s.Expected)-int64(s.Received) {
				t.Fatalf("lost %d != %d - %d", s.Lost, s.Expected, s.Received)
			}
			if s.Reordered+s.Duplicates > s.Received {
				t.Fatalf("reordered %d + duplicates %d > received %d", s.Reordered, s.Duplicates, s.Received)
			}
			if s.Valid && s.Expected == 0 {
				t.Fatalf("valid with nothing expected: %+v", s)
			}
		}
	})
}
