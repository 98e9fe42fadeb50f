package store

import (
	"fmt"
	"strconv"
	"strings"
)

// The archive is searched with Postgres full-text search, but the service tokenises text
// itself (consult/text.go: Chinese as bigrams) and hands Postgres ready lexemes. This file
// writes them in the syntax that tsvector and tsquery input read, so that no other
// package needs to know it.

// quoteLexeme writes a lexeme as Postgres' tsvector and tsquery input reads it.
func quoteLexeme(b *strings.Builder, s string) {
	b.WriteByte('\'')
	for _, r := range s {
		if r == '\'' || r == '\\' {
			b.WriteRune(r)
		}
		b.WriteRune(r)
	}
	b.WriteByte('\'')
}

// maxPosition is the last position Postgres keeps in a tsvector (16383), less a margin.
const maxPosition = 16000

// VectorLiteral is lexemes as a tsvector literal, at positions 1, 2, … with weight w
// ('A' for a question, 'B' for answers, 'C' for follow-ups), to be cast with ::tsvector.
// No lexemes give "".
func VectorLiteral(lexemes []string, w byte) string {
	var b strings.Builder
	for i, lex := range lexemes {
		if i >= maxPosition {
			break
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		quoteLexeme(&b, lex)
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(i + 1))
		b.WriteByte(w)
	}
	return b.String()
}

// QueryTerm is one lexeme of a tsquery that needs all of its terms.
type QueryTerm struct {
	Lexeme string
	// Phrase says it must follow the term before it directly (<->), as the bigrams of one
	// Chinese word do; otherwise it may be anywhere (&).
	Phrase bool
	// Prefix matches it as the start of a lexeme (:*), as a lone Chinese character
	// starts bigrams.
	Prefix bool
}

// AllOf is a tsquery literal that needs every term; no terms give "".
func AllOf(terms []QueryTerm) string {
	var b strings.Builder
	for i, t := range terms {
		if i > 0 {
			if t.Phrase {
				b.WriteString(" <-> ")
			} else {
				b.WriteString(" & ")
			}
		}
		quoteLexeme(&b, t.Lexeme)
		if t.Prefix {
			b.WriteString(":*")
		}
	}
	return b.String()
}

// AnyOf is a tsquery literal that matches any of lexemes; none give "".
func AnyOf(lexemes []string) string {
	var b strings.Builder
	for i, lex := range lexemes {
		if i > 0 {
			b.WriteString(" | ")
		}
		quoteLexeme(&b, lex)
	}
	return b.String()
}

// JoinVectors puts tsvector literals one after another, renumbering positions the way
// Postgres' || would.
func JoinVectors(parts ...string) string {
	var b strings.Builder
	offset := 0
	for _, p := range parts {
		if p == "" {
			continue
		}
		last := 0
		for _, lex := range splitVector(p) {
			pos := lex.pos + offset
			last = max(last, lex.pos)
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			fmt.Fprintf(&b, "%s:%d%c", lex.quoted, pos, lex.weight)
		}
		offset += last
	}
	return b.String()
}

type vectorLexeme struct {
	quoted string
	pos    int
	weight byte
}

// splitVector reads back a literal VectorLiteral wrote.
func splitVector(v string) []vectorLexeme {
	var out []vectorLexeme
	for i := 0; i < len(v); {
		if v[i] == ' ' {
			i++
			continue
		}
		// A quoted lexeme: '' and \\ are escapes.
		j := i + 1
		for j < len(v) {
			if v[j] == '\'' {
				if j+1 < len(v) && v[j+1] == '\'' {
					j += 2
					continue
				}
				break
			}
			if v[j] == '\\' {
				j++
			}
			j++
		}
		quoted := v[i : j+1]
		k := j + 2 // past the quote and the colon
		pos := 0
		for k < len(v) && v[k] >= '0' && v[k] <= '9' {
			pos = pos*10 + int(v[k]-'0')
			k++
		}
		var w byte = 'D'
		if k < len(v) && v[k] >= 'A' && v[k] <= 'D' {
			w = v[k]
			k++
		}
		out = append(out, vectorLexeme{quoted, pos, w})
		i = k
	}
	return out
}
