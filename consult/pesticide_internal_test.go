package consult

import "testing"

// The traditional table maps one way, each pair to a character the matcher reads: a
// character of a name, a crop word or a context word.
func TestPesticideTraditionalTable(t *testing.T) {
	t.Parallel()
	l, err := ParsePesticides(NationalPesticides, "pesticides.yaml")
	if err != nil {
		t.Fatal(err)
	}
	read := map[rune]bool{}
	for _, pats := range [][]wordPat{l.m.namePats, l.m.cropPats} {
		for _, p := range pats {
			for _, r := range p.word {
				read[r] = true
			}
		}
	}
	for _, words := range [][][]rune{codeUnitsAfter, codeNumberingBefore, codeUseBefore, codeProductAfter, listMarks, negationBefore, negationAfter} {
		for _, w := range words {
			for _, r := range w {
				read[r] = true
			}
		}
	}
	for trad, simp := range pesticideTraditional {
		switch _, chained := pesticideTraditional[simp]; {
		case trad == simp:
			t.Errorf("%c maps to itself", trad)
		case chained:
			t.Errorf("%c maps to %c, which maps on", trad, simp)
		case !read[simp]:
			t.Errorf("%c maps to %c, which no word of the matcher has", trad, simp)
		}
	}
}
