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
			line := fmt.Sprintf(l.pick("✅ 已由 %s 认领", "✅ Claimed by %s"), esc(res.Holder.Name))
			if userID == q.From.ID {
				line = l.pick("✅ 你已认领", "✅ You claimed it")
			}
			return questionCard(l, res.QuestionView) + "\n\n" + line
		}
		msgs = append(msgs, noticeEdits(notices, res.InFlight, claimedText)...)
		// An expert who claimed from /queue or a digest has not seen the photos yet.
		if !shownTo(q.From.ID, res.Notices, res.InFlight) {
			msgs = append(msgs, mediaMessages(q.From.ID, res.Media, 0, 0)...)
		}
		text := questionCardFull(l, res.QuestionView, res.Media, res.Followups) + referenceLines(l, res.Similar) + "\n\n" + fmt.Sprintf(l.pick(
			"✅ 你已认领。直接<b>回复本消息</b>即可作答（可以发文字、照片、语音或文件），或发送 /answer %d 答复内容。",
			"✅ Yours now. <b>Reply to this message</b> to answer (text, photo, voice or a document), or send /answer %d &lt;text&gt;."), questionID)
		return append(msgs, remembered(sendTo(q.From.ID, text, needsVisitButton(l, questionID)), store.MessageQuestionNotice, questionID, q.From.ID, l)...)
	})
	switch {
	case errors.Is(err, consult.ErrNoSuchQuestion):
		b.answerCallback(ctx, q, fmt.Sprintf(l.pick("没有 #%d 号问题。", "There is no question #%d."), questionID), true)
	case errors.Is(err, consult.ErrNotExpert):
		b.answerCallback(ctx, q, l.pick("只有该类别经审核的专家可以认领。", "Only an approved expert of this category can claim it."), true)
	case errors.Is(err, consult.ErrAlreadyYours):
		b.answerCallback(ctx, q, fmt.Sprintf(l.pick("#%d 已经由你认领，回复问题消息即可作答。", "You already hold #%d; reply to its message to answer."), questionID), false)
	case errors.Is(err, consult.ErrTaken), errors.Is(err, consult.ErrAlreadyAnswered):
		if res.Holder.Name == "" {
			// Lost a race to someone whose claim is being stored this very moment.
			b.answerCallback(ctx, q, fmt.Sprintf(l.pick("#%d 已被另一位专家认领。", "#%d was claimed by another expert."), questionID), true)
			break
		}
		b.answerCallback(ctx, q, fmt.Sprintf(l.pick("#%d 已被 %s 认领。", "#%d was claimed by %s."), questionID, res.Holder.Name), true)
	case err != nil:
		return err
	default:
		b.answerCallback(ctx, q, fmt.Sprintf(l.pick("已认领 #%d", "You claimed #%d"), questionID), false)
		b.Metrics.claimed(res.Question.ClaimedAt.Sub(res.Question.AskedAt).Seconds())
	}
	return nil
}

// answerCommand handles /answer <number> <text>.
func (b *Bot) answerCommand(ctx context.Context, in *incoming) error {
	id, text, ok := parseAnswerArgs(in.args)
	if !ok {
		b.reply(ctx, in, in.lang.pick("用法：/answer 编号 答复内容，例如 /answer 12 建议喷施……\n也可以直接回复问题消息作答。",
			"Usage: /answer &lt;number&gt; &lt;text&gt;, e.g. /answer 12 Spray…\nOr simply reply to the question's message."), nil)
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
			confirm := in.replyWith(fmt.Sprintf(l.pick(
				"✅ #%d 的解答已发到 %s 的群里。", "✅ Your answer to #%d is posted in the %s group."), q.ID, esc(q.Township)), nil)
			// Said only once it is true.
			confirm[0].After = len(posted)
			return append(posted, confirm...)
		})
	switch {
	case errors.Is(err, consult.ErrNoSuchQuestion):
		return b.reply(ctx, in, fmt.Sprintf(l.pick("没有 #%d 号问题。", "There is no question #%d."), questionID), nil)
	case errors.Is(err, consult.ErrEmptyAnswer):
		return b.reply(ctx, in, l.pick("答复是空的，请写上内容。", "The answer is empty; please write something."), nil)
	case errors.Is(err, consult.ErrAlreadyAnswered):
		return b.reply(ctx, in, fmt.Sprintf(l.pick("#%d 已经解答过了。", "#%d has already been answered."), questionID), nil)
	case errors.Is(err, consult.ErrNotHolder), errors.Is(err, consult.ErrNotExpert):
		var markup any
		msg := l.pick("你没有认领 #%d，不能作答。", "You do not hold #%d, so you cannot answer it.")
		if res.Question.Status == store.StatusOpen {
			msg = l.pick("#%d 还没有人认领，请先认领再作答。", "#%d is not claimed yet: claim it first, then answer.")
			markup = claimKeyboard(l, questionID)
		}
		return b.reply(ctx, in, fmt.Sprintf(msg, questionID), markup)
	case errors.Is(err, store.ErrDuplicate):
		return nil
	case err != nil:
		return err
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
		return b.reply(ctx, in, l.pick("你还不是专家。发送 /expert 类别 申请，例如 /expert 水稻。", "You are not an expert yet. Apply with /expert &lt;category&gt;, e.g. /expert rice."), nil)
	case err != nil:
		return err
	}
	if len(items) == 0 {
		return b.reply(ctx, in, l.pick("目前没有待认领的问题。", "No open questions right now."), nil)
	}
	var s strings.Builder
	fmt.Fprintf(&s, l.pick("<b>待认领的问题（共 %d 个）</b>", "<b>Open questions (%d)</b>"), total)
	var rows [][]tgbotapi.InlineKeyboardButton
	for _, it := range items {
		qq := it.Question
		fmt.Fprintf(&s, "\n\n<b>#%d</b> · %s · %s · %s\n%s", qq.ID, categoryLabel(l, it.Category), esc(qq.Township),
			localTime(qq.AskedAt, it.County), esc(snippet(qq.Text, 80)))
		rows = append(rows, tgbotapi.NewInlineKeyboardRow(claimButton(l, qq.ID)))
	}
	if int64(len(items)) < total {
		fmt.Fprintf(&s, l.pick("\n\n……另有 %d 个，认领后再发 /queue 查看。", "\n\n…and %d more; send /queue again after claiming."), total-int64(len(items)))
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
