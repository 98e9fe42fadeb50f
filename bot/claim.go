package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
)

// claim gives the question to the expert who pressed Claim, or tells them who has it.
func (b *Bot) claim(ctx context.Context, q *tgbotapi.CallbackQuery, questionID int64) error {
	l := b.langFor(ctx, q.From)
	res, err := b.svc.Claim(ctx, questionID, q.From.ID, func(res consult.ClaimResult) []store.Message {
		// Every expert who was shown the question now sees who took it, so nobody starts
		// writing an answer that will not be posted.
		var msgs []store.Message
		notices := res.Notices
		// A /queue list with several Claim buttons stays a list.
		if q.Message != nil && q.Message.ReplyMarkup != nil && len(q.Message.ReplyMarkup.InlineKeyboard) == 1 {
			notices = withPressed(notices, q, store.MessageQuestionNotice, questionID, l)
		}
		claimedText := func(l lang, userID int64) string {
			line := l.F("claim.claimed_by", esc(res.Holder.Name))
			if userID == q.From.ID {
				line = l.T("claim.you_claimed")
			}
			return questionCard(l, res.QuestionView) + "\n\n" + line
		}
		msgs = append(msgs, noticeEdits(notices, res.InFlight, claimedText)...)
		// An expert who claimed from /queue or a push bundle has not seen the photos yet.
		if !shownTo(q.From.ID, res.Notices, res.InFlight) {
			msgs = append(msgs, mediaMessages(q.From.ID, res.Media, 0, 0)...)
		}
		text := questionCardFull(l, res.QuestionView, res.Media, res.Followups) + referenceLines(l, res.Similar) + "\n\n" + l.F("claim.yours_now_reply_message", questionID)
		return append(msgs, remembered(sendTo(q.From.ID, text, needsVisitButton(l, questionID)), store.MessageQuestionNotice, questionID, q.From.ID, l)...)
	})
	switch {
	case errors.Is(err, consult.ErrNoSuchQuestion):
		b.answerCallback(ctx, q, l.F("claim.there_no_question", questionID), true)
	case errors.Is(err, consult.ErrNotExpert):
		b.answerCallback(ctx, q, l.T("claim.only_approved_expert_category"), true)
	case errors.Is(err, consult.ErrAlreadyYours):
		b.answerCallback(ctx, q, l.F("claim.you_already_hold_reply", questionID), false)
	case errors.Is(err, consult.ErrTaken), errors.Is(err, consult.ErrAlreadyAnswered):
		if res.Holder.Name == "" {
			// Lost a race to someone whose claim is being stored this very moment.
			b.answerCallback(ctx, q, l.F("claim.was_claimed_by_another", questionID), true)
			break
		}
		b.answerCallback(ctx, q, l.F("claim.was_claimed_by", questionID, res.Holder.Name), true)
	case err != nil:
		return err
	default:
		b.answerCallback(ctx, q, l.F("claim.you_claimed_n", questionID), false)
		b.Metrics.claimed(res.Question.ClaimedAt.Sub(res.Question.AskedAt).Seconds())
	}
	return nil
}

// answerCommand handles /answer <number> <text>.
func (b *Bot) answerCommand(ctx context.Context, in *incoming) error {
	id, text, ok := parseAnswerArgs(in.args)
	if !ok {
		b.reply(ctx, in, in.lang.T("claim.usage_answer_number_text"), nil)
		return nil
	}
	return b.answer(ctx, in, id, text, nil)
}

// parseAnswerArgs reads "<number> <text>" (the number may carry a #).
func parseAnswerArgs(args string) (int64, string, bool) {
	num, text, _ := strings.Cut(strings.TrimSpace(args), " ")
	if i := strings.IndexAny(num, "\n\t"); i >= 0 {
		num, text = num[:i], num[i+1:]+" "+text
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(num, "#"), 10, 64)
	text = strings.TrimSpace(text)
	if err != nil || id <= 0 || text == "" {
		return 0, "", false
	}
	return id, text, true
}

// answer posts an expert's answer in the farmer's group, as a reply to the question, and
// archives it.
func (b *Bot) answer(ctx context.Context, in *incoming, questionID int64, text string, media *store.Media) error {
	l := in.lang
	res, err := b.svc.Answer(ctx, consult.AnswerInput{QuestionID: questionID, Expert: person(in.msg.From), Text: text, UpdateID: in.updateID, Media: media},
		func(res consult.AnswerResult) []store.Message {
			if res.Held != nil {
				return heldMessages(in, l, res) // held.go
			}
			if res.Reach.GroupRemoved {
				return answerElsewhere(in, l, res, media) // gone.go
			}
			q := res.Question
			gl := langFromCode(res.GroupLanguage)
			var items []store.Media
			if media != nil {
				items = []store.Media{*media}
			}
			posted := mediaMessages(q.ChatID, items, q.MessageID, q.ThreadID)
			words := toQuestion(q, answerText(gl, res.QuestionView, res.Answer), feedbackKeyboard(gl, q.ID))
			words[len(words)-1].AnswerID = res.Answer.ID
			posted = append(posted, remembered(words, store.MessageAck, q.ID, 0, gl)...)
			confirm := in.replyWith(l.F("claim.your_answer_posted_group", q.ID, esc(q.Township)), nil)
			// Said only once it is true.
			confirm[0].After = len(posted)
			// 👍 on the farmer's question, after the answer (ack.go: it costs no message).
			posted = append(append(posted, confirm...), reaction(q, reactionAnswered))
			// A rewrite took the place of an answer held for review (held.go).
			return append(posted, replacedEdits(res.Replaced, q.ID)...)
		})
	switch {
	case errors.Is(err, consult.ErrNoSuchQuestion):
		return b.reply(ctx, in, l.F("claim.there_no_question", questionID), nil)
	case errors.Is(err, consult.ErrEmptyAnswer):
		return b.reply(ctx, in, l.T("claim.answer_empty_please_write"), nil)
	case errors.Is(err, consult.ErrAlreadyAnswered):
		return b.reply(ctx, in, l.F("claim.has_already_been_answered", questionID), nil)
	case errors.Is(err, consult.ErrNotHolder), errors.Is(err, consult.ErrNotExpert):
		var markup any
		msg := l.F("claim.you_do_not_hold", questionID)
		if res.Question.Status == store.StatusOpen {
			msg = l.F("claim.not_claimed_yet_claim", questionID)
			markup = claimKeyboard(l, questionID)
		}
		return b.reply(ctx, in, msg, markup)
	case errors.Is(err, store.ErrDuplicate):
		return nil
	case err != nil:
		return err
	case res.Held != nil:
		return nil // not answered yet: with its expert or the seniors (held.go)
	}
	b.Metrics.answered(res.Question.AnsweredAt.Sub(res.Question.AskedAt).Seconds())
	return nil
}

// queueLimit is how many open questions /queue lists in one message.
const queueLimit = 10

// queue handles /queue: the open questions of the expert's categories, oldest first.
func (b *Bot) queue(ctx context.Context, in *incoming) error {
	l := in.lang
	items, total, err := b.svc.Queue(ctx, in.msg.From.ID, queueLimit)
	switch {
	case errors.Is(err, consult.ErrNotExpert):
		return b.reply(ctx, in, l.T("claim.you_are_not_expert"), nil)
	case err != nil:
		return err
	}
	if len(items) == 0 {
		return b.reply(ctx, in, l.T("claim.no_open_questions_right"), nil)
	}
	var s strings.Builder
	fmt.Fprintf(&s, l.T("claim.open_questions"), total)
	var rows [][]tgbotapi.InlineKeyboardButton
	for _, it := range items {
		qq := it.Question
		fmt.Fprintf(&s, "\n\n<b>#%d</b> · %s · %s · %s\n%s", qq.ID, categoryLabel(l, it.Category), esc(qq.Township),
			localTime(qq.AskedAt, it.County), esc(snippet(qq.Text, 80)))
		rows = append(rows, tgbotapi.NewInlineKeyboardRow(claimButton(l, qq.ID)))
	}
	if int64(len(items)) < total {
		fmt.Fprintf(&s, l.T("claim.more_send_queue_again"), total-int64(len(items)))
	}
	return b.reply(ctx, in, s.String(), tgbotapi.NewInlineKeyboardMarkup(rows...))
}

// shownTo reports whether the expert was shown the question already (a notice sent or on
// its way).
func shownTo(userID int64, notices []store.BotMessage, inFlight []store.PendingMessage) bool {
	for _, n := range notices {
		if n.UserID == userID {
			return true
		}
	}
	for _, p := range inFlight {
		if p.UserID == userID {
			return true
		}
	}
	return false
}
