package bot

import (
	"context"
	"errors"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
)

// bind handles /bind <township> in a group.
func (b *Bot) bind(ctx context.Context, in *incoming) error {
	// A refusal is the admin's to read, in their language; that the group is bound is
	// the group's news, in its language (Chinese until someone chooses with /lang).
	gl := b.chatLang(ctx, in.msg.Chat.ID)
	// How farmers can ask here depends on what Telegram says of the bot in the group:
	// asked before the binding's transaction, and only for an admin (Bind refuses anyone
	// else without a look at Telegram). Telegram not answering leaves it unknown; the
	// group is bound all the same.
	var ch consult.StandingChange
	if len(b.svc.AdminCounties(in.msg.From.ID)) > 0 {
		before, err := b.svc.LastStanding(ctx, in.msg.Chat.ID)
		if err != nil {
			return err
		}
		ch = consult.StandingChange{Now: b.Standing(ctx, in.msg.Chat.ID), Before: before}
	}
	g, county, err := b.svc.Bind(ctx, in.msg.Chat.ID, in.msg.Chat.Title, in.msg.From.ID, in.args, func(r consult.BindResult) []store.Message {
		return in.replyWith(gl.F("group.bound", esc(r.County.Name), esc(r.Group.Township))+"\n\n"+standingText(gl, ch), nil)
	})
	if err == nil {
		if _, err := b.svc.NoteStanding(ctx, in.msg.Chat.ID, ch.Now); err != nil {
			return err
		}
		_, err = b.svc.PostGuide(ctx, in.msg.Chat.ID, in.msg.From.ID, guideOut(gl, in.msg.Chat.ID, in.thread))
		return err
	}
	switch {
	case errors.Is(err, consult.ErrNotAdmin):
		return b.reply(ctx, in, in.lang.T("group.bind_not_admin"), nil)
	case errors.Is(err, consult.ErrBoundElsewhere):
		return b.reply(ctx, in, in.lang.F("group.bound_elsewhere", esc(county.Name), esc(g.Township)), nil)
	case errors.Is(err, consult.ErrUnknownTownship):
		head := in.lang.T("group.bind_usage")
		if in.args != "" {
			head = in.lang.F("group.no_township", echo(in.args))
		}
		return b.reply(ctx, in, head+"\n"+in.lang.F("group.known_townships", townshipList(b.svc.AdminCounties(in.msg.From.ID))), nil)
	}
	return err
}

func (b *Bot) askCommand(ctx context.Context, in *incoming) error {
	return b.ask(ctx, in)
}

// ask turns a farmer's message into a numbered question, acknowledges it in the group and
// tells the on-duty experts of its category.
func (b *Bot) ask(ctx context.Context, in *incoming) error {
	res, err := b.svc.Ask(ctx, askInput(in), AskMessages)
	return b.asked(ctx, in, res, err)
}

func askInput(in *incoming) consult.AskInput {
	var media []store.Media
	if m := mediaOf(in.msg); m != nil {
		media = append(media, *m)
	}
	return consult.AskInput{
		ChatID: in.msg.Chat.ID, MessageID: int64(in.msg.MessageID), Farmer: person(in.msg.From),
		Text: in.args, UpdateID: in.updateID, ThreadID: in.thread, Media: media,
	}
}

// asked tells the farmer why a question was not taken; a question taken was acknowledged
// with AskMessages.
func (b *Bot) asked(ctx context.Context, in *incoming, res consult.AskResult, err error) error {
	l := in.lang // the asker's
	switch {
	case errors.Is(err, consult.ErrRepeated):
		return b.reply(ctx, in, l.F("group.repeated", res.Question.ID), nil)
	case errors.Is(err, consult.ErrTooManyQuestions):
		minutes := int(res.RetryIn.Minutes()) + 1
		return b.reply(ctx, in, l.F("group.too_many", minutes), nil)
	case errors.Is(err, consult.ErrTooLong):
		return b.reply(ctx, in, l.T("group.too_long"), nil)
	case errors.Is(err, consult.ErrGroupNotBound):
		return b.reply(ctx, in, notBoundText(), nil)
	case errors.Is(err, consult.ErrEmptyQuestion):
		return b.reply(ctx, in, l.T("group.empty_question"), nil)
	case errors.Is(err, store.ErrDuplicate):
		return nil // Telegram sent this update again; it was handled the first time
	}
	return err
}

// questionNotice shows a question to an expert: its photos and voice first, then the
// card with a Claim button, remembered so that replying to it answers.
func questionNotice(e store.Expert, v consult.QuestionView, media []store.Media, followups []store.Followup, head string) []store.Message {
	l := langFromCode(e.Language)
	msgs := mediaMessages(e.UserID, media, 0, 0)
	text := head + questionCardFull(l, v, media, followups)
	return append(msgs, remembered(sendTo(e.UserID, text, claimKeyboard(l, v.Question.ID)), store.MessageQuestionNotice, v.Question.ID, e.UserID, l)...)
}

// BundleMessages tells an expert how many questions arrived while they were not pushed
// one by one, with a button to list them.
func BundleMessages(d store.Bundle) []store.Message {
	l := langFromCode(d.Language)
	text := l.F("group.more_new_questions_are", d.Questions)
	return sendTo(d.UserID, text, queueKeyboard(l))
}

// statusRestricted is a ChatMember status: a member with limits, in the group while
// is_member is true.
const statusRestricted = "restricted"

// inGroup says a ChatMember is in its group.
func inGroup(m tgbotapi.ChatMember) bool {
	return isIn(m.Status) || (m.Status == statusRestricted && m.IsMember)
}

// noteJoin keeps what Telegram applies to a group from when the bot joins it: on a
// my_chat_member update that says the bot joined a group (it was not in it, or the update
// does not say, and is now), it reads getMe's can_read_all_group_messages then and records
// it as the group's (consult.Service.NoteJoin); on one that says it left, it forgets the
// group's join. getMe failing leaves the group with no join, read as unknown: the update
// is not tried again for it, as the flag read later would be no truer.
func (b *Bot) noteJoin(ctx context.Context, m *tgbotapi.ChatMemberUpdated) error {
	if m.Chat.IsPrivate() || m.NewChatMember.User == nil || m.NewChatMember.User.ID != b.self.ID {
		return nil
	}
	was, is := inGroup(m.OldChatMember), inGroup(m.NewChatMember)
	switch {
	case is && !was:
		ctx, cancel := context.WithTimeout(ctx, standingTimeout)
		defer cancel()
		var me tgbotapi.User
		if err := b.tg.Call(ctx, "getMe", nil, &me); err != nil {
			b.log.Warn("getMe failed on joining a group; its privacy mode is unknown", "chat", m.Chat.ID, "err", err)
			return b.svc.NoteLeft(ctx, m.Chat.ID)
		}
		return b.svc.NoteJoin(ctx, m.Chat.ID, me.CanReadAllGroupMessages, time.Unix(int64(m.Date), 0))
	case was && !is:
		return b.svc.NoteLeft(ctx, m.Chat.ID)
	}
	return nil
}
