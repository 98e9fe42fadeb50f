package consult

import (
	"strings"
	"unicode/utf8"

	"github.com/agriclinic/agriclinic/store"
)

// questionWords are how farmers mark a question without a question mark.
var questionWords = []string{"?", "？", "吗", "怎么", "咋", "为什么", "为啥", "如何", "什么原因", "怎样", "how ", "why ", "what "}

// LooksLikeQuestion tells a question from chit-chat in an open group (see /mode): a
// photo, voice or video (farmers show the trouble; mediaKind is one of store's Media
// kinds, "" for none), a question mark or question word, or a word of one of the county's
// categories.
func (c *County) LooksLikeQuestion(text, mediaKind string) bool {
	if mediaKind != "" {
		return mediaKind != store.MediaAnimation // a GIF is a joke, not a diseased leaf
	}
	text = strings.ToLower(strings.TrimSpace(text))
	if utf8.RuneCountInString(text) < 4 {
		return false // 好的, 谢谢, 👍
	}
	for _, w := range questionWords {
		if strings.Contains(text+" ", w) {
			return true
		}
	}
	return c.Mentions(text)
}
