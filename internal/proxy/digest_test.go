package proxy

import (
	"testing"

	"github.com/icholy/digest"
)

func TestParseCredentials(t *testing.T) {
	for _, c := range []struct {
		in   string
		ok   bool
		want credentials
	}{
		// RFC 2617 §3.5's example, as a SIP UA would send it.
		{`Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"`,
			true, credentials{username: "Mufasa", realm: "testrealm@host.com", nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093", uri: "/dir/index.html",
				qop: "auth", nc: "00000001", cnonce: "0a4f113b", response: "6629fae49393a05397450978507c4ef1", opaque: "5ccc069c403ebaf9f0171e9517f40e41"}},
		// sipp's layout: no spaces, algorithm last, unquoted.
		{`Digest username="carol",realm="127.0.0.1",cnonce="6b8b4567",nc=00000001,qop=auth,uri="sip:127.0.0.1:5060",nonce="n",response="f9",algorithm=MD5`,
			true, credentials{username: "carol", realm: "127.0.0.1", cnonce: "6b8b4567", nc: "00000001", qop: "auth", uri: "sip:127.0.0.1:5060", nonce: "n", response: "f9", algorithm: "MD5"}},
		// Case-insensitive scheme and names, spaces around "=", tabs,
		// escapes in a quoted-string, an unknown parameter.
		{"DIGEST  Username = \"a\\\"b\" ,\tRealm=\"r\\\\\", foo=bar, nonce=\"\"",
			true, credentials{username: `a"b`, realm: `r\`}},
		{`Digest realm="a,b", username="x"`, true, credentials{realm: "a,b", username: "x"}},
		{`Digest `, true, credentials{}},
		{`Digest username="a",`, true, credentials{username: "a"}},
		{`Basic YWxhZGRpbjpvcGVuc2VzYW1l`, false, credentials{}},
		{`Digest`, false, credentials{}},
		{`Digestusername="a"`, false, credentials{}},
		{`Digest username`, false, credentials{}},
		{`Digest ="a"`, false, credentials{}},
		{`Digest username="a`, false, credentials{}},
		{`Digest username="a" realm="r"`, false, credentials{}},
		{`Digest username="a\"`, false, credentials{}},
	} {
		got, ok := parseCredentials(c.in)
		if ok != c.ok || ok && got != c.want {
			t.Errorf("parseCredentials(%q) = %+v, %v; want %+v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestValidNC(t *testing.T) {
	for nc, want := range map[string]bool{"00000001": true, "0000000a": true, "000000FF": true,
		"00000000": false, "1": false, "0000000g": false, "000000001": false, "": false} {
		if validNC(nc) != want {
			t.Errorf("validNC(%q) = %v", nc, !want)
		}
	}
}

// TestValidResponseRFC2617 checks the response of RFC 2617 §3.5's
// example (qop=auth) and of one without qop, computed by the digest
// library's client.
func TestValidResponseRFC2617(t *testing.T) {
	c, _ := parseCredentials(`Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1"`)
	ha1 := md5hex("Mufasa:testrealm@host.com:Circle Of Life")
	if !validResponse(&c, "MD5", ha1, "GET") {
		t.Error("RFC 2617 example refused")
	}
	if validResponse(&c, "MD5", ha1, "POST") || validResponse(&c, "MD5", md5hex("Mufasa:testrealm@host.com:x"), "GET") {
		t.Error("accepted with the wrong method or password")
	}
	d, err := digest.Digest(&digest.Challenge{Realm: "r", Nonce: "n"}, digest.Options{Method: "INVITE", URI: "sip:b@h", Username: "a", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	c, _ = parseCredentials(d.String())
	if c.qop != "" || !validResponse(&c, "MD5", md5hex("a:r:pw"), "INVITE") {
		t.Errorf("RFC 2069 style response (no qop) refused: %+v", c)
	}
}

// FuzzParseCredentials: whatever the header value, parsing does not
// panic; credentials the digest library formats parse back to the same
// fields.
func FuzzParseCredentials(f *testing.F) {
	f.Add("alice", "r", "n", "sip:b@h", "c", 1, `a"b`)
	f.Add("", "", "", "", "", 0, "")
	f.Fuzz(func(t *testing.T, user, realm, nonce, uri, cnonce string, nc int, raw string) {
		parseCredentials(raw)
		parseCredentials("Digest " + raw)
		in := &digest.Credentials{Username: user, Realm: realm, Nonce: nonce, URI: uri, Cnonce: cnonce, QOP: "auth",
			Nc: nc & 0x7fffffff, Response: "0123", Algorithm: "MD5"}
		for _, s := range []string{user, realm, nonce, uri, cnonce} {
			for i := 0; i < len(s); i++ {
				if s[i] == '"' || s[i] == '\\' || s[i] < 0x20 || s[i] >= 0x7f {
					return // the library does not escape
				}
			}
		}
		c, ok := parseCredentials(in.String())
		if !ok || c.username != user || c.realm != realm || c.nonce != nonce || c.uri != uri || c.cnonce != cnonce ||
			c.qop != "auth" || c.response != "0123" || c.algorithm != "MD5" {
			t.Fatalf("%q parsed as %+v, %v", in.String(), c, ok)
		}
	})
}
