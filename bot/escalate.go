package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
)

// EscalationMessages shows a late question to every admin of its county, each in their
// language, with a button per expert who could take it.
func EscalationMessages(res consult.Escalation) []store.Message {
	var msgs []store.Message
	for _, a := range res.Admins {
		l := langFromCode(a.Language)
		notice := sendTo(a.UserID, escalationText(l, res), assignKeyboard(l, res))
		msgs = append(msgs, remembered(notice, store.MessageEscalation, res.Question.ID, a.UserID, l)...)
	}
	return msgs
}

func escalationText(l lang, res consult.Escalation) string {
	q := res.Question
	var s strings.Builder
	fmt.Fprintf(&s, l.pick("⚠️ <b>问题 #%d 超时未解答</b>\n", "⚠️ <b>Question #%d is late</b>\n"), q.ID)
	fmt.Fprintf(&s, "%s · %s · %s\n", esc(res.County.Name), esc(q.Township), categoryLabel(l, res.Category))
	fmt.Fprintf(&s, l.pick("已等待 %s · ", "Waiting %s · "), waitedText(l, res.Waited))
	if res.Holder.UserID != 0 {
		fmt.Fprintf(&s, l.pick("%s 已认领，尚未作答\n", "claimed by %s, not answered\n"), esc(expertName(res.Holder)))
	} else {
		s.WriteString(l.pick("无人认领\n", "nobody has claimed it\n"))
	}
	fmt.Fprintf(&s, l.pick("提问：%s · %s\n\n%s\n\n", "From %s · %s\n\n%s\n\n"), esc(q.FarmerName), localTime(q.AskedAt, res.County), esc(q.Text))
	if len(res.Experts) == 0 {
		s.WriteString(l.pick("该类别还没有经批准的专家，无法指派。", "This category has no approved expert to assign it to yet."))
	} else {
		s.WriteString(l.pick("请指派一位专家（🟢 值班 ⚪ 休息，数字为手上未答的问题数）：",
			"Assign it to an expert (🟢 on duty ⚪ off duty; the number is how many questions they hold):"))
	}
	return s.String()
}

// assignKeyboard has one button per expert, one per row, so long names stay readable.
// Button labels are plain text, not HTML.
func assignKeyboard(l lang, res consult.Escalation) tgbotapi.InlineKeyboardMarkup {
	rows := make([][]tgbotapi.InlineKeyboardButton, 0, len(res.Experts))
	for _, e := range res.Experts {
		dot := "⚪"
		if e.OnDuty {
			dot = "🟢"
		}
		label := fmt.Sprintf(l.pick("%s %s · 在手 %d", "%s %s · holds %d"), dot, snippet(expertName(e.Expert), 24), e.Held)
		rows = append(rows, tgbotapi.NewInlineKeyboardRow(
			tgbotapi.NewInlineKeyboardButtonData(label, assignData(res.Question.ID, e.UserID))))
	}
	return tgbotapi.NewInlineKeyboardMarkup(rows...)
}

// expertName is an expert's name, or their id when the archive no longer knows them.
func expertName(e store.Expert) string {
	if e.Name != "" {
		return e.Name
	}
	return fmt.Sprint(e.UserID)
}

// waitedText says how long a question has waited, to the minute.
func waitedText(l lang, d time.Duration) string {
	d = max(d.Round(time.Minute), 0)
	days, hours, minutes := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case days > 0:
		return fmt.Sprintf(l.pick("%d天%d小时", "%dd %dh"), days, hours)
	case hours > 0:
		return fmt.Sprintf(l.pick("%d小时%d分钟", "%dh %dm"), hours, minutes)
	default:
		return fmt.Sprintf(l.pick("%d分钟", "%dm"), minutes)
	}
}

// assign handles an admin's press on an escalation's expert button.
func (b *Bot) assign(ctx context.Context, q *tgbotapi.CallbackQuery) error {
	l := b.langFor(ctx, q.From)
	questionID, expertID, ok := parseAssign(q.Data)
	if !ok {
		b.answerCallback(ctx, q, l.pick("这个按钮已失效。", "This button no longer works."), false)
		return nil
	}
	adminName := personName(q.From)
	res, err := b.svc.Assign(ctx, questionID, q.From.ID, expertID, func(res consult.AssignResult) []store.Message {
		return assignMessages(res, q, l, adminName)
	})
	switch {
	case errors.Is(err, consult.ErrNoSuchQuestion):
		b.answerCallback(ctx, q, fmt.Sprintf(l.pick("没有 #%d 号问题。", "There is no question #%d."), questionID), true)
	case errors.Is(err, consult.ErrNotAdmin):
		b.answerCallback(ctx, q, l.pick("只有本县管理员可以指派问题。", "Only an admin of this county can assign questions."), true)
	case errors.Is(err, consult.ErrNotExpert):
		b.answerCallback(ctx, q, l.pick("这位专家已不是该类别的专家，无法指派。", "That person is no longer an expert of this category."), true)
	case errors.Is(err, consult.ErrAlreadyAssigned):
		b.answerCallback(ctx, q, fmt.Sprintf(l.pick("#%d 已经在 %s 手上。", "%[2]s already holds #%[1]d."), questionID, res.Expert.Name), false)
	case errors.Is(err, consult.ErrAlreadyAnswered):
		b.answerCallback(ctx, q, fmt.Sprintf(l.pick("#%d 已经解答了，无需指派。", "#%d is already answered; nothing to assign."), questionID), true)
		// Nothing changes but the pressed message, which should not offer buttons any more.
		if q.Message != nil && q.Message.Chat != nil {
			return b.db.Enqueue(ctx, editTo(q.Message.Chat.ID, int64(q.Message.MessageID),
				questionCard(l, res.QuestionView)+"\n\n"+l.pick("✅ 这个问题已经解答。", "✅ This question is answered.")))
		}
	case err != nil:
		return err
	default:
		b.answerCallback(ctx, q, fmt.Sprintf(l.pick("已把 #%d 指派给 %s", "#%d assigned to %s"), questionID, res.Expert.Name), false)
	}
	return nil
}

// assignMessages tells everyone an assignment concerns: the admins see to whom it went,
// the experts shown the question that it is taken, the former holder that it is no
// longer theirs, and the chosen expert gets it to answer by replying.
func assignMessages(res consult.AssignResult, q *tgbotapi.CallbackQuery, l lang, adminName string) []store.Message {
	id, to := res.Question.ID, esc(expertName(res.Expert))
	var msgs []store.Message
	// Every admin's copy changes, so no second admin assigns it again.
	for _, m := range withPressed(res.Escalations, q, store.MessageEscalation, id, l) {
		ml := langFromCode(m.Language)
		line := fmt.Sprintf(ml.pick("✅ 已由 %s 指派给 %s", "✅ Assigned to %[2]s by %[1]s"), esc(adminName), to)
		if m.UserID == q.From.ID {
			line = fmt.Sprintf(ml.pick("✅ 你已指派给 %s", "✅ You assigned it to %s"), to)
		}
		msgs = append(msgs, editTo(m.ChatID, m.MessageID, questionCard(ml, res.QuestionView)+"\n\n"+line))
	}
	taken := func(l lang) string {
		return questionCard(l, res.QuestionView) + "\n\n" + fmt.Sprintf(l.pick("📌 县局已指派给 %s", "📌 Assigned by the county bureau to %s"), to)
	}
	msgs = append(msgs, noticeEdits(res.Notices, res.InFlight, func(l lang, _ int64) string { return taken(l) })...)
	if res.Former.UserID != 0 {
		fl := langFromCode(res.Former.Language)
		msgs = append(msgs, sendTo(res.Former.UserID, fmt.Sprintf(fl.pick(
			"↪️ 县局管理员已把 #%d 改派给 %s，你不用再解答这个问题了。",
			"↪️ A county admin gave #%d to %s; you need not answer it any more."), id, to), nil)...)
	}
	el := langFromCode(res.Expert.Language)
	text := el.pick("📌 <b>县局管理员把这个问题指派给了你</b>\n", "📌 <b>A county admin assigned this question to you</b>\n") +
		questionCard(el, res.QuestionView) + "\n\n" + fmt.Sprintf(el.pick(
		"直接<b>回复本消息</b>即可作答，或发送 /answer %d 答复内容。",
		"<b>Reply to this message</b> to answer, or send /answer %d &lt;text&gt;."), id)
	return append(msgs, remembered(sendTo(res.Expert.UserID, text, nil), store.MessageQuestionNotice, id, res.Expert.UserID, el)...)
}
