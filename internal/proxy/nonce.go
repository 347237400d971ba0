package proxy

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"time"
)

// nonces makes and checks stateless digest nonces (RFC 7616 §3.3 leaves
// the nonce's content to the server). A nonce is, base64url without
// padding,
//
//	+--------------------------+-----------------------------------+
//	| issue time, unix seconds |   HMAC-SHA-256(secret, time|realm) |
//	|   8 bytes, big-endian    |        first 16 bytes              |
//	+--------------------------+-----------------------------------+
//
// so the proxy keeps no state per challenge (a flood of requests costs no
// memory) and any proxy sharing the secret accepts it. A nonce is valid
// for ttl after its issue time; after that it is stale (the client is
// asked again with stale=true and need not prompt for a password).
//
// Replay: the nonce count (nc) is not tracked, so a captured
// Authorization can be replayed for the same method and Request-URI
// until its nonce expires. The response hash binds method and URI, and
// SIP over TLS (Config.TLS) prevents capture.
type nonces struct {
	secret []byte
	ttl    time.Duration
}

const (
	nonceTimeLen = 8
	nonceMACLen  = 16
	nonceLen     = nonceTimeLen + nonceMACLen
)

// newNonces uses secret, or 32 random bytes when it is empty (nonces
// then do not survive a restart: clients are challenged afresh).
func newNonces(secret []byte, ttl time.Duration) *nonces {
	if len(secret) == 0 {
		secret = make([]byte, 32)
		_, _ = rand.Read(secret) // never fails (crypto/rand documents it)
	}
	return &nonces{secret: secret, ttl: ttl}
}

func (n *nonces) mac(dst []byte, ts []byte, realm string) {
	m := hmac.New(sha256.New, n.secret)
	m.Write(ts)
	m.Write([]byte(realm))
	var sum [sha256.Size]byte
	copy(dst, m.Sum(sum[:0]))
}

// make returns a nonce for realm issued at now.
func (n *nonces) make(realm string, now time.Time) string {
	var b [nonceLen]byte
	binary.BigEndian.PutUint64(b[:nonceTimeLen], uint64(now.Unix()))
	n.mac(b[nonceTimeLen:], b[:nonceTimeLen], realm)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// check reports whether nonce was made by n for realm (valid) and, if so,
// whether it has outlived ttl at now (stale). A nonce from the future
// beyond a second of clock skew is invalid.
func (n *nonces) check(nonce, realm string, now time.Time) (valid, stale bool) {
	var b [nonceLen]byte
	if base64.RawURLEncoding.DecodedLen(len(nonce)) != nonceLen {
		return false, false
	}
	if _, err := base64.RawURLEncoding.Decode(b[:], []byte(nonce)); err != nil {
		return false, false
	}
	var want [nonceMACLen]byte
	n.mac(want[:], b[:nonceTimeLen], realm)
	if !hmac.Equal(want[:], b[nonceTimeLen:]) {
		return false, false
	}
	issued := time.Unix(int64(binary.BigEndian.Uint64(b[:nonceTimeLen])), 0)
	age := now.Sub(issued)
	if age < -time.Second {
		return false, false
	}
	return true, age > n.ttl
}
