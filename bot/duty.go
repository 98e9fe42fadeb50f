package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
)

func notExpertText(l lang) string {
	return l.T("claim.you_are_not_expert")
}

// duty handles /duty on|off.
func (b *Bot) duty(ctx context.Context, in *incoming) error {
	l := in.lang
	var on bool
	switch strings.ToLower(in.args) {
	case "on", "开", "上班":
		on = true
	case "off", "关", "下班":
	default:
		return b.reply(ctx, in, l.T("duty.usage_duty_new_questions"), nil)
	}
	err := b.svc.SetDuty(ctx, in.msg.From.ID, on)
	switch {
	case errors.Is(err, consult.ErrNotExpert):
		return b.reply(ctx, in, notExpertText(l), nil)
	case err != nil:
		return err
	case on:
		return b.reply(ctx, in, l.T("duty.you_are_duty_new"), nil)
	default:
		return b.reply(ctx, in, l.T("duty.you_are_off_duty"), nil)
	}
}

// mine handles /mine: the questions the expert holds.
func (b *Bot) mine(ctx context.Context, in *incoming) error {
	l := in.lang
	held, err := b.svc.Mine(ctx, in.msg.From.ID)
	switch {
	case errors.Is(err, consult.ErrNotExpert):
		return b.reply(ctx, in, notExpertText(l), nil)
	case err != nil:
		return err
	}
	if len(held) == 0 {
		return b.reply(ctx, in, l.T("duty.you_hold_no_questions"), nil)
	}
	var s strings.Builder
	fmt.Fprintf(&s, l.T("duty.questions_you_hold"), len(held))
	for _, v := range held {
		q := v.Question
		fmt.Fprintf(&s, "\n\n<b>#%d</b> · %s · %s · %s\n%s", q.ID, categoryLabel(l, v.Category), esc(q.Township),
			localTime(q.AskedAt, v.County), esc(snippet(q.Text, 80)))
	}
	s.WriteString(l.T("duty.answer_answer_number_text"))
	return b.reply(ctx, in, s.String(), nil)
}

// release handles /release <n>: the question goes back to its queue.
func (b *Bot) release(ctx context.Context, in *incoming) error {
	l := in.lang
	id, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(in.args), "#"), 10, 64)
	if err != nil || id <= 0 {
		return b.reply(ctx, in, l.T("duty.usage_release_number_e"), nil)
	}
	_, err = b.svc.Release(ctx, id, in.msg.From.ID, func(v consult.QuestionView) []store.Message {
		return in.replyWith(l.F("duty.back_queue_another_expert", id), nil)
	})
	switch {
	case errors.Is(err, consult.ErrNoSuchQuestion):
		return b.reply(ctx, in, l.F("claim.there_no_question", id), nil)
	case errors.Is(err, consult.ErrNotHolder):
		return b.reply(ctx, in, l.F("duty.you_do_not_hold", id), nil)
	}
	return err
}

// ExpiredClaimMessages tells the former holder that a claim ran out and offers the
// question again to the on-duty experts of its category.
func ExpiredClaimMessages(res consult.ExpiredClaim) []store.Message {
	q := res.Question
	var msgs []store.Message
	if res.Holder.UserID != 0 {
		l := langFromCode(res.Holder.Language)
		msgs = append(msgs, sendTo(res.Holder.UserID, l.F("duty.you_held_too_long", q.ID), claimKeyboard(l, q.ID))...)
	}
	for _, e := range res.Experts {
		l := langFromCode(e.Language)
		text := questionCard(l, res.QuestionView) + "\n\n" + l.T("duty.expert_who_claimed_did")
		msgs = append(msgs, remembered(sendTo(e.UserID, text, claimKeyboard(l, q.ID)), store.MessageQuestionNotice, q.ID, e.UserID, l)...)
	}
	return msgs
}

// RepushMessages reminds the on-duty experts of a question nobody has claimed in time.
func RepushMessages(res consult.AskResult) []store.Message {
	v := consult.QuestionView{Question: res.Question, County: res.County, Category: res.Category}
	var msgs []store.Message
	for _, e := range res.Experts {
		l := langFromCode(e.Language)
		text := l.T("duty.nobody_has_claimed_question") + questionCard(l, v)
		msgs = append(msgs, remembered(sendTo(e.UserID, text, claimKeyboard(l, res.Question.ID)), store.MessageQuestionNotice, res.Question.ID, e.UserID, l)...)
	}
	return msgs
}
