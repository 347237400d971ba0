package spot

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// DefaultThreshold is the detection threshold of a keyword given without
// one. PocketSphinx compares it with the keyword's likelihood against a
// phone loop: smaller accepts more (higher recall, more false hits).
// Longer phrases want smaller thresholds (1e-30 ... 1e-40), short words
// larger ones (1e-10).
const DefaultThreshold = 1e-20

// Keyword is one phrase to spot and its detection threshold.
type Keyword struct {
	// Phrase is one or more words, lower case, each in the dictionary.
	Phrase string
	// Threshold is the detection threshold (0 means DefaultThreshold).
	Threshold float64
}

// String renders k as a line of a PocketSphinx keyword file.
func (k Keyword) String() string {
	t := k.Threshold
	if t == 0 {
		t = DefaultThreshold
	}
	return fmt.Sprintf("%s /%g/", k.Phrase, t)
}

// ParseKeywords parses a comma-separated keyword list as given on the
// command line: "cancel,refund/1e-30,speak to a manager/1e-35". Errors
// wrap [ErrBadKeyword].
func ParseKeywords(s string) ([]Keyword, error) {
	var out []Keyword
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		k := Keyword{Phrase: item}
		if i := strings.LastIndexByte(item, '/'); i >= 0 {
			t, err := strconv.ParseFloat(strings.TrimSpace(item[i+1:]), 64)
			if err != nil || t <= 0 || t > 1 {
				return nil, fmt.Errorf("%w: %q: threshold must be a number in (0, 1], like 1e-20", ErrBadKeyword, item)
			}
			k.Phrase, k.Threshold = item[:i], t
		}
		k.Phrase = strings.Join(strings.Fields(strings.ToLower(k.Phrase)), " ")
		if k.Phrase == "" {
			return nil, fmt.Errorf("%w: %q: empty phrase", ErrBadKeyword, item)
		}
		out = append(out, k)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no keywords in %q", ErrBadKeyword, s)
	}
	return out, nil
}

// CheckKeywords reports whether every word of kws is in the
// pronunciation dictionary dict ("" is DefaultDict), as New would find:
// for a clear error when keywords are configured or asked for, before a
// call's spotter would fail. Errors wrap ErrBadKeyword, or ErrNoModel
// when the dictionary is missing.
func CheckKeywords(kws []Keyword, dict string) error {
	if dict == "" {
		dict = DefaultDict
	}
	if _, err := os.Stat(dict); err != nil {
		return fmt.Errorf("%w: %s (install Debian package pocketsphinx-en-us)", ErrNoModel, dict)
	}
	var words []string
	for _, k := range kws {
		words = append(words, strings.Fields(k.Phrase)...)
	}
	_, err := pronunciations(dict, words)
	return err
}
