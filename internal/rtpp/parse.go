package rtpp

import (
	"net/netip"
	"strings"
)

// Limits of the tokenizer, as in rtpproxy: RTPC_MAX_ARGC (24) argument
// slots per command or sub-command, of which the last is never filled,
// and MAX_SUBC_NUM (16) commands per line, the main one included.
const (
	maxArgs       = 23
	maxSubcmds    = 15
	maxQueryNames = 11 // RTPP_QUERY_NSTATS: counter names Q accepts
)

// MaxCommandLen is the longest command rtpproxy reads (RTPP_CMD_BUFLEN,
// 8 KiB, less the terminating NUL). The server rejects longer ones.
const MaxCommandLen = 8*1024 - 1

// props are the per-command argument rules of rtpproxy's fill_cmd_props.
// minArgs and maxArgs count the command token itself; fpos/tpos are the
// argument positions of the from and to tags (0: none).
type props struct {
	minArgs, maxArgs int
	mods, callID     bool
	subc             bool
	fpos, tpos       int
}

func propsOf(op Op) (props, bool) {
	switch op {
	case OpUpdate:
		return props{5, 8, true, true, true, 4, 5}, true
	case OpLookup:
		return props{5, 6, true, true, true, 4, 5}, true
	case OpDelete, OpRecord, OpNoRecord:
		return props{3, 4, true, true, false, 2, 3}, true
	case OpStopPlay:
		return props{3, 4, false, true, false, 2, 3}, true
	case OpPlay:
		return props{5, 6, true, true, false, 4, 5}, true
	case OpCopy:
		return props{4, 5, true, true, false, 3, 4}, true
	case OpQuery:
		return props{3, 4 + maxQueryNames, true, true, true, 2, 3}, true
	case OpVersion, OpDeleteAll:
		return props{1, 1, false, false, false, 0, 0}, true
	case OpInfo:
		return props{1, 1, true, false, false, 0, 0}, true
	case OpGetStats:
		return props{1, maxArgs, true, false, false, 0, 0}, true
	}
	return props{}, false
}

// isSep reports the bytes rtpproxy splits arguments on (rtpp_strsplit).
func isSep(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

// nextToken returns the token of s starting at or after off and the
// offset just past it; ok is false when only separators remain.
func nextToken(s string, off int) (tok string, next int, ok bool) {
	for off < len(s) && isSep(s[off]) {
		off++
	}
	if off >= len(s) {
		return "", off, false
	}
	start := off
	for off < len(s) && !isSep(s[off]) {
		off++
	}
	return s[start:off], off, true
}

// Parse parses one control command. With cookie true (UDP) the first
// token is the cookie. The returned Command is never nil: on error it
// holds what was parsed so far, in particular Cookie, so that the error
// reply "<cookie> E<n>" can be sent. Errors are *Error carrying the code
// rtpproxy replies with.
func Parse(line []byte, cookie bool) (*Command, error) {
	c := new(Command)
	return c, c.Unmarshal(line, cookie)
}

// Unmarshal is Parse into a Command the caller owns; c is reset first.
// It makes one copy of line; every string field is a slice of it.
func (c *Command) Unmarshal(line []byte, cookie bool) error {
	*c = Command{}
	s := string(line)
	var argv [maxArgs]string
	argc, off := 0, 0
	if cookie {
		tok, next, ok := nextToken(s, 0)
		if !ok {
			return errf(ECodeSyntax, "missing cookie")
		}
		if strings.IndexByte(tok, 0) >= 0 {
			return errf(ECodeSyntax, "nul byte in cookie")
		}
		c.Cookie, off = tok, next
	}
	for {
		tok, next, ok := nextToken(s, off)
		if !ok {
			break
		}
		off = next
		if strings.IndexByte(tok, 0) >= 0 {
			return errf(ECodeSyntax, "nul byte in argument")
		}
		if tok == "&&" {
			if len(c.Sub) == maxSubcmds {
				return errf(ECodeSyntax, "too many sub-commands")
			}
			c.Sub = append(c.Sub, nil)
			continue
		}
		if n := len(c.Sub); n > 0 {
			if len(c.Sub[n-1]) == maxArgs {
				return errf(ECodeSyntax, "too many sub-command arguments")
			}
			c.Sub[n-1] = append(c.Sub[n-1], tok)
			continue
		}
		if argc == maxArgs {
			return errf(ECodeSyntax, "too many arguments")
		}
		argv[argc] = tok
		argc++
	}
	if argc < 1 {
		return errf(ECodeSyntax, "empty command")
	}
	for _, sc := range c.Sub {
		if len(sc) == 0 {
			return errf(ECodeSyntax, "empty sub-command")
		}
	}
	return c.fill(argv[:argc])
}

// fill applies rtpproxy's rtpp_command_pre_parse and the per-command
// option parsers to the split arguments.
func (c *Command) fill(argv []string) error {
	letter := argv[0][0]
	if 'a' <= letter && letter <= 'z' {
		letter -= 'a' - 'A'
	}
	c.Op = Op(letter)
	mods := argv[0][1:]
	if c.Op == OpVersion && len(mods) > 0 && (mods[0] == 'F' || mods[0] == 'f') {
		c.FeatureCheck = true
		mods = mods[1:]
	}
	c.Mods.Raw = mods
	p, ok := propsOf(c.Op)
	if !ok {
		return errf(ECodeUnknownCommand, "unknown command "+quoteByte(argv[0][0]))
	}
	if c.FeatureCheck {
		p.minArgs, p.maxArgs = 2, 2
	}
	if len(argv) < p.minArgs || len(argv) > p.maxArgs {
		return errf(ECodeArgCount, "wrong number of arguments for "+string(rune(c.Op)))
	}
	if !p.mods && mods != "" {
		return errf(ECodeModifiers, "modifiers not supported by "+string(rune(c.Op)))
	}
	if !p.subc && len(c.Sub) > 0 {
		return errf(ECodeSubcommand, "sub-commands not supported by "+string(rune(c.Op)))
	}
	if p.callID {
		c.CallID = argv[1]
	}
	if p.fpos > 0 {
		c.FromTag, c.MediaNum = splitTag(argv[p.fpos])
	}
	if p.tpos > 0 && p.tpos < len(argv) {
		c.ToTag, _ = splitTag(argv[p.tpos])
	}
	switch c.Op {
	case OpVersion:
		if c.FeatureCheck {
			c.Args = argv[1:2]
		}
	case OpUpdate, OpLookup:
		return c.fillUL(argv)
	case OpDelete:
		return c.Mods.parseDelete(mods)
	case OpRecord, OpCopy:
		if c.Op == OpCopy {
			c.Args = argv[2:3]
		}
		return c.Mods.parseRecord(c.Op, mods)
	case OpNoRecord:
		return c.Mods.parseNoRecord(mods)
	case OpPlay:
		c.Args = argv[2:4]
		return c.Mods.parsePlay(mods)
	case OpQuery:
		if len(argv) > 4 {
			c.Args = argv[4:]
		}
		return c.Mods.parseVerbose(mods, ECodeBadQueryMod)
	case OpGetStats:
		if len(argv) > 1 {
			c.Args = argv[1:]
		}
		return c.Mods.parseVerbose(mods, ECodeBadStatsMod)
	case OpInfo:
		return c.Mods.parseInfo(mods)
	}
	return nil
}

// fillUL parses the arguments of U and L (rtpp_command_ul_pre_parse and
// rtpp_command_ul_opts_parse_inner), in rtpproxy's order: notify tag,
// modifiers, then the remote address.
func (c *Command) fillUL(argv []string) error {
	c.Addr = argv[2]
	switch len(argv) {
	case 5:
		c.ToTag = ""
	case 6:
	case 7:
		c.ToTag = ""
		c.NotifySocket, c.NotifyTag = argv[5], argv[6]
	case 8:
		c.NotifySocket, c.NotifyTag = argv[6], argv[7]
	}
	if c.NotifyTag != "" {
		tag, ok := urlUnquote(c.NotifyTag)
		if !ok {
			return errf(ECodeBadNotifyTag, "notify tag: invalid url encoding")
		}
		c.NotifyTag = tag
	}
	if err := c.Mods.parseUL(c.Mods.Raw); err != nil {
		return err
	}
	return c.resolveRemote(argv[3])
}

// resolveRemote mirrors rtpproxy: an address whose length fits the
// family chosen by "6" must parse, with the port, as a numeric address
// (else E37); other strings are kept but not used as a remote.
func (c *Command) resolveRemote(port string) error {
	n, portOK := atoiPort(port)
	c.Port = n
	minLen, maxLen := 7, 15
	if c.Mods.IPv6 {
		minLen, maxLen = 2, 45
	}
	if len(c.Addr) < minLen || len(c.Addr) > maxLen {
		return nil
	}
	a, err := netip.ParseAddr(c.Addr)
	if err != nil || !portOK || a.Is6() != c.Mods.IPv6 {
		return errf(ECodeBadAddress, "remote address/port "+c.Addr+" "+port)
	}
	if a.IsUnspecified() {
		c.OnHold = true
		return nil
	}
	c.AddrPort = netip.AddrPortFrom(a, uint16(n))
	return nil
}

// atoiPort parses a decimal port 0..65535.
func atoiPort(s string) (int, bool) {
	if s == "" || len(s) > 5 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	if n > 65535 {
		return 0, false
	}
	return n, true
}

// splitTag splits "tag;n" at the first ';' (rtpproxy's from_tag_nmn) and
// reads n like strtoul: leading digits, 0 when there are none. A tag
// without ';' has media number 1.
func splitTag(t string) (string, int) {
	i := strings.IndexByte(t, ';')
	if i < 0 {
		return t, 1
	}
	n := 0
	for j := i + 1; j < len(t) && j < i+10 && '0' <= t[j] && t[j] <= '9'; j++ {
		n = n*10 + int(t[j]-'0')
	}
	return t[:i], n
}

// urlUnquote decodes %XX and '+' as rtpproxy's url_unquote does.
func urlUnquote(s string) (string, bool) {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s, true
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '%':
			if i+2 >= len(s) {
				return "", false
			}
			h, l := unhex(s[i+1]), unhex(s[i+2])
			if h < 0 || l < 0 {
				return "", false
			}
			b = append(b, byte(h<<4|l))
			i += 2
		case '+':
			b = append(b, ' ')
		default:
			b = append(b, s[i])
		}
	}
	return string(b), true
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

func quoteByte(b byte) string {
	if b < 0x20 || b >= 0x7f {
		return "0x" + string("0123456789abcdef"[b>>4]) + string("0123456789abcdef"[b&15])
	}
	return "\"" + string(rune(b)) + "\""
}
