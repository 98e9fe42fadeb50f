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
	fmt.Fprintf(&s, l.T("escalate.question_late"), q.ID)
	fmt.Fprintf(&s, "%s · %s · %s\n", esc(res.County.Name), esc(q.Township), categoryLabel(l, res.Category))
	fmt.Fprintf(&s, l.T("escalate.waiting"), waitedText(l, res.Waited))
	if res.Holder.UserID != 0 {
		fmt.Fprintf(&s, l.T("escalate.claimed_by_not_answered"), esc(expertName(res.Holder)))
	} else {
		s.WriteString(l.T("escalate.nobody_has_claimed"))
	}
	fmt.Fprintf(&s, l.T("escalate.from"), esc(q.FarmerName), localTime(q.AskedAt, res.County), esc(q.Text))
	if len(res.Experts) == 0 {
		s.WriteString(l.T("escalate.category_has_no_approved"))
	} else {
		s.WriteString(l.T("escalate.assign_expert_duty_off"))
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
		label := l.F("escalate.holds", dot, snippet(expertName(e.Expert), 24), e.Held)
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
		return l.F("escalate.d_h", days, hours)
	case hours > 0:
		return l.F("escalate.h_m", hours, minutes)
	default:
		return l.F("escalate.m", minutes)
	}
}

// assign handles an admin's press on an escalation's expert button.
func (b *Bot) assign(ctx context.Context, q *tgbotapi.CallbackQuery) error {
	l := b.langFor(ctx, q.From)
	questionID, expertID, ok := parseAssign(q.Data)
	if !ok {
		b.answerCallback(ctx, q, l.T("buttons.button_no_longer_works"), false)
		return nil
	}
	adminName := personName(q.From)
	res, err := b.svc.Assign(ctx, questionID, q.From.ID, expertID, func(res consult.AssignResult) []store.Message {
		return assignMessages(res, q, l, adminName)
	})
	switch {
	case errors.Is(err, consult.ErrNoSuchQuestion):
		b.answerCallback(ctx, q, l.F("claim.there_no_question", questionID), true)
	case errors.Is(err, consult.ErrNotAdmin):
		b.answerCallback(ctx, q, l.T("escalate.only_admin_county_can"), true)
	case errors.Is(err, consult.ErrNotExpert):
		b.answerCallback(ctx, q, l.T("escalate.that_person_no_longer"), true)
	case errors.Is(err, consult.ErrAlreadyAssigned):
		b.answerCallback(ctx, q, l.F("escalate.already_holds", questionID, res.Expert.Name), false)
	case errors.Is(err, consult.ErrAlreadyAnswered):
		b.answerCallback(ctx, q, l.F("escalate.already_answered_nothing_assign", questionID), true)
		// Nothing changes but the pressed message, which should not offer buttons any more.
		if q.Message != nil && q.Message.Chat != nil {
			return b.db.Enqueue(ctx, editTo(q.Message.Chat.ID, int64(q.Message.MessageID),
				questionCard(l, res.QuestionView)+"\n\n"+l.T("escalate.question_answered")))
		}
	case err != nil:
		return err
	default:
		b.answerCallback(ctx, q, l.F("escalate.assigned", questionID, res.Expert.Name), false)
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
		line := ml.F("escalate.assigned_by", esc(adminName), to)
		if m.UserID == q.From.ID {
			line = ml.F("escalate.you_assigned", to)
		}
		msgs = append(msgs, editTo(m.ChatID, m.MessageID, questionCard(ml, res.QuestionView)+"\n\n"+line))
	}
	taken := func(l lang) string {
		return questionCard(l, res.QuestionView) + "\n\n" + l.F("escalate.assigned_by_county_bureau", to)
	}
	msgs = append(msgs, noticeEdits(res.Notices, res.InFlight, func(l lang, _ int64) string { return taken(l) })...)
	if res.Former.UserID != 0 {
		fl := langFromCode(res.Former.Language)
		msgs = append(msgs, sendTo(res.Former.UserID, fl.F("escalate.county_admin_gave_you", id, to), nil)...)
	}
	el := langFromCode(res.Expert.Language)
	text := el.T("escalate.county_admin_assigned_question") +
		questionCard(el, res.QuestionView) + "\n\n" + el.F("escalate.reply_message_answer_send", id)
	return append(msgs, remembered(sendTo(res.Expert.UserID, text, nil), store.MessageQuestionNotice, id, res.Expert.UserID, el)...)
}
