package consult

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/agriclinic/agriclinic/store"
	"golang.org/x/text/unicode/norm"
)

// The archive is searched with Postgres full-text search, whose parsers do not know
// Chinese: they neither split 水稻叶子发黄 into words nor leave it whole in a useful way.
// So the text is tokenised here and handed to Postgres as ready lexemes:
//
//   - A run of Chinese characters becomes its overlapping character bigrams (水稻 稻叶 叶子
//     子发 发黄). Any two-character word is then one lexeme, and a longer word a phrase of
//     consecutive bigrams, so 稻飞虱 is found inside 稻田里稻飞虱很多 and not in 稻田 … 飞
//     虱子. A lone character (稻) is kept as it is.
//   - Latin words and numbers are lower-cased words.
//   - Full-width forms (ＡＢＣ, １２) are folded to their usual forms first.
//
// A dictionary segmenter (gse and the like) was left out on purpose: it adds a large
// dictionary to memory and start-up, splits farmers' words inconsistently (稻飞虱 one
// time, 稻/飞虱 another), and misses the local names that matter most; bigrams find every
// word, including words no dictionary has. Meaning, where it matters (similar questions,
// outbreaks), comes from the small domain lexicon in lexicon.go.

// token is one lexeme and the run it belongs to: the bigrams of one Chinese run must be
// consecutive in a match.
type token struct {
	text string
	run  int
}

// maxLexeme keeps a lexeme within Postgres' limit with room to spare; longer "words" are
// noise (URLs, base64).
const maxLexeme = 64

// tokenize splits text into lexemes in order.
func tokenize(text string) []token {
	text = strings.ToLower(norm.NFKC.String(text))
	var out []token
	run := 0
	var han []rune
	var word strings.Builder
	flushHan := func() {
		switch {
		case len(han) == 1:
			out = append(out, token{string(han), run})
		case len(han) > 1:
			for i := 0; i+1 < len(han); i++ {
				out = append(out, token{string(han[i : i+2]), run})
			}
		}
		if len(han) > 0 {
			run++
		}
		han = han[:0]
	}
	flushWord := func() {
		if w := word.String(); w != "" && len(w) <= maxLexeme {
			out = append(out, token{w, run})
			run++
		}
		word.Reset()
	}
	for _, r := range text {
		switch {
		case unicode.Is(unicode.Han, r):
			flushWord()
			han = append(han, r)
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			flushHan()
			word.WriteRune(r)
		default:
			flushHan()
			flushWord()
		}
	}
	flushHan()
	flushWord()
	return out
}

// SearchVector is text as a tsvector literal with weight w ('A' for a question, 'B' for
// answers, 'C' for follow-ups), to be cast with ::tsvector. Empty text gives "".
func SearchVector(text string, w byte) string {
	toks := tokenize(text)
	lexemes := make([]string, len(toks))
	for i, t := range toks {
		lexemes[i] = t.text
	}
	return store.VectorLiteral(lexemes, w)
}

// SearchQuery turns what someone typed into a tsquery literal: every word must be found;
// a Chinese word's bigrams must be consecutive (a phrase); a lone Chinese character
// matches as the start of a bigram. It returns "" when nothing searchable was typed.
func SearchQuery(text string) string {
	toks := tokenize(text)
	terms := make([]store.QueryTerm, len(toks))
	for i, t := range toks {
		terms[i] = store.QueryTerm{Lexeme: t.text,
			Phrase: i > 0 && toks[i-1].run == t.run,
			Prefix: utf8.RuneCountInString(t.text) == 1 && unicode.Is(unicode.Han, []rune(t.text)[0])}
	}
	return store.AllOf(terms)
}

// anyQuery is a tsquery that matches a text sharing any lexeme with text: the first,
// wide net for similar questions, ranked before they are scored.
func anyQuery(text string) string {
	seen := map[string]bool{}
	var lexemes []string
	for _, t := range tokenize(text) {
		if seen[t.text] || stopBigrams[t.text] {
			continue
		}
		seen[t.text] = true
		lexemes = append(lexemes, t.text)
	}
	return store.AnyOf(lexemes)
}
