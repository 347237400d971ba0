package collect

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"testing"
)

func TestFrameRoundTrip(t *testing.T) {
	sum := sha256.Sum256([]byte("x"))
	b := AppendHello(nil, "tok", "node-1")
	b = AppendData(b, TypeData, 7, 1<<33, []byte("audio"))
	b = AppendMeta(b, 7, "2026/11/24/c", []byte(`{"call_id":"c"}`))
	b = AppendCommit(b, 7, 12345, sum)
	b = AppendCommitted(b, 7, 12345, "file:/x")
	b = AppendOffset(b, TypeAck, 7, 99)

	next := func() (Type, uint32, []byte) {
		ty, id, n, err := ParseHeader(b)
		if err != nil {
			t.Fatal(err)
		}
		body := b[HeaderLen : HeaderLen+n]
		b = b[HeaderLen+n:]
		return ty, id, body
	}
	if ty, _, body := next(); ty != TypeHello {
		t.Fatalf("type %d", ty)
	} else if v, tok, node, err := ParseHello(body); err != nil || v != Version || tok != "tok" || node != "node-1" {
		t.Fatalf("hello %d %q %q %v", v, tok, node, err)
	}
	if ty, id, body := next(); ty != TypeData || id != 7 {
		t.Fatalf("type %d id %d", ty, id)
	} else if off, p, err := ParseData(body); err != nil || off != 1<<33 || string(p) != "audio" {
		t.Fatalf("data %d %q %v", off, p, err)
	}
	if _, _, body := next(); true {
		if rec, side, err := ParseMeta(body); err != nil || rec != "2026/11/24/c" || string(side) != `{"call_id":"c"}` {
			t.Fatalf("meta %q %q %v", rec, side, err)
		}
	}
	if _, _, body := next(); true {
		if size, s, err := ParseCommit(body); err != nil || size != 12345 || s != sum {
			t.Fatalf("commit %d %v", size, err)
		}
	}
	if _, _, body := next(); true {
		if size, loc, err := ParseCommitted(body); err != nil || size != 12345 || loc != "file:/x" {
			t.Fatalf("committed %d %q %v", size, loc, err)
		}
	}
	if _, _, body := next(); true {
		if off, err := ParseOffset(body); err != nil || off != 99 {
			t.Fatalf("ack %d %v", off, err)
		}
	}
}

func TestFrameErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		hdr  []byte
	}{
		{"short", []byte{0, 0, 0, 5}},
		{"length below the fixed part", []byte{0, 0, 0, 4, 5, 0, 0, 0, 1}},
		{"length beyond MaxBody", []byte{0, 0x20, 0, 0, 5, 0, 0, 0, 1}},
		{"type 0", []byte{0, 0, 0, 5, 0, 0, 0, 0, 1}},
		{"type 200", []byte{0, 0, 0, 5, 200, 0, 0, 0, 1}},
	} {
		if _, _, _, err := ParseHeader(c.hdr); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	d := AppendData(nil, TypeData, 1, 0, []byte("abc"))[HeaderLen:]
	d[len(d)-1] = 'x'
	if _, _, err := ParseData(d); !errors.Is(err, ErrChecksum) {
		t.Errorf("corrupted data: %v", err)
	}
	if _, _, err := ParseData(d[:11]); !errors.Is(err, ErrMalformed) {
		t.Errorf("short data: %v", err)
	}
	if _, _, _, err := ParseHello([]byte{1, 0, 9, 'a'}); !errors.Is(err, ErrMalformed) {
		t.Errorf("short hello: %v", err)
	}
}

// FuzzParse feeds arbitrary bytes to every parser: errors, never a
// panic, and DATA that parses re-encodes to the same bytes.
func FuzzParse(f *testing.F) {
	f.Add(AppendData(nil, TypeData, 1, 44, []byte("pcm")))
	f.Add(AppendHello(nil, "t", "n"))
	f.Add(AppendMeta(nil, 3, "r", []byte("{}")))
	f.Fuzz(func(t *testing.T, b []byte) {
		ty, id, n, err := ParseHeader(b)
		if err != nil || len(b) < HeaderLen+n {
			ParseHello(b)
			ParseMeta(b)
			ParseCommit(b)
			ParseCommitted(b)
			ParseOffset(b)
			return
		}
		body := b[HeaderLen : HeaderLen+n]
		if ty == TypeData {
			if off, p, err := ParseData(body); err == nil {
				if again := AppendData(nil, TypeData, id, off, p); !bytes.Equal(again, b[:HeaderLen+n]) {
					t.Fatalf("DATA re-encodes differently")
				}
			}
		}
	})
}

// BenchmarkAppendData is the client's per-write cost of framing 16 kB
// (one second of G.711 stereo) with its CRC-32C.
func BenchmarkAppendData(b *testing.B) {
	p := make([]byte, 16000)
	buf := make([]byte, 0, 32<<10)
	b.ReportAllocs()
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		buf = AppendData(buf[:0], TypeData, 1, 44, p)
	}
}
