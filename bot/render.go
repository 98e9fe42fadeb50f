package bot

import (
	"fmt"
	"html"
	"strings"
	"time"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/i18n"
	"github.com/agriclinic/agriclinic/store"
)

// Every message the bot writes is built here, from the catalog (i18n), as HTML with every
// piece of user text escaped, so a farmer's "<", "&" or emoji never breaks a message.
//
// Language: what the bot posts in a group is Chinese, the group's language; a private
// message follows the person's Telegram app language (English when the app is set to
// English, Chinese otherwise).

// lang is a language of the catalog (package i18n): every text the bot writes is
// l.T(id) or l.F(id, …), and the words live in i18n/*.yaml.
type lang = i18n.Lang

// zh is the language of groups and of anyone whose language is unknown.
const zh = i18n.Default

func langOf(u *tgbotapi.User) lang {
	if u == nil {
		return zh
	}
	return langFromCode(u.LanguageCode)
}

// langFromCode reads a Telegram language_code: a language of the catalog, else Chinese.
func langFromCode(code string) lang { return i18n.Of(code) }

// everyLang is a text for readers whose language is unknown (a group before /bind): the
// text in every language of the catalog, one after another.
func everyLang(id string, args ...any) string {
	var out []string
	for _, l := range i18n.Langs() {
		out = append(out, l.F(id, args...))
	}
	return strings.Join(out, "\n")
}

// esc escapes user text for HTML parse mode.
func esc(s string) string { return html.EscapeString(s) }

// echoLimit is how much of what someone typed a refusal repeats back.
const echoLimit = 30

// echo is what someone typed, repeated in an answer ("no township called …"): short
// and escaped, so that 5,000 characters in do not come back as three messages in a
// village group.
func echo(s string) string {
	if utf8.RuneCountInString(s) <= echoLimit {
		return esc(s)
	}
	r := []rune(s)
	return esc(string(r[:echoLimit])) + "…"
}

func categoryLabel(l lang, c *consult.Category) string { return esc(c.Label(l.Code())) }

// startText greets a person. Their Telegram id is shown only in a private chat: in a
// group everyone would read it.
func startText(l lang, u *tgbotapi.User, r role, coordinator, group bool) string {
	id := l.F("render.your_telegram_id_line", u.ID)
	if group {
		id = ""
	}
	return l.F("render.hello_county_agriculture_bureau", esc(u.FirstName), id) + helpFor(l, r, coordinator, group)
}

// tooFastText tells a person sending commands past their pace how long to wait, in
// whole minutes.
func tooFastText(l lang, wait time.Duration) string {
	minutes := max(1, int((wait+time.Minute-1)/time.Minute))
	return l.F("render.too_many_commands_please", minutes)
}

// whoamiText tells a person their Telegram id; in a group, where everyone would read it,
// only where to ask for it.
func whoamiText(l lang, u *tgbotapi.User, group bool, botName string) string {
	if group {
		return l.F("render.keep_private_your_telegram", esc(botName))
	}
	return l.F("render.your_telegram_id_2", u.ID)
}

func townshipList(c []*consult.County) string {
	var b strings.Builder
	for _, county := range c {
		fmt.Fprintf(&b, "\n%s：%s", esc(county.Name), esc(strings.Join(county.Townships, "、")))
	}
	return b.String()
}

func categoryList(l lang, c *consult.County) string {
	parts := make([]string, len(c.Categories))
	for i, cat := range c.Categories {
		parts[i] = fmt.Sprintf("%s (%s)", esc(cat.Label(l.Code())), esc(cat.ID))
	}
	return strings.Join(parts, l.T("render.list_separator"))
}

func categoryNames(l lang, c *consult.County, ids []string) string {
	parts := make([]string, 0, len(ids))
	for _, id := range ids {
		if cat, ok := c.Category(id); ok {
			parts = append(parts, esc(cat.Label(l.Code())))
		} else {
			parts = append(parts, esc(id))
		}
	}
	return strings.Join(parts, l.T("render.list_separator"))
}

func personName(u *tgbotapi.User) string {
	name := strings.TrimSpace(u.FirstName + " " + u.LastName)
	if name == "" {
		name = u.UserName
	}
	if name == "" {
		name = fmt.Sprint(u.ID)
	}
	return name
}

func expertRequestText(l lang, r store.ExpertRequest, c *consult.County) string {
	who := esc(r.Name)
	if r.Username != "" {
		who += " (@" + esc(r.Username) + ")"
	}
	return l.F("render.expert_request_id", r.ID, who, r.UserID, esc(c.Name), categoryNames(l, c, r.Categories))
}

func expertDecisionLine(l lang, r store.ExpertRequest, adminName string) string {
	switch {
	case r.Status == store.RequestApproved && adminName != "":
		return l.F("render.decided_approved_by", esc(adminName))
	case r.Status == store.RequestApproved:
		return l.T("render.decided_approved")
	case r.Status == store.RequestRejected && adminName != "":
		return l.F("render.decided_rejected_by", esc(adminName))
	case r.Status == store.RequestRejected:
		return l.T("render.decided_rejected")
	case r.Status == store.RequestSuperseded:
		return l.T("render.replaced_by_newer_request")
	}
	return ""
}

// questionCard is how an expert sees a question.
func questionCard(l lang, v consult.QuestionView) string {
	q := v.Question
	return l.F("render.question_from", q.ID, categoryLabel(l, v.Category), esc(q.Township), esc(q.FarmerName), localTime(q.AskedAt, v.County), esc(q.Text))
}

// questionCardFull is the card with what the question came with and what the farmer
// added since.
func questionCardFull(l lang, v consult.QuestionView, media []store.Media, followups []store.Followup) string {
	var b strings.Builder
	b.WriteString(questionCard(l, v))
	if s := mediaSummary(l, media); s != "" {
		b.WriteString("\n" + s)
	}
	if v.Question.OriginalText != "" {
		fmt.Fprintf(&b, l.T("render.edited_first_asked"), esc(snippet(v.Question.OriginalText, 200)))
	}
	for _, f := range followups {
		fmt.Fprintf(&b, l.T("render.follow_up"), localTime(f.CreatedAt, v.County), esc(f.Text))
		if f.Kind != "" {
			b.WriteString(" " + mediaSummary(l, []store.Media{{Kind: f.Kind}}))
		}
	}
	return b.String()
}

func localTime(t time.Time, c *consult.County) string {
	if c != nil && c.Location != nil {
		t = t.In(c.Location)
	}
	return t.Format("01-02 15:04")
}

func ackText(l lang, v consult.QuestionView, experts int) string {
	s := l.F("render.question_received_passed_experts", v.Question.ID, categoryLabel(l, v.Category))
	if experts == 0 {
		s += l.T("render.no_expert_kind_duty")
	}
	return s
}

func answerText(l lang, v consult.QuestionView, a store.Answer) string {
	text := esc(a.Text)
	if text == "" {
		text = l.T("render.see_attachment_above")
	}
	return l.F("render.expert_answer_did_solve", v.Question.ID, categoryLabel(l, v.Category), esc(a.ExpertName), text)
}

func snippet(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
