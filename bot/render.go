package bot

import (
	"fmt"
	"html"
	"strings"
	"time"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
)

// Every message the bot writes is built here, in Chinese and English, as HTML with every
// piece of user text escaped, so a farmer's "<", "&" or emoji never breaks a message.
//
// Language: what the bot posts in a group is Chinese, the group's language; a private
// message follows the person's Telegram app language (English when the app is set to
// English, Chinese otherwise).

type lang int

const (
	zh lang = iota
	en
)

func langOf(u *tgbotapi.User) lang {
	if u == nil {
		return zh
	}
	return langFromCode(u.LanguageCode)
}

// langFromCode reads a Telegram language_code.
func langFromCode(code string) lang {
	if strings.HasPrefix(strings.ToLower(code), "en") {
		return en
	}
	return zh
}

// pick returns the text for the language.
func (l lang) pick(zhText, enText string) string {
	if l == en {
		return enText
	}
	return zhText
}

func (l lang) code() string { return l.pick("zh", "en") }

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

func categoryLabel(l lang, c *consult.Category) string { return esc(c.Label(l.code())) }

// startText greets a person. Their Telegram id is shown only in a private chat: in a
// group everyone would read it.
func startText(l lang, u *tgbotapi.User, r role, coordinator, group bool) string {
	id := fmt.Sprintf(l.pick("\n你的 Telegram ID：<code>%d</code>", "\nYour Telegram id: <code>%d</code>"), u.ID)
	if group {
		id = ""
	}
	return l.pick(
		fmt.Sprintf("你好，%s！这里是县农业农村局的农技坐诊机器人：农户在乡镇群里提问，县里的农技专家在群里解答。%s\n\n", esc(u.FirstName), id),
		fmt.Sprintf("Hello, %s! This is the county agriculture bureau's clinic bot: farmers ask in their township groups, the county's experts answer there.%s\n\n", esc(u.FirstName), id),
	) + helpFor(l, r, coordinator, group)
}

// tooFastText tells a person sending commands past their pace how long to wait, in
// whole minutes.
func tooFastText(l lang, wait time.Duration) string {
	minutes := max(1, int((wait+time.Minute-1)/time.Minute))
	return fmt.Sprintf(l.pick("你发送命令太频繁了，请 %d 分钟后再试。", "Too many commands; please try again in %d min."), minutes)
}

// whoamiText tells a person their Telegram id; in a group, where everyone would read it,
// only where to ask for it.
func whoamiText(l lang, u *tgbotapi.User, group bool, botName string) string {
	if group {
		return fmt.Sprintf(l.pick("为保护隐私，Telegram ID 只在私聊中显示：请私聊 @%s 发送 /whoami。",
			"To keep it private, your Telegram ID is shown only in a private chat: send /whoami to @%s."), esc(botName))
	}
	return fmt.Sprintf(l.pick("你的 Telegram ID：<code>%d</code>", "Your Telegram id: <code>%d</code>"), u.ID)
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
		parts[i] = fmt.Sprintf("%s (%s)", esc(cat.Label(l.code())), esc(cat.ID))
	}
	return strings.Join(parts, l.pick("、", ", "))
}

func categoryNames(l lang, c *consult.County, ids []string) string {
	parts := make([]string, 0, len(ids))
	for _, id := range ids {
		if cat, ok := c.Category(id); ok {
			parts = append(parts, esc(cat.Label(l.code())))
		} else {
			parts = append(parts, esc(id))
		}
	}
	return strings.Join(parts, l.pick("、", ", "))
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
	return l.pick(
		fmt.Sprintf("<b>专家申请 #%d</b>\n%s，ID <code>%d</code>\n%s：%s", r.ID, who, r.UserID, esc(c.Name), categoryNames(l, c, r.Categories)),
		fmt.Sprintf("<b>Expert request #%d</b>\n%s, id <code>%d</code>\n%s: %s", r.ID, who, r.UserID, esc(c.Name), categoryNames(l, c, r.Categories)),
	)
}

func expertDecisionLine(l lang, r store.ExpertRequest, adminName string) string {
	by := ""
	if adminName != "" {
		by = l.pick("由 "+esc(adminName)+" ", " by "+esc(adminName))
	}
	switch r.Status {
	case store.RequestApproved:
		return l.pick("✅ 已"+by+"批准", "✅ Approved"+by)
	case store.RequestRejected:
		return l.pick("❌ 已"+by+"拒绝", "❌ Rejected"+by)
	case store.RequestSuperseded:
		return l.pick("↪️ 已被新的申请取代", "↪️ Replaced by a newer request")
	}
	return ""
}

// questionCard is how an expert sees a question.
func questionCard(l lang, v consult.QuestionView) string {
	q := v.Question
	return l.pick(
		fmt.Sprintf("<b>问题 #%d</b> · %s · %s\n提问：%s · %s\n\n%s", q.ID, categoryLabel(l, v.Category), esc(q.Township), esc(q.FarmerName), localTime(q.AskedAt, v.County), esc(q.Text)),
		fmt.Sprintf("<b>Question #%d</b> · %s · %s\nFrom %s · %s\n\n%s", q.ID, categoryLabel(l, v.Category), esc(q.Township), esc(q.FarmerName), localTime(q.AskedAt, v.County), esc(q.Text)),
	)
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
		fmt.Fprintf(&b, l.pick("\n（已修改，原文：%s）", "\n(edited; first asked: %s)"), esc(snippet(v.Question.OriginalText, 200)))
	}
	for _, f := range followups {
		fmt.Fprintf(&b, l.pick("\n\n➕ 追问（%s）：%s", "\n\n➕ Follow-up (%s): %s"), localTime(f.CreatedAt, v.County), esc(f.Text))
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
	s := fmt.Sprintf(l.pick("已收到问题 <b>#%d</b>（%s），已转给农技专家，请稍候。", "Question <b>#%d</b> received (%s) and passed to the experts; please wait."),
		v.Question.ID, categoryLabel(l, v.Category))
	if experts == 0 {
		s += l.pick("\n目前没有在线的该类专家，问题已排队，专家上线后会处理。", "\nNo expert of this kind is on duty now; the question waits in the queue.")
	}
	return s
}

func answerText(l lang, v consult.QuestionView, a store.Answer) string {
	text := esc(a.Text)
	if text == "" {
		text = l.pick("（见上方附件）", "(see the attachment above)")
	}
	return fmt.Sprintf(l.pick("<b>#%d 专家解答</b>（%s · %s）：\n%s\n\n问题解决了吗？请点下方按钮告诉我们。", "<b>#%d Expert answer</b> (%s · %s):\n%s\n\nDid this solve it? Tell us with a button below."),
		v.Question.ID, categoryLabel(l, v.Category), esc(a.ExpertName), text)
}

func snippet(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
