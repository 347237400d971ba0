package sdp

import "strings"

// field returns the offsets of the first token of raw[off:end], tokens
// being separated by spaces or tabs; a == b == end when there is none.
func field(raw string, off, end int) (a, b int) {
	for off < end && (raw[off] == ' ' || raw[off] == '\t') {
		off++
	}
	a = off
	for off < end && raw[off] != ' ' && raw[off] != '\t' {
		off++
	}
	return a, off
}

// countFields counts the space- or tab-separated tokens of s.
func countFields(s string) int {
	n := 0
	for a, b := field(s, 0, len(s)); a != b; a, b = field(s, b, len(s)) {
		n++
	}
	return n
}

// parseUint parses 1-10 decimal digits with a value <= max.
func parseUint(s string, max int) (int, bool) {
	if len(s) == 0 || len(s) > 10 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, n <= max
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isHostname accepts the FQDN form RFC 8866 §5.7 allows for an address:
// letters, digits, '-' and '.', with at least one letter.
func isHostname(s string) bool {
	letter := false
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		switch {
		case c >= 'a' && c <= 'z':
			letter = true
		case s[i] >= '0' && s[i] <= '9', s[i] == '-', s[i] == '.':
		default:
			return false
		}
	}
	return letter && len(s) <= 253
}

func isRTPProto(p string) bool { return strings.Contains(p, "RTP/") }

// isICE reports ICE attributes other than a=candidate (RFC 8839 §5).
func isICE(name string) bool {
	switch name {
	case "ice-ufrag", "ice-pwd", "ice-lite", "ice-options", "ice-mismatch",
		"end-of-candidates", "remote-candidates", "ice-pacing":
		return true
	}
	return false
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
