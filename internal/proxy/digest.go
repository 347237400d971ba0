package proxy

import (
	"crypto/md5"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"
)

// credentials are the fields of a Digest Authorization or
// Proxy-Authorization value (RFC 2617 §3.2.2, RFC 3261 §25.1
// digest-response) that the proxy checks. Values are unquoted; they are
// sub-strings of the header value unless a quoted-string held escapes.
type credentials struct {
	username, realm, nonce, uri, response string
	algorithm, cnonce, qop, nc, opaque    string
}

// parseCredentials parses a header value "Digest k=v, k="v", ...". It
// returns false for another scheme (Basic), a parameter without "=", an
// unterminated quoted-string, or text between parameters other than a
// comma. Unknown parameters are skipped; a repeated one keeps its last
// value.
func parseCredentials(v string) (c credentials, ok bool) {
	const scheme = "digest"
	if len(v) <= len(scheme) || !strings.EqualFold(v[:len(scheme)], scheme) || !isLWS(v[len(scheme)]) {
		return c, false
	}
	s := v[len(scheme):]
	for {
		s = trimLWS(s)
		if s == "" {
			return c, true
		}
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			return c, false
		}
		key := strings.TrimRight(s[:eq], " \t")
		s = trimLWS(s[eq+1:])
		var val string
		if strings.HasPrefix(s, `"`) {
			var rest string
			if val, rest, ok = unquote(s); !ok {
				return c, false
			}
			s = rest
		} else {
			end := strings.IndexAny(s, ", \t")
			if end < 0 {
				end = len(s)
			}
			val, s = s[:end], s[end:]
		}
		switch strings.ToLower(key) {
		case "username":
			c.username = val
		case "realm":
			c.realm = val
		case "nonce":
			c.nonce = val
		case "uri":
			c.uri = val
		case "response":
			c.response = val
		case "algorithm":
			c.algorithm = val
		case "cnonce":
			c.cnonce = val
		case "qop":
			c.qop = val
		case "nc":
			c.nc = val
		case "opaque":
			c.opaque = val
		}
		s = trimLWS(s)
		if s == "" {
			return c, true
		}
		if s[0] != ',' {
			return c, false
		}
		s = s[1:]
	}
}

// unquote reads the quoted-string at the start of s (RFC 3261 §25.1:
// backslash escapes one character) and returns its content and the rest.
func unquote(s string) (val, rest string, ok bool) {
	esc := false
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			esc = true
			i++
		case c == '"':
			if !esc {
				return s[1:i], s[i+1:], true
			}
			var b strings.Builder
			for j := 1; j < i; j++ {
				if s[j] == '\\' {
					j++
				}
				b.WriteByte(s[j])
			}
			return b.String(), s[i+1:], true
		}
	}
	return "", "", false
}

func isLWS(c byte) bool { return c == ' ' || c == '\t' }

func trimLWS(s string) string {
	for len(s) > 0 && isLWS(s[0]) {
		s = s[1:]
	}
	return s
}

// validNC reports whether nc is a nonce count: 8 hex digits (RFC 2617
// §3.2.2), not zero.
func validNC(nc string) bool {
	if len(nc) != 8 || nc == "00000000" {
		return false
	}
	_, err := hex.DecodeString(nc)
	return err == nil
}

// validResponse checks the digest response (RFC 2617 §3.2.2.1, RFC 7616
// §3.4.1) against ha1 in constant time: with qop=auth
// H(HA1:nonce:nc:cnonce:qop:H(method:uri)), without qop (RFC 2069)
// H(HA1:nonce:H(method:uri)); H is MD5 or SHA-256 by alg.
func validResponse(c *credentials, alg, ha1, method string) bool {
	ha2 := hashHex(alg, method, ":", c.uri)
	var want string
	if c.qop != "" {
		want = hashHex(alg, ha1, ":", c.nonce, ":", c.nc, ":", c.cnonce, ":", c.qop, ":", ha2)
	} else {
		want = hashHex(alg, ha1, ":", c.nonce, ":", ha2)
	}
	if len(c.response) != len(want) {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(c.response))) == 1
}

// hashHex is the lowercase hex hash (SHA-256 for alg "SHA-256", else MD5)
// of the concatenated parts. The parts are joined in a stack buffer when
// they fit, so one call allocates only its result.
func hashHex(alg string, parts ...string) string {
	var buf [512]byte
	b := buf[:0]
	for _, p := range parts {
		b = append(b, p...)
	}
	var out [2 * sha256.Size]byte
	if alg == "SHA-256" {
		sum := sha256.Sum256(b)
		hex.Encode(out[:], sum[:])
		return string(out[:])
	}
	sum := md5.Sum(b)
	hex.Encode(out[:], sum[:])
	return string(out[:2*md5.Size])
}

// md5hex is the lowercase hex MD5 of the concatenated parts.
func md5hex(parts ...string) string { return hashHex("MD5", parts...) }
