package rtpp

import (
	"reflect"
	"testing"
)

// FuzzParse checks that Parse never panics, that errors carry an E-code,
// and that an accepted command survives AppendText and a second Parse.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"V", "VF 20050322", "Uc0,8,101 call 192.0.2.1 4000 ftag;1",
		"UAIZ20 c;b 10.0.0.1 5000 f;2 t;2", "UEI6L[::1] c ::1 1 f t /s a%20b",
		"UL{x}R1.2.3.4N c 0.0.0.0 9 f && S ttl 1", "Dw c f t", "Qv c f t ttl",
		"P3 c p 0,8 f", "CP c t f", "Na c f", "Ibl", "Gv a b", "X", "S c f",
		"Rs c f", "U c 1.2.3.4 1 f /s %zz",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte("ck "+s+"\n"), true)
	}
	f.Fuzz(func(t *testing.T, line []byte, cookie bool) {
		c, err := Parse(line, cookie)
		if c == nil {
			t.Fatal("nil command")
		}
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %v is not *Error", err)
			}
			return
		}
		text := c.AppendText(nil)
		c2, err := Parse(text, false)
		if err != nil {
			t.Fatalf("reparse of %q (from %q): %v", text, line, err)
		}
		c.Cookie, c.Mods.Raw, c2.Mods.Raw = "", "", ""
		if !reflect.DeepEqual(c, c2) {
			t.Fatalf("round trip of %q via %q\n got %+v\nwant %+v", line, text, c2, c)
		}
	})
}
