package bench

import (
	"errors"
	"reflect"
	"testing"
)

func TestBencodeRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   any
		wire string
	}{
		{"string", "spam", "4:spam"},
		{"empty string", "", "0:"},
		{"int", 42, "i42e"},
		{"negative", int64(-3), "i-3e"},
		{"list", []any{"a", int64(1)}, "l1:ai1ee"},
		{"dict sorted", map[string]any{"result": "ok", "command": "ping"}, "d7:command4:ping6:result2:oke"},
		{"nested", map[string]any{"flags": []any{"trust-address"}, "sdp": "v=0\r\n"}, "d5:flagsl13:trust-addresse3:sdp5:v=0\r\ne"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AppendBencode(nil, tt.in)
			if err != nil || string(got) != tt.wire {
				t.Fatalf("encode = %q, %v; want %q", got, err, tt.wire)
			}
			back, err := DecodeBencode(got)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			want := tt.in
			if n, ok := want.(int); ok {
				want = int64(n)
			}
			if !reflect.DeepEqual(back, want) {
				t.Fatalf("decode = %#v, want %#v", back, want)
			}
		})
	}
}

func TestBencodeErrors(t *testing.T) {
	for _, in := range []string{"", "i12", "ie", "i1x2e", "5:abc", "l", "d3:key", "d1:ae", "x", "4spam", "-1:a", "i1ei2e", "99999999999:a"} {
		if _, err := DecodeBencode([]byte(in)); !errors.Is(err, ErrBencode) {
			t.Errorf("DecodeBencode(%q) err = %v, want ErrBencode", in, err)
		}
	}
	if _, err := AppendBencode(nil, 1.5); !errors.Is(err, ErrBencode) {
		t.Errorf("encoding a float: err = %v", err)
	}
}

func TestBencodeDepthLimit(t *testing.T) {
	deep := make([]byte, 0, 200)
	for i := 0; i < 100; i++ {
		deep = append(deep, 'l')
	}
	for i := 0; i < 100; i++ {
		deep = append(deep, 'e')
	}
	if _, err := DecodeBencode(deep); !errors.Is(err, ErrBencode) {
		t.Fatalf("deep nesting: err = %v", err)
	}
}

func FuzzBencode(f *testing.F) {
	for _, s := range []string{"d7:command4:pinge", "li1e3:abce", "d3:sdp5:v=0\r\n6:result2:oke", "i-0e"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := DecodeBencode(b)
		if err != nil {
			return
		}
		enc, err := AppendBencode(nil, v)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		v2, err := DecodeBencode(enc)
		if err != nil || !reflect.DeepEqual(v, v2) {
			t.Fatalf("round trip: %#v -> %q -> %#v, %v", v, enc, v2, err)
		}
	})
}

func TestParseSDPAudio(t *testing.T) {
	tests := []struct {
		name, sdp, want string
	}{
		{"session c", "v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 30000 RTP/AVP 0\r\n", "127.0.0.1:30000"},
		{"media c wins", "v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 4000 RTP/AVP 0\r\nc=IN IP4 127.0.0.2\r\n", "127.0.0.2:4000"},
		{"first audio only", "c=IN IP4 127.0.0.1\nm=video 5000 RTP/AVP 96\nm=audio 6000 RTP/AVP 0\nm=audio 7000 RTP/AVP 0\n", "127.0.0.1:6000"},
		{"video c ignored", "c=IN IP4 127.0.0.1\nm=video 5000 RTP/AVP 96\nc=IN IP4 127.0.0.9\nm=audio 6000 RTP/AVP 0\n", "127.0.0.1:6000"},
		{"later section c ignored", "c=IN IP4 127.0.0.1\nm=audio 6000 RTP/AVP 0\nm=video 5000 RTP/AVP 96\nc=IN IP4 127.0.0.9\n", "127.0.0.1:6000"},
		{"generated", MakeSDP(mustAP("127.0.0.1:1234")), "127.0.0.1:1234"},
	}
	for _, tt := range tests {
		got, err := ParseSDPAudio(tt.sdp)
		if err != nil || got.String() != tt.want {
			t.Errorf("%s: got %v, %v; want %s", tt.name, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "m=audio 0 RTP/AVP 0\r\nc=IN IP4 127.0.0.1", "m=audio 5000 RTP/AVP 0\r\n"} {
		if _, err := ParseSDPAudio(bad); !errors.Is(err, ErrControl) {
			t.Errorf("ParseSDPAudio(%q) err = %v", bad, err)
		}
	}
}
