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

// notBoundText answers in a group not bound yet, whose language nobody has chosen: in
// every language.
func notBoundText() string { return everyLang("followup.not_bound") }

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
			return b.reply(ctx, in, notBoundText(), nil)
		}
		return nil
	}
	return err
}

// repliedTo is the bot's message of the kind that in replies to. It reports false when in
// replies to no such message, and true with the error when the archive could not say.
func (b *Bot) repliedTo(ctx context.Context, in *incoming, kind string) (store.BotMessage, bool, error) {
	r := in.msg.ReplyToMessage
	if r == nil || r.From == nil || r.From.ID != b.self.ID {
		return store.BotMessage{}, false, nil
	}
	bm, err := b.db.BotMessage(ctx, in.msg.Chat.ID, int64(r.MessageID))
	switch {
	case errors.Is(err, store.ErrNotFound) || (err == nil && bm.Kind != kind):
		return store.BotMessage{}, false, nil
	case err != nil:
		return store.BotMessage{}, true, err
	}
	return bm, true, nil
}

// followup adds a farmer's reply to the bot's acknowledgement or to an answer to that
// question's conversation. It reports false when the message is not one: a reply by someone
// else is their own question.
func (b *Bot) followup(ctx context.Context, in *incoming) (bool, error) {
	bm, ok, err := b.repliedTo(ctx, in, store.MessageAck)
	if !ok || err != nil {
		return ok, err
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
		return true, b.reply(ctx, in, in.lang.T("followup.followup_too_long"), nil)
	case errors.Is(err, consult.ErrAlreadyAnswered):
		return true, b.reply(ctx, in, in.lang.T("followup.question_changed"), nil)
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
		text := l.F("followup.follow_up_reply_message", q.ID, esc(q.FarmerName), esc(q.Township), esc(res.Followup.Text))
		msgs = append(msgs, remembered(sendTo(res.Holder.UserID, text, nil), store.MessageQuestionNotice, q.ID, res.Holder.UserID, l)...)
		ack = gl.F("followup.passed_expert", esc(res.Holder.Name))
	case res.Requeued:
		for _, e := range res.Experts {
			l := langFromCode(e.Language)
			msgs = append(msgs, questionNotice(e, res.QuestionView, items, []store.Followup{res.Followup},
				l.T("followup.farmer_asked_more_question"))...)
		}
		ack = gl.T("followup.question_back_queue_expert")
	default:
		ack = gl.T("followup.added_your_question_expert")
	}
	return append(msgs, in.replyWith(fmt.Sprintf("#%d ", q.ID)+ack, nil)...)
}

// onEdit follows a farmer's edit of their question: before an answer the archive takes
// the new words and keeps the first ones; after one it keeps the words answered and
// records the edit beside them (consult.EditQuestion). The expert holding it is told.
func (b *Bot) onEdit(ctx context.Context, msg *tgbotapi.Message) error {
	if msg.From.IsBot {
		return nil
	}
	if msg.Chat.IsPrivate() {
		return b.correctEdit(ctx, msg) // an expert editing their answer corrects it (correct.go)
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
		card := l.T("followup.farmer_edited_question") + questionCardFull(l, res.QuestionView, nil, nil)
		if res.AfterAnswer {
			card = l.T("followup.after_answer_farmer_edited") +
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
	// Open mode needs plain messages to reach the bot: Telegram is asked, outside any
	// transaction, and only for an admin of the group's county.
	var standing consult.BotStanding
	if _, county, err := b.svc.Group(ctx, in.msg.Chat.ID); err == nil && mode == store.GroupModeOpen && county.IsAdmin(in.msg.From.ID) {
		standing = b.Standing(ctx, in.msg.Chat.ID)
	}
	err := b.svc.SetGroupMode(ctx, in.msg.Chat.ID, in.msg.From.ID, mode, standing)
	gl := b.chatLang(ctx, in.msg.Chat.ID) // the new mode is the group's news
	switch {
	case errors.Is(err, consult.ErrCannotHear):
		return b.reply(ctx, in, openRefusal(in.lang, standing), nil)
	case errors.Is(err, consult.ErrStandingUnknown):
		return b.reply(ctx, in, in.lang.T("guide.open_unknown"), nil)
	case errors.Is(err, consult.ErrGroupNotBound):
		return b.reply(ctx, in, notBoundText(), nil)
	case errors.Is(err, consult.ErrNotAdmin):
		return b.reply(ctx, in, in.lang.T("followup.mode_not_admin"), nil)
	case errors.Is(err, consult.ErrUnknownMode):
		return b.reply(ctx, in, in.lang.T("followup.mode_usage"), nil)
	case err != nil:
		return err
	}
	if mode == store.GroupModeOpen {
		return b.reply(ctx, in, modeOpenText(gl, standing), nil)
	}
	return b.reply(ctx, in, gl.T("followup.mode_ask"), nil)
}

// transfer handles /transfer <n> <category>.
func (b *Bot) transfer(ctx context.Context, in *incoming) error {
	l := in.lang
	num, category, _ := strings.Cut(strings.TrimSpace(in.args), " ")
	id, err := strconv.ParseInt(strings.TrimPrefix(num, "#"), 10, 64)
	category = strings.TrimSpace(category)
	if err != nil || id <= 0 || category == "" {
		return b.reply(ctx, in, l.T("followup.usage_transfer_number_category"), nil)
	}
	res, err := b.svc.Transfer(ctx, id, person(in.msg.From), category, func(res consult.TransferResult) []store.Message {
		return transferMessages(res, in)
	})
	switch {
	case errors.Is(err, consult.ErrNoSuchQuestion):
		return b.reply(ctx, in, l.F("claim.there_no_question", id), nil)
	case errors.Is(err, consult.ErrUnknownCategory):
		return b.reply(ctx, in, l.F("followup.no_category_known", esc(category))+categoryList(l, res.County), nil)
	case errors.Is(err, consult.ErrSameCategory):
		return b.reply(ctx, in, l.F("followup.already_that_category", id), nil)
	case errors.Is(err, consult.ErrAlreadyAnswered):
		return b.reply(ctx, in, l.F("followup.has_been_answered_cannot", id), nil)
	case errors.Is(err, consult.ErrNotPermitted):
		return b.reply(ctx, in, l.F("followup.only_expert_holding_expert", id), nil)
	}
	return err
}

func transferMessages(res consult.TransferResult, in *incoming) []store.Message {
	q := res.Question
	gl := langFromCode(res.GroupLanguage)
	msgs := toQuestion(q, gl.F("followup.question_was_passed_experts", q.ID, categoryLabel(gl, res.Category)), nil)
	if res.Former.UserID != 0 {
		l := langFromCode(res.Former.Language)
		msgs = append(msgs, sendTo(res.Former.UserID, l.F("followup.moved_which_you_held", esc(res.ActorName), q.ID, categoryLabel(l, res.Category)), nil)...)
	}
	for _, e := range res.Experts {
		l := langFromCode(e.Language)
		head := l.F("followup.moved_here_from_by", esc(res.ActorName), categoryLabel(l, res.From))
		msgs = append(msgs, questionNotice(e, res.QuestionView, nil, nil, head)...)
	}
	l := in.lang
	return append(msgs, in.replyWith(l.F("followup.moved_duty_experts_were", q.ID, categoryLabel(l, res.Category), len(res.Experts)+len(res.Bundled)), nil)...)
}

// feedback records the asking farmer's Solved / Not solved under an answer.
func (b *Bot) feedback(ctx context.Context, cq *tgbotapi.CallbackQuery, questionID int64, solved bool) error {
	l := b.langFor(ctx, cq.From)
	_, err := b.svc.Feedback(ctx, questionID, cq.From.ID, solved, func(res consult.FeedbackResult) []store.Message {
		return feedbackMessages(res, cq)
	})
	switch {
	case errors.Is(err, consult.ErrNoSuchQuestion):
		b.answerCallback(ctx, cq, l.F("claim.there_no_question", questionID), true)
	case errors.Is(err, consult.ErrNotAsker):
		b.answerCallback(ctx, cq, l.T("followup.only_farmer_who_asked"), true)
	case errors.Is(err, consult.ErrAlreadyRated), errors.Is(err, consult.ErrNotAnswered):
		b.answerCallback(ctx, cq, l.T("followup.question_has_already_been"), false)
	case err != nil:
		return err
	case solved:
		b.answerCallback(ctx, cq, l.T("followup.thank_you_question_closed"), false)
	default:
		b.answerCallback(ctx, cq, l.T("followup.passed_back_experts_please"), false)
	}
	return nil
}

func feedbackMessages(res consult.FeedbackResult, cq *tgbotapi.CallbackQuery) []store.Message {
	q := res.Question
	gl := langFromCode(res.GroupLanguage)
	line := gl.T("followup.farmer_says_solved")
	if !res.Solved {
		line = gl.T("followup.not_solved_button")
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
		head := l.F("followup.not_solved_notice", q.ID)
		msgs = append(msgs, questionNotice(e, res.QuestionView, nil, nil, head)...)
	}
	for _, e := range res.Experts {
		if e.UserID == res.Answerer.UserID {
			continue
		}
		l := langFromCode(e.Language)
		msgs = append(msgs, questionNotice(e, res.QuestionView, nil, nil, l.T("followup.not_solved_open_again"))...)
	}
	return msgs
}

// removeButtons takes the inline keyboard off a message.
func removeButtons(chatID, messageID int64) store.Message {
	return store.Message{ChatID: chatID, Method: store.MethodCall, API: "editMessageReplyMarkup",
		Params: map[string]string{"message_id": strconv.FormatInt(messageID, 10)}}
}

// queueButton lists the open questions for the expert who pressed a push bundle's button.
func (b *Bot) queueButton(ctx context.Context, cq *tgbotapi.CallbackQuery) error {
	if cq.Message == nil || cq.Message.Chat == nil {
		return nil
	}
	msg := &tgbotapi.Message{MessageID: cq.Message.MessageID, Chat: cq.Message.Chat, From: cq.From}
	b.answerCallback(ctx, cq, "", false)
	return b.queue(ctx, &incoming{msg: msg, lang: b.langFor(ctx, cq.From)})
}
