package consult

import (
	"unicode"
	"unicode/utf16"
)

// MaxQuestion is the longest question in UTF-16 units, Telegram's own message limit.
const MaxQuestion = 4096

// Blank reports whether text has nothing to read: only spaces and invisible characters
// (zero-width spaces and joiners, word joiners, byte-order marks).
func Blank(text string) bool {
	for _, r := range text {
		switch {
		// U+FFFD is what a NUL or invalid UTF-8 became at the edge (bot/update.go): it says
		// nothing a farmer wrote.
		case unicode.IsSpace(r), r == '\u200b', r == '\u200c', r == '\u200d', r == '\u2060', r == '\ufeff', r == '\ufffd':
		default:
			return false
		}
	}
	return true
}

// UTF16Len counts s as Telegram counts text: in UTF-16 code units.
func UTF16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}
