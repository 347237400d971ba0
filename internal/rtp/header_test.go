package rtp

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

func TestHeaderUnmarshalCaptures(t *testing.T) {
	tests := []struct {
		file       string
		want       Header
		csrc       []uint32
		ext        []byte
		payloadOff int
		payload    []byte
	}{
		{
			file:       "rtp/pcmu.hex",
			want:       Header{Version: 2, Marker: true, PayloadType: 0, SequenceNumber: 8000, Timestamp: 40960, SSRC: 0x4a1b2c3d},
			payloadOff: 12,
			payload:    bytes.Repeat([]byte{0xff}, 8),
		},
		{
			file:       "rtp/pcma_csrc.hex",
			want:       Header{Version: 2, PayloadType: 8, SequenceNumber: 0xffff, Timestamp: 0xfffffff0, SSRC: 1, CSRCCount: 2},
			csrc:       []uint32{0x11111111, 0x22222222},
			payloadOff: 20,
			payload:    []byte{0xd5, 0xd5, 0xd5, 0xd5},
		},
		{
			file: "rtp/ext_onebyte.hex",
			want: Header{Version: 2, Extension: true, PayloadType: 111, SequenceNumber: 0x0102, Timestamp: 0x01020304,
				SSRC: 0xcafebabe, ExtensionProfile: 0xbede, ExtensionLength: 1},
			ext:        []byte{0x10, 0x30, 0, 0},
			payloadOff: 20,
			payload:    []byte{1, 2, 3, 4},
		},
		{
			file:       "rtp/padded.hex",
			want:       Header{Version: 2, Padding: true, PayloadType: 18, SequenceNumber: 7, Timestamp: 0x50, SSRC: 0x01020304, PaddingSize: 4},
			payloadOff: 12,
			payload:    []byte{0xde, 0xad, 0xbe, 0xef},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b := readHex(t, tt.file)
			var h Header
			off, err := h.Unmarshal(b)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			copy(want.CSRC[:], tt.csrc)
			want.ExtensionData = tt.ext
			if !headerEqual(&h, &want) {
				t.Errorf("got  %+v\nwant %+v", h, want)
			}
			if off != tt.payloadOff {
				t.Errorf("payload offset %d, want %d", off, tt.payloadOff)
			}
			if p := b[off : len(b)-int(h.PaddingSize)]; !bytes.Equal(p, tt.payload) {
				t.Errorf("payload %x, want %x", p, tt.payload)
			}

			// Peek agrees with Unmarshal.
			ssrc, seq, ts, pt, ok := Peek(b)
			if !ok || ssrc != h.SSRC || seq != h.SequenceNumber || ts != h.Timestamp || pt != h.PayloadType {
				t.Errorf("Peek = %x %d %d %d %v", ssrc, seq, ts, pt, ok)
			}

			// MarshalTo reproduces the header octets exactly.
			out, err := h.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, b[:off]) || len(out) != h.MarshalSize() {
				t.Errorf("Marshal = %x, want %x", out, b[:off])
			}
			if IsRTCP(b) {
				t.Error("IsRTCP true for an RTP packet")
			}
		})
	}
}

func TestHeaderUnmarshalErrors(t *testing.T) {
	tests := []struct {
		name string
		hex  string
		want error
	}{
		{"empty", "", ErrShortPacket},
		{"11 octets", "80 00 00 01 00 00 00 00 00 00 00", ErrShortPacket},
		{"version 1", "40 00 00 01 00 00 00 00 00 00 00 01", ErrBadVersion},
		{"version 0 (STUN-like)", "00 01 00 00 21 12 a4 42 00 00 00 00", ErrBadVersion},
		{"csrc list cut", "83 00 00 01 00 00 00 00 00 00 00 01  00 00 00 01 00 00 00 02", ErrShortPacket},
		{"extension header cut", "90 00 00 01 00 00 00 00 00 00 00 01  be de", ErrShortPacket},
		{"extension data cut", "90 00 00 01 00 00 00 00 00 00 00 01  be de 00 02 00 00 00 00", ErrShortPacket},
		{"padding count zero", "a0 00 00 01 00 00 00 00 00 00 00 01  aa bb cc 00", ErrBadPadding},
		{"padding past header", "a0 00 00 01 00 00 00 00 00 00 00 01  aa bb cc 05", ErrBadPadding},
		{"padding bit, no room", "a0 00 00 01 00 00 00 00 00 00 00 01", ErrBadPadding},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h Header
			_, err := h.Unmarshal(mustHex(t, tt.hex))
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			t.Log(err)
		})
	}
}

func TestHeaderMarshalErrors(t *testing.T) {
	h := Header{Version: 2, CSRCCount: 16}
	if _, err := h.MarshalTo(make([]byte, 100)); !errors.Is(err, ErrBadCSRCCount) {
		t.Errorf("csrc 16: %v", err)
	}
	h = Header{Version: 2, Extension: true, ExtensionLength: 2, ExtensionData: make([]byte, 4)}
	if _, err := h.MarshalTo(make([]byte, 100)); !errors.Is(err, ErrBadExtension) {
		t.Errorf("extension: %v", err)
	}
	h = Header{Version: 2, CSRCCount: 1}
	if _, err := h.MarshalTo(make([]byte, 15)); !errors.Is(err, ErrBufferTooSmall) {
		t.Errorf("small buffer: %v", err)
	}
}

func TestPeekRejects(t *testing.T) {
	for _, b := range [][]byte{nil, make([]byte, 11), {0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}} {
		if _, _, _, _, ok := Peek(b); ok {
			t.Errorf("Peek(%x) ok", b)
		}
	}
}

// headerEqual compares every field, ExtensionData by content.
func headerEqual(a, b *Header) bool {
	x, y := *a, *b
	if !bytes.Equal(x.ExtensionData, y.ExtensionData) {
		return false
	}
	x.ExtensionData, y.ExtensionData = nil, nil
	return reflect.DeepEqual(x, y)
}
