package bot

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/agriclinic/agriclinic/store"
)

// partTexts returns the texts of the parts.
func partTexts(parts []store.Message) []string {
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = p.Text
	}
	return out
}

// unitsOf returns each part's length in UTF-16 units, for failure messages.
func unitsOf(parts []store.Message) []int {
	out := make([]int, len(parts))
	for i, p := range parts {
		out[i] = utf16Len(p.Text)
	}
	return out
}

func TestUTF16LenCountsAstralCharactersAsTwoUnits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s    string
		want int
	}{
		{"", 0},
		{"rice", 4},
		{"水稻卷叶", 4},           // BMP: one unit each, though three bytes
		{"🌾", 2},              // U+1F33E: a surrogate pair
		{"稻🌾田👨‍🌾", 2 + 2 + 5}, // the farmer is man + ZWJ + sheaf: 2 + 1 + 2
		{"&amp;", 5},          // raw HTML is counted as written
	}
	for _, tt := range tests {
		if got := utf16Len(tt.s); got != tt.want {
			t.Errorf("utf16Len(%q) = %d, want %d", tt.s, got, tt.want)
		}
	}
}

func TestSplitLeavesAMessageThatFitsAlone(t *testing.T) {
	t.Parallel()
	markup := json.RawMessage(`{"inline_keyboard":[[{"text":"认领","callback_data":"claim:1"}]]}`)
	for _, text := range []string{"", "水稻卷叶怎么办？", strings.Repeat("稻", maxText), strings.Repeat("🌾", maxText/2)} {
		m := store.Message{ChatID: -100, Method: store.MethodSend, Text: text, ReplyTo: 5, Markup: markup}
		parts := split(m)
		if len(parts) != 1 || parts[0].Text != text || parts[0].ReplyTo != 5 || string(parts[0].Markup) != string(markup) {
			t.Errorf("split of %d units = %d parts, want the message unchanged", utf16Len(text), len(parts))
		}
	}
}

func TestSplitCutsWhereItShould(t *testing.T) {
	t.Parallel()
	line := strings.Repeat("水", 99) // 100 units with its line break
	lines := func(n int) []string { return slices.Repeat([]string{line}, n) }
	tests := []struct {
		name string
		text string
		want []string
	}{
		{
			name: "at the last line break in the window",
			text: strings.Join(lines(50), "\n"),
			want: []string{strings.Join(lines(40), "\n"), strings.Join(lines(10), "\n")},
		},
		{
			name: "at a sentence end when the only line break is in the first half",
			text: "<b>#12 专家解答</b>\n" + strings.Repeat("稻", 2500) + "。" + strings.Repeat("田", 1000) + "，" + strings.Repeat("禾", 1000),
			want: []string{"<b>#12 专家解答</b>\n" + strings.Repeat("稻", 2500) + "。", strings.Repeat("田", 1000) + "，" + strings.Repeat("禾", 1000)},
		},
		{
			name: "at the last of several sentence ends",
			text: strings.Repeat("稻", 2500) + "！" + strings.Repeat("田", 1000) + "？" + strings.Repeat("禾", 1000),
			want: []string{strings.Repeat("稻", 2500) + "！" + strings.Repeat("田", 1000) + "？", strings.Repeat("禾", 1000)},
		},
		{
			name: "after an English full stop, dropping the space",
			text: strings.Repeat("a", 3000) + ". " + strings.Repeat("b", 2000),
			want: []string{strings.Repeat("a", 3000) + ".", strings.Repeat("b", 2000)},
		},
		{
			name: "after an exclamation mark",
			text: strings.Repeat("a", 3000) + "! " + strings.Repeat("b", 2000),
			want: []string{strings.Repeat("a", 3000) + "!", strings.Repeat("b", 2000)},
		},
		{
			name: "after a question mark",
			text: strings.Repeat("a", 3000) + "? " + strings.Repeat("b", 2000),
			want: []string{strings.Repeat("a", 3000) + "?", strings.Repeat("b", 2000)},
		},
		{
			name: "not at a full stop inside a word",
			text: strings.Repeat("a", 3000) + "v1.5" + strings.Repeat("b", 2000),
			want: []string{strings.Repeat("a", 3000) + "v1.5" + strings.Repeat("b", maxText-3004), strings.Repeat("b", 2000-(maxText-3004))},
		},
		{
			name: "at the limit when there is no boundary",
			text: strings.Repeat("稻", 9000),
			want: []string{strings.Repeat("稻", maxText), strings.Repeat("稻", maxText), strings.Repeat("稻", 1000)},
		},
		{
			name: "before a tag the limit falls in",
			text: strings.Repeat("稻", 3995) + `<a href="https://example.com/rice">稻纵卷叶螟</a>` + strings.Repeat("田", 100),
			want: []string{strings.Repeat("稻", 3995), `<a href="https://example.com/rice">稻纵卷叶螟</a>` + strings.Repeat("田", 100)},
		},
		{
			name: "before a closing tag the limit falls in",
			text: strings.Repeat("稻", 3997) + "</b>" + strings.Repeat("田", 100),
			want: []string{strings.Repeat("稻", 3997), "</b>" + strings.Repeat("田", 100)},
		},
		{
			name: "before an entity the limit falls in",
			text: strings.Repeat("稻", 3997) + "&amp;" + strings.Repeat("田", 100),
			want: []string{strings.Repeat("稻", 3997), "&amp;" + strings.Repeat("田", 100)},
		},
		{
			name: "before a numeric entity the limit falls in",
			text: strings.Repeat("稻", 3996) + "&#39;" + strings.Repeat("田", 100),
			want: []string{strings.Repeat("稻", 3996), "&#39;" + strings.Repeat("田", 100)},
		},
		{
			name: "before a sentence end that is inside a tag",
			text: strings.Repeat("稻", 2500) + `<a href="https://example.com/a. b">链接</a>` + strings.Repeat("田", 1500),
			want: []string{strings.Repeat("稻", 2500), `<a href="https://example.com/a. b">链接</a>` + strings.Repeat("田", 1500)},
		},
		{
			name: "before an emoji that does not fit",
			text: strings.Repeat("a", maxText-1) + "🌾" + strings.Repeat("b", 10),
			want: []string{strings.Repeat("a", maxText-1), "🌾" + strings.Repeat("b", 10)},
		},
		{
			name: "after an emoji that just fits",
			text: strings.Repeat("a", maxText-2) + "🌾" + strings.Repeat("b", 10),
			want: []string{strings.Repeat("a", maxText-2) + "🌾", strings.Repeat("b", 10)},
		},
		{
			name: "every 2000 emoji",
			text: strings.Repeat("🐄", 4500),
			want: []string{strings.Repeat("🐄", 2000), strings.Repeat("🐄", 2000), strings.Repeat("🐄", 500)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			parts := split(store.Message{ChatID: -100, Method: store.MethodSend, Text: tt.text})
			if got := partTexts(parts); !slices.Equal(got, tt.want) {
				t.Errorf("split into %d parts of %v units, want %d parts of %v units\nfirst part ends %q",
					len(got), unitsOf(parts), len(tt.want), unitsOfTexts(tt.want), tail(got[0], 12))
			}
		})
	}
}

func unitsOfTexts(texts []string) []int {
	out := make([]int, len(texts))
	for i, s := range texts {
		out[i] = utf16Len(s)
	}
	return out
}

// tail returns the last n runes of s.
func tail(s string, n int) string {
	r := []rune(s)
	return string(r[max(0, len(r)-n):])
}

func TestSplitQuotesOnlyFromTheFirstPartAndPutsTheButtonsOnTheLast(t *testing.T) {
	t.Parallel()
	markup := json.RawMessage(`{"inline_keyboard":[[{"text":"认领 #3","callback_data":"claim:3"}]]}`)
	m := replyTo(-100, 77, strings.Repeat("稻纵卷叶螟的防治。", 1000), nil)
	if len(m) != 3 {
		t.Fatalf("replyTo of 9000 units: %d parts, want 3", len(m))
	}
	parts := split(store.Message{ChatID: -100, Method: store.MethodSend, Text: strings.Repeat("稻纵卷叶螟的防治。", 1000),
		ReplyTo: 77, Markup: markup, AnswerID: 3})
	if len(parts) != 3 {
		t.Fatalf("%d parts, want 3", len(parts))
	}
	for i, p := range parts {
		wantReply := int64(0)
		if i == 0 {
			wantReply = 77
		}
		if p.ReplyTo != wantReply || m[i].ReplyTo != wantReply {
			t.Errorf("part %d quotes %d (via replyTo: %d), want %d", i+1, p.ReplyTo, m[i].ReplyTo, wantReply)
		}
		if hasMarkup, wantMarkup := p.Markup != nil, i == len(parts)-1; hasMarkup != wantMarkup {
			t.Errorf("part %d has buttons: %v, want %v", i+1, hasMarkup, wantMarkup)
		}
		if p.ChatID != -100 || p.Method != store.MethodSend {
			t.Errorf("part %d goes to %d by %q, want -100 by send", i+1, p.ChatID, p.Method)
		}
	}
	if string(parts[2].Markup) != string(markup) {
		t.Errorf("last part's buttons = %s, want %s", parts[2].Markup, markup)
	}
}

func TestSplitCutPointMakesProgressPastAnOverlongTag(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		`<a href="https://example.com/` + strings.Repeat("x", maxText) + `">链接</a>`,
		"<" + strings.Repeat("稻", maxText+1),
	} {
		if cut := cutPoint(s); cut <= 0 {
			t.Errorf("cutPoint of %d units starting %q = %d, want a cut past the start", utf16Len(s), prefix(s, 10), cut)
		}
	}
}

func TestSplitNeverCutsInsideATagThatHoldsALineBreakOrAnAmpersand(t *testing.T) {
	t.Parallel()
	// The window ends just after the tag, within reach of its ampersand.
	withAmpersand := `<a href="https://example.com/?a=1&b=2">`
	for _, text := range []string{
		strings.Repeat("稻", 3000) + "<a\nhref=\"https://example.com\">链接</a>" + strings.Repeat("田", 2000),
		strings.Repeat("稻", maxText-len(withAmpersand)) + withAmpersand + "链接</a>" + strings.Repeat("田", 100),
	} {
		checkSplit(t, text, htmlToken)
	}
}

func TestSplitSurvivesInvalidUTF8(t *testing.T) {
	t.Parallel()
	text := strings.Repeat("a", maxText-1) + "\xff" + "b"
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("split of %d bytes with an invalid byte panicked: %v", len(text), r)
		}
	}()
	for _, p := range split(store.Message{Text: text}) {
		if utf16Len(p.Text) > maxText {
			t.Errorf("part of %d units, over %d", utf16Len(p.Text), maxText)
		}
	}
}

// htmlToken matches what a cut must not fall inside: a tag, or an entity as Telegram's
// HTML knows them.
var htmlToken = regexp.MustCompile(`</?[a-zA-Z][^<>]*>|&(?:[a-zA-Z]{2,6}|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});`)

// plainHTMLToken is htmlToken less the tags that hold a line break or an ampersand,
// which split cuts: a known bug (TestSplitNeverCutsInsideATagThatHoldsALineBreakOrAnAmpersand).
var plainHTMLToken = regexp.MustCompile(`</?[a-zA-Z][^<>&\n]*>|&(?:[a-zA-Z]{2,6}|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});`)

// checkSplit checks split's promises for any text; no cut may fall inside a match of
// tokens.
func checkSplit(t *testing.T, text string, tokens *regexp.Regexp) {
	t.Helper()
	markup := json.RawMessage(`{"inline_keyboard":[[{"text":"认领","callback_data":"claim:1"}]]}`)
	in := store.Message{ChatID: -100, Method: store.MethodSend, Text: text, ReplyTo: 9, Markup: markup}
	parts := split(in)

	if len(parts) == 0 {
		t.Fatalf("split of %q gave no parts", text)
	}
	if utf16Len(text) <= maxText {
		if len(parts) != 1 || parts[0].Text != text {
			t.Errorf("a text of %d units was split into %d parts", utf16Len(text), len(parts))
		}
	}
	for i, p := range parts {
		if n := utf16Len(p.Text); n > maxText {
			t.Errorf("part %d of %d has %d units, over %d", i+1, len(parts), n, maxText)
		}
		if len(parts) > 1 && p.Text == "" {
			t.Errorf("part %d of %d is empty", i+1, len(parts))
		}
		wantReply := int64(0)
		if i == 0 {
			wantReply = 9
		}
		if p.ReplyTo != wantReply {
			t.Errorf("part %d of %d quotes %d, want %d", i+1, len(parts), p.ReplyTo, wantReply)
		}
		if (p.Markup != nil) != (i == len(parts)-1) {
			t.Errorf("part %d of %d: buttons %v", i+1, len(parts), p.Markup != nil)
		}
	}

	// The parts are the text, in order, less only the spaces and line breaks at the cuts;
	// and no cut is inside a tag or an entity.
	var cuts []int // byte offsets where a part ends or the next begins
	pos := 0
	for i, p := range parts {
		if i > 0 {
			pos += len(text[pos:]) - len(strings.TrimLeft(text[pos:], " \n"))
			cuts = append(cuts, pos)
		}
		if !strings.HasPrefix(text[pos:], p.Text) {
			t.Fatalf("part %d of %d (%q…) is not the text at byte %d (%q…)", i+1, len(parts),
				prefix(p.Text, 20), pos, prefix(text[pos:], 20))
		}
		pos += len(p.Text)
		if i < len(parts)-1 {
			cuts = append(cuts, pos)
		}
	}
	for _, tok := range tokens.FindAllStringIndex(text, -1) {
		for _, cut := range cuts {
			if tok[0] < cut && cut < tok[1] {
				t.Errorf("the cut at byte %d falls inside %q", cut, text[tok[0]:tok[1]])
			}
		}
	}
	// What follows the last cut may be only the spaces and line breaks there.
	if strings.Trim(text[pos:], " \n") != "" {
		t.Errorf("the parts end at byte %d of %d: %q was lost", pos, len(text), text[pos:])
	}
}

// prefix returns the first n runes of s.
func prefix(s string, n int) string {
	r := []rune(s)
	return string(r[:min(n, len(r))])
}

func TestSplitKeepsItsPromisesOnRealisticAnswers(t *testing.T) {
	t.Parallel()
	for _, text := range splitSeeds() {
		checkSplit(t, text, htmlToken)
	}
}

// splitSeeds are texts the bot writes: long expert answers and question lists, with
// tags, escaped user text and emoji.
func splitSeeds() []string {
	answer := "<b>#12 专家解答</b>（水稻 · 李明）：\n" + strings.Repeat("稻纵卷叶螟幼虫把叶片纵卷成筒状，躲在里面取食。"+
		"防治上，抓住二龄幼虫高峰期用药，每亩可用氯虫苯甲酰胺 10 毫升兑水喷雾！注意 &lt;安全间隔期&gt; &amp; 轮换用药？\n", 60)
	list := "<b>待认领的问题（共 40 个）</b>" + strings.Repeat("\n\n<b>#7</b> · 茶叶 · 龙溪镇 · 05-01 09:30\n茶树叶片发黄，叶脉间有褐色斑点，是缺肥还是病害？🍵", 90)
	english := strings.Repeat("Prickly ash: prune weak branches after harvest. Keep 3-5 main limbs! Why? Light & air reach the fruit. ", 60)
	noBreaks := strings.Repeat("方竹笋采挖后要及时回土覆盖&amp;施肥，第二年才能长出健壮的新竹🎋", 200)
	return []string{answer, list, english, noBreaks, strings.Repeat("🌾", 2100), strings.Repeat("&#39;", 1000)}
}

// FuzzSplit checks split's promises for arbitrary text: every part fits, the parts are
// the text less the whitespace at the cuts, no cut is inside a tag or entity, only the
// first part quotes and only the last has the buttons. The text is head followed by
// piece n times, so that small inputs, which the fuzzer handles well, still make texts
// long enough to split, with tags and entities landing at every offset from the limit.
func FuzzSplit(f *testing.F) {
	f.Add("<b>#12 专家解答</b>（水稻 · 李明）：\n", "稻纵卷叶螟幼虫把叶片纵卷成筒状，躲在里面取食。防治上抓住二龄幼虫高峰期用药！注意 &lt;安全间隔期&gt; &amp; 轮换用药？\n", uint16(80))
	f.Add("<b>待认领的问题（共 40 个）</b>", "\n\n<b>#7</b> · 茶叶 · 龙溪镇 · 05-01 09:30\n茶树叶片发黄，叶脉间有褐色斑点，是缺肥还是病害？🍵", uint16(90))
	f.Add("", "方竹笋采挖后要及时回土覆盖&amp;施肥，第二年才能长出健壮的新竹🎋", uint16(200))
	f.Add("花椒弱枝修剪的标准是什么？", "Prune weak branches after harvest. Keep 3-5 limbs! Why? Light &amp; air. ", uint16(60))
	f.Add("种植的水稻出现卷叶现象怎么处理？", "", uint16(0))
	f.Add("", "🌾", uint16(2100))
	f.Add("", "<a href=\"https://example.com/?q=1\">链接</a>", uint16(150))
	f.Add("", "<b>#7</b>\n<i>茶叶 &#39;龙井&#39;</i> &lt;病害&gt; ", uint16(120))
	// NUL and invalid UTF-8: a run of bad bytes, a truncated multi-byte character.
	f.Add("水稻\x00卷叶", "喷施\x00三环唑 <b>\x00</b>\n", uint16(400))
	f.Add("\xff\xfe", "稻纵卷叶螟\xff\xfe幼虫 ", uint16(500))
	f.Add("<b>#7\xe6\xb0</b>", "茶叶\xe6\xb0 &amp;", uint16(900))
	f.Add("", "\x00", uint16(5000))
	f.Fuzz(func(t *testing.T, head, piece string, n uint16) {
		// 64 KiB is sixteen messages' worth of cuts; bigger inputs only made the checks slow
		// enough on a busy machine for the fuzzer to give up on a worker.
		if len(piece)*int(n) > 1<<16 {
			n = uint16((1 << 16) / len(piece))
		}
		text := head + strings.Repeat(piece, int(n))
		// split loops until the rest fits; a cut at 0 would make it loop for ever.
		for rest := text; utf16Len(rest) > maxText; {
			cut := cutPoint(rest)
			if cut <= 0 {
				t.Fatalf("cutPoint made no progress on %d bytes", len(rest))
			}
			rest = strings.TrimLeft(rest[cut:], " \n")
		}
		if !utf8.ValidString(text) {
			return // Telegram's JSON and Postgres's text only ever hold valid UTF-8; no tag checks on bytes
		}
		checkSplit(t, text, plainHTMLToken)
	})
}
