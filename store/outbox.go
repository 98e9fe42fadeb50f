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
	if len(msgs) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	if err := queueEnqueueOnce(b, msgs, nextStep(ctx)); err != nil {
		return err
	}
	return d.send(ctx, "enqueue", b)
}

// queueEnqueue queues Enqueue's one statement. Many messages (a question pushed to twenty
// experts) go in one statement that draws their ids in the order given, so that a chat's
// messages keep that order and After can name an earlier one by its position.
func queueEnqueue(b *pgx.Batch, msgs []Message) error {
	return queueEnqueueOnce(b, msgs, step{})
}

// queueEnqueueOnce is queueEnqueue for a step of an update's handling (WithUpdate): the
// step is recorded in handled_updates by the same statement, and the messages are written
// only if it was not recorded before, so an update handled again sends nothing twice.
func queueEnqueueOnce(b *pgx.Batch, msgs []Message, st step) error {
	var (
		chats, replyTo, editMsg, refs, users, answers, threads, editOf []int64
		afterPos                                                       []int32
		methods, texts, kinds, langs, apis                             []string
		markups, params                                                []*string
	)
	for i, m := range msgs {
		r, err := outboxRow(m)
		if err != nil {
			return err
		}
		pos := int32(0)
		if m.After > 0 && m.After <= i {
			pos = int32(m.After)
		}
		chats, methods, texts = append(chats, m.ChatID), append(methods, m.Method), append(texts, m.Text)
		replyTo, editMsg, markups = append(replyTo, m.ReplyTo), append(editMsg, m.EditMessageID), append(markups, r.markup)
		kinds, refs, users = append(kinds, m.Remember.Kind), append(refs, m.Remember.RefID), append(users, m.Remember.UserID)
		langs, answers = append(langs, m.Remember.Language), append(answers, m.AnswerID)
		afterPos, editOf = append(afterPos, pos), append(editOf, m.EditOutboxID)
		apis, params, threads = append(apis, m.API), append(params, r.params), append(threads, m.ThreadID)
	}
	args := []any{chats, methods, texts, replyTo, editMsg, markups, kinds, refs, users, langs, answers,
		afterPos, editOf, apis, params, threads}
	// The step's mark, when there is one: the messages are selected only if this
	// statement's insert of the mark did insert it.
	mark, once := "", ""
	if st.update != 0 {
		mark = `mark AS (INSERT INTO handled_updates (update_id, step) VALUES ($17, $18)
			ON CONFLICT DO NOTHING RETURNING 1),`
		once = `WHERE EXISTS (SELECT 1 FROM mark)`
		args = append(args, st.update, st.n)
	}
	b.Queue(`
		WITH `+mark+` m AS MATERIALIZED (
			SELECT nextval('outbox_id_seq') AS id, *
			FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[],
				$7::text[], $8::bigint[], $9::bigint[], $10::text[], $11::bigint[], $12::int[], $13::bigint[],
				$14::text[], $15::text[], $16::bigint[]) WITH ORDINALITY
				AS m(chat_id, method, text, reply_to, edit_message_id, markup,
				remember_kind, remember_ref, remember_user, language, answer_id, after_pos, edit_outbox_id,
				api_method, params, thread_id, pos)
			`+once+`)
		INSERT INTO outbox (id, chat_id, method, text, reply_to, edit_message_id, markup,
			remember_kind, remember_ref, remember_user, language, answer_id, after_id, edit_outbox_id,
			api_method, params, thread_id)
		SELECT m.id, m.chat_id, m.method, m.text, m.reply_to, m.edit_message_id, m.markup::jsonb,
			m.remember_kind, m.remember_ref, m.remember_user, m.language, m.answer_id,
			coalesce(a.id, nullif(m.edit_outbox_id, 0)), nullif(m.edit_outbox_id, 0),
			m.api_method, m.params::jsonb, m.thread_id
		FROM m LEFT JOIN m a ON a.pos = m.after_pos
		ORDER BY m.id`, args...)
	return nil
}

// outboxColumns are the columns of a message that need converting.
type outboxColumns struct {
	markup, params *string
}

func outboxRow(m Message) (outboxColumns, error) {
	var r outboxColumns
	if len(m.Markup) > 0 {
		s := string(m.Markup)
		r.markup = &s
	}
	if len(m.Params) > 0 {
		data, err := json.Marshal(m.Params)
		if err != nil {
			return r, wrap("enqueue", err)
		}
		p := string(data)
		r.params = &p
	}
	return r, nil
}

// ClaimDue takes up to limit messages that are due, the oldest pending one of each chat
// (a chat's messages go out in order), and locks them for lease so that another sender
// does not take them too.
func (db *DB) ClaimDue(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Message, error) {
	rows, err := db.pool.Query(ctx, `
		-- heads is each chat's oldest pending message, found by one index probe per chat
		-- (a loose index scan) rather than by reading every pending row: a backlog of
		-- thousands of messages costs as much as one per chat.
		WITH RECURSIVE heads AS (
			(SELECT chat_id, id FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL
				ORDER BY chat_id, id LIMIT 1)
			UNION ALL
			SELECT n.chat_id, n.id FROM heads h, LATERAL (SELECT chat_id, id FROM outbox
				WHERE sent_at IS NULL AND failed_at IS NULL AND chat_id > h.chat_id
				ORDER BY chat_id, id LIMIT 1) n
		), due AS (
			-- Each head is looked up by the index's key, and locked there, so that no plan
			-- reads the whole backlog per head: a plain join was planned as a nested loop
			-- over every pending row for every head while the table's statistics still
			-- said it was empty (minutes for a backlog of 10,000). Locking in the lookup
			-- locks every due head, not only the first $3, for this statement's moment.
			-- The conditions are on o: when another sender took the row meanwhile, FOR
			-- UPDATE re-checks them against the row as that sender left it.
			SELECT d.id FROM heads h CROSS JOIN LATERAL (
				SELECT o.id FROM outbox o WHERE o.chat_id = h.chat_id AND o.id = h.id
					AND o.next_attempt_at <= $1 AND (o.locked_until IS NULL OR o.locked_until < $1)
					AND o.sent_at IS NULL AND o.failed_at IS NULL
					AND (o.after_id IS NULL OR EXISTS (SELECT 1 FROM outbox p WHERE p.id = o.after_id
						AND (p.sent_at IS NOT NULL OR p.failed_at IS NOT NULL)))
				FOR UPDATE OF o SKIP LOCKED) d
			ORDER BY d.id
			LIMIT $3
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
	all, err := d.supersedePendingOf(ctx, kind, []int64{refID}, now)
	return all[refID], err
}

// supersedePendingOf does SupersedePending for many references at once.
func (d *queries) supersedePendingOf(ctx context.Context, kind string, refIDs []int64, now time.Time) (map[int64][]PendingMessage, error) {
	out := map[int64][]PendingMessage{}
	b := &pgx.Batch{}
	queueSupersedePending(b, kind, refIDs, now, out)
	return out, d.send(ctx, "supersede pending", b)
}

func queueSupersedePending(b *pgx.Batch, kind string, refIDs []int64, now time.Time, out map[int64][]PendingMessage) {
	b.Queue(`UPDATE outbox SET failed_at = $3, last_error = 'superseded before delivery'
		WHERE remember_kind = $1 AND remember_ref = ANY ($2) AND sent_at IS NULL AND failed_at IS NULL
			AND (locked_until IS NULL OR locked_until < $3)`, kind, refIDs, now)
	b.Queue(`SELECT remember_ref, id, chat_id, remember_user, language FROM outbox
		WHERE remember_kind = $1 AND remember_ref = ANY ($2) AND sent_at IS NULL AND failed_at IS NULL
		ORDER BY id FOR UPDATE`, kind, refIDs).Query(func(rows pgx.Rows) error {
		var ref int64
		var p PendingMessage
		_, err := pgx.ForEachRow(rows, []any{&ref, &p.OutboxID, &p.ChatID, &p.UserID, &p.Language}, func() error {
			out[ref] = append(out[ref], p)
			return nil
		})
		return err
	})
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

// Release gives taken messages back, due as they were, without counting the attempt: a
// sender took more than the rate limit lets it send soon.
func (db *DB) Release(ctx context.Context, ids []int64) error {
	_, err := db.pool.Exec(ctx, `UPDATE outbox SET locked_until = NULL, attempts = greatest(attempts - 1, 0)
		WHERE id = ANY ($1)`, ids)
	return wrap("release", err)
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
	all, err := d.SettleNoticesOf(ctx, []int64{questionID}, now)
	return all[questionID].Sent, all[questionID].InFlight, err
}

// Revision is where a message stands that Revise was asked to change.
type Revision struct {
	// Revised: the message was still waiting and now has the new text.
	Revised bool
	// InFlight, when not revised, is the outbox row a sender is delivering right now.
	InFlight int64
	// Sent, when not revised, is the message id it was delivered as.
	Sent int64
}

// Revise gives the first message remembered as kind for refID in a chat a new text and
// buttons if it is still waiting in the outbox. Otherwise it says where that message is,
// so the caller can queue an edit (EditOutboxID or EditMessageID); a message given up on
// is neither. Only the first: an answer posted in the group is remembered like the
// question's acknowledgement, so that replies to either join the question's conversation, and
// revising the acknowledgement must leave the answer alone.
func (d *queries) Revise(ctx context.Context, chatID int64, kind string, refID int64, text string, markup json.RawMessage, now time.Time) (Revision, error) {
	var mk any
	if len(markup) > 0 {
		mk = string(markup)
	}
	var r Revision
	var id, sent int64
	var delivered, failed, held bool
	err := d.dbtx.QueryRow(ctx, `SELECT id, coalesce(message_id, 0), sent_at IS NOT NULL, failed_at IS NOT NULL,
			coalesce(locked_until >= $4, false)
		FROM outbox WHERE chat_id = $1 AND remember_kind = $2 AND remember_ref = $3
		ORDER BY id LIMIT 1 FOR UPDATE`, chatID, kind, refID, now).Scan(&id, &sent, &delivered, &failed, &held)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return r, nil
	case err != nil:
		return r, wrap("revise", err)
	case failed:
		return r, nil
	case delivered:
		r.Sent = sent
		return r, nil
	case held:
		r.InFlight = id
		return r, nil
	}
	_, err = d.dbtx.Exec(ctx, `UPDATE outbox SET text = $2, markup = $3::jsonb WHERE id = $1`, id, text, mk)
	return Revision{Revised: err == nil}, wrap("revise", err)
}
