package bot

import (
	"encoding/json"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
)

// Everything the bot says goes through the outbox (store.Message): a message caused by a
// state change is written in the same transaction, and the sender delivers it within
// Telegram's limits. These build the messages.

// maxText is how many UTF-16 units one message may hold; Telegram allows 4096, and the
// margin leaves room for what HTML decoding does not shorten.
const maxText = 4000

// sendTo posts text (HTML) to a chat; markup may be nil. A long text becomes several
// messages, the buttons on the last.
func sendTo(chatID int64, text string, markup any) []store.Message {
	return split(store.Message{ChatID: chatID, Method: store.MethodSend, Text: text, Markup: markupJSON(markup)})
}

// replyTo answers a message in its chat, quoting it.
func replyTo(chatID int64, messageID int, text string, markup any) []store.Message {
	return split(store.Message{ChatID: chatID, Method: store.MethodSend, Text: text, ReplyTo: int64(messageID), Markup: markupJSON(markup)})
}

// inTopic keeps messages to a forum group in the topic they answer.
func inTopic(msgs []store.Message, thread int64) []store.Message {
	for i := range msgs {
		msgs[i].ThreadID = thread
	}
	return msgs
}

// toQuestion replies to a question in its group, in its topic.
func toQuestion(q store.Question, text string, markup any) []store.Message {
	return inTopic(replyTo(q.ChatID, int(q.MessageID), text, markup), q.ThreadID)
}

// noticeEdits rewrites every notice of a question (see store.SettleNotices): the
// delivered ones now, those in flight once delivered. text is the new text in the
// notice's language, for the person it was sent to.
func noticeEdits(notices []store.BotMessage, inFlight []store.PendingMessage, text func(l lang, userID int64) string) []store.Message {
	var msgs []store.Message
	for _, n := range notices {
		msgs = append(msgs, editTo(n.ChatID, n.MessageID, text(langFromCode(n.Language), n.UserID)))
	}
	for _, p := range inFlight {
		e := editTo(p.ChatID, 0, text(langFromCode(p.Language), p.UserID))
		e.EditOutboxID = p.OutboxID
		msgs = append(msgs, e)
	}
	return msgs
}

// editTo replaces a message's text and removes its buttons.
func editTo(chatID, messageID int64, text string) store.Message {
	return store.Message{ChatID: chatID, Method: store.MethodEdit, EditMessageID: messageID, Text: truncate(text)}
}

// remembered marks the (last part of the) message to be recorded once sent.
func remembered(msgs []store.Message, kind string, refID, userID int64, l lang) []store.Message {
	if len(msgs) > 0 {
		msgs[len(msgs)-1].Remember = store.BotMessage{Kind: kind, RefID: refID, UserID: userID, Language: l.Code()}
	}
	return msgs
}

func markupJSON(markup any) json.RawMessage {
	if markup == nil {
		return nil
	}
	if m, ok := markup.(tgbotapi.InlineKeyboardMarkup); ok && len(m.InlineKeyboard) == 0 {
		return nil
	}
	data, err := json.Marshal(markup)
	if err != nil {
		return nil
	}
	return data
}

func utf16Len(s string) int { return consult.UTF16Len(s) }

// split cuts a message that is too long into several, at a line break where it can, else
// at the end of a sentence, else between characters — never inside an HTML tag or entity.
// Only the first part quotes the message replied to; only the last carries the buttons.
func split(m store.Message) []store.Message {
	if utf16Len(m.Text) <= maxText {
		return []store.Message{m}
	}
	var parts []string
	rest := m.Text
	for utf16Len(rest) > maxText {
		cut := cutPoint(rest)
		parts = append(parts, strings.TrimRight(rest[:cut], " \n"))
		rest = strings.TrimLeft(rest[cut:], " \n")
	}
	if rest != "" {
		parts = append(parts, rest)
	}
	out := make([]store.Message, len(parts))
	for i, p := range parts {
		part := m
		part.Text = p
		if i > 0 {
			part.ReplyTo = 0
		}
		if i < len(parts)-1 {
			part.Markup = nil
		}
		out[i] = part
	}
	return out
}

// cutPoint is the byte offset to cut s at: the best boundary within the first maxText
// UTF-16 units, moved out of any HTML tag or entity, and never 0 (a split must progress).
func cutPoint(s string) int {
	limit, units := 0, 0
	for i, r := range s {
		units += utf16.RuneLen(r)
		if units > maxText {
			break
		}
		_, size := utf8.DecodeRuneInString(s[i:]) // an invalid byte is 1 byte, not 3
		limit = i + size
	}
	window := s[:limit]
	cut := limit
	if i := strings.LastIndex(window, "\n"); i > limit/2 {
		cut = i + 1
	} else {
		best := -1
		for _, end := range []string{"。", "！", "？", ". ", "! ", "? ", "；", "; "} {
			if i := strings.LastIndex(window, end); i >= 0 && i+len(end) > best {
				best = i + len(end)
			}
		}
		if best > limit/2 {
			cut = best
		}
	}
	// A cut that leaves nothing but spaces before it would make an empty message.
	if c := safeCut(s, cut); strings.TrimRight(s[:c], " \n") != "" {
		return c
	}
	if c := safeCut(s, limit); strings.TrimRight(s[:c], " \n") != "" {
		return c
	}
	// A "tag" longer than a message is no tag (a lone "<" in the text); cut through it, but
	// still not inside an entity.
	if amp, ok := openEntity(s, limit); ok && amp > 0 {
		return amp
	}
	return limit
}

// openTag reports whether s[:cut] ends inside an HTML tag, and where it starts. A tag's
// '<' is followed by its name or '/': a "<" followed by anything else is text, and
// treating it as a tag pulled a cut back through a run of them to the message's start.
func openTag(s string, cut int) (int, bool) {
	lt := strings.LastIndex(s[:cut], "<")
	if lt < 0 || strings.Contains(s[lt:cut], ">") {
		return 0, false
	}
	if lt+1 < cut {
		if c := s[lt+1]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '/') {
			return 0, false
		}
	}
	return lt, true
}

// openEntity reports whether s[:cut] ends inside an HTML entity ("&amp", "&#39"), and
// where it starts. Only letters, digits and '#' may follow the '&': a bare "&" followed by
// a space is text, and treating it as an entity pulled a cut back through a whole run of
// " &00 &00" to the start of the message.
func openEntity(s string, cut int) (int, bool) {
	amp := strings.LastIndex(s[:cut], "&")
	if amp < 0 || cut-amp >= 10 {
		return 0, false
	}
	for _, c := range []byte(s[amp+1 : cut]) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '#') {
			return 0, false
		}
	}
	return amp, true
}

// safeCut moves a cut back out of an HTML tag or entity, until neither moves it (an entity
// inside a tag's attribute must not pull the cut back into the tag).
func safeCut(s string, cut int) int {
	for {
		prev := cut
		if lt, ok := openTag(s, cut); ok {
			cut = lt
		}
		if amp, ok := openEntity(s, cut); ok {
			cut = amp
		}
		if cut == prev {
			return cut
		}
	}
}

// truncate shortens an edited text to one message; an edit cannot become two.
func truncate(s string) string {
	if utf16Len(s) <= maxText {
		return s
	}
	return strings.TrimRight(s[:cutPoint(s)], " \n") + "…"
}
