package rtp

import (
	"errors"
	"testing"
	"time"
)

func TestIsRTCP(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		want bool
	}{
		{"SR", []byte{0x80, 200, 0, 6}, true},
		{"RR", []byte{0x80, 201, 0, 1}, true},
		{"XR", []byte{0x80, 207, 0, 1}, true},
		{"type 192", []byte{0x80, 192, 0, 1}, true},
		{"type 223", []byte{0x80, 223, 0, 1}, true},
		{"PCMU", []byte{0x80, 0x00, 0, 1}, false},
		{"PCMU marker", []byte{0x80, 0x80, 0, 1}, false},
		{"dynamic 96 marker", []byte{0x80, 0x80 | 96, 0, 1}, false},
		{"PT 63 marker", []byte{0x80, 0x80 | 63, 0, 1}, false},
		{"type 224", []byte{0x80, 224, 0, 1}, false},
		{"version 1", []byte{0x40, 200, 0, 1}, false},
		{"short", []byte{0x80, 200, 0}, false},
	}
	for _, tt := range tests {
		if got := IsRTCP(tt.b); got != tt.want {
			t.Errorf("%s: IsRTCP = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestRTCPCompoundSRSDES(t *testing.T) {
	b := readHex(t, "rtcp/sr_sdes.hex")
	if !IsRTCP(b) {
		t.Fatal("not RTCP")
	}
	r := NewRTCPReader(b)
	var p RTCPPacket

	if !r.Next(&p) || p.Type != TypeSR || p.Count != 1 || p.Offset != 0 || len(p.Raw) != 52 {
		t.Fatalf("first packet %+v, err %v", p.RTCPHeader, r.Err())
	}
	var sr SenderReport
	if err := sr.Unmarshal(&p); err != nil {
		t.Fatal(err)
	}
	wantInfo := SenderInfo{NTPTime: 0xe97d4c0080000000, RTPTime: 0x1f400, PacketCount: 100, OctetCount: 16000}
	if sr.SSRC != 0x12345678 || sr.Info != wantInfo || sr.ReportCount != 1 || sr.Extension != nil {
		t.Errorf("SR %+v", sr)
	}
	if got := sr.Info.MiddleNTP(); got != 0x4c008000 {
		t.Errorf("MiddleNTP %x", got)
	}
	wantRR := ReceptionReport{SSRC: 0x9abcdef0, FractionLost: 25, TotalLost: 5, HighestSeq: 0x10010, Jitter: 42, LSR: 0x4c008000, DLSR: 0x18000}
	if sr.Reports[0] != wantRR {
		t.Errorf("report %+v, want %+v", sr.Reports[0], wantRR)
	}
	if d := wantRR.DelaySinceLastSR(); d != 1500*time.Millisecond {
		t.Errorf("DLSR %v", d)
	}
	if l := wantRR.LossRatio(); l < 0.097 || l > 0.098 {
		t.Errorf("loss ratio %v", l)
	}

	if !r.Next(&p) || p.Type != TypeSDES || p.Offset != 52 {
		t.Fatalf("second packet %+v, err %v", p.RTCPHeader, r.Err())
	}
	sd, err := NewSDESReader(&p)
	if err != nil {
		t.Fatal(err)
	}
	var it SDESItem
	if !sd.Next(&it) || it.SSRC != 0x12345678 || it.Type != SDESCNAME || string(it.Text) != "a@b.com" {
		t.Errorf("item %+v err %v", it, sd.Err())
	}
	if sd.Next(&it) || sd.Err() != nil {
		t.Errorf("extra item %+v err %v", it, sd.Err())
	}
	if r.Next(&p) || r.Err() != nil {
		t.Errorf("extra packet, err %v", r.Err())
	}

	var blocks [4]ReceptionReport
	n, reporter, err := ReceptionReports(b, blocks[:])
	if err != nil || n != 1 || reporter != 0x12345678 || blocks[0] != wantRR {
		t.Errorf("ReceptionReports = %d %x %v %+v", n, reporter, err, blocks[0])
	}
}

func TestRTCPCompoundRRBye(t *testing.T) {
	b := readHex(t, "rtcp/rr_bye.hex")
	r := NewRTCPReader(b)
	var p RTCPPacket
	var types []uint8
	for r.Next(&p) {
		types = append(types, p.Type)
		switch p.Type {
		case TypeRR:
			var rr ReceiverReport
			if err := rr.Unmarshal(&p); err != nil {
				t.Fatal(err)
			}
			want := ReceptionReport{SSRC: 0x4a1b2c3d, TotalLost: -2, HighestSeq: 0x1f4f, Jitter: 3}
			if rr.SSRC != 0x0badf00d || rr.ReportCount != 1 || rr.Reports[0] != want {
				t.Errorf("RR %+v", rr)
			}
			var sr SenderReport
			if err := sr.Unmarshal(&p); !errors.Is(err, ErrWrongRTCPType) {
				t.Errorf("SR.Unmarshal(RR) = %v", err)
			}
		case TypeSDES:
			sd, _ := NewSDESReader(&p)
			var it SDESItem
			if sd.Next(&it) || sd.Err() != nil {
				t.Errorf("empty chunk gave %+v, %v", it, sd.Err())
			}
		case TypeBYE:
			var bye Bye
			if err := bye.Unmarshal(&p); err != nil {
				t.Fatal(err)
			}
			if bye.Count != 1 || bye.SSRCs[0] != 0x0badf00d || string(bye.Reason) != "byebye" {
				t.Errorf("BYE %+v", bye)
			}
		}
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if string(types) != string([]uint8{TypeRR, TypeSDES, TypeBYE}) {
		t.Errorf("types %v", types)
	}
}

func TestRTCPAppPadded(t *testing.T) {
	b := readHex(t, "rtcp/app_padded.hex")
	r := NewRTCPReader(b)
	var p RTCPPacket
	r.Next(&p)
	var rr ReceiverReport
	if err := rr.Unmarshal(&p); err != nil || rr.ReportCount != 0 {
		t.Fatalf("RR %+v %v", rr, err)
	}
	if !r.Next(&p) || !p.Padding || len(p.Body) != 12 || len(p.Raw) != 20 {
		t.Fatalf("APP packet %+v body %d, err %v", p.RTCPHeader, len(p.Body), r.Err())
	}
	var app App
	if err := app.Unmarshal(&p); err != nil {
		t.Fatal(err)
	}
	if app.Subtype != 5 || app.SSRC != 0x0badf00d || string(app.Name[:]) != "CREC" || string(app.Data) != "\x01\x02\x03\x04" {
		t.Errorf("APP %+v", app)
	}
	if err := ValidateRTCP(b); err != nil {
		t.Error(err)
	}
	n, reporter, err := ReceptionReports(b, nil)
	if n != 0 || reporter != 0x0badf00d || err != nil {
		t.Errorf("ReceptionReports = %d %x %v", n, reporter, err)
	}
}

func TestRTCPErrors(t *testing.T) {
	tests := []struct {
		name string
		hex  string
		want error
	}{
		{"empty", "", ErrShortPacket},
		{"3 octets", "80 c9 00", ErrShortPacket},
		{"version 1", "40 c9 00 01 00 00 00 01", ErrBadVersion},
		{"RTP in compound", "80 c9 00 01 00 00 00 01  80 00 00 01", ErrNotRTCP},
		{"length past end", "80 c9 00 02 00 00 00 01", ErrBadRTCPLength},
		{"second length past end", "80 c9 00 01 00 00 00 01  80 ca 00 05 00 00 00 01", ErrBadRTCPLength},
		{"padding not last", "a0 c9 00 01 00 00 00 04  80 c9 00 01 00 00 00 01", ErrRTCPPaddingNotLast},
		{"padding zero", "a0 c9 00 01 00 00 00 00", ErrBadPadding},
		{"padding past header", "a0 c9 00 01 00 00 00 05", ErrBadPadding},
		{"trailing garbage", "80 c9 00 01 00 00 00 01  00", ErrShortPacket},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateRTCP(mustHex(t, tt.hex))
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			t.Log(err)
		})
	}
}

func TestRTCPBlockErrors(t *testing.T) {
	tests := []struct {
		name  string
		hex   string
		parse func(p *RTCPPacket) error
		want  error
	}{
		{"SR too short for sender info", "80 c8 00 01 00 00 00 01",
			func(p *RTCPPacket) error { var s SenderReport; return s.Unmarshal(p) }, ErrBadRTCPLength},
		{"RR count past body", "82 c9 00 07 00 00 00 01" + zeros(24),
			func(p *RTCPPacket) error { var r ReceiverReport; return r.Unmarshal(p) }, ErrBadRTCPLength},
		{"RR profile extension kept", "80 c9 00 02 00 00 00 01 aa bb cc dd",
			func(p *RTCPPacket) error {
				var r ReceiverReport
				if err := r.Unmarshal(p); err != nil || len(r.Extension) != 4 {
					return errors.New("extension lost")
				}
				return nil
			}, nil},
		{"BYE count past body", "82 cb 00 01 00 00 00 01",
			func(p *RTCPPacket) error { var b Bye; return b.Unmarshal(p) }, ErrBadRTCPLength},
		{"BYE reason cut", "81 cb 00 02 00 00 00 01 09 61 62 63",
			func(p *RTCPPacket) error { var b Bye; return b.Unmarshal(p) }, ErrShortPacket},
		{"APP without name", "80 cc 00 01 00 00 00 01",
			func(p *RTCPPacket) error { var a App; return a.Unmarshal(p) }, ErrBadRTCPLength},
		{"SDES item cut", "81 ca 00 02 00 00 00 01 01 09 61 62",
			sdesDrain, ErrShortPacket},
		{"SDES unterminated", "81 ca 00 02 00 00 00 01 01 02 61 62",
			sdesDrain, ErrShortPacket},
		{"SDES missing chunk", "82 ca 00 02 00 00 00 01 00 00 00 00",
			sdesDrain, ErrShortPacket},
		{"SDES on RR", "80 c9 00 01 00 00 00 01",
			sdesDrain, ErrWrongRTCPType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewRTCPReader(mustHex(t, tt.hex))
			var p RTCPPacket
			if !r.Next(&p) {
				t.Fatalf("reader: %v", r.Err())
			}
			err := tt.parse(&p)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			t.Log(err)
		})
	}
}

func sdesDrain(p *RTCPPacket) error {
	sd, err := NewSDESReader(p)
	if err != nil {
		return err
	}
	var it SDESItem
	for sd.Next(&it) {
	}
	return sd.Err()
}

func zeros(n int) string {
	s := ""
	for range n {
		s += " 00"
	}
	return s
}
