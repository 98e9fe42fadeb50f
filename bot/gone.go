package bot

import (
	"context"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
)

// Chats the bot can no longer reach (see consult/gone.go): Telegram says so with a
// my_chat_member update (the bot removed or banned from a group; in a private chat, the
// person blocked or unblocked the bot), or with its answer to a send (Refused).

// Membership statuses of ChatMember, as Telegram names them.
const (
	statusLeft   = "left"
	statusKicked = "kicked"
	statusMember = "member"
	statusAdmin  = "administrator"
	statusOwner  = "creator"
)

func isIn(status string) bool {
	return status == statusMember || status == statusAdmin || status == statusOwner
}

// membershipGone handles the bot's own membership changes that make a chat unreachable or
// reachable again; handled is false for those it leaves to onMembership (a first join).
func (b *Bot) membershipGone(ctx context.Context, m *tgbotapi.ChatMemberUpdated) (handled bool, err error) {
	oldStatus, newStatus := m.OldChatMember.Status, m.NewChatMember.Status
	if m.Chat.IsPrivate() {
		// In a private chat Telegram sends this only when the person blocks the bot
		// ("kicked") or unblocks it ("member").
		switch {
		case newStatus == statusKicked:
			return true, b.svc.PersonBlocked(ctx, m.Chat.ID, "blocked the bot (my_chat_member)", UnreachableMessages)
		case isIn(newStatus):
			return true, b.svc.PersonStarted(ctx, m.Chat.ID, UnreachableMessages)
		}
		return true, nil
	}
	switch {
	case isIn(oldStatus) && (newStatus == statusLeft || newStatus == statusKicked):
		reason := "removed from the group"
		if newStatus == statusKicked {
			reason = "banned from the group"
		}
		_, err := b.svc.GroupRemoved(ctx, m.Chat.ID, reason, GroupChangeMessages)
		return true, err
	case (oldStatus == statusLeft || oldStatus == statusKicked) && isIn(newStatus):
		back, err := b.svc.GroupBack(ctx, m.Chat.ID, func(res consult.GroupChange) []store.Message {
			msgs := GroupChangeMessages(res)
			l := langFromCode(res.Language)
			return append(msgs, sendTo(m.Chat.ID, l.F("gone.back_in_group", esc(res.County.Name), esc(res.Group.Township)), nil)...)
		})
		// A group never marked removed (not bound, or the removal was missed) is greeted
		// as a first join.
		return back || err != nil, err
	}
	return false, nil
}

// started records that the person started the bot in the private chat (/start).
func (b *Bot) started(ctx context.Context, in *incoming) error {
	if !in.private() {
		return nil
	}
	return b.svc.PersonStarted(ctx, in.msg.From.ID, UnreachableMessages)
}

// Refused is told by the sender of a message Telegram refused for good, before the
// message is given up. A group send refused as by a group that removed the bot ("chat not
// found", "bot was kicked from the group chat" or "…supergroup chat", "bot is not a member
// of the …") marks the group removed; a private send refused as by a person who blocked the
// bot ("bot was blocked by the user", "user is deactivated", "bot can't initiate
// conversation with a user") marks the person unreachable. Others change nothing.
func (b *Bot) Refused(ctx context.Context, m store.Message, apiErr *tgbotapi.Error) error {
	reason := storedReason(apiErr.Message)
	switch {
	case m.ChatID < 0 && groupGone(apiErr):
		if _, err := b.svc.GroupRemoved(ctx, m.ChatID, reason, GroupChangeMessages); err != nil || m.AnswerID == 0 {
			return err
		}
		// An answer on its way when the group turned out gone: it goes around the group,
		// and the expert is not told it was posted.
		return b.svc.AnswerUndelivered(ctx, m.AnswerID, m.ID, AnswerUndeliveredMessages)
	case m.ChatID > 0 && personGone(apiErr):
		return b.svc.PersonBlocked(ctx, m.ChatID, reason, UnreachableMessages)
	}
	return nil
}

// GroupChangeMessages tells a county's admins, each in their language, which group (and
// township) removed the bot or took it back.
func GroupChangeMessages(res consult.GroupChange) []store.Message {
	var msgs []store.Message
	for _, a := range res.Admins {
		l := langFromCode(a.Language)
		title := res.Group.Title
		if title == "" {
			title = res.Group.Township
		}
		text := l.F("gone.group_removed", esc(res.County.Name), esc(res.Group.Township), esc(title), res.Group.Open)
		if res.Back {
			text = l.F("gone.group_back", esc(res.County.Name), esc(res.Group.Township), esc(title))
		}
		msgs = append(msgs, sendTo(a.UserID, text, nil)...)
	}
	return msgs
}

// UnreachableMessages tells a county's admins that an expert can no longer be reached,
// or can again, and offers each question the expert held to the on-duty experts.
func UnreachableMessages(res consult.Unreachable) []store.Message {
	var msgs []store.Message
	for _, a := range res.Admins {
		l := langFromCode(a.Language)
		text := l.F("gone.expert_unreachable", esc(res.County.Name), esc(expertName(res.Expert)), len(res.Released))
		if res.Back {
			text = l.F("gone.expert_back", esc(res.County.Name), esc(expertName(res.Expert)))
		}
		msgs = append(msgs, sendTo(a.UserID, text, nil)...)
	}
	for _, c := range res.Released {
		for _, e := range c.Experts {
			l := langFromCode(e.Language)
			text := questionCard(l, c.QuestionView) + "\n\n" + l.T("gone.holder_unreachable")
			msgs = append(msgs, remembered(sendTo(e.UserID, text, claimKeyboard(l, c.Question.ID)), store.MessageQuestionNotice, c.Question.ID, e.UserID, l)...)
		}
	}
	return msgs
}

// answerElsewhere is what an answer sends when the bot is no longer in the question's
// group: the answer to the farmer privately where the farmer started the bot, and the
// expert told where it went, or that it is kept in the archive undelivered. Nothing goes
// to the group.
func answerElsewhere(in *incoming, l lang, res consult.AnswerResult, media *store.Media) []store.Message {
	var items []store.Media
	if media != nil {
		items = []store.Media{*media}
	}
	return answerAround(res, items, l, func(text string) []store.Message { return in.replyWith(text, nil) })
}

// AnswerUndeliveredMessages is answerElsewhere for an answer whose message to the group
// was refused (consult.Service.AnswerUndelivered): the expert is told in their chat.
func AnswerUndeliveredMessages(res consult.AnswerResult) []store.Message {
	var items []store.Media
	if res.Answer.FileID != "" {
		items = []store.Media{{Kind: res.Answer.Kind, FileID: res.Answer.FileID}}
	}
	l := langFromCode(res.Holder.Language)
	return answerAround(res, items, l, func(text string) []store.Message { return sendTo(res.Answer.ExpertID, text, nil) })
}

// answerAround sends an answer around a group the bot is not in; tell writes to the
// expert in l.
func answerAround(res consult.AnswerResult, media []store.Media, l lang, tell func(text string) []store.Message) []store.Message {
	q := res.Question
	if !res.Reach.FarmerStarted {
		return tell(l.F("gone.answer_kept", q.ID, esc(q.Township)))
	}
	fl := langFromCode(res.Reach.FarmerLanguage)
	if res.Reach.FarmerLanguage == "" {
		fl = langFromCode(res.GroupLanguage)
	}
	posted := mediaMessages(q.FarmerID, media, 0, 0)
	text := fl.F("gone.answer_to_farmer", esc(q.Township)) + "\n\n" + answerText(fl, res.QuestionView, res.Answer)
	posted = append(posted, sendTo(q.FarmerID, text, nil)...)
	confirm := tell(l.F("gone.answer_sent_privately", q.ID, esc(q.Township)))
	confirm[0].After = len(posted)
	return append(posted, confirm...)
}
