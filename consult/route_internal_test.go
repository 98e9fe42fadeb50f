package consult

import (
	"strings"
	"testing"
	"unicode"
)

// TestQuickRuneChecksAgreeWithUnicode: the shortcuts routing takes for ASCII and the
// common Chinese characters give what the unicode tables give, for every rune.
func TestQuickRuneChecksAgreeWithUnicode(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		want := (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)) && !unicode.Is(unicode.Han, r)
		if got := isWordRune(r); got != want {
			t.Fatalf("isWordRune(%U) = %v, want %v", r, got, want)
		}
		if isHan(r) != unicode.Is(unicode.Han, r) {
			t.Fatalf("isHan(%U) = %v", r, isHan(r))
		}
	}
	for _, kw := range []string{"稻飞虱", "rice", "Rice", "RICE 稻", "Ärger", "ＡＢＣ", "稻Ä", "猪瘟 ASF", ""} {
		if got, want := lowerKeyword(kw), strings.ToLower(kw); got != want {
			t.Errorf("lowerKeyword(%q) = %q, want %q", kw, got, want)
		}
	}
}
