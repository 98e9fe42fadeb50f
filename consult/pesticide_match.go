package consult

import (
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode"
	"unicode/utf8"
)

// The matcher reads an answer once, rune by rune: each rune is folded (pesticide_fold.go)
// and mapped to its class through a table of the Basic Multilingual Plane, and an
// Aho–Corasick automaton over those classes reports every name, alias and code ending at
// each rune: a few hundred words read in one pass over the answer, where a loop of
// strings.Contains reads it once per word (bench/'s -only pesticide compares the two;
// docs/benchmarks.md has the figures). A second, smaller automaton reads the question's
// crop words, only when a restricted pesticide is named.
//
// Of the hits, those whose Latin or digit edges run into other letters or digits are
// dropped (paraquat in "paraquats", 1605 in 2016050); of overlapping ones, the leftmost
// and then the longest wins, so 氧乐果 is read as 氧乐果 and not also as 乐果, 甲基对硫磷 not
// as 对硫磷, 丁硫克百威 not as 克百威. A code then counts only in a pesticide's context
// (codeContext).

// pesticideMaxRunes is the longest name or crop word, in folded characters.
const pesticideMaxRunes = 32

// PesticideQuestion is what an answer answers: the crop it is for decides whether a
// restricted pesticide may be named.
type PesticideQuestion struct {
	Category string // the question's category, by id or name or both ("tea 茶叶"); its crop words count
	Text     string // the question; the crop words in it say what the answer is for
}

// PesticideFinding is a pesticide an answer names that it must not: banned, or restricted
// on the question's crop.
type PesticideFinding struct {
	Name       string        // the entry's name: 克百威
	Matched    string        // the words as the answer writes them (呋 喃 丹): answer[Start:End]
	Start, End int           // byte offsets in the answer
	Banned     bool          // banned at the time checked; otherwise restricted on the question's crop
	Rule       PesticideRule // the ban, or the restriction that applies: its notice, since, crops, note
	Crop       string        // for a restriction: the crop word of the question (or category) it names, as written; "" for 所有作物
	// Negated: a negation stands next to it in its clause (千万不要用…, …已禁用). The answer
	// may be a warning, not advice: still for a senior's review, never sent as it is.
	Negated bool
}

// Check reads an answer for the banned pesticides it names, and for those restricted on
// the question's crop, as the rules stand at the time at (the clock's now; the zero time
// applies every rule). Each mention is one finding, in the order of the answer. An answer
// that names nothing it must not gives none.
func (l *PesticideList) Check(answer string, q PesticideQuestion, at time.Time) []PesticideFinding {
	m := l.m
	// Most answers name a few words of the list, or none: their hits fit on the stack.
	var hitBuf [16]acHit
	var stateBuf, negBuf [16]uint8
	hits := m.pick(answer, m.names.scan(answer, m.cls, m.nameLens, hitBuf[:0]), m.namePats)
	if len(hits) == 0 {
		return nil
	}
	state, neg := stateBuf[:0], negBuf[:0]
	if len(hits) > len(stateBuf) {
		state, neg = make([]uint8, 0, len(hits)), make([]uint8, 0, len(hits))
	}
	state, neg = state[:len(hits)], neg[:len(hits)]
	// Codes: in context, out of it (1605亩), or waiting for a neighbour (1605、1059 after 用).
	for i, h := range hits {
		switch {
		case !m.namePats[h.pat].code:
			state[i] = codeCounts
		default:
			state[i] = codeContext(answer, h.start, h.end)
		}
	}
	for i := 1; i < len(hits); i++ {
		if state[i] == codePending && state[i-1] == codeCounts && listedTogether(answer, hits[i-1].end, hits[i].start, listMarks) {
			state[i] = codeCounts
		}
	}
	for i := len(hits) - 2; i >= 0; i-- {
		if state[i] == codePending && state[i+1] == codeCounts && listedTogether(answer, hits[i].end, hits[i+1].start, listMarks) {
			state[i] = codeCounts
		}
	}

	// A negation reaches every name of a list it stands before or after (不要用1605、1059和3911).
	for i, h := range hits {
		neg[i] = 0
		if state[i] == codeCounts && negatedNear(answer, h.start, h.end) {
			neg[i] = 1
		}
	}
	for i := 1; i < len(hits); i++ {
		if neg[i-1] == 1 && neg[i] == 0 && state[i] == codeCounts && listedTogether(answer, hits[i-1].end, hits[i].start, clauseListMarks) {
			neg[i] = 1
		}
	}
	for i := len(hits) - 2; i >= 0; i-- {
		if neg[i+1] == 1 && neg[i] == 0 && state[i] == codeCounts && listedTogether(answer, hits[i].end, hits[i+1].start, clauseListMarks) {
			neg[i] = 1
		}
	}

	var crops []cropHit
	cropsRead := false
	questionCrops := func() []cropHit {
		if !cropsRead {
			cropsRead = true
			crops = m.cropsOf(q.Category, crops)
			crops = m.cropsOf(q.Text, crops)
		}
		return crops
	}
	var out []PesticideFinding
	for i, h := range hits {
		if state[i] != codeCounts {
			continue
		}
		e := m.namePats[h.pat].entry
		rule, banned, crop, ok := l.verdict(e, at, questionCrops)
		if !ok {
			continue
		}
		out = append(out, PesticideFinding{
			Name:    l.entries[e].Name,
			Matched: answer[h.start:h.end],
			Start:   h.start,
			End:     h.end,
			Banned:  banned,
			Rule:    rule,
			Crop:    crop,
			Negated: neg[i] == 1,
		})
	}
	return out
}

// verdict is what entry e's rules say at t of a question with these crops: a ban in
// force, else the first restriction in force on one of its crops.
func (l *PesticideList) verdict(e int, at time.Time, crops func() []cropHit) (rule PesticideRule, banned bool, crop string, ok bool) {
	rules := l.entries[e].Rules
	for _, r := range rules {
		if r.Status == PesticideBanned && r.InForce(at) {
			return r, true, "", true
		}
	}
	for i, r := range rules {
		if r.Status != PesticideRestricted || !r.InForce(at) {
			continue
		}
		set := l.m.ruleCrops[e][i]
		if set.any {
			return r, false, "", true
		}
		for _, c := range crops() {
			if _, found := slices.BinarySearch(set.words, c.pat); found {
				return r, false, c.text, true
			}
		}
	}
	return PesticideRule{}, false, "", false
}

// cropHit is a crop word found in a question.
type cropHit struct {
	pat  int32  // the crop word
	text string // as written
}

func (m *pesticideMatcher) cropsOf(text string, out []cropHit) []cropHit {
	for _, h := range m.pick(text, m.crops.scan(text, m.cls, m.cropLens, nil), m.cropPats) {
		out = append(out, cropHit{h.pat, text[h.start:h.end]})
	}
	return out
}

// pesticideMatcher is what a list compiles to.
type pesticideMatcher struct {
	cls       []uint16 // BMP rune → class: 0 in no word, 1 left out, ≥ 2 a character of the words
	names     acMachine
	namePats  []wordPat
	nameLens  []int
	crops     acMachine
	cropPats  []wordPat
	cropLens  []int
	byName    map[string]int // folded name, alias or code → entry
	ruleCrops [][]cropSet    // by entry, by rule: the crop words it is restricted on
}

// wordPat is one word an automaton looks for.
type wordPat struct {
	word   string // folded
	entry  int    // the pesticide it names; -1 for a crop word
	code   bool   // counts only in a pesticide's context
	edges  uint8  // edgeAlnumStart | edgeAlnumEnd | edgeDigitStart | edgeDigitEnd
	nrunes int
}

const (
	edgeAlnumStart = 1 << iota // starts with an ASCII letter or digit: needs a boundary before
	edgeAlnumEnd
	edgeDigitStart // starts with a digit: no decimal point or comma between digits before it either
	edgeDigitEnd
)

// cropSet is the crop words a restriction names, as sorted crop word ids.
type cropSet struct {
	any   bool // 所有作物
	words []int32
}

// compilePesticides checks the crops the rules name and builds the matcher.
func compilePesticides(entries []Pesticide, crops []cropClass) (*PesticideList, error) {
	sets, errs := pesticideCropSets(entries, crops)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	m := &pesticideMatcher{byName: map[string]int{}, ruleCrops: sets.byRule}
	for i, e := range entries {
		for j, n := range e.allNames() {
			k := string(foldPesticide(n))
			if _, dup := m.byName[k]; dup {
				// The parser and Merge report these with their lines; this is a last guard.
				return nil, fmt.Errorf("%s: %q names two pesticides", e.where, n)
			}
			m.byName[k] = i
			m.namePats = append(m.namePats, newWordPat(k, i, j > len(e.Aliases)))
		}
	}
	for _, w := range sets.words {
		m.cropPats = append(m.cropPats, newWordPat(w, -1, false))
	}

	// One alphabet for both automata: every character of every word.
	alphabet := map[rune]uint16{}
	classesOf := func(pats []wordPat) ([][]uint16, []int) {
		out, lens := make([][]uint16, len(pats)), make([]int, len(pats))
		for i, p := range pats {
			for _, r := range p.word {
				c, ok := alphabet[r]
				if !ok {
					c = uint16(len(alphabet) + 2)
					alphabet[r] = c
				}
				out[i] = append(out[i], c)
			}
			lens[i] = len(out[i])
		}
		return out, lens
	}
	nameClasses, nameLens := classesOf(m.namePats)
	cropClasses, cropLens := classesOf(m.cropPats)
	if len(alphabet)+2 > 0xffff {
		return nil, errors.New("pesticide list: too many different characters")
	}
	width := len(alphabet) + 2
	m.names, m.nameLens = buildAC(nameClasses, width), nameLens
	m.crops, m.cropLens = buildAC(cropClasses, width), cropLens
	m.cls = make([]uint16, 0x10000)
	for r, f := range pesticideFoldBMP() {
		switch {
		case f == 0:
			m.cls[r] = 1
		default:
			m.cls[r] = alphabet[rune(f)] // 0 when in no word
		}
	}
	return &PesticideList{entries: entries, crops: crops, m: m}, nil
}

func newWordPat(word string, entry int, code bool) wordPat {
	p := wordPat{word: word, entry: entry, code: code, nrunes: utf8.RuneCountInString(word)}
	first, _ := utf8.DecodeRuneInString(word)
	last, _ := utf8.DecodeLastRuneInString(word)
	if isASCIIAlnum(first) {
		p.edges |= edgeAlnumStart
	}
	if isASCIIAlnum(last) {
		p.edges |= edgeAlnumEnd
	}
	if isASCIIDigit(first) {
		p.edges |= edgeDigitStart
	}
	if isASCIIDigit(last) {
		p.edges |= edgeDigitEnd
	}
	return p
}

// cropSets is the crop words of a list and each rule's share of them.
type cropSets struct {
	words  []string    // folded crop words; a word's id is its index
	byRule [][]cropSet // by entry, by rule
}

// pesticideCropSets resolves the crops every rule names against the crop classes: a class
// brings its words, a word of a class stands for itself, 所有作物 for every question.
func pesticideCropSets(entries []Pesticide, crops []cropClass) (cropSets, []error) {
	classes, errs := resolveCrops(crops)
	var s cropSets
	id := map[string]int32{}
	for _, c := range crops {
		for _, w := range classes[string(foldPesticide(c.name))] {
			if _, ok := id[w]; !ok {
				id[w] = int32(len(s.words))
				s.words = append(s.words, w)
			}
		}
	}
	s.byRule = make([][]cropSet, len(entries))
	for i, e := range entries {
		s.byRule[i] = make([]cropSet, len(e.Rules))
		for j, r := range e.Rules {
			set := &s.byRule[i][j]
			for k, on := range r.On {
				key := string(foldPesticide(on))
				switch words, isClass := classes[key]; {
				case on == PesticideAnyCrop:
					set.any = true
				case isClass:
					for _, w := range words {
						set.words = append(set.words, id[w])
					}
				default:
					w, ok := id[key]
					if !ok {
						where := e.where
						if k < len(r.onWhere) {
							where = r.onWhere[k]
						}
						errs = append(errs, fmt.Errorf("%s: %q is not a crop class or a crop word of the list's crops (or %s)", where, on, PesticideAnyCrop))
						continue
					}
					set.words = append(set.words, w)
				}
			}
			slices.Sort(set.words)
			set.words = slices.Compact(set.words)
		}
	}
	return s, errs
}

// acMachine is an Aho–Corasick automaton over character classes: a trie of the words,
// each state's failure link (the longest proper suffix of its path that is a path too),
// and each state's outputs (the words ending there, its own first, so the longest first).
// The root's moves are a dense row, the others' short lists: most characters of an answer
// are in no word and send the machine to the root at once.
type acMachine struct {
	root      []int32 // the root's next state, by class
	first     []int32 // state s's moves are class[first[s]:first[s+1]], next[…]
	class     []uint16
	next      []int32
	fail      []int32
	outsFirst []int32 // state s's outputs are outs[outsFirst[s]:outsFirst[s+1]]
	outs      []int32
}

func buildAC(words [][]uint16, width int) acMachine {
	type node struct {
		moves map[uint16]int32
		word  int32 // the word ending here, or -1
		fail  int32
		outs  []int32
	}
	nodes := []node{{moves: map[uint16]int32{}, word: -1}}
	for w, cs := range words {
		s := int32(0)
		for _, c := range cs {
			n, ok := nodes[s].moves[c]
			if !ok {
				n = int32(len(nodes))
				nodes = append(nodes, node{moves: map[uint16]int32{}, word: -1})
				nodes[s].moves[c] = n
			}
			s = n
		}
		nodes[s].word = int32(w)
	}
	// Breadth first, so that a state's failure link is done before the state.
	order := []int32{0}
	for q := 0; q < len(order); q++ {
		s := order[q]
		if nodes[s].word >= 0 {
			nodes[s].outs = append(nodes[s].outs, nodes[s].word)
		}
		if s != 0 {
			nodes[s].outs = append(nodes[s].outs, nodes[nodes[s].fail].outs...)
		}
		classes := make([]uint16, 0, len(nodes[s].moves))
		for c := range nodes[s].moves {
			classes = append(classes, c)
		}
		slices.Sort(classes)
		for _, c := range classes {
			n := nodes[s].moves[c]
			if s != 0 {
				f := nodes[s].fail
				for {
					if t, ok := nodes[f].moves[c]; ok {
						nodes[n].fail = t
						break
					}
					if f == 0 {
						break
					}
					f = nodes[f].fail
				}
			}
			order = append(order, n)
		}
	}
	m := acMachine{root: make([]int32, width)}
	for c, n := range nodes[0].moves {
		m.root[c] = n
	}
	for _, n := range nodes {
		m.first = append(m.first, int32(len(m.class)))
		classes := make([]uint16, 0, len(n.moves))
		for c := range n.moves {
			classes = append(classes, c)
		}
		slices.Sort(classes)
		for _, c := range classes {
			m.class = append(m.class, c)
			m.next = append(m.next, n.moves[c])
		}
		m.fail = append(m.fail, n.fail)
		m.outsFirst = append(m.outsFirst, int32(len(m.outs)))
		m.outs = append(m.outs, n.outs...)
	}
	m.first = append(m.first, int32(len(m.class)))
	m.outsFirst = append(m.outsFirst, int32(len(m.outs)))
	return m
}

// step moves from state s on class c (≥ 2).
func (m *acMachine) step(s int32, c uint16) int32 {
	for s != 0 {
		for i := m.first[s]; i < m.first[s+1]; i++ {
			if m.class[i] == c {
				return m.next[i]
			}
		}
		s = m.fail[s]
	}
	return m.root[c]
}

// acHit is a word found: text[start:end], from its first character to its last.
type acHit struct {
	start, end int
	pat        int32
}

// scan reads text once and appends every word ending at each character.
func (m *acMachine) scan(text string, cls []uint16, lens []int, out []acHit) []acHit {
	var starts [pesticideMaxRunes]int // where the last characters read began
	n, s := uint(0), int32(0)
	for i := 0; i < len(text); {
		r, size := rune(text[i]), 1
		switch c0 := text[i]; {
		case c0 < utf8.RuneSelf:
		case (0xe1 <= c0 && c0 <= 0xec || c0 == 0xee || c0 == 0xef) && i+2 < len(text) && text[i+1]&0xc0 == 0x80 && text[i+2]&0xc0 == 0x80:
			// Three bytes, as nearly all of Chinese is, decoded here: these lead bytes
			// take any continuation bytes, with no overlong forms or surrogates to refuse.
			r, size = rune(c0&0x0f)<<12|rune(text[i+1]&0x3f)<<6|rune(text[i+2]&0x3f), 3
		default:
			r, size = utf8.DecodeRuneInString(text[i:])
		}
		var c uint16
		if r < 0x10000 {
			c = cls[r]
		} else if _, keep := pesticideFold(r); !keep {
			c = 1
		}
		if c == 1 { // left out: names read through it
			i += size
			continue
		}
		starts[n%pesticideMaxRunes] = i
		n++
		if c == 0 {
			s = 0
		} else {
			s = m.step(s, c)
			for _, w := range m.outs[m.outsFirst[s]:m.outsFirst[s+1]] {
				out = append(out, acHit{start: starts[(n-uint(lens[w]))%pesticideMaxRunes], end: i + size, pat: w})
			}
		}
		i += size
	}
	return out
}

// pick drops the hits whose edges run into other letters or digits, and of overlapping
// ones keeps the leftmost, then the longest.
func (m *pesticideMatcher) pick(text string, hits []acHit, pats []wordPat) []acHit {
	kept := hits[:0]
	for _, h := range hits {
		if standsApart(text, h, pats[h.pat].edges) {
			kept = append(kept, h)
		}
	}
	if len(kept) < 2 {
		return kept
	}
	slices.SortFunc(kept, func(a, b acHit) int {
		if a.start != b.start {
			return a.start - b.start
		}
		return b.end - a.end
	})
	out, end := kept[:0], -1
	for _, h := range kept {
		if h.start >= end {
			out = append(out, h)
			end = h.end
		}
	}
	return out
}

// standsApart reports whether a word's Latin or digit edges are not part of a longer
// word or number: paraquat not in "paraquats", 1605 not in 2016050 or 16.05. A space
// before or after stands it apart; other left-out characters do not (x-1605 is one code).
func standsApart(text string, h acHit, edges uint8) bool {
	if edges&edgeAlnumStart != 0 {
		if r, size := utf8.DecodeLastRuneInString(text[:h.start]); size > 0 && !unicode.IsSpace(r) {
			var before [2]rune
			n := foldedBefore(text, h.start, before[:], false)
			switch {
			case n >= 1 && isASCIIAlnum(before[1]):
				return false
			case n == 2 && edges&edgeDigitStart != 0 && (before[1] == '.' || before[1] == ',') && isASCIIDigit(before[0]):
				return false
			}
		}
	}
	if edges&edgeAlnumEnd != 0 {
		if r, size := utf8.DecodeRuneInString(text[h.end:]); size > 0 && !unicode.IsSpace(r) {
			var after [2]rune
			n := foldedAfter(text, h.end, after[:], false)
			switch {
			case n >= 1 && isASCIIAlnum(after[0]):
				return false
			case n == 2 && edges&edgeDigitEnd != 0 && (after[0] == '.' || after[0] == ',') && isASCIIDigit(after[1]):
				return false
			}
		}
	}
	return true
}

func isASCIIAlnum(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || isASCIIDigit(r)
}
func isASCIIDigit(r rune) bool { return '0' <= r && r <= '9' }

// pesticideMaxSkip bounds how many left-out characters a look around a word reads
// through, so that a long run of them costs nothing.
const pesticideMaxSkip = 64

// clauseEnd reports the characters a look around a word stops at: a clause's end. The
// list mark 、 and the colon are not among them (禁用：甲胺磷、对硫磷).
func clauseEnd(r rune) bool {
	switch r {
	case '\n', '\r', '。', '!', '?', ';', ',', '！', '？', '；', '，', '\u2029':
		return true
	}
	return false
}

// foldedBefore fills buf with the folded characters right before text[:i], nearest
// last, and returns how many it found: fewer than len(buf) at the start of the text or,
// when clause, at a clause's end. The found ones are buf[len(buf)-n:].
func foldedBefore(text string, i int, buf []rune, clause bool) int {
	n, skipped := 0, 0
	for i > 0 && n < len(buf) && skipped < pesticideMaxSkip {
		r, size := utf8.DecodeLastRuneInString(text[:i])
		i -= size
		if clause && clauseEnd(r) {
			break
		}
		f, keep := foldFast(r)
		if !keep {
			skipped++
			continue
		}
		if clause && clauseEnd(f) {
			break
		}
		n++
		buf[len(buf)-n] = f
	}
	return n
}

// foldedAfter fills buf with the folded characters from text[i:], in order, and returns
// how many it found.
func foldedAfter(text string, i int, buf []rune, clause bool) int {
	n, skipped := 0, 0
	for i < len(text) && n < len(buf) && skipped < pesticideMaxSkip {
		r, size := utf8.DecodeRuneInString(text[i:])
		i += size
		if clause && clauseEnd(r) {
			break
		}
		f, keep := foldFast(r)
		if !keep {
			skipped++
			continue
		}
		if clause && clauseEnd(f) {
			break
		}
		buf[n] = f
		n++
	}
	return n
}

// The context of a code (1605, 3911, 一扫光), in its clause. A code counts as a pesticide:
//
//   - never right after 第 or a word of numbering (第1605号, 编号1605), nor right before a
//     unit or a counter (1605亩, 1605元, 1605株, 1605次, 1605%); digits that run into
//     other digits never count at all (2016050, 16.05: standsApart);
//   - otherwise when a word of using, buying or banning stands right before it (用1605,
//     喷1605, 买1605, 禁用1605, 如1605), or a word of a product or its use right after it
//     (1605乳油, 1605兑水, 1605稀释, 1605是剧毒…: 1605剧毒);
//   - otherwise when it is listed with a pesticide's name or a code that counts, with at
//     most a list mark between (甲胺磷、1605; 对硫磷（1605）; 用1605、1059和3911).
//
// Anywhere else it is a number like any other.
var (
	codeUnitsAfter = pesticideWords("亩", "元", "块", "角", "号", "年", "月", "日", "时", "点", "斤", "两", "公斤",
		"千克", "克", "吨", "米", "厘米", "公分", "株", "棵", "头", "只", "户", "人", "名", "位", "次", "天", "周",
		"倍", "毫升", "升", "个", "份", "届", "期", "批", "箱", "瓶", "包", "袋", "件", "平方", "立方", "%", "‰",
		"度", "条", "张", "台", "辆", "本", "页", "层", "楼", "室", "岁", "万", "千", "百", "亿", "型", "款", "路", "公里")
	codeNumberingBefore = pesticideWords("第", "编号", "尾号", "号码", "号", "电话", "手机", "房号", "门牌", "no", "#")
	codeUseBefore       = pesticideWords("用", "喷", "打", "施", "撒", "拌", "灌", "泼", "浇", "涂", "熏", "买", "卖", "购",
		"加", "兑", "配", "混", "换", "禁用", "禁止", "剧毒", "高毒", "农药", "叫", "如", "像", "比如", "例如", "包括", "含")
	codeProductAfter = pesticideWords("乳油", "乳剂", "油剂", "粉剂", "粉", "可湿", "颗粒", "水剂", "原药", "原液", "药",
		"农药", "兑水", "对水", "加水", "稀释", "拌种", "喷雾", "喷洒", "喷施", "灌根", "防治", "杀虫", "除草", "毒", "剧毒",
		"高毒", "有毒", "禁用", "已禁", "被禁", "是剧毒", "是高毒", "是禁用")
	// listMarks may stand between names listed together; clauseListMarks are those that
	// keep them in one clause, for carrying a negation (commas end a clause).
	listMarks       = pesticideWords("、", ",", "，", "和", "及", "与", "或", "/", "(", ")", "（", "）", "[", "]", "【", "】", "跟", "以及")
	clauseListMarks = pesticideWords("、", "和", "及", "与", "或", "/", "(", ")", "（", "）", "[", "]", "【", "】", "跟", "以及")
)

// What codeContext says of a code.
const (
	codePending = iota // counts if listed with one that does
	codeCounts
	codeNot
)

// codeContext says whether a code at text[start:end] counts, does not, or counts only
// if listed with one that does.
func codeContext(text string, start, end int) uint8 {
	var before, after [4]rune
	nb := foldedBefore(text, start, before[:], true)
	na := foldedAfter(text, end, after[:], true)
	b, a := before[len(before)-nb:], after[:na]
	switch {
	case hasPrefixWord(a, codeUnitsAfter), hasSuffixWord(b, codeNumberingBefore):
		return codeNot
	case hasSuffixWord(b, codeUseBefore), hasPrefixWord(a, codeProductAfter):
		return codeCounts
	}
	return codePending
}

// listedTogether reports whether only marks (and left-out characters) stand between
// text[end:] and text[:start]: two names of one list.
func listedTogether(text string, end, start int, marks [][]rune) bool {
	if start-end > 24 {
		return false
	}
	between := foldPesticide(text[end:start])
	for len(between) > 0 {
		w := prefixWord(between, marks)
		if w == 0 {
			return false
		}
		between = between[w:]
	}
	return true
}

// Negations in a finding's clause: before it (千万不要用百草枯, 禁止使用甲胺磷, 用草铵膦代替百草枯)
// or after it (百草枯已经禁用, 1605不能用). Read in a window of a few characters, within the
// clause, so 不要用吡虫啉，用百草枯 is not a negation of 百草枯; Check carries a negation
// along a list of names.
var (
	negationBefore = pesticideWords("不要", "不能", "不可", "不得", "不准", "不宜", "不用", "不该", "不应", "不是",
		"不建议", "不推荐", "不允许", "不再", "别", "勿", "莫", "切忌", "禁", "避免", "杜绝", "停用", "停止", "没有",
		"拒绝", "代替", "替代", "取代", "严禁", "违禁", "违法")
	negationAfter = pesticideWords("禁", "不能", "不要", "不可", "不得", "不准", "不宜", "停用", "淘汰", "违法",
		"有毒", "剧毒", "高毒")
)

const negationWindow = 12

func negatedNear(text string, start, end int) bool {
	var before, after [negationWindow]rune
	nb := foldedBefore(text, start, before[:], true)
	na := foldedAfter(text, end, after[:], true)
	return containsAnyWord(before[len(before)-nb:], negationBefore) || containsAnyWord(after[:na], negationAfter)
}

// pesticideWords folds context words as the matcher reads text.
func pesticideWords(words ...string) [][]rune {
	out := make([][]rune, len(words))
	for i, w := range words {
		out[i] = foldPesticide(w)
	}
	return out
}

// prefixWord returns the length of the longest of words that s starts with, or 0.
func prefixWord(s []rune, words [][]rune) int {
	best := 0
	for _, w := range words {
		if len(w) > best && len(w) <= len(s) && slices.Equal(s[:len(w)], w) {
			best = len(w)
		}
	}
	return best
}

func hasPrefixWord(s []rune, words [][]rune) bool { return prefixWord(s, words) > 0 }

func hasSuffixWord(s []rune, words [][]rune) bool {
	for _, w := range words {
		if len(w) <= len(s) && slices.Equal(s[len(s)-len(w):], w) {
			return true
		}
	}
	return false
}

func containsAnyWord(s []rune, words [][]rune) bool {
	for i := range s {
		if hasPrefixWord(s[i:], words) {
			return true
		}
	}
	return false
}
