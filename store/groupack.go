package store

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// MessageGroupAck marks a rendered message as the new text of a group's shared
// acknowledgement (Remember.RefID: the group_acks row); PutGroupAcks writes it. Sent, it
// is remembered as this kind, which no reply handler takes for a follow-up: a reply to a
// list of many questions is nobody's.
const MessageGroupAck = "group_ack"

// BurstRule says when questions in a group are a burst and share one acknowledgement.
type BurstRule struct {
	// Window: a question joins the group's shared acknowledgement while the last question
	// it lists arrived less than Window ago; and the questions of the last Window count
	// towards After.
	Window time.Duration
	// After: a question opens a shared acknowledgement when the group got questions from
	// at least After other farmers in the last Window (0: never; each question is
	// acknowledged alone). Farmers, not questions: one farmer's several questions are
	// few (the flood limit sees to that) and each keeps its own reply; a burst is many
	// people asking at once.
	After int
	// Max is the most questions one shared acknowledgement lists; the next opens another
	// message, lower in the chat where the group sees it.
	Max int
}

// AckJoin is a question just stored, with its place in the queue, for JoinGroupAcks.
type AckJoin struct {
	Question Question
	// Ahead is how many questions wait before it in its queue; OnDuty how many experts of
	// its category are on duty; NextOpen, when nobody is, when the next clinic session of
	// its category opens (zero: none planned).
	Ahead, OnDuty int
	NextOpen      time.Time
}

// GroupAckItem is one question a shared acknowledgement lists.
type GroupAckItem struct {
	QuestionID int64
	FarmerName string
	CategoryID string
	Ahead      int
	OnDuty     int
	NextOpen   time.Time // zero: none planned, or experts were on duty
}

// GroupAck is a group's shared acknowledgement of a burst and every question it lists,
// oldest first.
type GroupAck struct {
	ID, ChatID, ThreadID int64
	Items                []GroupAckItem
}

// JoinGroupAcks decides, for questions stored in this transaction (in the order they
// were numbered), which are part of a burst in their group: those join the group's
// shared acknowledgement (opening one when needed) instead of getting one of their own.
// It returns, for each question that joined, its acknowledgement with everything it now
// lists. The groups' acknowledgements are decided under a lock on each group, so two
// instances asking in one group at once list each question once. However many groups the
// questions come from, it costs two or three round trips: a batch of a hundred questions
// from a hundred groups is one transaction, and a round trip per group would be most of
// its time.
func (d *queries) JoinGroupAcks(ctx context.Context, joins []AckJoin, now time.Time, rule BurstRule) (map[int64]*GroupAck, error) {
	out := map[int64]*GroupAck{}
	if rule.After <= 0 || len(joins) == 0 {
		return out, nil
	}
	js := slices.Clone(joins)
	slices.SortFunc(js, func(a, b AckJoin) int { return cmp.Compare(a.Question.ID, b.Question.ID) })
	var chats, ids []int64
	for _, j := range js {
		if !slices.Contains(chats, j.Question.ChatID) {
			chats = append(chats, j.Question.ChatID)
		}
		ids = append(ids, j.Question.ID)
	}
	slices.Sort(chats) // one order of locks for every transaction
	type topic struct{ chat, thread int64 }
	recent := map[int64]map[int64]bool{} // by chat: the farmers who asked lately
	latest := map[topic]latestAck{}
	b := &pgx.Batch{}
	b.Queue(`SELECT count(pg_advisory_xact_lock(hashtextextended('group_ack:' || c::text, 0)))
		FROM (SELECT c FROM unnest($1::bigint[]) AS c ORDER BY c) s`, chats)
	// The farmers of each group's latest questions of the window: the latest twenty are
	// enough to tell a meeting from one farmer's several questions, and keep the read
	// small in a group that has had hundreds in the minute.
	b.Queue(`SELECT c, r.farmer_id FROM unnest($1::bigint[]) AS c, LATERAL (SELECT farmer_id FROM questions
			WHERE chat_id = c AND asked_at > $2 AND id <> ALL ($3) ORDER BY asked_at DESC LIMIT 20) r`,
		chats, now.Add(-rule.Window), ids).Query(func(rows pgx.Rows) error {
		var chat, farmer int64
		_, err := pgx.ForEachRow(rows, []any{&chat, &farmer}, func() error {
			if recent[chat] == nil {
				recent[chat] = map[int64]bool{}
			}
			recent[chat][farmer] = true
			return nil
		})
		return err
	})
	b.Queue(`SELECT l.chat_id, l.thread_id, l.id, l.last_at, (SELECT count(*) FROM group_ack_questions g WHERE g.ack_id = l.id)
		FROM (SELECT DISTINCT ON (chat_id, thread_id) chat_id, thread_id, id, last_at
			FROM group_acks WHERE chat_id = ANY ($1) ORDER BY chat_id, thread_id, id DESC) l`, chats).Query(func(rows pgx.Rows) error {
		var t topic
		var l latestAck
		_, err := pgx.ForEachRow(rows, []any{&t.chat, &t.thread, &l.id, &l.lastAt, &l.items}, func() error {
			latest[t] = l
			return nil
		})
		return err
	})
	if err := d.send(ctx, "join group acks", b); err != nil {
		return nil, err
	}

	// Decide in order. A new acknowledgement gets a placeholder (negative) id until the
	// sequence gives it one.
	var ackIDs, questionIDs []int64
	var aheads, onDuty []int32
	var nextOpen []*time.Time
	var opened []topic
	for _, j := range js {
		q := j.Question
		farmers := recent[q.ChatID]
		if farmers == nil {
			farmers = map[int64]bool{}
			recent[q.ChatID] = farmers
		}
		others := len(farmers)
		if farmers[q.FarmerID] {
			others--
		}
		farmers[q.FarmerID] = true // the questions of this batch were asked now
		t := topic{q.ChatID, q.ThreadID}
		l, open := latest[t]
		joinable := open && now.Sub(l.lastAt) < rule.Window && (rule.Max <= 0 || l.items < rule.Max)
		if !joinable {
			if others < rule.After {
				continue
			}
			opened = append(opened, t)
			l = latestAck{id: -int64(len(opened))}
		}
		l.lastAt, l.items = now, l.items+1
		latest[t] = l
		ackIDs, questionIDs = append(ackIDs, l.id), append(questionIDs, q.ID)
		aheads, onDuty = append(aheads, int32(j.Ahead)), append(onDuty, int32(j.OnDuty))
		var next *time.Time
		if !j.NextOpen.IsZero() {
			t := j.NextOpen
			next = &t
		}
		nextOpen = append(nextOpen, next)
	}
	if len(ackIDs) == 0 {
		return out, nil
	}
	b = &pgx.Batch{}
	if len(opened) > 0 {
		var newIDs []int64
		rows, err := d.dbtx.Query(ctx, `SELECT nextval('group_acks_id_seq') FROM generate_series(1, $1)`, len(opened))
		if err != nil {
			return nil, wrap("join group acks", err)
		}
		if newIDs, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
			return nil, wrap("join group acks", err)
		}
		for i, id := range ackIDs {
			if id < 0 {
				ackIDs[i] = newIDs[-id-1]
			}
		}
		var openChats, openThreads []int64
		for _, t := range opened {
			openChats, openThreads = append(openChats, t.chat), append(openThreads, t.thread)
		}
		b.Queue(`INSERT INTO group_acks (id, chat_id, thread_id, opened_at, last_at)
			SELECT * , $4::timestamptz, $4::timestamptz FROM unnest($1::bigint[], $2::bigint[], $3::bigint[])`,
			newIDs, openChats, openThreads, now)
	}
	touched := slices.Compact(slices.Sorted(slices.Values(ackIDs)))
	acks := map[int64]*GroupAck{}
	b.Queue(`INSERT INTO group_ack_questions (ack_id, question_id, ahead, on_duty, next_open)
		SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::int[], $4::int[], $5::timestamptz[])`,
		ackIDs, questionIDs, aheads, onDuty, nextOpen)
	b.Queue(`UPDATE group_acks SET last_at = $2 WHERE id = ANY ($1)`, touched, now)
	b.Queue(`SELECT a.id, a.chat_id, a.thread_id, q.id, q.farmer_name, q.category_id, g.ahead, g.on_duty,
			coalesce(g.next_open, 'epoch'::timestamptz)
		FROM group_acks a JOIN group_ack_questions g ON g.ack_id = a.id JOIN questions q ON q.id = g.question_id
		WHERE a.id = ANY ($1) ORDER BY a.id, q.id`, touched).Query(func(rows pgx.Rows) error {
		var a GroupAck
		var it GroupAckItem
		_, err := pgx.ForEachRow(rows, []any{&a.ID, &a.ChatID, &a.ThreadID, &it.QuestionID, &it.FarmerName, &it.CategoryID,
			&it.Ahead, &it.OnDuty, &it.NextOpen}, func() error {
			it.NextOpen = zeroEpoch(it.NextOpen)
			ack := acks[a.ID]
			if ack == nil {
				ack = &GroupAck{ID: a.ID, ChatID: a.ChatID, ThreadID: a.ThreadID}
				acks[a.ID] = ack
			}
			ack.Items = append(ack.Items, it)
			return nil
		})
		return err
	})
	if err := d.send(ctx, "join group acks", b); err != nil {
		return nil, err
	}
	for k, q := range questionIDs {
		out[q] = acks[ackIDs[k]]
	}
	return out, nil
}

// latestAck is a group topic's newest shared acknowledgement.
type latestAck struct {
	id     int64
	lastAt time.Time
	items  int
}

// PutGroupAcks writes the new text of shared acknowledgements (messages marked
// MessageGroupAck, RefID the acknowledgement). Each acknowledgement has at most one
// version waiting in the outbox: the send that posts it, or else its latest edit. While
// no sender has taken that row, it gets the new text in place; otherwise a new edit
// follows it. So a burst of forty questions costs the group a message and a few edits,
// each edit carrying every question that arrived since the last one went. One statement
// for all of them: a batch of a hundred questions from a hundred groups touches a hundred
// acknowledgements, and a statement each took most of the batch's time.
func (d *queries) PutGroupAcks(ctx context.Context, msgs []Message, now time.Time) error {
	if len(msgs) == 0 {
		return nil
	}
	var acks, chats, threads []int64
	var texts []string
	var markups []*string
	for _, m := range msgs {
		var markup *string
		if len(m.Markup) > 0 {
			s := string(m.Markup)
			markup = &s
		}
		acks, chats, threads = append(acks, m.Remember.RefID), append(chats, m.ChatID), append(threads, m.ThreadID)
		texts, markups = append(texts, m.Text), append(markups, markup)
	}
	_, err := d.dbtx.Exec(ctx, putGroupAcksSQL, acks, now, texts, markups, chats, threads)
	return wrap("put group acks", err)
}

// putGroupAcksSQL writes acknowledgements' new texts ($1 the acknowledgements, $3 their
// texts, $4 markups, $5 chats, $6 topics) at $2. The outbox rows are found by their ids
// as an array, one probe of the primary key each: as a join, with the statistics of a
// just-emptied outbox, the planner scanned the whole outbox. The UPDATEs check that no sender has
// taken a row as they change it: one that a sender takes meanwhile is left alone (READ
// COMMITTED re-checks the condition on the row as the sender left it), and a new edit
// follows it. A post that Telegram refused, or that is gone from the outbox, is posted
// again. The rows are remembered as MessageGroupAck of their acknowledgement, which also
// tells the statement which acknowledgement a new row is for.
const putGroupAcksSQL = `
WITH m AS (
	SELECT * FROM unnest($1::bigint[], $3::text[], $4::text[], $5::bigint[], $6::bigint[]) AS m(ack, text, markup, chat, thread)
), a AS (
	SELECT g.id, g.outbox_id, g.edit_outbox_id, m.text, m.markup, m.chat, m.thread,
		coalesce((SELECT o.failed_at IS NULL FROM outbox o WHERE o.id = g.outbox_id), false) AS posted
	FROM m JOIN group_acks g ON g.id = m.ack
	FOR UPDATE OF g
), ins_send AS (
	INSERT INTO outbox (chat_id, method, text, markup, thread_id, remember_kind, remember_ref)
	SELECT a.chat, 'send', a.text, a.markup::jsonb, a.thread, '` + MessageGroupAck + `', a.id FROM a WHERE NOT a.posted
	RETURNING id, remember_ref AS ack
), upd_send AS (
	UPDATE outbox o SET text = (SELECT a.text FROM a WHERE a.outbox_id = o.id),
		markup = (SELECT a.markup::jsonb FROM a WHERE a.outbox_id = o.id)
	WHERE o.id = ANY ((SELECT array_agg(a.outbox_id) FROM a WHERE a.posted)::bigint[])
		AND o.sent_at IS NULL AND o.failed_at IS NULL AND (o.locked_until IS NULL OR o.locked_until < $2)
	RETURNING o.id AS outbox_id
), upd_edit AS (
	UPDATE outbox o SET text = (SELECT a.text FROM a WHERE a.edit_outbox_id = o.id),
		markup = (SELECT a.markup::jsonb FROM a WHERE a.edit_outbox_id = o.id)
	WHERE o.id = ANY ((SELECT array_agg(a.edit_outbox_id) FROM a
			WHERE a.posted AND a.outbox_id NOT IN (SELECT outbox_id FROM upd_send))::bigint[])
		AND o.sent_at IS NULL AND o.failed_at IS NULL AND (o.locked_until IS NULL OR o.locked_until < $2)
	RETURNING o.id AS edit_outbox_id
), ins_edit AS (
	INSERT INTO outbox (chat_id, method, text, markup, edit_outbox_id, after_id, remember_kind, remember_ref)
	SELECT a.chat, 'edit', a.text, a.markup::jsonb, a.outbox_id, a.outbox_id, '` + MessageGroupAck + `', a.id FROM a
	WHERE a.posted AND a.outbox_id NOT IN (SELECT outbox_id FROM upd_send)
		AND (a.edit_outbox_id IS NULL OR a.edit_outbox_id NOT IN (SELECT edit_outbox_id FROM upd_edit))
	RETURNING id, remember_ref AS ack
)
UPDATE group_acks g SET
	outbox_id = coalesce(s.id, g.outbox_id),
	edit_outbox_id = CASE WHEN s.id IS NOT NULL THEN NULL ELSE coalesce(e.id, g.edit_outbox_id) END
FROM a LEFT JOIN ins_send s ON s.ack = a.id LEFT JOIN ins_edit e ON e.ack = a.id
WHERE g.id = a.id`

// NextClinics returns when the next clinic session of each county and category opens
// (key county+"/"+category), for questions that arrive while no expert of theirs is on
// duty. A session without a category counts for every category ("/" + county key "*").
func (d *queries) NextClinics(ctx context.Context, counties []string, after time.Time) (map[string]time.Time, error) {
	rows, err := d.dbtx.Query(ctx, `SELECT county_id, category_id, min(next_run_at) FROM schedules
		WHERE kind = 'clinic' AND active AND next_run_at > $2 AND county_id = ANY ($1)
		GROUP BY county_id, category_id`, counties, after)
	if err != nil {
		return nil, wrap("next clinics", err)
	}
	out := map[string]time.Time{}
	var county, cat string
	var at time.Time
	_, err = pgx.ForEachRow(rows, []any{&county, &cat, &at}, func() error {
		if cat == "" {
			cat = "*"
		}
		out[county+"/"+cat] = at
		return nil
	})
	return out, wrap("next clinics", err)
}
