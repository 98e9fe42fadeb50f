package store

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// MessageGroupAck marks a rendered message as the new text of a group's shared
// acknowledgement (Remember.RefID: the group_acks row); RecordAsks writes it. Sent, it
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

// BurstFacts is what deciding which questions of a batch join their group's shared
// acknowledgement (JoinGroupAcks) needs to know of their groups: read, under a lock on
// each group, in the round trip that creates the questions (CreateQuestionsInBursts).
type BurstFacts struct {
	rule BurstRule
	now  time.Time
	// recent are, by chat, the farmers who asked there lately; read only for the chats
	// where a question may open a shared acknowledgement (see queueBurstFacts).
	recent map[int64]map[int64]bool
	// latest are the topics' newest shared acknowledgements that questions may still join.
	latest map[ackTopic]latestAck
}

// ackTopic is a group's topic (thread 0: the group itself), which has its own shared
// acknowledgement.
type ackTopic struct{ chat, thread int64 }

// latestAck is a group topic's newest shared acknowledgement.
type latestAck struct {
	id     int64
	lastAt time.Time
	items  int
}

// CreateQuestionsInBursts is CreateQuestions with, in the same round trip and before it,
// what JoinGroupAcks needs to decide which of the questions are part of a burst in their
// group (nil facts when rule makes no bursts). The groups are locked for the rest of the
// transaction, so that two instances asking in one group at once list each question
// once.
func (d *queries) CreateQuestionsInBursts(ctx context.Context, qs []NewQuestion, burst bool, rule BurstRule, now time.Time) (map[int64]Question, *BurstFacts, error) {
	b := &pgx.Batch{}
	var facts *BurstFacts
	if rule.After > 0 && len(qs) > 0 {
		facts = queueBurstFacts(b, qs, rule, now)
	}
	out := queueCreateQuestions(b, qs, burst)
	if err := d.send(ctx, "create questions", b); err != nil {
		return nil, nil, err
	}
	return out, facts, nil
}

// queueBurstFacts queues the reads of BurstFacts for the groups of qs (questions about to
// be created: none of them is read back). The farmers who asked lately are read only for
// the groups where a question of qs may open a shared acknowledgement: where a topic of
// qs has none it can join, or one too full for all of qs's questions in it. In a burst
// that is one batch in thirty: a group's shared list takes its questions for a minute
// at a time, and the read was half of what deciding cost.
func queueBurstFacts(b *pgx.Batch, qs []NewQuestion, rule BurstRule, now time.Time) *BurstFacts {
	f := &BurstFacts{rule: rule, now: now, recent: map[int64]map[int64]bool{}, latest: map[ackTopic]latestAck{}}
	var chats, topicChats, topicThreads []int64
	var counts []int32
	index := map[ackTopic]int{}
	for _, q := range qs {
		if !slices.Contains(chats, q.ChatID) {
			chats = append(chats, q.ChatID)
		}
		t := ackTopic{q.ChatID, q.ThreadID}
		i, ok := index[t]
		if !ok {
			i = len(topicChats)
			index[t] = i
			topicChats, topicThreads, counts = append(topicChats, t.chat), append(topicThreads, t.thread), append(counts, 0)
		}
		counts[i]++
	}
	slices.Sort(chats) // one order of locks for every transaction
	since := now.Add(-rule.Window)
	b.Queue(`SELECT count(pg_advisory_xact_lock(hashtextextended('group_ack:' || c::text, 0)))
		FROM (SELECT c FROM unnest($1::bigint[]) AS c ORDER BY c) s`, chats)
	// Each topic's newest acknowledgement, if questions may still join it, found through
	// the index by topic: one row each, however many bursts the group has had.
	b.Queue(`SELECT t.chat, t.thread, l.id, l.last_at, (SELECT count(*) FROM group_ack_questions g WHERE g.ack_id = l.id)
		FROM unnest($1::bigint[], $2::bigint[]) AS t(chat, thread),
			LATERAL (SELECT a.id, a.last_at FROM group_acks a WHERE a.chat_id = t.chat AND a.thread_id = t.thread
				ORDER BY a.id DESC LIMIT 1) l
		WHERE l.last_at > $3`, topicChats, topicThreads, since).Query(func(rows pgx.Rows) error {
		var t ackTopic
		var l latestAck
		_, err := pgx.ForEachRow(rows, []any{&t.chat, &t.thread, &l.id, &l.lastAt, &l.items}, func() error {
			f.latest[t] = l
			return nil
		})
		return err
	})
	// The farmers of the latest questions of the window in each group that may open an
	// acknowledgement: the latest twenty are enough to tell a meeting from one farmer's
	// several questions, and keep the read small in a group that has had hundreds in the
	// minute. A group needs none when each of its topics here has an acknowledgement to
	// join with room for all of this batch's questions in it ($5: the most it lists, 0
	// none). The conditions are JoinGroupAcks' own.
	b.Queue(`WITH t AS (SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::int[]) AS t(chat, thread, n)),
		need AS (
			SELECT DISTINCT t.chat FROM t LEFT JOIN LATERAL (SELECT a.id, a.last_at FROM group_acks a
				WHERE a.chat_id = t.chat AND a.thread_id = t.thread ORDER BY a.id DESC LIMIT 1) l ON true
			WHERE l.id IS NULL OR l.last_at <= $4
				OR ($5 > 0 AND (SELECT count(*) FROM group_ack_questions g WHERE g.ack_id = l.id) + t.n > $5))
		SELECT need.chat, r.farmer_id FROM need, LATERAL (SELECT farmer_id FROM questions
			WHERE chat_id = need.chat AND asked_at > $4 ORDER BY asked_at DESC LIMIT 20) r`,
		topicChats, topicThreads, counts, since, rule.Max).Query(func(rows pgx.Rows) error {
		var chat, farmer int64
		_, err := pgx.ForEachRow(rows, []any{&chat, &farmer}, func() error {
			if f.recent[chat] == nil {
				f.recent[chat] = map[int64]bool{}
			}
			f.recent[chat][farmer] = true
			return nil
		})
		return err
	})
	return f
}

// JoinGroupAcks decides, for questions stored in this transaction (in the order they
// were numbered) by CreateQuestionsInBursts, which are part of a burst in their group
// (facts): those join the group's shared acknowledgement (opening one when needed)
// instead of getting one of their own. It returns, for each question that joined, its
// acknowledgement with everything it now lists. One round trip, however many groups the
// questions come from: a batch of a hundred questions from a hundred groups is one
// transaction, and a round trip per group would be most of its time.
func (d *queries) JoinGroupAcks(ctx context.Context, facts *BurstFacts, joins []AckJoin) (map[int64]*GroupAck, error) {
	out := map[int64]*GroupAck{}
	if facts == nil || len(joins) == 0 {
		return out, nil
	}
	rule, now := facts.rule, facts.now
	js := slices.Clone(joins)
	slices.SortFunc(js, func(a, b AckJoin) int { return cmp.Compare(a.Question.ID, b.Question.ID) })

	// Decide in order. A new acknowledgement gets a placeholder id, -k for the k-th
	// opened, until the statement below draws its number.
	var ackIDs, questionIDs, touched []int64
	var aheads, onDuty []int32
	var nextOpen []*time.Time
	var openChats, openThreads []int64
	joinedIn := map[int64]ackTopic{} // the topic of each question that joined
	for _, j := range js {
		q := j.Question
		farmers := facts.recent[q.ChatID]
		if farmers == nil {
			farmers = map[int64]bool{}
			facts.recent[q.ChatID] = farmers
		}
		others := len(farmers)
		if farmers[q.FarmerID] {
			others--
		}
		farmers[q.FarmerID] = true // the questions of this batch were asked now
		t := ackTopic{q.ChatID, q.ThreadID}
		l, open := facts.latest[t]
		joinable := open && now.Sub(l.lastAt) < rule.Window && (rule.Max <= 0 || l.items < rule.Max)
		if !joinable {
			if others < rule.After {
				continue
			}
			openChats, openThreads = append(openChats, t.chat), append(openThreads, t.thread)
			l = latestAck{id: -int64(len(openChats))}
		}
		if l.id > 0 && !slices.Contains(touched, l.id) {
			touched = append(touched, l.id)
		}
		l.lastAt, l.items = now, l.items+1
		facts.latest[t] = l
		ackIDs, questionIDs = append(ackIDs, l.id), append(questionIDs, q.ID)
		joinedIn[q.ID] = t
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
	b := &pgx.Batch{}
	// The new acknowledgements' numbers are drawn in the order they were opened (a
	// topic's newest is the one with the highest number), by the statement that writes
	// them and what they list.
	b.Queue(`WITH n AS MATERIALIZED (
			SELECT nextval('group_acks_id_seq') AS id, s.* FROM (SELECT * FROM unnest($1::bigint[], $2::bigint[])
				WITH ORDINALITY AS n(chat, thread, k) ORDER BY k) s),
		opened AS (INSERT INTO group_acks (id, chat_id, thread_id, opened_at, last_at) SELECT id, chat, thread, $3, $3 FROM n),
		joined AS (UPDATE group_acks SET last_at = $3 WHERE id = ANY ($4))
		INSERT INTO group_ack_questions (ack_id, question_id, ahead, on_duty, next_open)
		SELECT coalesce(n.id, j.ack), j.question, j.ahead, j.on_duty, j.next_open
		FROM unnest($5::bigint[], $6::bigint[], $7::int[], $8::int[], $9::timestamptz[]) AS j(ack, question, ahead, on_duty, next_open)
			LEFT JOIN n ON n.k = -j.ack`,
		openChats, openThreads, now, touched, ackIDs, questionIDs, aheads, onDuty, nextOpen)
	// Everything the acknowledgements the questions joined now list. Every step is a
	// lookup by key (LATERAL): as joins, with the statistics of tables that were small
	// when last analysed, they were planned as scans of every acknowledgement and every
	// question listed, which grow with each burst. An acknowledgement's group and topic
	// are those of the questions that joined it.
	acks := map[int64]*GroupAck{}
	ackOf := make(map[int64]int64, len(questionIDs)) // by question that joined
	b.Queue(`SELECT j.ack_id, g.question_id, q.farmer_name, q.category_id, g.ahead, g.on_duty,
			coalesce(g.next_open, 'epoch'::timestamptz)
		FROM (SELECT DISTINCT j.ack_id FROM unnest($1::bigint[]) AS u(id),
				LATERAL (SELECT ack_id FROM group_ack_questions WHERE question_id = u.id) j) j,
			LATERAL (SELECT * FROM group_ack_questions g WHERE g.ack_id = j.ack_id) g,
			LATERAL (SELECT farmer_name, category_id FROM questions WHERE id = g.question_id LIMIT 1) q
		ORDER BY j.ack_id, g.question_id`, questionIDs).Query(func(rows pgx.Rows) error {
		var id int64
		var it GroupAckItem
		_, err := pgx.ForEachRow(rows, []any{&id, &it.QuestionID, &it.FarmerName, &it.CategoryID,
			&it.Ahead, &it.OnDuty, &it.NextOpen}, func() error {
			it.NextOpen = zeroEpoch(it.NextOpen)
			ack := acks[id]
			if ack == nil {
				ack = &GroupAck{ID: id}
				acks[id] = ack
			}
			ack.Items = append(ack.Items, it)
			if t, ok := joinedIn[it.QuestionID]; ok {
				ack.ChatID, ack.ThreadID = t.chat, t.thread
				ackOf[it.QuestionID] = id
			}
			return nil
		})
		return err
	})
	if err := d.send(ctx, "join group acks", b); err != nil {
		return nil, err
	}
	for _, q := range questionIDs {
		out[q] = acks[ackOf[q]]
	}
	return out, nil
}

// queuePutGroupAcks queues the new texts of shared acknowledgements (messages marked
// MessageGroupAck, RefID the acknowledgement), for RecordAsks. Each acknowledgement has
// at most one version waiting in the outbox: the send that posts it, or else its latest
// edit. While no sender has taken that row, it gets the new text in place; otherwise a
// new edit follows it. So a burst of forty questions costs the group a message and a few
// edits, each edit carrying every question that arrived since the last one went. One
// statement for all of them: a batch of a hundred questions from a hundred groups
// touches a hundred acknowledgements, and a statement each took most of the batch's time.
func queuePutGroupAcks(b *pgx.Batch, msgs []Message, now time.Time) {
	if len(msgs) == 0 {
		return
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
	b.Queue(putGroupAcksSQL, acks, now, texts, markups, chats, threads)
}

// putGroupAcksSQL writes acknowledgements' new texts ($1 the acknowledgements, $3 their
// texts, $4 markups, $5 chats, $6 topics) at $2. The outbox rows are found by their ids
// as an array, one probe of the primary key each. The conditions on an outbox row that
// no sender has taken say "(…) IS TRUE" around what the index of pending rows says, so
// that the planner cannot use that index: with the statistics of a just-emptied outbox
// it took the index for nearly empty and read every pending row for each update (as a
// join it scanned the whole outbox). The UPDATEs check that no sender has taken a row as
// they change it: one that a sender takes meanwhile is left alone (READ COMMITTED
// re-checks the condition on the row as the sender left it), and a new edit follows it.
// A post that Telegram refused, or that is gone from the outbox, is posted again. The
// rows are remembered as MessageGroupAck of their acknowledgement, which also tells the
// statement which acknowledgement a new row is for.
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
		AND (o.sent_at IS NULL AND o.failed_at IS NULL) IS TRUE AND (o.locked_until IS NULL OR o.locked_until < $2)
	RETURNING o.id AS outbox_id
), upd_edit AS (
	UPDATE outbox o SET text = (SELECT a.text FROM a WHERE a.edit_outbox_id = o.id),
		markup = (SELECT a.markup::jsonb FROM a WHERE a.edit_outbox_id = o.id)
	WHERE o.id = ANY ((SELECT array_agg(a.edit_outbox_id) FROM a
			WHERE a.posted AND a.outbox_id NOT IN (SELECT outbox_id FROM upd_send))::bigint[])
		AND (o.sent_at IS NULL AND o.failed_at IS NULL) IS TRUE AND (o.locked_until IS NULL OR o.locked_until < $2)
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
