package bench

import (
	"fmt"
	"sort"
	"strconv"
)

// Bencode values as used by rtpengine's ng protocol: a dictionary is a
// map[string]any, a list is []any, an integer is int64 (int is accepted
// when encoding) and a string is a string (or []byte when encoding).
// Decoding returns strings as string.

// AppendBencode appends the bencoding of v to dst. Dictionary keys are
// written in sorted order as the format requires.
func AppendBencode(dst []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case string:
		dst = strconv.AppendInt(dst, int64(len(x)), 10)
		dst = append(dst, ':')
		return append(dst, x...), nil
	case []byte:
		dst = strconv.AppendInt(dst, int64(len(x)), 10)
		dst = append(dst, ':')
		return append(dst, x...), nil
	case int:
		return appendBInt(dst, int64(x)), nil
	case int64:
		return appendBInt(dst, x), nil
	case []any:
		dst = append(dst, 'l')
		for _, e := range x {
			var err error
			if dst, err = AppendBencode(dst, e); err != nil {
				return dst, err
			}
		}
		return append(dst, 'e'), nil
	case []string:
		dst = append(dst, 'l')
		for _, e := range x {
			dst, _ = AppendBencode(dst, e)
		}
		return append(dst, 'e'), nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		dst = append(dst, 'd')
		for _, k := range keys {
			dst, _ = AppendBencode(dst, k)
			var err error
			if dst, err = AppendBencode(dst, x[k]); err != nil {
				return dst, err
			}
		}
		return append(dst, 'e'), nil
	}
	return dst, fmt.Errorf("%w: cannot encode %T", ErrBencode, v)
}

func appendBInt(dst []byte, n int64) []byte {
	dst = append(dst, 'i')
	dst = strconv.AppendInt(dst, n, 10)
	return append(dst, 'e')
}

// maxBencodeDepth bounds nesting so a hostile reply cannot exhaust the stack.
const maxBencodeDepth = 32

// DecodeBencode decodes exactly one bencoded value that must span all of b.
func DecodeBencode(b []byte) (any, error) {
	v, off, err := decodeB(b, 0, 0)
	if err != nil {
		return nil, err
	}
	if off != len(b) {
		return nil, fmt.Errorf("%w: %d trailing bytes at offset %d", ErrBencode, len(b)-off, off)
	}
	return v, nil
}

func decodeB(b []byte, off, depth int) (any, int, error) {
	if off >= len(b) {
		return nil, off, fmt.Errorf("%w: truncated at offset %d", ErrBencode, off)
	}
	if depth > maxBencodeDepth {
		return nil, off, fmt.Errorf("%w: nested deeper than %d at offset %d", ErrBencode, maxBencodeDepth, off)
	}
	switch c := b[off]; {
	case c == 'i':
		end := indexByte(b, off+1, 'e')
		if end < 0 {
			return nil, off, fmt.Errorf("%w: unterminated integer at offset %d", ErrBencode, off)
		}
		n, err := strconv.ParseInt(string(b[off+1:end]), 10, 64)
		if err != nil {
			return nil, off, fmt.Errorf("%w: bad integer at offset %d", ErrBencode, off)
		}
		return n, end + 1, nil
	case c == 'l':
		list := []any{}
		off++
		for {
			if off >= len(b) {
				return nil, off, fmt.Errorf("%w: unterminated list at offset %d", ErrBencode, off)
			}
			if b[off] == 'e' {
				return list, off + 1, nil
			}
			v, n, err := decodeB(b, off, depth+1)
			if err != nil {
				return nil, n, err
			}
			list = append(list, v)
			off = n
		}
	case c == 'd':
		dict := map[string]any{}
		off++
		for {
			if off >= len(b) {
				return nil, off, fmt.Errorf("%w: unterminated dictionary at offset %d", ErrBencode, off)
			}
			if b[off] == 'e' {
				return dict, off + 1, nil
			}
			k, n, err := decodeString(b, off)
			if err != nil {
				return nil, n, err
			}
			v, n, err := decodeB(b, n, depth+1)
			if err != nil {
				return nil, n, err
			}
			dict[k] = v
			off = n
		}
	case c >= '0' && c <= '9':
		return decodeString(b, off)
	default:
		return nil, off, fmt.Errorf("%w: unexpected byte %q at offset %d", ErrBencode, c, off)
	}
}

func decodeString(b []byte, off int) (string, int, error) {
	colon := indexByte(b, off, ':')
	if colon < 0 || colon == off || colon-off > 10 {
		return "", off, fmt.Errorf("%w: bad string length at offset %d", ErrBencode, off)
	}
	n := 0
	for _, c := range b[off:colon] {
		if c < '0' || c > '9' {
			return "", off, fmt.Errorf("%w: bad string length at offset %d", ErrBencode, off)
		}
		n = n*10 + int(c-'0')
	}
	start := colon + 1
	if n > len(b)-start {
		return "", off, fmt.Errorf("%w: string of %d bytes overruns message at offset %d", ErrBencode, n, off)
	}
	return string(b[start : start+n]), start + n, nil
}

func indexByte(b []byte, from int, c byte) int {
	for i := from; i < len(b); i++ {
		if b[i] == c {
			return i
		}
	}
	return -1
}
