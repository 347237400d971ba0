package rtpp

import (
	"net/netip"
	"strings"
)

// upper returns b upper-cased when it is an ASCII letter.
func upper(b byte) byte {
	if 'a' <= b && b <= 'z' {
		return b - ('a' - 'A')
	}
	return b
}

// parseUL parses U/L modifiers as rtpproxy's
// rtpp_command_ul_opts_parse_inner: letters are case-insensitive, A and S
// override each other (the last wins), at most two E/I, Z/C/L/R take a
// value running to the next letter that cannot belong to it.
func (m *Modifiers) parseUL(s string) error {
	for i := 0; i < len(s); i++ {
		switch upper(s[i]) {
		case 'A':
			m.Asymmetric, m.Symmetric = true, false
		case 'S':
			m.Asymmetric, m.Symmetric = false, true
		case 'W':
			m.Weak = true
		case '6':
			m.IPv6 = true
		case 'N':
			m.NewPort = true
		case 'E', 'I':
			if len(m.Legs) == 2 {
				if upper(s[i]) == 'E' {
					return errf(ECodeBadExternal, "more than two E/I modifiers")
				}
				return errf(ECodeBadInternal, "more than two E/I modifiers")
			}
			m.Legs += string(rune(upper(s[i])))
			if upper(s[i]) == 'E' {
				m.External = true
			} else {
				m.Internal = true
			}
		case 'Z':
			n, end, ok := strtol(s, i+1)
			if !ok || n <= 0 || n >= 1000 {
				return errf(ECodeBadPtime, "modifier Z: ptime not in 1..999")
			}
			m.ZeroPTime, i = n, end-1
		case 'C':
			j := i + 1
			for j < len(s) && (s[j] == ',' || '0' <= s[j] && s[j] <= '9') {
				j++
			}
			if j == i+1 || m.Codecs != nil {
				return errf(ECodeBadCodecs, "modifier C: empty or repeated codec list")
			}
			codecs, ok := parseCodecs(s[i+1 : j])
			if !ok {
				return errf(ECodeBadCodecs, "modifier C: payload type too long")
			}
			m.Codecs, i = codecs, j-1
		case 'L':
			if i+1 < len(s) && s[i+1] == '{' {
				k := strings.IndexByte(s[i+2:], '}')
				if k <= 0 {
					return errf(ECodeBadLocalMod, "modifier L: bad label")
				}
				m.LocalLabel, m.Local = s[i+2:i+2+k], ""
				i += 2 + k
				continue
			}
			a, end, ok := extractAddr(s, i+1)
			if !ok {
				return errf(ECodeBadLocalMod, "modifier L: no address")
			}
			if _, err := netip.ParseAddr(a); err != nil {
				return errf(ECodeLocalAddr, "modifier L: invalid local address "+a)
			}
			m.Local, m.LocalLabel, i = a, "", end-1
		case 'R':
			a, end, ok := extractAddr(s, i+1)
			if !ok {
				return errf(ECodeBadRemoteMod, "modifier R: no address")
			}
			if _, err := netip.ParseAddr(a); err != nil {
				return errf(ECodeRemoteAddr, "modifier R: invalid remote address "+a)
			}
			m.Remote, i = a, end-1
		default:
			return errf(ECodeBadULMod, "unknown modifier "+quoteByte(s[i]))
		}
	}
	return nil
}

// extractAddr reads an address starting at s[i] like rtpproxy's
// extractaddr: digits and dots (IPv4), or hex digits and colons in
// brackets (IPv6). It returns the address without brackets and the
// offset past it.
func extractAddr(s string, i int) (addr string, end int, ok bool) {
	if i < len(s) && s[i] == '[' {
		j := i + 1
		for j < len(s) && (s[j] == ':' || unhex(s[j]) >= 0) {
			j++
		}
		if j >= len(s) || s[j] != ']' || j == i+1 {
			return "", 0, false
		}
		return s[i+1 : j], j + 1, true
	}
	j := i
	for j < len(s) && (s[j] == '.' || '0' <= s[j] && s[j] <= '9') {
		j++
	}
	if j == i {
		return "", 0, false
	}
	return s[i:j], j, true
}

// strtol reads an optionally signed decimal starting at s[i], like C's
// strtol with base 10. ok is false when there are no digits or more than
// nine of them.
func strtol(s string, i int) (n, end int, ok bool) {
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		if i-start == 9 {
			return 0, i, false
		}
		n = n*10 + int(s[i]-'0')
		i++
	}
	if i == start {
		return 0, i, false
	}
	if neg {
		n = -n
	}
	return n, i, true
}

// parseCodecs splits a "0,8,101" list; empty elements are skipped, as
// they carry no payload type. The result is non-nil.
func parseCodecs(s string) ([]int, bool) {
	out := make([]int, 0, strings.Count(s, ",")+1)
	for s != "" {
		el := s
		if k := strings.IndexByte(s, ','); k >= 0 {
			el, s = s[:k], s[k+1:]
		} else {
			s = ""
		}
		if el == "" {
			continue
		}
		n, end, ok := strtol(el, 0)
		if !ok || end != len(el) {
			return nil, false
		}
		out = append(out, n)
	}
	return out, true
}

// parseDelete parses D modifiers (rtpp_command_del_opts_parse).
func (m *Modifiers) parseDelete(s string) error {
	for i := 0; i < len(s); i++ {
		if upper(s[i]) != 'W' {
			return errf(ECodeBadDeleteMod, "D: unknown modifier "+quoteByte(s[i]))
		}
		m.Weak = true
	}
	return nil
}

// parseRecord parses R and C modifiers (rtpp_command_record_opts_parse).
func (m *Modifiers) parseRecord(op Op, s string) error {
	for i := 0; i < len(s); i++ {
		switch upper(s[i]) {
		case 'S':
			m.SingleFile = true
		case 'P':
			if op == OpRecord {
				return errf(ECodeModNotAllowed, "R: modifier P not allowed")
			}
			m.ReplyPort = true
		default:
			return errf(ECodeBadRecordMod, string(rune(op))+": unknown modifier "+quoteByte(s[i]))
		}
	}
	return nil
}

// parseNoRecord parses the N modifier: nothing or a single "a".
func (m *Modifiers) parseNoRecord(s string) error {
	if s == "" {
		return nil
	}
	if upper(s[0]) != 'A' {
		return errf(ECodeBadRecordMod, "N: unknown modifier "+quoteByte(s[0]))
	}
	if len(s) > 1 {
		return errf(ECodeModNotAllowed, "N: modifiers after a")
	}
	m.NoRecordAll = true
	return nil
}

// parsePlay parses the P modifier, a play count (default 1).
func (m *Modifiers) parsePlay(s string) error {
	m.PlayCount = 1
	if s == "" {
		return nil
	}
	n, end, ok := strtol(s, 0)
	if !ok || end != len(s) {
		return errf(ECodeBadPlayCount, "P: play count is not a number")
	}
	m.PlayCount = n
	return nil
}

// parseVerbose parses the Q and G modifiers: only "v".
func (m *Modifiers) parseVerbose(s string, code ECode) error {
	for i := 0; i < len(s); i++ {
		if upper(s[i]) != 'V' {
			return errf(code, "unknown modifier "+quoteByte(s[i]))
		}
		m.Verbose = true
	}
	return nil
}

// parseInfo parses the I modifiers "b" and "l".
func (m *Modifiers) parseInfo(s string) error {
	for i := 0; i < len(s); i++ {
		switch upper(s[i]) {
		case 'B':
			m.Brief = true
		case 'L':
			m.Load = true
		default:
			return errf(ECodeBadInfoMod, "I: unknown modifier "+quoteByte(s[i]))
		}
	}
	return nil
}
