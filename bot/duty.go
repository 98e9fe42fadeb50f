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
	return l.pick("你还不是专家。发送 /expert 类别 申请，例如 /expert 水稻。", "You are not an expert yet. Apply with /expert &lt;category&gt;, e.g. /expert rice.")
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
		return b.reply(ctx, in, l.pick("用法：/duty on（值班，新问题会通知你）或 /duty off（休息，只在 /queue 里看）",
			"Usage: /duty on (new questions are pushed to you) or /duty off (see them only in /queue)"), nil)
	}
	err := b.svc.SetDuty(ctx, in.msg.From.ID, on)
	switch {
	case errors.Is(err, consult.ErrNotExpert):
		return b.reply(ctx, in, notExpertText(l), nil)
	case err != nil:
		return err
	case on:
		return b.reply(ctx, in, l.pick("✅ 你现在值班，新问题会私信通知你。", "✅ You are on duty: new questions come to you here."), nil)
	default:
		return b.reply(ctx, in, l.pick("😴 你已下班，不再推送新问题；发送 /queue 仍可查看和认领。", "😴 You are off duty: no pushes; /queue still lists open questions."), nil)
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
		return b.reply(ctx, in, l.pick("你手上没有待解答的问题。发送 /queue 认领新问题。", "You hold no questions. Send /queue to claim one."), nil)
	}
	var s strings.Builder
	fmt.Fprintf(&s, l.pick("<b>你认领的问题（%d 个）</b>", "<b>Questions you hold (%d)</b>"), len(held))
	for _, v := range held {
		q := v.Question
		fmt.Fprintf(&s, "\n\n<b>#%d</b> · %s · %s · %s\n%s", q.ID, categoryLabel(l, v.Category), esc(q.Township),
			localTime(q.AskedAt, v.County), esc(snippet(q.Text, 80)))
	}
	s.WriteString(l.pick("\n\n作答：/answer 编号 内容；退回：/release 编号", "\n\nAnswer: /answer &lt;number&gt; &lt;text&gt;; give back: /release &lt;number&gt;"))
	return b.reply(ctx, in, s.String(), nil)
}

// release handles /release <n>: the question goes back to its queue.
func (b *Bot) release(ctx context.Context, in *incoming) error {
	l := in.lang
	id, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(in.args), "#"), 10, 64)
	if err != nil || id <= 0 {
		return b.reply(ctx, in, l.pick("用法：/release 编号，例如 /release 12", "Usage: /release &lt;number&gt;, e.g. /release 12"), nil)
	}
	_, err = b.svc.Release(ctx, id, in.msg.From.ID, func(v consult.QuestionView) []store.Message {
		return in.replyWith(fmt.Sprintf(l.pick(
			"↩️ #%d 已退回待认领队列，其他专家可以认领。", "↩️ #%d is back in the queue for another expert."), id), nil)
	})
	switch {
	case errors.Is(err, consult.ErrNoSuchQuestion):
		return b.reply(ctx, in, fmt.Sprintf(l.pick("没有 #%d 号问题。", "There is no question #%d."), id), nil)
	case errors.Is(err, consult.ErrNotHolder):
		return b.reply(ctx, in, fmt.Sprintf(l.pick("#%d 不在你手上，无法退回。", "You do not hold #%d, so you cannot give it back."), id), nil)
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
		msgs = append(msgs, sendTo(res.Holder.UserID, fmt.Sprintf(l.pick(
			"⏰ #%d 认领后长时间未作答，已退回待认领队列。如仍要解答，请重新认领。",
			"⏰ You held #%d too long without answering; it is back in the queue. Claim it again to answer it."), q.ID), claimKeyboard(l, q.ID))...)
	}
	for _, e := range res.Experts {
		l := langFromCode(e.Language)
		text := questionCard(l, res.QuestionView) + "\n\n" + l.pick("⏰ 原认领专家超时未答，现重新开放认领。", "⏰ The expert who claimed it did not answer in time; it is open again.")
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
		text := l.pick("⏰ <b>这个问题还没有人认领</b>\n", "⏰ <b>Nobody has claimed this question yet</b>\n") + questionCard(l, v)
		msgs = append(msgs, remembered(sendTo(e.UserID, text, claimKeyboard(l, res.Question.ID)), store.MessageQuestionNotice, res.Question.ID, e.UserID, l)...)
	}
	return msgs
}
