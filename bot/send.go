package bot

import (
	"context"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/store"
)

// reply answers a message in its chat, through the outbox. Replies that a state change
// causes are instead rendered inside that change's transaction (see the consult.Out
// functions in the handlers). An error means the outbox could not be written; the update
// is then tried again.
func (b *Bot) reply(ctx context.Context, to *incoming, text string, markup any) error {
	return b.db.Enqueue(ctx, to.replyWith(text, markup)...)
}

// replyWith is a reply to the incoming message, in its forum topic.
func (in *incoming) replyWith(text string, markup any) []store.Message {
	return inTopic(replyTo(in.msg.Chat.ID, in.msg.MessageID, text, markup), in.thread)
}

// answerCallback answers a button press; Telegram shows the text as a toast, or as an
// alert the person must dismiss. It is sent at once, not through the outbox: the app
// waits for it, and a late answer is useless.
func (b *Bot) answerCallback(ctx context.Context, q *tgbotapi.CallbackQuery, text string, alert bool) {
	a := tgbotapi.NewCallback(q.ID, text)
	a.ShowAlert = alert
	if err := b.tg.Request(ctx, a); err != nil {
		b.log.Warn("answer callback failed", "err", err)
	}
}
