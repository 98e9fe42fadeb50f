package telegramtest

import (
	"fmt"
	"strings"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

func TestParseHTML(t *testing.T) {
	type ents = []tgbotapi.MessageEntity
	tests := []struct {
		in       string
		text     string
		entities ents
		err      string
	}{
		{in: "plain > text & more", text: "plain > text & more"},
		{in: "&lt;&gt;&amp;&quot;&#65;&#x42;&#x1F33E;", text: `<>&"AB🌾`},
		{in: "&lt without semicolon, &unknown; &#0; &#12345678;", text: "< without semicolon, &unknown; &#0; &#12345678;"},
		{in: "&#xD800;", err: "unmatched surrogate code units"},
		{in: "<b>bold</b> <STRONG>B</STRONG>", text: "bold B", entities: ents{{Type: "bold", Length: 4}, {Type: "bold", Offset: 5, Length: 1}}},
		{in: "🌾<i>x</i>", text: "🌾x", entities: ents{{Type: "italic", Offset: 2, Length: 1}}},
		{in: "<b><i>bi</i></b>", text: "bi", entities: ents{{Type: "bold", Length: 2}, {Type: "italic", Length: 2}}},
		{in: "<u>u</u><ins>i</ins><s>s</s><del>d</del><tg-spoiler>p</tg-spoiler><span class=\"tg-spoiler\">q</span>", text: "uisdpq",
			entities: ents{{Type: "underline", Length: 1}, {Type: "underline", Offset: 1, Length: 1}, {Type: "strikethrough", Offset: 2, Length: 1},
				{Type: "strikethrough", Offset: 3, Length: 1}, {Type: "spoiler", Offset: 4, Length: 1}, {Type: "spoiler", Offset: 5, Length: 1}}},
		{in: `<a href="https://example.org/?a=1&amp;b=2">link</a>`, text: "link", entities: ents{{Type: "text_link", Length: 4, URL: "https://example.org/?a=1&b=2"}}},
		{in: `<a href='tg://user?id=500001'>张</a>`, text: "张", entities: ents{{Type: "text_mention", Length: 1, User: &tgbotapi.User{ID: 500001}}}},
		{in: `<pre><code class="language-go">x := 1</code></pre>`, text: "x := 1", entities: ents{{Type: "pre", Length: 6, Language: "go"}}},
		{in: `<code class="language-go">x</code>`, text: "x", entities: ents{{Type: "code", Length: 1}}},
		{in: "<blockquote>q</blockquote><b></b>", text: "q", entities: ents{{Type: "blockquote", Length: 1}}},
		{in: "a < b", err: `Unsupported start tag "" at byte offset 2`},
		{in: "a <", err: "Unclosed start tag at byte offset 2"},
		{in: "<br>", err: `Unsupported start tag "br" at byte offset 0`},
		{in: "<b>x", err: "Can't find end tag corresponding to start tag b"},
		{in: "x</b>", err: "Unexpected end tag at byte offset 1"},
		{in: "<b>x</i>", err: `Unmatched end tag at byte offset 4, expected "</b>", found "</i>"`},
		{in: "<b>x</b", err: "Unclosed end tag at byte offset 4"},
		{in: "<span>x</span>", err: `Tag "span" must have class "tg-spoiler" at byte offset 0`},
		{in: `<a href>x</a>`, err: `Expected equal sign in declaration of an attribute of the tag "a" at byte offset 0`},
		{in: `<a href=x/y>x</a>`, err: "Unexpected end of name token at byte offset 8"},
		{in: `<a href="x>x</a>`, err: "Unclosed start tag at byte offset 0"},
		{in: "<b>x</>", text: "x", entities: ents{{Type: "bold", Length: 1}}},
	}
	for _, tt := range tests {
		text, got, err := parseHTML(tt.in)
		switch {
		case tt.err != "":
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("parseHTML(%q) error = %v, want %q", tt.in, err, tt.err)
			}
		case err != nil:
			t.Errorf("parseHTML(%q): %v", tt.in, err)
		case text != tt.text || fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", tt.entities):
			t.Errorf("parseHTML(%q) = %q %+v, want %q %+v", tt.in, text, got, tt.text, tt.entities)
		}
	}
}

func TestDetectEntities(t *testing.T) {
	tests := []struct {
		text string
		want string
	}{
		{"/start", "[bot_command 0 6]"},
		{"/start@agriclinic_test_bot now", "[bot_command 0 26]"},
		{"use /help or /queue.", "[bot_command 4 5 bot_command 13 6]"},
		{"and/or /ask水稻 /a/b", "[]"},
		{"/cmd@ab", "[]"}, // a bot username has at least 3 characters
		{"hi @li_ming and @abc, @gif, mail a@b.org", "[mention 3 8 mention 22 4]"},
		{"🌾@farmer_li", "[mention 2 10]"},
	}
	for _, tt := range tests {
		var got []string
		for _, e := range detectEntities(tt.text, nil) {
			got = append(got, fmt.Sprint(e.Type, " ", e.Offset, " ", e.Length))
		}
		if s := fmt.Sprint(got); s != tt.want && !(len(got) == 0 && tt.want == "[]") {
			t.Errorf("detectEntities(%q) = %s, want %s", tt.text, s, tt.want)
		}
	}
	// Not inside code.
	if got := detectEntities("/start", []tgbotapi.MessageEntity{{Type: "code", Length: 6}}); len(got) != 0 {
		t.Errorf("command inside code detected: %+v", got)
	}
}

func TestFormatTextTrims(t *testing.T) {
	text, ents, err := formatText("\n  <b>hi</b> there \n", "HTML", "")
	if err != nil {
		t.Fatal(err)
	}
	if text != "hi there" || len(ents) != 1 || ents[0].Offset != 0 || ents[0].Length != 2 {
		t.Errorf("formatText = %q %+v", text, ents)
	}
	if _, _, err := formatText("x", "html5", ""); err == nil || err.description != "Bad Request: unsupported parse_mode" {
		t.Errorf("unknown parse mode: %v", err)
	}
	if _, _, err := formatText("*x", "MarkdownV2", ""); err != nil {
		t.Errorf("MarkdownV2 is accepted unchecked: %v", err)
	}
}

func TestUTF16Slice(t *testing.T) {
	s := "a🌾b"
	for _, tt := range []struct {
		off, n int
		want   string
	}{{0, 1, "a"}, {1, 2, "🌾"}, {3, 1, "b"}, {0, 4, s}, {4, 0, ""}} {
		if got := utf16Slice(s, tt.off, tt.n); got != tt.want {
			t.Errorf("utf16Slice(%q, %d, %d) = %q, want %q", s, tt.off, tt.n, got, tt.want)
		}
	}
}
