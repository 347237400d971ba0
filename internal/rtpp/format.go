package rtpp

import (
	"strconv"
)

// AppendText appends the command in canonical wire form, without cookie
// or newline: the command letter, the modifiers in a fixed order, then
// the arguments, tags with their ";n" media number. Parsing the result
// gives back the same Command apart from Mods.Raw and the to tag's media
// number (the from tag's is used for both). The client uses it to build
// commands; it does not validate.
func (c *Command) AppendText(b []byte) []byte {
	b = append(b, byte(c.Op))
	if c.FeatureCheck {
		b = append(b, 'F')
	}
	b = c.Mods.appendText(b, c.Op)
	tag := func(b []byte, t string) []byte {
		b = append(b, ' ')
		b = append(b, t...)
		b = append(b, ';')
		return strconv.AppendInt(b, int64(c.MediaNum), 10)
	}
	switch c.Op {
	case OpUpdate, OpLookup:
		b = appendArgs(b, c.CallID, c.Addr)
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(c.Port), 10)
		b = tag(b, c.FromTag)
		if c.ToTag != "" {
			b = tag(b, c.ToTag)
		}
		if c.NotifySocket != "" {
			b = appendArgs(b, c.NotifySocket)
			b = append(b, ' ')
			b = urlQuote(b, c.NotifyTag)
		}
	case OpDelete, OpRecord, OpNoRecord, OpStopPlay, OpQuery, OpPlay, OpCopy:
		b = appendArgs(b, c.CallID)
		if c.Op == OpPlay || c.Op == OpCopy {
			b = appendArgs(b, c.Args...)
		}
		b = tag(b, c.FromTag)
		if c.ToTag != "" || (c.Op == OpQuery && len(c.Args) > 0) {
			b = tag(b, c.ToTag)
		}
		if c.Op == OpQuery {
			b = appendArgs(b, c.Args...)
		}
	default:
		b = appendArgs(b, c.Args...)
	}
	for _, sc := range c.Sub {
		b = append(b, " &&"...)
		b = appendArgs(b, sc...)
	}
	return b
}

// String returns the canonical wire form (see AppendText).
func (c *Command) String() string { return string(c.AppendText(nil)) }

func appendArgs(b []byte, args ...string) []byte {
	for _, a := range args {
		b = append(b, ' ')
		b = append(b, a...)
	}
	return b
}

func (m *Modifiers) appendText(b []byte, op Op) []byte {
	switch op {
	case OpUpdate, OpLookup:
		if m.Asymmetric {
			b = append(b, 'A')
		}
		if m.Symmetric {
			b = append(b, 'S')
		}
		if m.Weak {
			b = append(b, 'W')
		}
		if m.IPv6 {
			b = append(b, '6')
		}
		b = append(b, m.Legs...)
		if m.NewPort {
			b = append(b, 'N')
		}
		if m.ZeroPTime != 0 {
			b = append(b, 'Z')
			b = strconv.AppendInt(b, int64(m.ZeroPTime), 10)
		}
		if m.Codecs != nil {
			b = append(b, 'C')
			for i, pt := range m.Codecs {
				if i > 0 {
					b = append(b, ',')
				}
				b = strconv.AppendInt(b, int64(pt), 10)
			}
			if len(m.Codecs) == 0 {
				b = append(b, ',')
			}
		}
		if m.LocalLabel != "" {
			b = append(b, "L{"...)
			b = append(b, m.LocalLabel...)
			b = append(b, '}')
		} else if m.Local != "" {
			b = appendAddrMod(b, 'L', m.Local)
		}
		if m.Remote != "" {
			b = appendAddrMod(b, 'R', m.Remote)
		}
	case OpDelete:
		if m.Weak {
			b = append(b, 'W')
		}
	case OpRecord, OpCopy:
		if m.SingleFile {
			b = append(b, 'S')
		}
		if m.ReplyPort {
			b = append(b, 'P')
		}
	case OpNoRecord:
		if m.NoRecordAll {
			b = append(b, 'A')
		}
	case OpPlay:
		if m.PlayCount != 1 {
			b = strconv.AppendInt(b, int64(m.PlayCount), 10)
		}
	case OpQuery, OpGetStats:
		if m.Verbose {
			b = append(b, 'V')
		}
	case OpInfo:
		if m.Brief {
			b = append(b, 'B')
		}
		if m.Load {
			b = append(b, 'L')
		}
	}
	return b
}

func appendAddrMod(b []byte, letter byte, addr string) []byte {
	b = append(b, letter)
	for i := 0; i < len(addr); i++ {
		if addr[i] == ':' {
			b = append(b, '[')
			b = append(b, addr...)
			return append(b, ']')
		}
	}
	return append(b, addr...)
}

// urlQuote percent-encodes the bytes urlUnquote would change or the
// tokenizer would split on.
func urlQuote(b []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '%' || c == '+' || c == '&' {
			b = append(b, '%', hex[c>>4], hex[c&15])
			continue
		}
		b = append(b, c)
	}
	return b
}
