package spot

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"sync"
)

// A decoder given the full en-US dictionary (134,000 words, 3.2 MB of
// text) spends most of its memory on it: about 20 of its 29 MB, and most
// of New's time reading it. The keyword search needs only the keywords'
// words, so each Spotter gets a dictionary file of just their
// pronunciations, cut from the full one. What was cut is kept for the
// life of the process (a few lines per keyword word), so the full
// dictionary is read again only when a word not looked up before is
// asked for: with one keyword list for every call, once per process.
var dictCache = struct {
	sync.Mutex
	// dicts maps a dictionary file to the words looked up in it, each
	// to its lines ("refund R IH F AH N D", "refund(2) R IY F AH N D"),
	// base pronunciation first; nil for a word it does not have.
	dicts map[string]map[string][]string
}{dicts: map[string]map[string][]string{}}

// pronunciations returns the dictionary lines of each of words in the
// dictionary file dict, reading the file if some word was not looked up
// in it before. A word missing from it is an error wrapping ErrBadKeyword.
func pronunciations(dict string, words []string) (map[string][]string, error) {
	dictCache.Lock()
	defer dictCache.Unlock()
	known := dictCache.dicts[dict]
	if known == nil {
		known = map[string][]string{}
		dictCache.dicts[dict] = known
	}
	var missing []string
	for _, w := range words {
		if _, ok := known[w]; !ok {
			missing = append(missing, w)
		}
	}
	if len(missing) > 0 {
		found, err := readPronunciations(dict, missing)
		if err != nil {
			return nil, err
		}
		for _, w := range missing {
			known[w] = found[w] // nil when absent: not read again for it
		}
	}
	out := make(map[string][]string, len(words))
	for _, w := range words {
		if known[w] == nil {
			return nil, fmt.Errorf("%w: %q is not in the dictionary", ErrBadKeyword, w)
		}
		out[w] = known[w]
	}
	return out, nil
}

// readPronunciations scans the dictionary file for the lines of words.
// A dictionary line is a word, "(n)" for its n-th pronunciation, and its
// phones ("refund(2) R IY F AH N D"). A word counts as present only with
// its base pronunciation, as for PocketSphinx's ps_lookup_word.
func readPronunciations(dict string, words []string) (map[string][]string, error) {
	want := make(map[string]bool, len(words))
	for _, w := range words {
		want[w] = true
	}
	f, err := os.Open(dict)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoModel, err)
	}
	defer f.Close()
	base, alts := map[string]string{}, map[string][]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		name := dictWord(line)
		if name == line {
			continue // no phones
		}
		w, alt := name, false
		if i := strings.IndexByte(name, '('); i > 0 && strings.HasSuffix(name, ")") {
			w, alt = name[:i], true
		}
		if !want[w] {
			continue
		}
		if alt {
			alts[w] = append(alts[w], line)
		} else if _, dup := base[w]; !dup {
			base[w] = line
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrNoModel, dict, err)
	}
	out := make(map[string][]string, len(base))
	for w, b := range base {
		out[w] = append([]string{b}, alts[w]...)
	}
	return out, nil
}

// dictWord is the word of a dictionary line ("refund(2)"): what comes
// before the first space or tab.
func dictWord(line string) string {
	if i := strings.IndexAny(line, " \t"); i >= 0 {
		return line[:i]
	}
	return line
}

// writeDict writes the pronunciations of the words of kws to a new
// temporary dictionary file and returns its name; the caller removes it.
func writeDict(dict string, kws []Keyword) (name string, lines map[string][]string, err error) {
	var words []string
	seen := map[string]bool{}
	for _, k := range kws {
		for _, w := range strings.Fields(k.Phrase) {
			if !seen[w] {
				seen[w] = true
				words = append(words, w)
			}
		}
	}
	if lines, err = pronunciations(dict, words); err != nil {
		return "", nil, err
	}
	var b strings.Builder
	for _, w := range words {
		for _, l := range lines[w] {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	f, err := os.CreateTemp("", "callrec-dict-*.txt")
	if err != nil {
		return "", nil, fmt.Errorf("spot: dictionary file: %w", err)
	}
	_, err = f.WriteString(b.String())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", nil, fmt.Errorf("spot: dictionary file: %w", err)
	}
	return f.Name(), lines, nil
}
