package bot

import (
	"context"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/store"
)

// Sending never fails an update: by the time the bot speaks, what the update caused is
// already stored, and a redelivery would find it stored and say nothing. A failed send is
// logged. (The durable outbox that retries such sends is the next step.)

// send posts an HTML message to a chat; markup may be nil.
func (b *Bot) send(ctx context.Context, chatID int64, text string, markup any) (tgbotapi.Message, bool) {
	m := tgbotapi.NewMessage(chatID, text)
	m.ParseMode = tgbotapi.ModeHTML
	m.DisableWebPagePreview = true
	if markup != nil {
		m.ReplyMarkup = markup
	}
	return b.deliver(ctx, m)
}

// reply answers a message in its chat, quoting it.
func (b *Bot) reply(ctx context.Context, to *tgbotapi.Message, text string, markup any) (tgbotapi.Message, bool) {
	return b.replyTo(ctx, to.Chat.ID, to.MessageID, text, markup)
}

// replyTo answers a message known by chat and id; if the message was deleted the answer
// still arrives, unquoted.
func (b *Bot) replyTo(ctx context.Context, chatID int64, messageID int, text string, markup any) (tgbotapi.Message, bool) {
	m := tgbotapi.NewMessage(chatID, text)
	m.ParseMode = tgbotapi.ModeHTML
	m.DisableWebPagePreview = true
	m.ReplyToMessageID = messageID
	m.AllowSendingWithoutReply = true
	if markup != nil {
		m.ReplyMarkup = markup
	}
	return b.deliver(ctx, m)
}

func (b *Bot) deliver(ctx context.Context, m tgbotapi.MessageConfig) (tgbotapi.Message, bool) {
	sent, err := b.tg.Send(ctx, m)
	if err != nil {
		b.log.Warn("send failed", "chat", m.ChatID, "err", err)
		return sent, false
	}
	return sent, true
}

// edit replaces a message's text and removes its buttons (markup nil) or sets new ones.
func (b *Bot) edit(ctx context.Context, chatID int64, messageID int, text string, markup *tgbotapi.InlineKeyboardMarkup) {
	e := tgbotapi.NewEditMessageText(chatID, messageID, text)
	e.ParseMode = tgbotapi.ModeHTML
	e.DisableWebPagePreview = true
	e.ReplyMarkup = markup
	if err := b.tg.Request(ctx, e); err != nil {
		if apiErr, ok := APIError(err); ok && strings.Contains(apiErr.Message, "message is not modified") {
			return
		}
		b.log.Warn("edit failed", "chat", chatID, "message", messageID, "err", err)
	}
}

// answerCallback answers a button press; Telegram shows the text as a toast, or as an
// alert the person must dismiss.
func (b *Bot) answerCallback(ctx context.Context, q *tgbotapi.CallbackQuery, text string, alert bool) {
	a := tgbotapi.NewCallback(q.ID, text)
	a.ShowAlert = alert
	if err := b.tg.Request(ctx, a); err != nil {
		b.log.Warn("answer callback failed", "err", err)
	}
}

// remember stores a sent message that later updates may point at.
func (b *Bot) remember(ctx context.Context, sent tgbotapi.Message, kind string, refID, userID int64, l lang) {
	err := b.db.SaveBotMessage(ctx, store.BotMessage{
		ChatID: sent.Chat.ID, MessageID: int64(sent.MessageID), Kind: kind, RefID: refID, UserID: userID, Language: l.code(),
	})
	if err != nil {
		b.log.Warn("remember message failed", "chat", sent.Chat.ID, "err", err)
	}
}
