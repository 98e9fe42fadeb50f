package consult

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Categorize picks the category for a question's text by its keywords. It never returns
// nil: a question that matches nothing goes to the general category.
//
// The rules are few so a bureau can predict the routing from the county file alone:
//
//   - Case does not matter.
//   - A keyword that begins or ends with a Latin letter or digit must meet a word boundary
//     on that side, so "rice" is found in "Rice?" and "种rice" but not in "price". Chinese
//     writes no spaces between words, so a Chinese keyword is found anywhere: "稻" in "水稻".
//   - A category scores the sum of the lengths, in characters, of its distinct keywords
//     found in the text; a keyword found twice counts once. A long, specific keyword
//     (稻纵卷叶螟, 5) thus outweighs a one-character one (稻, 1), and a question using
//     more of a category's words leans to it.
//   - The highest score wins. A tie goes to the category listed first in the file; no
//     category outranks another by kind, so the bureau settles ties by ordering the file.
//   - No keyword found: the general category.
func (c *County) Categorize(text string) *Category { return c.categorizeWith(text, nil) }

// categorizeWith routes with more keywords per category id besides the file's (those an
// admin added from the archive, see learned.go); they count like the file's own.
func (c *County) categorizeWith(text string, more map[string][]string) *Category {
	text = strings.ToLower(text)
	var best *Category
	bestScore := 0
	for i := range c.Categories {
		s := score(text, c.Categories[i].Keywords)
		if extra := more[c.Categories[i].ID]; len(extra) > 0 {
			s += score(text, extra)
		}
		if s > bestScore {
			best, bestScore = &c.Categories[i], s
		}
	}
	if best != nil {
		return best
	}
	if g, ok := c.Category(GeneralID); ok {
		return g
	}
	// Only a County built in code lacks general; ParseCounties insists on it.
	return &Category{ID: GeneralID, Name: "综合", NameEn: "General"}
}

// score is a category's score for a lower-cased text.
func score(text string, keywords []string) int {
	total := 0
	for i, kw := range keywords {
		// Allocates only for a keyword written with capitals; most are Chinese or lower-case.
		kw = lowerKeyword(kw)
		if kw == "" || !found(text, kw) || listedBefore(keywords[:i], kw) {
			continue
		}
		total += utf8.RuneCountInString(kw)
	}
	return total
}

// lowerKeyword is strings.ToLower, quick for the keywords a county file holds: Chinese
// or lower-case Latin, which have no case to change. Routing runs every keyword of every
// category against every question of a burst.
func lowerKeyword(kw string) string {
	for _, r := range kw {
		if r < utf8.RuneSelf && ('A' <= r && r <= 'Z') || r >= utf8.RuneSelf && !isHan(r) {
			return strings.ToLower(kw)
		}
	}
	return kw
}

// isHan is a quick unicode.Is(unicode.Han, r) for the common ideographs, which have no
// case and are not word runes.
func isHan(r rune) bool {
	return 0x4E00 <= r && r <= 0x9FFF || unicode.Is(unicode.Han, r)
}

// listedBefore reports whether a keyword repeats an earlier one, which must not count twice.
func listedBefore(earlier []string, kw string) bool {
	for _, e := range earlier {
		if strings.EqualFold(e, kw) {
			return true
		}
	}
	return false
}

// found reports whether kw occurs in text at word boundaries where kw's own edge is a
// word character; see Categorize.
func found(text, kw string) bool {
	first, _ := utf8.DecodeRuneInString(kw)
	last, _ := utf8.DecodeLastRuneInString(kw)
	needStart, needEnd := isWordRune(first), isWordRune(last)
	for from := 0; from < len(text); {
		i := strings.Index(text[from:], kw)
		if i < 0 {
			return false
		}
		i += from
		end := i + len(kw)
		before, _ := utf8.DecodeLastRuneInString(text[:i])
		after, _ := utf8.DecodeRuneInString(text[end:])
		if (!needStart || i == 0 || !isWordRune(before)) && (!needEnd || end == len(text) || !isWordRune(after)) {
			return true
		}
		// "rice" inside "price" may still be followed by a real "rice": look on.
		_, size := utf8.DecodeRuneInString(text[i:])
		from = i + size
	}
	return false
}

// isWordRune reports whether r is part of a word in a script that separates words with
// spaces: letters, digits and combining marks, but not Chinese characters.
func isWordRune(r rune) bool {
	switch {
	case r < utf8.RuneSelf:
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	case 0x4E00 <= r && r <= 0x9FFF: // the common Chinese characters, checked first
		return false
	}
	return (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)) && !unicode.Is(unicode.Han, r)
}

// Mentions reports whether the text names any category's keyword: in an open group, a
// message about the crops is worth an expert's look even without a question mark.
func (c *County) Mentions(text string) bool {
	text = strings.ToLower(text)
	for i := range c.Categories {
		if score(text, c.Categories[i].Keywords) > 0 {
			return true
		}
	}
	return false
}
