package telegramtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// maxTextLength and maxCaptionLength are Telegram's limits for a message text and a
// media caption, in UTF-16 code units after entity parsing.
const (
	maxTextLength    = 4096
	maxCaptionLength = 1024
)

// formatText turns the text, parse_mode and entities parameters of a send or an edit into
// the text and entities Telegram stores, or the error Telegram answers with.
func formatText(text, parseMode, entitiesJSON string) (string, []tgbotapi.MessageEntity, *apiError) {
	text, ents, err := format(text, parseMode, entitiesJSON)
	switch {
	case err != nil:
		return "", nil, err
	case text == "":
		return "", nil, badRequest("message text is empty")
	case utf16Len(text) > maxTextLength:
		return "", nil, badRequest("message is too long")
	}
	return text, ents, nil
}

// formatCaption is formatText for the caption, parse_mode and caption_entities of media:
// a caption may be empty, which means none, and is shorter.
func formatCaption(caption, parseMode, entitiesJSON string) (string, []tgbotapi.MessageEntity, *apiError) {
	caption, ents, err := format(caption, parseMode, entitiesJSON)
	switch {
	case err != nil:
		return "", nil, err
	case utf16Len(caption) > maxCaptionLength:
		return "", nil, badRequest("message caption is too long")
	}
	return caption, ents, nil
}

// format parses and trims a text or caption and marks its entities, as Telegram stores it.
func format(text, parseMode, entitiesJSON string) (string, []tgbotapi.MessageEntity, *apiError) {
	if !utf8.ValidString(text) {
		return "", nil, badRequest("text must be encoded in UTF-8")
	}
	var ents []tgbotapi.MessageEntity
	switch strings.ToLower(parseMode) {
	case "":
		if entitiesJSON != "" {
			if err := json.Unmarshal([]byte(entitiesJSON), &ents); err != nil {
				return "", nil, badRequest("can't parse entities JSON object")
			}
		}
	case "html":
		var err error
		if text, ents, err = parseHTML(text); err != nil {
			return "", nil, badRequest("can't parse entities: " + err.Error())
		}
	case "markdown", "markdownv2":
		// Accepted as is: the project renders HTML, and a half-right Markdown parser would
		// reject or accept the wrong texts.
	default:
		return "", nil, badRequest("unsupported parse_mode")
	}
	text, ents = trimText(text, ents)
	ents = append(ents, detectEntities(text, ents)...)
	sortEntities(ents)
	if len(ents) == 0 {
		ents = nil
	}
	return text, ents, nil
}

// trimText drops leading and trailing white space, as Telegram does before storing a
// text, and moves the entities along with the text.
func trimText(text string, ents []tgbotapi.MessageEntity) (string, []tgbotapi.MessageEntity) {
	right := strings.TrimRightFunc(text, unicode.IsSpace)
	trimmed := strings.TrimLeftFunc(right, unicode.IsSpace)
	lead := utf16Len(right[:len(right)-len(trimmed)])
	total := utf16Len(trimmed)
	var out []tgbotapi.MessageEntity
	for _, e := range ents {
		start := max(e.Offset-lead, 0)
		end := min(e.Offset+e.Length-lead, total)
		if end > start {
			e.Offset, e.Length = start, end-start
			out = append(out, e)
		}
	}
	return trimmed, out
}

// utf16Len is the length of s in UTF-16 code units, the unit of every offset and length
// in the Bot API.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += runeUTF16Len(r)
	}
	return n
}

func runeUTF16Len(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}

// utf16Slice returns the part of s at offset and length in UTF-16 code units.
func utf16Slice(s string, offset, length int) string {
	pos, start := 0, -1
	for i, r := range s {
		if pos == offset {
			start = i
		}
		if start >= 0 && pos == offset+length {
			return s[start:i]
		}
		pos += runeUTF16Len(r)
	}
	if start < 0 {
		if pos != offset {
			return ""
		}
		start = len(s)
	}
	return s[start:]
}

// entityPriority orders entities that cover the same text, as Telegram does.
var entityPriority = map[string]int{
	"blockquote": 0, "pre": 11, "code": 20, "text_link": 49, "text_mention": 49,
	"bold": 90, "italic": 91, "underline": 92, "strikethrough": 93, "spoiler": 94, "custom_emoji": 99,
}

func priority(typ string) int {
	if p, ok := entityPriority[typ]; ok {
		return p
	}
	return 50 // mentions, commands, URLs and the other detected kinds
}

// sortEntities orders entities as Telegram does: by offset, an outer entity before the
// ones nested in it, and by kind when they cover the same text.
func sortEntities(ents []tgbotapi.MessageEntity) {
	slices.SortStableFunc(ents, func(a, b tgbotapi.MessageEntity) int {
		if a.Offset != b.Offset {
			return a.Offset - b.Offset
		}
		if a.Length != b.Length {
			return b.Length - a.Length
		}
		return priority(a.Type) - priority(b.Type)
	})
}

func entitiesEqual(a, b []tgbotapi.MessageEntity) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return reflect.DeepEqual(a, b)
}

// isWordRune is Telegram's notion of a character that glues an "@" or "/" to the word
// around it, so that "a@b" or "and/or" is not a mention or a command.
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsNumber(r) || r == '_'
}

func isUsernameRune(r rune) bool {
	return r < utf8.RuneSelf && (isASCIIAlnum(byte(r)) || r == '_')
}

func isASCIIAlnum(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// shortUsernames are the inline bots Telegram links although their names are shorter
// than a username may be.
var shortUsernames = map[string]bool{"gif": true, "vid": true, "pic": true}

// detectEntities finds the mentions and bot commands Telegram marks in any text, user's
// or bot's, the way its server does. Those inside code, pre and links are not marked.
// Hashtags, URLs and the like are not detected: nothing in the project reads them.
func detectEntities(text string, known []tgbotapi.MessageEntity) []tgbotapi.MessageEntity {
	rs := []rune(text)
	off := make([]int, len(rs)+1)
	for i, r := range rs {
		off[i+1] = off[i] + runeUTF16Len(r)
	}
	// run counts the username characters from i on.
	run := func(i int) int {
		j := i
		for j < len(rs) && isUsernameRune(rs[j]) {
			j++
		}
		return j - i
	}
	commandBoundary := func(r rune) bool { return isWordRune(r) || r == '/' || r == '<' || r == '>' }
	var found []tgbotapi.MessageEntity
	for i := 0; i < len(rs); i++ {
		switch rs[i] {
		case '@':
			if i > 0 && isWordRune(rs[i-1]) {
				continue
			}
			n := run(i + 1)
			end := i + 1 + n
			if n < 2 || n > 32 || end < len(rs) && isWordRune(rs[end]) {
				continue
			}
			if n < 4 && !shortUsernames[strings.ToLower(string(rs[i+1:end]))] {
				continue
			}
			found = append(found, tgbotapi.MessageEntity{Type: "mention", Offset: off[i], Length: off[end] - off[i]})
			i = end - 1
		case '/':
			if i > 0 && commandBoundary(rs[i-1]) {
				continue
			}
			n := run(i + 1)
			end := i + 1 + n
			if n < 1 || n > 64 {
				continue
			}
			if end < len(rs) && rs[end] == '@' {
				m := run(end + 1)
				if m < 3 || m > 32 {
					continue
				}
				end += 1 + m
			}
			if end < len(rs) && commandBoundary(rs[end]) {
				continue
			}
			found = append(found, tgbotapi.MessageEntity{Type: "bot_command", Offset: off[i], Length: off[end] - off[i]})
			i = end - 1
		}
	}
	out := found[:0]
	for _, f := range found {
		if !insideFormatted(f, known) {
			out = append(out, f)
		}
	}
	return out
}

func insideFormatted(e tgbotapi.MessageEntity, known []tgbotapi.MessageEntity) bool {
	for _, k := range known {
		switch k.Type {
		case "code", "pre", "text_link", "text_mention":
			if e.Offset < k.Offset+k.Length && k.Offset < e.Offset+e.Length {
				return true
			}
		}
	}
	return false
}

// htmlTags are the tags of Telegram's HTML parse mode.
var htmlTags = map[string]bool{
	"a": true, "b": true, "strong": true, "i": true, "em": true, "s": true, "strike": true, "del": true,
	"u": true, "ins": true, "tg-spoiler": true, "tg-emoji": true, "span": true, "pre": true, "code": true,
	"blockquote": true,
}

// isHTMLSpace follows Telegram's parser, which reads the end of the text as a NUL, and a
// NUL as a space: that is how a tag cut off by the end of the text is noticed.
func isHTMLSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == 0
}

var errSurrogate = errors.New("Text contains invalid Unicode characters after decoding HTML entities, check for unmatched surrogate code units")

// parseHTML parses Telegram's HTML parse mode: it returns the text with the tags removed
// and the character references decoded, and the entities the tags made; or the error
// Telegram gives, with Telegram's wording and byte offsets, so that a bot that passes here
// is not refused by Telegram. Like Telegram it is lenient where Telegram is: a "&" that
// starts no known reference and a raw ">" are plain text.
func parseHTML(in string) (string, []tgbotapi.MessageEntity, error) {
	at := func(i int) byte {
		if i < len(in) {
			return in[i]
		}
		return 0
	}
	skipSpace := func(i int) int {
		for i < len(in) && isHTMLSpace(in[i]) {
			i++
		}
		return i
	}
	type openTag struct {
		name, arg string
		offset    int // UTF-16 offset in the output
		begin     int // byte offset in the output
	}
	var (
		out   strings.Builder
		ents  []tgbotapi.MessageEntity
		stack []openTag
		u16   int
	)
	for i := 0; i < len(in); {
		c := in[i]
		if c == '&' {
			if r, n := decodeHTMLEntity(in[i:]); n > 0 {
				if 0xd800 <= r && r <= 0xdfff {
					return "", nil, errSurrogate
				}
				out.WriteRune(r)
				u16 += runeUTF16Len(r)
				i += n
				continue
			}
		}
		if c != '<' {
			r, size := utf8.DecodeRuneInString(in[i:])
			out.WriteString(in[i : i+size])
			u16 += runeUTF16Len(r)
			i += size
			continue
		}

		begin := i
		i++
		if at(i) != '/' {
			for !isHTMLSpace(at(i)) && at(i) != '>' {
				i++
			}
			if at(i) == 0 {
				return "", nil, fmt.Errorf("Unclosed start tag at byte offset %d", begin)
			}
			name := strings.ToLower(in[begin+1 : i])
			if !htmlTags[name] {
				return "", nil, fmt.Errorf(`Unsupported start tag "%s" at byte offset %d`, name, begin)
			}
			arg := ""
			for at(i) != '>' {
				i = skipSpace(i)
				if at(i) == '>' {
					break
				}
				attrBegin := i
				for !isHTMLSpace(at(i)) && at(i) != '=' {
					i++
				}
				attr := in[attrBegin:i]
				if attr == "" {
					return "", nil, fmt.Errorf(`Empty attribute name in the tag "%s" at byte offset %d`, name, begin)
				}
				i = skipSpace(i)
				if at(i) != '=' {
					return "", nil, fmt.Errorf(`Expected equal sign in declaration of an attribute of the tag "%s" at byte offset %d`, name, begin)
				}
				i = skipSpace(i + 1)
				if at(i) == 0 {
					return "", nil, fmt.Errorf(`Unclosed start tag "%s" at byte offset %d`, name, begin)
				}
				var value string
				if q := at(i); q != '\'' && q != '"' {
					tokenBegin := i
					for isASCIIAlnum(at(i)) || at(i) == '.' || at(i) == '-' {
						i++
					}
					value = strings.ToLower(in[tokenBegin:i])
					if !isHTMLSpace(at(i)) && at(i) != '>' {
						return "", nil, fmt.Errorf("Unexpected end of name token at byte offset %d", tokenBegin)
					}
				} else {
					var v strings.Builder
					for i++; i < len(in) && in[i] != q; {
						if in[i] == '&' {
							if r, n := decodeHTMLEntity(in[i:]); n > 0 {
								v.WriteRune(r)
								i += n
								continue
							}
						}
						v.WriteByte(in[i])
						i++
					}
					if at(i) == q {
						i++
					}
					value = v.String()
				}
				if at(i) == 0 {
					return "", nil, fmt.Errorf("Unclosed start tag at byte offset %d", begin)
				}
				switch {
				case name == "a" && attr == "href":
					arg = value
				case name == "code" && attr == "class" && strings.HasPrefix(value, "language-"):
					arg = value[len("language-"):]
				case name == "span" && attr == "class" && strings.HasPrefix(value, "tg-"):
					arg = value[len("tg-"):]
				case name == "tg-emoji" && attr == "emoji-id":
					arg = value
				}
			}
			if name == "span" && arg != "spoiler" {
				return "", nil, fmt.Errorf(`Tag "span" must have class "tg-spoiler" at byte offset %d`, begin)
			}
			stack = append(stack, openTag{name: name, arg: arg, offset: u16, begin: out.Len()})
			i++ // past '>'
			continue
		}

		if len(stack) == 0 {
			return "", nil, fmt.Errorf("Unexpected end tag at byte offset %d", begin)
		}
		for !isHTMLSpace(at(i)) && at(i) != '>' {
			i++
		}
		endName := strings.ToLower(in[begin+2 : i])
		i = skipSpace(i)
		if at(i) != '>' {
			return "", nil, fmt.Errorf("Unclosed end tag at byte offset %d", begin)
		}
		i++
		top := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if endName != "" && endName != top.name {
			return "", nil, fmt.Errorf(`Unmatched end tag at byte offset %d, expected "</%s>", found "</%s>"`, begin, top.name, endName)
		}
		if u16 == top.offset {
			continue // Telegram drops empty entities
		}
		e := tgbotapi.MessageEntity{Offset: top.offset, Length: u16 - top.offset}
		var last *tgbotapi.MessageEntity
		if len(ents) > 0 && ents[len(ents)-1].Offset == e.Offset && ents[len(ents)-1].Length == e.Length {
			last = &ents[len(ents)-1]
		}
		switch top.name {
		case "i", "em":
			e.Type = "italic"
		case "b", "strong":
			e.Type = "bold"
		case "s", "strike", "del":
			e.Type = "strikethrough"
		case "u", "ins":
			e.Type = "underline"
		case "tg-spoiler", "span":
			e.Type = "spoiler"
		case "blockquote":
			e.Type = "blockquote"
		case "tg-emoji":
			if id, err := strconv.ParseInt(top.arg, 10, 64); err != nil || id == 0 {
				return "", nil, errors.New("Invalid custom emoji identifier specified")
			}
			e.Type = "custom_emoji"
		case "a":
			url := top.arg
			if url == "" {
				url = out.String()[top.begin:]
			}
			if id, ok := strings.CutPrefix(url, "tg://user?id="); ok {
				uid, err := strconv.ParseInt(id, 10, 64)
				if err == nil {
					e.Type, e.User = "text_mention", &tgbotapi.User{ID: uid}
					break
				}
			}
			e.Type, e.URL = "text_link", url
		case "pre":
			// <pre><code class="language-go">…</code></pre> is one pre entity with a language.
			if last != nil && last.Type == "code" && last.Language != "" {
				last.Type = "pre"
				continue
			}
			e.Type = "pre"
		case "code":
			if last != nil && last.Type == "pre" && top.arg != "" {
				last.Language = top.arg
				continue
			}
			e.Type, e.Language = "code", top.arg
		}
		ents = append(ents, e)
	}
	if len(stack) > 0 {
		return "", nil, fmt.Errorf("Can't find end tag corresponding to start tag %s", stack[len(stack)-1].name)
	}
	for i := range ents {
		if ents[i].Type == "code" {
			ents[i].Language = "" // only pre carries a language
		}
	}
	sortEntities(ents)
	return out.String(), ents, nil
}

// decodeHTMLEntity decodes the character reference at the start of s (which starts with
// '&'): &lt; &gt; &amp; &quot; and numeric ones, the semicolon optional, as Telegram
// reads them. It returns the byte length read, 0 when s starts no reference.
func decodeHTMLEntity(s string) (rune, int) {
	at := func(i int) byte {
		if i < len(s) {
			return s[i]
		}
		return 0
	}
	end := 1
	var code uint64
	if at(1) == '#' {
		end = 2
		if at(2) == 'x' {
			end = 3
			for ; ; end++ {
				d, ok := hexDigit(at(end))
				if !ok {
					break
				}
				code = min(code*16+uint64(d), 1<<32)
			}
		} else {
			for ; '0' <= at(end) && at(end) <= '9'; end++ {
				code = min(code*10+uint64(at(end)-'0'), 1<<32)
			}
		}
		if code == 0 || code >= 0x10ffff || end >= 10 {
			return 0, 0
		}
	} else {
		for ; 'a' <= at(end) && at(end) <= 'z' || 'A' <= at(end) && at(end) <= 'Z'; end++ {
		}
		switch s[1:end] {
		case "lt":
			code = '<'
		case "gt":
			code = '>'
		case "amp":
			code = '&'
		case "quot":
			code = '"'
		default:
			return 0, 0
		}
	}
	if at(end) == ';' {
		end++
	}
	return rune(code), end
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
