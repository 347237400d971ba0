package spot

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestPronunciations: a word's lines are all its pronunciations, base
// first; a word looked up once is served from the cache (the file may
// be gone), a new word reads the file again; a word only present as an
// alternate pronunciation, without phones, or as a prefix or a phone of
// another is not in the dictionary. Words and phones may be separated by
// spaces or tabs.
func TestPronunciations(t *testing.T) {
	dict := filepath.Join(t.TempDir(), "test.dict")
	text := "refund(2)\tR IY F AH N D\nacct AH K AW N T\nnophones\nrefund R IH F AH N D\nrefunded R IH F AH N D IH D\nonly(2) OW N L IY\n"
	if err := os.WriteFile(dict, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := pronunciations(dict, []string{"refund", "acct"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"refund R IH F AH N D", "refund(2)\tR IY F AH N D"}; !slices.Equal(got["refund"], want) {
		t.Errorf("refund: %q, want %q", got["refund"], want)
	}
	if want := []string{"acct AH K AW N T"}; !slices.Equal(got["acct"], want) {
		t.Errorf("acct: %q, want %q", got["acct"], want)
	}
	for _, w := range []string{"only", "nophones", "refun", "R"} {
		if _, err := pronunciations(dict, []string{w}); !errors.Is(err, ErrBadKeyword) {
			t.Errorf("%q: %v", w, err)
		}
	}
	os.Remove(dict)
	if got, err := pronunciations(dict, []string{"acct", "only"}); err == nil || !errors.Is(err, ErrBadKeyword) {
		t.Errorf("cached words after the file is gone: %v %q", err, got)
	}
	if got, err := pronunciations(dict, []string{"refund"}); err != nil || len(got["refund"]) != 2 {
		t.Errorf("cached word after the file is gone: %v %q", err, got)
	}
	if _, err := pronunciations(dict, []string{"refunded"}); !errors.Is(err, ErrNoModel) {
		t.Errorf("new word after the file is gone: %v", err)
	}
}

// TestPhraseKeyword: a spotter for a multi-word phrase and a keyword with
// two pronunciations is created from the cut dictionary; a phrase
// with one unknown word is refused.
func TestPhraseKeyword(t *testing.T) {
	requireModel(t)
	kws, err := ParseKeywords("speak to a manager/1e-35,either")
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Keywords: kws})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, ok := s.names["either(2)"]; !ok || len(s.names) != 3 {
		t.Errorf("keyword search phrases %v, want the phrase and each pronunciation of either", s.names)
	}
	if _, err := New(Config{Keywords: []Keyword{{Phrase: "speak to xyzzyplugh"}}}); !errors.Is(err, ErrBadKeyword) {
		t.Errorf("unknown word in a phrase: %v", err)
	}
}
