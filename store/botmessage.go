package store

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// Kinds of bot message worth remembering.
const (
	// MessageQuestionNotice is a question shown to an expert (notification, /queue entry
	// or claim confirmation); replying to it answers the question.
	MessageQuestionNotice = "question_notice"
	// MessageExpertRequest is an expert request shown to a county admin.
	MessageExpertRequest = "expert_request"
	// MessageAck is the acknowledgement of a question in the farmer's group.
	MessageAck = "ack"
	// MessageArchiveAnswer is an earlier answer posted under an acknowledgement.
	MessageArchiveAnswer = "archive_answer"
)

// BotMessage is a message the bot sent that points at a question or request.
type BotMessage struct {
	ChatID    int64
	MessageID int64
	Kind      string
	RefID     int64
	UserID    int64  // the person it was sent to, for private messages
	Language  string // the language it was written in, so an edit keeps it
}

// SaveBotMessage remembers a sent message.
func (d *queries) SaveBotMessage(ctx context.Context, m BotMessage) error {
	_, err := d.dbtx.Exec(ctx, `INSERT INTO bot_messages (chat_id, message_id, kind, ref_id, user_id, language)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (chat_id, message_id) DO UPDATE SET kind = $3, ref_id = $4, user_id = $5, language = $6`,
		m.ChatID, m.MessageID, m.Kind, m.RefID, m.UserID, m.Language)
	return wrap("save bot message", err)
}

// BotMessage returns a remembered message, or ErrNotFound.
func (d *queries) BotMessage(ctx context.Context, chatID, messageID int64) (BotMessage, error) {
	var m BotMessage
	err := d.dbtx.QueryRow(ctx, `SELECT chat_id, message_id, kind, ref_id, user_id, language FROM bot_messages
		WHERE chat_id = $1 AND message_id = $2`, chatID, messageID).
		Scan(&m.ChatID, &m.MessageID, &m.Kind, &m.RefID, &m.UserID, &m.Language)
	return m, wrap("bot message", err)
}

// BotMessagesFor returns every remembered message of a kind about one question or request.
func (d *queries) BotMessagesFor(ctx context.Context, kind string, refID int64) ([]BotMessage, error) {
	all, err := d.botMessagesOf(ctx, kind, []int64{refID})
	return all[refID], err
}

// botMessagesOf does BotMessagesFor for many references at once.
func (d *queries) botMessagesOf(ctx context.Context, kind string, refIDs []int64) (map[int64][]BotMessage, error) {
	out := map[int64][]BotMessage{}
	b := &pgx.Batch{}
	queueBotMessagesOf(b, kind, refIDs, out)
	return out, d.send(ctx, "bot messages", b)
}

func queueBotMessagesOf(b *pgx.Batch, kind string, refIDs []int64, out map[int64][]BotMessage) {
	b.Queue(`SELECT chat_id, message_id, kind, ref_id, user_id, language FROM bot_messages
		WHERE kind = $1 AND ref_id = ANY ($2) ORDER BY sent_at, chat_id, message_id`, kind, refIDs).Query(func(rows pgx.Rows) error {
		all, err := pgx.CollectRows(rows, pgx.RowToStructByPos[BotMessage])
		for _, m := range all {
			out[m.RefID] = append(out[m.RefID], m)
		}
		return err
	})
}

// PostedUnder reports whether a message remembered as kind for refID was sent, or is on
// its way, as a reply to replyTo in a chat.
func (d *queries) PostedUnder(ctx context.Context, chatID, replyTo int64, kind string, refID int64) (bool, error) {
	var exists bool
	err := d.dbtx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM outbox WHERE chat_id = $1 AND reply_to = $2
		AND remember_kind = $3 AND remember_ref = $4 AND failed_at IS NULL)`, chatID, replyTo, kind, refID).Scan(&exists)
	return exists, wrap("posted under", err)
}
