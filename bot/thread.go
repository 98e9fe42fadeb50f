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

const notBoundText = "本群还没有绑定乡镇，暂时不能提问。请县农业农村局管理员在群里发送 /bind 乡镇名。\n" +
	"This group is not bound to a township yet: a county admin sends /bind &lt;township&gt; here first."

func blankText(s string) bool { return consult.Blank(s) }

// stageAlbum keeps one photo of an album until the whole album has arrived; the album
// then becomes one question (see Service.FlushAlbums and the album job in serve).
func (b *Bot) stageAlbum(ctx context.Context, in *incoming, caption string, addressed bool) error {
	m := mediaOf(in.msg)
	if m == nil {
		return nil
	}
	u := in.msg.From
	err := b.svc.StageAlbumItem(ctx, store.AlbumItem{
		Media: *m, MediaGroupID: in.msg.MediaGroupID, UpdateID: in.updateID, FromID: u.ID, FromName: personName(u),
		FromUsername: u.UserName, FromLanguage: u.LanguageCode, ThreadID: in.thread, Caption: caption, Addressed: addressed,
	})
	if errors.Is(err, consult.ErrGroupNotBound) {
		if addressed {
			return b.reply(ctx, in, notBoundText, nil)
		}
		return nil
	}
	return err
}

// followup adds a farmer's reply to the bot's acknowledgement or to an answer to that
// question's thread. It reports false when the message is not one: a reply by someone
// else is their own question.
func (b *Bot) followup(ctx context.Context, in *incoming) (bool, error) {
	r := in.msg.ReplyToMessage
	if r == nil || r.From == nil || r.From.ID != b.self.ID {
		return false, nil
	}
	bm, err := b.db.BotMessage(ctx, in.msg.Chat.ID, int64(r.MessageID))
	if errors.Is(err, store.ErrNotFound) || (err == nil && bm.Kind != store.MessageAck) {
		return false, nil
	}
	if err != nil {
		return true, err
	}
	text, _ := b.addressed(in.msg)
	media := mediaOf(in.msg)
	if blankText(text) && media == nil {
		return false, nil
	}
	gl := b.chatLang(ctx, in.msg.Chat.ID)
	_, err = b.svc.Followup(ctx, consult.FollowupInput{
		QuestionID: bm.RefID, Author: person(in.msg.From), Text: text, Media: media,
		ChatID: in.msg.Chat.ID, MessageID: int64(in.msg.MessageID), UpdateID: in.updateID,
	}, func(res consult.FollowupResult) []store.Message { return followupMessages(res, in, gl, media) })
	switch {
	case errors.Is(err, consult.ErrNotAsker):
		return false, nil
	case errors.Is(err, store.ErrDuplicate):
		return true, nil
	case errors.Is(err, consult.ErrTooLong):
		return true, b.reply(ctx, in, "补充内容太长了，请简短一些。\nThat is too long; please keep it shorter.", nil)
	case errors.Is(err, consult.ErrAlreadyAnswered):
		return true, b.reply(ctx, in, "问题状态刚刚变了，请再发一次。\nThe question just changed; please send that again.", nil)
	}
	return true, err
}

func followupMessages(res consult.FollowupResult, in *incoming, gl lang, media *store.Media) []store.Message {
	q := res.Question
	var items []store.Media
	if media != nil {
		items = []store.Media{*media}
	}
	var msgs []store.Message
	var ack string
	switch {
	case res.Holder.UserID != 0:
		l := langFromCode(res.Holder.Language)
		msgs = append(msgs, mediaMessages(res.Holder.UserID, items, 0, 0)...)
		text := fmt.Sprintf(l.pick("➕ <b>#%d 农户追问</b>（%s · %s）：\n%s\n\n直接<b>回复本消息</b>即可作答。",
			"➕ <b>Follow-up on #%d</b> (%s · %s):\n%s\n\n<b>Reply to this message</b> to answer."),
			q.ID, esc(q.FarmerName), esc(q.Township), esc(res.Followup.Text))
		msgs = append(msgs, remembered(sendTo(res.Holder.UserID, text, nil), store.MessageQuestionNotice, q.ID, res.Holder.UserID, l)...)
		ack = fmt.Sprintf(gl.pick("已转给专家 %s。", "Passed to the expert, %s."), esc(res.Holder.Name))
	case res.Requeued:
		for _, e := range res.Experts {
			l := langFromCode(e.Language)
			msgs = append(msgs, questionNotice(e, res.QuestionView, items, []store.Followup{res.Followup},
				l.pick("🔁 <b>农户追问，问题重新开放</b>\n", "🔁 <b>The farmer asked more; the question is open again</b>\n"))...)
		}
		ack = gl.pick("问题已重新排队，专家会尽快回复。", "The question is back in the queue; an expert will reply.")
	default:
		ack = gl.pick("已补充到问题中，专家认领时会看到。", "Added to your question; the expert will see it.")
	}
	return append(msgs, in.replyWith(fmt.Sprintf("#%d ", q.ID)+ack, nil)...)
}

// onEdit follows a farmer's edit of their question: before an answer the archive takes
// the new words and keeps the first ones; after one it keeps the words answered and
// records the edit beside them (consult.EditQuestion). The expert holding it is told.
func (b *Bot) onEdit(ctx context.Context, msg *tgbotapi.Message) error {
	if msg.Chat.IsPrivate() || msg.From.IsBot {
		return nil
	}
	text := words(msg)
	if _, _, args, ok := parseCommand(text); ok {
		text = args
	} else if t, ok := b.addressed(msg); ok {
		text = t
	}
	_, err := b.svc.EditQuestion(ctx, msg.Chat.ID, int64(msg.MessageID), msg.From.ID, text, func(res consult.EditResult) []store.Message {
		if res.Holder.UserID == 0 {
			return nil
		}
		l := langFromCode(res.Holder.Language)
		card := l.pick("✏️ <b>农户修改了问题</b>\n", "✏️ <b>The farmer edited the question</b>\n") + questionCardFull(l, res.QuestionView, nil, nil)
		if res.AfterAnswer {
			card = l.pick("✏️ <b>农户在解答后修改了问题</b>：", "✏️ <b>After the answer, the farmer edited the question to</b>: ") +
				esc(res.Edit) + "\n\n" + questionCardFull(l, res.QuestionView, nil, nil)
		}
		return remembered(sendTo(res.Holder.UserID, card, nil), store.MessageQuestionNotice, res.Question.ID, res.Holder.UserID, l)
	})
	switch {
	case errors.Is(err, consult.ErrNothingToEdit), errors.Is(err, consult.ErrNotAsker),
		errors.Is(err, consult.ErrEmptyQuestion), errors.Is(err, consult.ErrNoSuchQuestion):
		return nil // an edit of anything else, or to nothing, changes nothing
	}
	return err
}

// openModeAsk takes a message nobody addressed to the bot as a question when the group is
// open and the message looks like one.
func (b *Bot) openModeAsk(ctx context.Context, in *incoming) error {
	g, county, err := b.svc.Group(ctx, in.msg.Chat.ID)
	if errors.Is(err, consult.ErrGroupNotBound) {
		return nil
	}
	if err != nil {
		return err
	}
	kind := ""
	if m := mediaOf(in.msg); m != nil {
		kind = m.Kind
	}
	if g.Mode != store.GroupModeOpen || !county.LooksLikeQuestion(words(in.msg), kind) {
		return nil
	}
	in.args = words(in.msg)
	return b.ask(ctx, in)
}

// mode handles /mode open|ask in a group (county admins).
func (b *Bot) mode(ctx context.Context, in *incoming) error {
	mode := strings.ToLower(strings.TrimSpace(in.args))
	err := b.svc.SetGroupMode(ctx, in.msg.Chat.ID, in.msg.From.ID, mode)
	switch {
	case errors.Is(err, consult.ErrGroupNotBound):
		return b.reply(ctx, in, notBoundText, nil)
	case errors.Is(err, consult.ErrNotAdmin):
		return b.reply(ctx, in, "只有本县农业农村局的管理员可以更改本群的提问方式。\nOnly an admin of this county can change how this group asks.", nil)
	case errors.Is(err, consult.ErrUnknownMode):
		return b.reply(ctx, in, "用法：/mode open（机器人是管理员时，像问题的消息都当作提问）或 /mode ask（只接受 /ask、@机器人 和回复）\n"+
			"Usage: /mode open (when the bot is an admin, messages that look like questions are taken) or /mode ask (only /ask, mentions and replies)", nil)
	case err != nil:
		return err
	}
	if mode == store.GroupModeOpen {
		return b.reply(ctx, in, "✅ 已开启自由提问：带照片、问号或农作物关键词的消息都会当作提问。请确认机器人是本群管理员，否则它看不到这些消息。\n"+
			"✅ Open mode: messages with a photo, a question mark or a crop word become questions. The bot must be a group admin to see them.", nil)
	}
	return b.reply(ctx, in, "✅ 已恢复为只接受 /ask、@机器人 和回复机器人的提问。\n✅ Ask mode: only /ask, mentions and replies to the bot are questions.", nil)
}

// transfer handles /transfer <n> <category>.
func (b *Bot) transfer(ctx context.Context, in *incoming) error {
	l := in.lang
	num, category, _ := strings.Cut(strings.TrimSpace(in.args), " ")
	id, err := strconv.ParseInt(strings.TrimPrefix(num, "#"), 10, 64)
	category = strings.TrimSpace(category)
	if err != nil || id <= 0 || category == "" {
		return b.reply(ctx, in, l.pick("用法：/transfer 编号 类别，例如 /transfer 12 植保", "Usage: /transfer &lt;number&gt; &lt;category&gt;, e.g. /transfer 12 plant-protection"), nil)
	}
	res, err := b.svc.Transfer(ctx, id, person(in.msg.From), category, func(res consult.TransferResult) []store.Message {
		return transferMessages(res, in)
	})
	switch {
	case errors.Is(err, consult.ErrNoSuchQuestion):
		return b.reply(ctx, in, fmt.Sprintf(l.pick("没有 #%d 号问题。", "There is no question #%d."), id), nil)
	case errors.Is(err, consult.ErrUnknownCategory):
		return b.reply(ctx, in, fmt.Sprintf(l.pick("没有“%s”这个类别。可选：", "No category “%s”. Known: "), esc(category))+categoryList(l, res.County), nil)
	case errors.Is(err, consult.ErrSameCategory):
		return b.reply(ctx, in, fmt.Sprintf(l.pick("#%d 已经在这个类别里了。", "#%d is already in that category."), id), nil)
	case errors.Is(err, consult.ErrAlreadyAnswered):
		return b.reply(ctx, in, fmt.Sprintf(l.pick("#%d 已经解答过了，不能转交。", "#%d has been answered; it cannot be transferred."), id), nil)
	case errors.Is(err, consult.ErrNotPermitted):
		return b.reply(ctx, in, fmt.Sprintf(l.pick("只有认领 #%d 的专家、该类别的专家或县管理员可以转交。", "Only the expert holding #%d, an expert of its category or a county admin can transfer it."), id), nil)
	}
	return err
}

func transferMessages(res consult.TransferResult, in *incoming) []store.Message {
	q := res.Question
	gl := langFromCode(res.GroupLanguage)
	msgs := toQuestion(q, fmt.Sprintf(gl.pick("🔀 问题 #%d 已转给%s专家，请稍候。", "🔀 Question #%d was passed to the %s experts; please wait."),
		q.ID, categoryLabel(gl, res.Category)), nil)
	if res.Former.UserID != 0 {
		l := langFromCode(res.Former.Language)
		msgs = append(msgs, sendTo(res.Former.UserID, fmt.Sprintf(l.pick("🔀 %s 把你认领的 #%d 转给了%s。", "🔀 %s moved #%d, which you held, to %s."),
			esc(res.ActorName), q.ID, categoryLabel(l, res.Category)), nil)...)
	}
	for _, e := range res.Experts {
		l := langFromCode(e.Language)
		head := fmt.Sprintf(l.pick("🔀 <b>由 %s 从%s转来</b>\n", "🔀 <b>Moved here from %[2]s by %[1]s</b>\n"), esc(res.ActorName), categoryLabel(l, res.From))
		msgs = append(msgs, questionNotice(e, res.QuestionView, nil, nil, head)...)
	}
	l := in.lang
	return append(msgs, in.replyWith(fmt.Sprintf(l.pick("✅ #%d 已转到%s，%d 位值班专家已收到通知。", "✅ #%d moved to %s; %d on-duty experts were told."),
		q.ID, categoryLabel(l, res.Category), len(res.Experts)+len(res.Digested)), nil)...)
}

// feedback records the asking farmer's Solved / Not solved under an answer.
func (b *Bot) feedback(ctx context.Context, cq *tgbotapi.CallbackQuery, questionID int64, solved bool) error {
	l := b.langFor(ctx, cq.From)
	_, err := b.svc.Feedback(ctx, questionID, cq.From.ID, solved, func(res consult.FeedbackResult) []store.Message {
		return feedbackMessages(res, cq)
	})
	switch {
	case errors.Is(err, consult.ErrNoSuchQuestion):
		b.answerCallback(ctx, cq, fmt.Sprintf(l.pick("没有 #%d 号问题。", "There is no question #%d."), questionID), true)
	case errors.Is(err, consult.ErrNotAsker):
		b.answerCallback(ctx, cq, l.pick("只有提问的农户可以评价这个解答。", "Only the farmer who asked can rate this answer."), true)
	case errors.Is(err, consult.ErrAlreadyRated), errors.Is(err, consult.ErrNotAnswered):
		b.answerCallback(ctx, cq, l.pick("这个问题已经评价过了。", "This question has already been rated."), false)
	case err != nil:
		return err
	case solved:
		b.answerCallback(ctx, cq, l.pick("谢谢反馈！问题已关闭。", "Thank you! The question is closed."), false)
	default:
		b.answerCallback(ctx, cq, l.pick("已重新交给专家，请稍候。", "Passed back to the experts; please wait."), false)
	}
	return nil
}

func feedbackMessages(res consult.FeedbackResult, cq *tgbotapi.CallbackQuery) []store.Message {
	q := res.Question
	gl := langFromCode(res.GroupLanguage)
	line := gl.pick("✅ 农户反馈：已解决", "✅ The farmer says: solved")
	if !res.Solved {
		line = gl.pick("❌ 农户反馈：没解决，已重新交给专家", "❌ The farmer says: not solved; back with the experts")
	}
	var msgs []store.Message
	if m := cq.Message; m != nil && m.Chat != nil {
		// The latest answer is the one pressed, unless an older answer's buttons were kept;
		// an answer just posted may not have its message id recorded yet.
		if id := res.Answer.GroupMessageID; id == 0 || id == int64(m.MessageID) {
			msgs = append(msgs, editTo(m.Chat.ID, int64(m.MessageID), answerText(gl, res.QuestionView, res.Answer)+"\n\n"+line))
		} else {
			msgs = append(msgs, removeButtons(m.Chat.ID, int64(m.MessageID)))
		}
	}
	if res.Solved {
		return msgs
	}
	if e := res.Answerer; e.UserID != 0 {
		l := langFromCode(e.Language)
		head := fmt.Sprintf(l.pick("❌ <b>农户表示 #%d 没有解决</b>，问题已重新排在队首。\n", "❌ <b>The farmer says #%d is not solved</b>; it is at the head of the queue again.\n"), q.ID)
		msgs = append(msgs, questionNotice(e, res.QuestionView, nil, nil, head)...)
	}
	for _, e := range res.Experts {
		if e.UserID == res.Answerer.UserID {
			continue
		}
		l := langFromCode(e.Language)
		msgs = append(msgs, questionNotice(e, res.QuestionView, nil, nil, l.pick("🔁 <b>农户反馈未解决，重新开放</b>\n", "🔁 <b>Not solved, open again</b>\n"))...)
	}
	return msgs
}

// removeButtons takes the inline keyboard off a message.
func removeButtons(chatID, messageID int64) store.Message {
	return store.Message{ChatID: chatID, Method: store.MethodCall, API: "editMessageReplyMarkup",
		Params: map[string]string{"message_id": strconv.FormatInt(messageID, 10)}}
}

// queueButton lists the open questions for the expert who pressed a digest's button.
func (b *Bot) queueButton(ctx context.Context, cq *tgbotapi.CallbackQuery) error {
	if cq.Message == nil || cq.Message.Chat == nil {
		return nil
	}
	msg := &tgbotapi.Message{MessageID: cq.Message.MessageID, Chat: cq.Message.Chat, From: cq.From}
	b.answerCallback(ctx, cq, "", false)
	return b.queue(ctx, &incoming{msg: msg, lang: b.langFor(ctx, cq.From)})
}
