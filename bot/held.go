package bot

import (
	"context"
	"errors"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
)

// Senior review (复核): the messages of an answer held before the group (consult/held.go).
// The words are kept apart from the dashboard's read-only "reviewer" role: here it is a
// senior who decides a held answer.

// The buttons of a held answer: its expert sends it to review (a false alarm), a senior
// approves it (通过) or returns it (退回). Data "<action>:<held id>".
const (
	actionHeldSend    = "hsend"
	actionHeldApprove = "hok"
	actionHeldReturn  = "hret"
)

// heldZone is the notices' time: a rule is in force from 00:00 China time.
var heldZone = time.FixedZone("CST", 8*3600)

// heldDate is a rule's date as the notices write it.
func heldDate(f consult.HeldFinding) string {
	if f.Since.IsZero() {
		return "—"
	}
	return f.Since.In(heldZone).Format("2006-01-02")
}

// heldFindingLines says, one line per finding, which words matched and why they hold the
// answer.
func heldFindingLines(l lang, findings []consult.HeldFinding) string {
	var b strings.Builder
	for _, f := range findings {
		b.WriteString("\n")
		switch {
		case f.Banned:
			b.WriteString(l.F("held.finding_banned", esc(f.Matched), esc(f.Name), heldDate(f), esc(f.Notice)))
		default:
			b.WriteString(l.F("held.finding_restricted", esc(f.Matched), esc(f.Name), esc(f.Crop), esc(f.Notice)))
		}
		if f.Negated {
			b.WriteString(l.T("held.negated"))
		}
	}
	return b.String()
}

// reasonText is why an answer was held, in a few words.
func reasonText(l lang, reason string) string {
	switch reason {
	case consult.HeldBanned:
		return l.T("held.reason_banned")
	case consult.HeldNegated:
		return l.T("held.reason_negated")
	case consult.HeldRestricted:
		return l.T("held.reason_restricted")
	case consult.HeldNew:
		return l.T("held.reason_new")
	}
	return l.T("held.reason_all")
}

// heldAnswerText is the held answer's words as a senior reads them.
func heldAnswerText(l lang, h store.HeldAnswer) string {
	if strings.TrimSpace(h.Text) == "" {
		return l.T("render.see_attachment_above")
	}
	return esc(h.Text)
}

// seniorCopies are the held answer's messages to each senior: the question's photos, the
// answer's own attachment, the card with 通过 / 退回. lead, when set, heads the card (a
// push after REVIEW_SLA).
func seniorCopies(hv consult.HeldView, to []consult.AdminContact, lead func(l lang) string) []store.Message {
	var msgs []store.Message
	h := hv.Held
	for _, s := range to {
		l := langFromCode(s.Language)
		msgs = append(msgs, mediaMessages(s.UserID, hv.Media, 0, 0)...)
		if h.FileID != "" {
			msgs = append(msgs, mediaMessages(s.UserID, []store.Media{{Kind: h.Kind, FileID: h.FileID}}, 0, 0)...)
		}
		text := l.F("held.senior_card", questionCard(l, hv.QuestionView), esc(h.ExpertName), heldAnswerText(l, h),
			reasonText(l, h.Reason), heldFindingLines(l, hv.Findings))
		if lead != nil {
			text = lead(l) + "\n\n" + text
		}
		kb := tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
			tgbotapi.NewInlineKeyboardButtonData(l.T("held.button_approve"), callbackData(actionHeldApprove, h.ID)),
			tgbotapi.NewInlineKeyboardButtonData(l.T("held.button_return"), callbackData(actionHeldReturn, h.ID)),
		))
		msgs = append(msgs, remembered(sendTo(s.UserID, text, kb), store.MessageHeldReview, h.ID, s.UserID, l)...)
	}
	return msgs
}

// replacedEdits say on the seniors' copies of a replaced answer that a newer one took
// its place, and take their buttons away.
func replacedEdits(copies []store.BotMessage, questionID int64) []store.Message {
	var msgs []store.Message
	for _, c := range copies {
		msgs = append(msgs, editTo(c.ChatID, c.MessageID, langFromCode(c.Language).F("held.replaced_copy", questionID)))
	}
	return msgs
}

// heldMessages are the messages of an answer the check or the county's review holds:
// the group hears the answer is coming (once), the expert hears why, the seniors get it
// when it goes to review.
func heldMessages(in *incoming, l lang, res consult.AnswerResult) []store.Message {
	hv := res.Held
	h, q := hv.Held, hv.Question
	var msgs []store.Message
	if hv.FirstHold {
		gl := langFromCode(hv.GroupLanguage)
		msgs = append(msgs, toQuestion(q, gl.F("held.group_reviewing", q.ID), nil)...)
	}
	msgs = append(msgs, replacedEdits(hv.Replaced, q.ID)...)
	if h.State == store.HeldWaiting {
		kb := tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
			tgbotapi.NewInlineKeyboardButtonData(l.T("held.button_send"), callbackData(actionHeldSend, h.ID))))
		return append(msgs, in.replyWith(l.F("held.banned_expert", q.ID, heldFindingLines(l, hv.Findings), q.ID), kb)...)
	}
	msgs = append(msgs, in.replyWith(l.F("held.to_review_expert", q.ID, reasonText(l, h.Reason), heldFindingLines(l, hv.Findings)), nil)...)
	return append(msgs, seniorCopies(*hv, hv.Seniors, nil)...)
}

// heldButton routes the buttons of held answers.
func (b *Bot) heldButton(ctx context.Context, p press) error {
	id, ok := p.id()
	if !ok {
		return b.expiredButton(ctx, p.q)
	}
	switch p.action {
	case actionHeldSend:
		return b.sendHeldToReview(ctx, p.q, id)
	case actionHeldApprove:
		return b.decideHeld(ctx, p.q, nil, id, true, "")
	}
	return b.decideHeld(ctx, p.q, nil, id, false, "")
}

// sendHeldToReview is the expert's press of 送复核 under an answer held for a banned name.
func (b *Bot) sendHeldToReview(ctx context.Context, q *tgbotapi.CallbackQuery, id int64) error {
	l := b.langFor(ctx, q.From)
	hv, err := b.svc.SendHeldToReview(ctx, id, q.From.ID, func(hv consult.HeldView) []store.Message {
		var msgs []store.Message
		if q.Message != nil {
			text := l.F("held.to_review_expert", hv.Question.ID, reasonText(l, hv.Held.Reason), heldFindingLines(l, hv.Findings))
			msgs = append(msgs, editTo(q.Message.Chat.ID, int64(q.Message.MessageID), text))
		}
		return append(msgs, seniorCopies(hv, hv.Seniors, nil)...)
	})
	switch {
	case errors.Is(err, consult.ErrNoSuchHeld), errors.Is(err, consult.ErrNoSuchQuestion):
		b.answerCallback(ctx, q, l.T("held.no_such"), true)
	case errors.Is(err, consult.ErrNotHeldExpert):
		b.answerCallback(ctx, q, l.T("held.not_your_answer"), true)
	case errors.Is(err, consult.ErrHeldSettled):
		b.answerCallback(ctx, q, settledText(l, hv.Held, hv.Question.ID), true)
	case err != nil:
		return err
	default:
		b.answerCallback(ctx, q, l.F("held.sent_to_review", hv.Question.ID), false)
	}
	return nil
}

// settledText says how a held answer was settled, for a press or reply that came late.
func settledText(l lang, h store.HeldAnswer, questionID int64) string {
	switch h.State {
	case store.HeldApproved, store.HeldReturned:
		return l.F("held.settled_by", questionID, esc(h.DecidedName), decisionWord(l, h))
	}
	return l.F("held.settled", questionID)
}

// decisionWord is a decision in a word: 通过, 修改后通过, 退回.
func decisionWord(l lang, h store.HeldAnswer) string {
	switch {
	case h.State == store.HeldReturned:
		return l.T("held.word_returned")
	case h.CorrectedText != "":
		return l.T("held.word_corrected")
	}
	return l.T("held.word_approved")
}

// decideHeld is a senior's decision: a press of 通过 or 退回 (q set), or a reply to their
// copy with a corrected text (in set; approve with corrected).
func (b *Bot) decideHeld(ctx context.Context, q *tgbotapi.CallbackQuery, in *incoming, id int64, approve bool, corrected string) error {
	var from *tgbotapi.User
	if q != nil {
		from = q.From
	} else {
		from = in.msg.From
	}
	l := b.langFor(ctx, from)
	res, err := b.svc.DecideHeld(ctx, id, person(from), approve, corrected, func(res consult.HeldDecision) []store.Message {
		return decisionMessages(l, from.ID, res)
	})
	tell := func(text string, alert bool) error {
		if q != nil {
			b.answerCallback(ctx, q, text, alert)
			return nil
		}
		return b.reply(ctx, in, text, nil)
	}
	switch {
	case errors.Is(err, consult.ErrNoSuchHeld), errors.Is(err, consult.ErrNoSuchQuestion):
		return tell(l.T("held.no_such"), true)
	case errors.Is(err, consult.ErrNotSenior):
		return tell(l.T("held.not_senior"), true)
	case errors.Is(err, consult.ErrHeldSettled):
		return tell(settledText(l, res.Held, res.Question.ID), true)
	case errors.Is(err, consult.ErrSeniorBanned):
		return tell(l.F("held.senior_banned", heldFindingLines(l, res.Refused)), true)
	case err != nil:
		return err
	case q != nil:
		return tell(l.F("held.decided_you", res.Question.ID, decisionWord(l, res.Held)), false)
	}
	return nil // the reply's confirmation is among the decision's messages
}

// decisionMessages are what a decision causes: the answer in the group (approved), the
// expert told, every senior's copy edited to say who decided and how, and for 退回 the
// prompt for the senior's note.
func decisionMessages(l lang, seniorID int64, res consult.HeldDecision) []store.Message {
	h, q := res.Held, res.Question
	var msgs []store.Message
	el := langFromCode(res.ExpertLanguage)
	if h.State == store.HeldApproved {
		gl := langFromCode(res.GroupLanguage)
		var items []store.Media
		if res.Answer.FileID != "" {
			items = []store.Media{{Kind: res.Answer.Kind, FileID: res.Answer.FileID}}
		}
		posted := mediaMessages(q.ChatID, items, q.MessageID, q.ThreadID)
		text := answerText(gl, res.QuestionView, res.Answer) + gl.F("held.reviewed_mark", esc(h.DecidedName))
		words := toQuestion(q, text, feedbackKeyboard(gl, q.ID))
		words[len(words)-1].AnswerID = res.Answer.ID
		posted = append(posted, remembered(words, store.MessageAck, q.ID, 0, gl)...)
		told := sendTo(h.ExpertID, el.F("held.expert_approved", q.ID, esc(h.DecidedName), decisionWord(el, h)), nil)
		if h.CorrectedText != "" {
			told = sendTo(h.ExpertID, el.F("held.expert_corrected", q.ID, esc(h.DecidedName), esc(h.CorrectedText)), nil)
		}
		told[0].After = len(posted)
		msgs = append(append(posted, told...), reaction(q, reactionAnswered))
	} else {
		msgs = append(msgs, sendTo(h.ExpertID, el.F("held.expert_returned", q.ID, esc(h.DecidedName), q.ID), nil)...)
		msgs = append(msgs, remembered(sendTo(seniorID, l.F("held.note_prompt", q.ID), tgbotapi.ForceReply{ForceReply: true, Selective: true}),
			store.MessageHeldNote, h.ID, seniorID, l)...)
	}
	for _, c := range res.Copies {
		cl := langFromCode(c.Language)
		text := cl.F("held.decided_copy", q.ID, esc(h.DecidedName), decisionWord(cl, h))
		msgs = append(msgs, editTo(c.ChatID, c.MessageID, text))
	}
	return msgs
}

// heldReply handles a senior's reply to their copy of a held answer (a corrected text:
// 修改后通过) or to the prompt for a returned answer's note.
func (b *Bot) heldReply(ctx context.Context, in *incoming, m store.BotMessage) error {
	text := in.msg.Text + in.msg.Caption
	if m.Kind == store.MessageHeldReview {
		if blankText(text) {
			return b.reply(ctx, in, in.lang.T("held.correction_empty"), nil)
		}
		return b.decideHeld(ctx, nil, in, m.RefID, true, text)
	}
	res, err := b.svc.NoteHeld(ctx, m.RefID, person(in.msg.From), text, func(res consult.HeldDecision) []store.Message {
		el := langFromCode(res.ExpertLanguage)
		msgs := sendTo(res.Held.ExpertID, el.F("held.expert_note", esc(res.Held.DecidedName), res.Question.ID, esc(res.Held.Note)), nil)
		return append(msgs, in.replyWith(in.lang.T("held.note_sent"), nil)...)
	})
	switch {
	case errors.Is(err, consult.ErrNoSuchHeld), errors.Is(err, consult.ErrNoSuchQuestion):
		return b.reply(ctx, in, in.lang.T("held.no_such"), nil)
	case errors.Is(err, consult.ErrEmptyAnswer):
		return b.reply(ctx, in, in.lang.T("held.correction_empty"), nil)
	case errors.Is(err, consult.ErrHeldSettled):
		return b.reply(ctx, in, settledText(in.lang, res.Held, res.Question.ID), nil)
	}
	return err
}

// HeldPushMessages render a held answer undecided past REVIEW_SLA: once more to the
// seniors, then to the admins.
func HeldPushMessages(res consult.HeldPush) []store.Message {
	lead := func(l lang) string { return l.F("held.push_seniors", res.Question.ID) }
	if res.Pushes >= 2 {
		lead = func(l lang) string { return l.F("held.push_admins", res.Question.ID) }
	}
	return seniorCopies(res.HeldView, res.To, lead)
}
