package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Outbox methods.
const (
	MethodSend = "send"
	MethodEdit = "edit"
	// MethodCall makes the Bot API call named by Message.API with Message.Params (media,
	// locations, markup changes).
	MethodCall = "call"
)

// Message is an outgoing message in the outbox.
type Message struct {
	ID            int64
	ChatID        int64
	Method        string // MethodSend or MethodEdit
	Text          string // HTML
	ReplyTo       int64  // send: the message to quote
	EditMessageID int64  // edit: the message to change
	Markup        json.RawMessage
	// Remember, when Kind is set, records the sent message in bot_messages.
	Remember BotMessage
	// AnswerID, when set, records the sent message as where that answer landed.
	AnswerID int64
	// EditOutboxID, for an edit, names the outbox row whose message to edit when that
	// message is not yet sent (see SupersedePending); the edit waits for it.
	EditOutboxID int64
	// After, when set, is the 1-based position of another message in the same Enqueue
	// call that must be delivered (or given up) before this one goes.
	After int
	// API and Params are the Bot API method and its parameters for MethodCall (chat_id,
	// message_thread_id and reply_to_message_id are added from the fields above).
	API    string
	Params map[string]string
	// ThreadID keeps a message in its forum topic (0: none).
	ThreadID int64
	Attempts int
}

// Enqueue writes messages to the outbox. Called on a Tx, they are sent only if the
// transaction commits.
func (d *queries) Enqueue(ctx context.Context, msgs ...Message) error {
	ids := make([]int64, len(msgs))
	for i, m := range msgs {
		var markup *string
		if len(m.Markup) > 0 {
			s := string(m.Markup)
			markup = &s
		}
		var params *string
		if len(m.Params) > 0 {
			data, err := json.Marshal(m.Params)
			if err != nil {
				return wrap("enqueue", err)
			}
			p := string(data)
			params = &p
		}
		var after, editOf *int64
		if m.After > 0 && m.After <= i {
			after = &ids[m.After-1]
		}
		if m.EditOutboxID != 0 {
			editOf = &m.EditOutboxID
			if after == nil {
				after = editOf
			}
		}
		err := d.dbtx.QueryRow(ctx, `
			INSERT INTO outbox (chat_id, method, text, reply_to, edit_message_id, markup,
				remember_kind, remember_ref, remember_user, language, answer_id, after_id, edit_outbox_id,
				api_method, params, thread_id)
			VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11, $12, $13, $14, $15::jsonb, $16)
			RETURNING id`,
			m.ChatID, m.Method, m.Text, m.ReplyTo, m.EditMessageID, markup,
			m.Remember.Kind, m.Remember.RefID, m.Remember.UserID, m.Remember.Language, m.AnswerID, after, editOf,
			m.API, params, m.ThreadID).Scan(&ids[i])
		if err != nil {
			return wrap("enqueue", err)
		}
	}
	return nil
}

// ClaimDue takes up to limit messages that are due, the oldest pending one of each chat
// (a chat's messages go out in order), and locks them for lease so that another sender
// does not take them too.
func (db *DB) ClaimDue(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Message, error) {
	rows, err := db.pool.Query(ctx, `
		WITH heads AS (
			SELECT DISTINCT ON (chat_id) id
			FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL
			ORDER BY chat_id, id
		), due AS (
			-- The conditions are on o, not h: when another sender took the row meanwhile,
			-- FOR UPDATE re-checks them against the row as that sender left it.
			SELECT o.id FROM outbox o JOIN heads h ON h.id = o.id
			WHERE o.next_attempt_at <= $1 AND (o.locked_until IS NULL OR o.locked_until < $1)
				AND o.sent_at IS NULL AND o.failed_at IS NULL
				AND (o.after_id IS NULL OR EXISTS (SELECT 1 FROM outbox p WHERE p.id = o.after_id
					AND (p.sent_at IS NOT NULL OR p.failed_at IS NOT NULL)))
			ORDER BY o.id
			LIMIT $3
			FOR UPDATE OF o SKIP LOCKED
		)
		UPDATE outbox SET locked_until = $2, attempts = attempts + 1
		FROM due WHERE outbox.id = due.id
		RETURNING outbox.id, chat_id, method, text, reply_to,
			CASE WHEN outbox.edit_outbox_id IS NULL THEN outbox.edit_message_id
				ELSE coalesce((SELECT p.message_id FROM outbox p WHERE p.id = outbox.edit_outbox_id), 0) END,
			coalesce(markup::text, ''),
			remember_kind, remember_ref, remember_user, language, answer_id, attempts,
			api_method, coalesce(params::text, ''), thread_id`,
		now, now.Add(lease), limit)
	if err != nil {
		return nil, wrap("claim due", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Message, error) {
		var m Message
		var markup, params string
		err := r.Scan(&m.ID, &m.ChatID, &m.Method, &m.Text, &m.ReplyTo, &m.EditMessageID, &markup,
			&m.Remember.Kind, &m.Remember.RefID, &m.Remember.UserID, &m.Remember.Language, &m.AnswerID, &m.Attempts,
			&m.API, &params, &m.ThreadID)
		if err != nil {
			return m, err
		}
		if markup != "" {
			m.Markup = json.RawMessage(markup)
		}
		if params != "" {
			if err := json.Unmarshal([]byte(params), &m.Params); err != nil {
				return m, err
			}
		}
		m.Remember.ChatID = m.ChatID
		return m, err
	})
	return out, wrap("claim due", err)
}

// PendingMessage is an outbox message a sender has taken but not yet recorded as sent.
type PendingMessage struct {
	OutboxID int64
	ChatID   int64
	UserID   int64
	Language string
}

// SupersedePending settles the unsent messages remembered as kind for refID, because
// what they show has changed (a question was claimed): those no sender has taken are
// dropped; those in flight are returned, locked until the transaction ends, so the caller
// can queue an edit of each (Message.EditOutboxID) that follows it.
func (d *queries) SupersedePending(ctx context.Context, kind string, refID int64, now time.Time) ([]PendingMessage, error) {
	if _, err := d.dbtx.Exec(ctx, `UPDATE outbox SET failed_at = $3, last_error = 'superseded before delivery'
		WHERE remember_kind = $1 AND remember_ref = $2 AND sent_at IS NULL AND failed_at IS NULL
			AND (locked_until IS NULL OR locked_until < $3)`, kind, refID, now); err != nil {
		return nil, wrap("supersede pending", err)
	}
	rows, err := d.dbtx.Query(ctx, `SELECT id, chat_id, remember_user, language FROM outbox
		WHERE remember_kind = $1 AND remember_ref = $2 AND sent_at IS NULL AND failed_at IS NULL
		ORDER BY id FOR UPDATE`, kind, refID)
	if err != nil {
		return nil, wrap("supersede pending", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[PendingMessage])
	return out, wrap("supersede pending", err)
}

// MarkSent records a delivered message, and in the same transaction what the message
// is remembered as.
func (db *DB) MarkSent(ctx context.Context, m Message, messageID int64, at time.Time) error {
	err := db.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.dbtx.Exec(ctx, `UPDATE outbox SET sent_at = $2, message_id = $3, locked_until = NULL
			WHERE id = $1`, m.ID, at, messageID); err != nil {
			return err
		}
		if m.Remember.Kind != "" && messageID != 0 {
			r := m.Remember
			r.MessageID = messageID
			if err := tx.SaveBotMessage(ctx, r); err != nil {
				return err
			}
		}
		if m.AnswerID != 0 && messageID != 0 {
			return tx.SetAnswerMessage(ctx, m.AnswerID, messageID)
		}
		return nil
	})
	return wrap("mark sent", err)
}

// Retry schedules another attempt.
func (db *DB) Retry(ctx context.Context, id int64, at time.Time, reason string) error {
	_, err := db.pool.Exec(ctx, `UPDATE outbox SET next_attempt_at = $2, locked_until = NULL, last_error = $3
		WHERE id = $1`, id, at, reason)
	return wrap("retry", err)
}

// Defer puts a taken message back until at without counting the attempt: held back by the
// rate limit is not failed, and must not lengthen the backoff of a later real failure.
func (db *DB) Defer(ctx context.Context, id int64, at time.Time) error {
	_, err := db.pool.Exec(ctx, `UPDATE outbox SET next_attempt_at = $2, locked_until = NULL,
		attempts = greatest(attempts - 1, 0) WHERE id = $1`, id, at)
	return wrap("defer", err)
}

// Fail gives up on a message Telegram will never accept (the person blocked the bot, the
// message to edit is gone), so the chat's later messages are not held up behind it.
func (db *DB) Fail(ctx context.Context, id int64, at time.Time, reason string) error {
	_, err := db.pool.Exec(ctx, `UPDATE outbox SET failed_at = $2, locked_until = NULL, last_error = $3
		WHERE id = $1`, id, at, reason)
	return wrap("fail", err)
}

// OutboxBacklog counts the messages not yet sent.
func (db *DB) OutboxBacklog(ctx context.Context) (int64, error) {
	var n int64
	err := db.pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL`).Scan(&n)
	return n, wrap("outbox backlog", err)
}

// Listener wakes a sender when a message is enqueued anywhere (LISTEN/NOTIFY), so
// messages go out at once instead of at the next poll. It holds one connection;
// notifications that arrive while the sender is busy wait on it, so none is missed.
type Listener struct {
	conn *pgxpool.Conn
}

// Listen starts listening for enqueued messages.
func (db *DB) Listen(ctx context.Context) (*Listener, error) {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return nil, wrap("listen", err)
	}
	if _, err := conn.Exec(ctx, `LISTEN agriclinic_outbox`); err != nil {
		conn.Release()
		return nil, wrap("listen", err)
	}
	return &Listener{conn: conn}, nil
}

// Wait returns when a message was enqueued since the last Wait, after timeout, or when
// ctx ends (then with ctx's error).
func (l *Listener) Wait(ctx context.Context, timeout time.Duration) error {
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	_, err := l.conn.Conn().WaitForNotification(wctx)
	if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return wrap("listen", err)
}

// Close gives the connection back; it is closed rather than reused, since it listens.
func (l *Listener) Close() {
	_ = l.conn.Conn().Close(context.Background())
	l.conn.Release()
}

// SettleNotices settles the question notices of a question whose state changed (claimed,
// assigned, closed): those not yet delivered are dropped or, when in flight, returned
// to be edited once delivered; those delivered are returned to be edited now.
func (d *queries) SettleNotices(ctx context.Context, questionID int64, now time.Time) ([]BotMessage, []PendingMessage, error) {
	inFlight, err := d.SupersedePending(ctx, MessageQuestionNotice, questionID, now)
	if err != nil {
		return nil, nil, err
	}
	notices, err := d.BotMessagesFor(ctx, MessageQuestionNotice, questionID)
	return notices, inFlight, err
}
