package store

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// MessageGroupAck marks an outbox row as a version of a group's shared acknowledgement
// (Remember.RefID: the group_acks row). Its text is empty until a sender takes it and
// puts the list together as it stands then (GroupAcksToSend). Sent, it is remembered as
// this kind, which no reply handler takes for a follow-up: a reply to a list of many
// questions is nobody's.
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

// AckJoin is a question just stored, with its place in the queue, for Bursts.Join.
type AckJoin struct {
	Question Question
	// Ahead is how many questions wait before it in its queue; OnDuty how many experts of
	// its category are on duty; NextOpen, when nobody is, when the next clinic session of
	// its category opens (zero: none planned).
	Ahead, OnDuty int
	NextOpen      time.Time
	// Language is the group's language, in which a new version of its list is written.
	Language string
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

// GroupAck is a group's shared acknowledgement of a burst and the questions it lists,
// oldest first.
type GroupAck struct {
	ID, ChatID, ThreadID int64
	Items                []GroupAckItem
}

// Bursts are the shared acknowledgements of a batch of questions' groups: what deciding
// which questions join one needs to know, read under a lock on each group in the round
// trip that creates the questions (CreateQuestionsInBursts); then the decisions (Join),
// written by RecordAsks.
type Bursts struct {
	rule BurstRule
	now  time.Time
	// recent are, by chat, the farmers who asked there lately; read only for the chats
	// where a question may open a shared acknowledgement (see queueBurstFacts).
	recent map[int64]map[int64]bool
	// latest are the topics' newest shared acknowledgements that questions may still join.
	latest map[ackTopic]latestAck

	// The decisions, for RecordAsks: the acknowledgements opened (in order; a question
	// joining the k-th has the placeholder id -k until its number is drawn), those
	// joined, and what each question that joined one is listed with.
	opened              []ackTopic
	openedLangs         []string
	joined              []int64
	joinedLangs         []string
	ackIDs, questionIDs []int64
	aheads, onDuty      []int32
	nextOpen            []*time.Time
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
// what Bursts.Join needs to decide which of the questions are part of a burst in their
// group (nil when rule makes no bursts). The groups are locked for the rest of the
// transaction, so that two instances asking in one group at once list each question
// once.
func (d *queries) CreateQuestionsInBursts(ctx context.Context, qs []NewQuestion, burst bool, rule BurstRule, now time.Time) (map[int64]Question, *Bursts, error) {
	b := &pgx.Batch{}
	var bursts *Bursts
	if rule.After > 0 && len(qs) > 0 {
		bursts = queueBurstFacts(b, qs, rule, now)
	}
	out := queueCreateQuestions(b, qs, burst)
	if err := d.send(ctx, "create questions", b); err != nil {
		return nil, nil, err
	}
	return out, bursts, nil
}

// queueBurstFacts queues the reads of Bursts for the groups of qs (questions about to
// be created: none of them is read back). The farmers who asked lately are read only for
// the groups where a question of qs may open a shared acknowledgement: where a topic of
// qs has none it can join, or one too full for all of qs's questions in it. In a burst
// that is one batch in thirty: a group's shared list takes its questions for a minute
// at a time, and the read was half of what deciding cost.
func queueBurstFacts(b *pgx.Batch, qs []NewQuestion, rule BurstRule, now time.Time) *Bursts {
	f := &Bursts{rule: rule, now: now, recent: map[int64]map[int64]bool{}, latest: map[ackTopic]latestAck{}}
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

// Join decides, for questions stored in this transaction (in the order they were
// numbered), which are part of a burst in their group: those join the group's shared
// acknowledgement (opening one when needed) instead of getting one of their own. It
// returns, for each question that joined, its acknowledgement (the ID is 0 for one this
// batch opens, until RecordAsks writes it; no items). It reads nothing: what it decided
// is written by RecordAsks, in the round trip that writes the rest of what the questions
// caused.
func (bs *Bursts) Join(joins []AckJoin) map[int64]*GroupAck {
	out := map[int64]*GroupAck{}
	if bs == nil {
		return out
	}
	rule, now := bs.rule, bs.now
	js := slices.Clone(joins)
	slices.SortFunc(js, func(a, b AckJoin) int { return cmp.Compare(a.Question.ID, b.Question.ID) })
	acks := map[int64]*GroupAck{} // by id, placeholders included
	for _, j := range js {
		q := j.Question
		farmers := bs.recent[q.ChatID]
		if farmers == nil {
			farmers = map[int64]bool{}
			bs.recent[q.ChatID] = farmers
		}
		others := len(farmers)
		if farmers[q.FarmerID] {
			others--
		}
		farmers[q.FarmerID] = true // the questions of this batch were asked now
		t := ackTopic{q.ChatID, q.ThreadID}
		l, open := bs.latest[t]
		joinable := open && now.Sub(l.lastAt) < rule.Window && (rule.Max <= 0 || l.items < rule.Max)
		if !joinable {
			if others < rule.After {
				continue
			}
			bs.opened, bs.openedLangs = append(bs.opened, t), append(bs.openedLangs, j.Language)
			l = latestAck{id: -int64(len(bs.opened))}
		}
		if l.id > 0 {
			// The latest joiner's language is the one a new version is written in.
			if k := slices.Index(bs.joined, l.id); k >= 0 {
				bs.joinedLangs[k] = j.Language
			} else {
				bs.joined, bs.joinedLangs = append(bs.joined, l.id), append(bs.joinedLangs, j.Language)
			}
		} else {
			bs.openedLangs[-l.id-1] = j.Language
		}
		l.lastAt, l.items = now, l.items+1
		bs.latest[t] = l
		bs.ackIDs, bs.questionIDs = append(bs.ackIDs, l.id), append(bs.questionIDs, q.ID)
		bs.aheads, bs.onDuty = append(bs.aheads, int32(j.Ahead)), append(bs.onDuty, int32(j.OnDuty))
		var next *time.Time
		if !j.NextOpen.IsZero() {
			t := j.NextOpen
			next = &t
		}
		bs.nextOpen = append(bs.nextOpen, next)
		a := acks[l.id]
		if a == nil {
			a = &GroupAck{ID: max(l.id, 0), ChatID: t.chat, ThreadID: t.thread}
			acks[l.id] = a
		}
		out[q.ID] = a
	}
	return out
}

// queueWrite queues the statement that writes what Join decided: the acknowledgements
// opened, with their posts; what the questions that joined are listed with; and for each
// acknowledgement joined, a version of it waiting in the outbox. Each has at most one:
// while no sender has taken the waiting one, it stays as it is (its text is put
// together when a sender takes it, GroupAcksToSend); otherwise a new edit follows it.
// So a burst of forty questions costs the group a message and a few edits, each
// carrying every question that arrived since the last one went, and a batch writes no
// list's text: rewriting every list a batch joined, whole, was most of what bursts cost
// the ingest (docs/benchmarks.md).
//
// The waiting row is locked (FOR UPDATE) until the transaction ends: a sender takes it
// only after it (ClaimDue skips locked rows), and then reads the list with what this
// transaction added. One that a sender took meanwhile is left alone (READ COMMITTED
// re-checks the condition on the row as the sender left it), and a new edit follows it.
// A post that Telegram refused, or that is gone from the outbox, is posted again. The
// conditions on an outbox row that no sender has taken say "(…) IS TRUE" around what the
// index of pending rows says, so that the planner cannot use that index: with the
// statistics of a just-emptied outbox it took the index for nearly empty and read every
// pending row for each acknowledgement (47 ms of a 72 ms statement, auto_explain).
func (bs *Bursts) queueWrite(b *pgx.Batch) {
	if bs == nil || len(bs.ackIDs) == 0 {
		return
	}
	var openChats, openThreads []int64
	for _, t := range bs.opened {
		openChats, openThreads = append(openChats, t.chat), append(openThreads, t.thread)
	}
	b.Queue(writeBurstsSQL, openChats, openThreads, bs.openedLangs, bs.now, bs.joined, bs.joinedLangs,
		bs.ackIDs, bs.questionIDs, bs.aheads, bs.onDuty, bs.nextOpen)
}

// writeBurstsSQL: $1–$3 the acknowledgements opened (chats, topics, languages) in order,
// $4 now, $5–$6 those joined (ids, languages), $7–$11 the questions that joined (their
// acknowledgement, -k for the k-th opened; question, ahead, on duty, next clinic). The
// new acknowledgements' numbers are drawn in the order they were opened (a topic's
// newest has the highest) and their posts' after the messages of the same batch queued
// before this statement (the replies of the burst's first questions go first).
const writeBurstsSQL = `
WITH n AS MATERIALIZED (
	SELECT nextval('group_acks_id_seq') AS id, nextval('outbox_id_seq') AS post, s.*
	FROM (SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[]) WITH ORDINALITY AS n(chat, thread, lang, k) ORDER BY k) s
), opened AS (
	INSERT INTO group_acks (id, chat_id, thread_id, outbox_id, opened_at, last_at)
	SELECT id, chat, thread, post, $4, $4 FROM n
), posts AS (
	INSERT INTO outbox (id, chat_id, method, text, thread_id, remember_kind, remember_ref, language)
	SELECT post, chat, 'send', '', thread, '` + MessageGroupAck + `', id, lang FROM n
), items AS (
	INSERT INTO group_ack_questions (ack_id, question_id, ahead, on_duty, next_open)
	SELECT coalesce(n.id, j.ack), j.question, j.ahead, j.on_duty, j.next_open
	FROM unnest($7::bigint[], $8::bigint[], $9::int[], $10::int[], $11::timestamptz[]) AS j(ack, question, ahead, on_duty, next_open)
		LEFT JOIN n ON n.k = -j.ack
), a AS (
	SELECT g.id, g.chat_id, g.thread_id, g.outbox_id, t.lang,
		coalesce((SELECT o.failed_at IS NULL FROM outbox o WHERE o.id = g.outbox_id), false) AS posted,
		ARRAY[g.outbox_id, g.edit_outbox_id] AS versions
	FROM unnest($5::bigint[], $6::text[]) AS t(id, lang), LATERAL (SELECT * FROM group_acks g WHERE g.id = t.id LIMIT 1) g
), waiting AS (
	SELECT o.remember_ref AS ack FROM outbox o
	WHERE o.id = ANY ((SELECT array_agg(v) FROM a, unnest(a.versions) AS v WHERE a.posted AND v IS NOT NULL)::bigint[])
		AND (o.sent_at IS NULL AND o.failed_at IS NULL) IS TRUE AND (o.locked_until IS NULL OR o.locked_until < $4)
	FOR UPDATE
), resend AS (
	INSERT INTO outbox (chat_id, method, text, thread_id, remember_kind, remember_ref, language)
	SELECT a.chat_id, 'send', '', a.thread_id, '` + MessageGroupAck + `', a.id, a.lang FROM a WHERE NOT a.posted
	RETURNING id, remember_ref AS ack
), edits AS (
	INSERT INTO outbox (chat_id, method, text, edit_outbox_id, after_id, remember_kind, remember_ref, language)
	SELECT a.chat_id, 'edit', '', a.outbox_id, a.outbox_id, '` + MessageGroupAck + `', a.id, a.lang FROM a
	WHERE a.posted AND a.id NOT IN (SELECT ack FROM waiting)
	RETURNING id, remember_ref AS ack
)
UPDATE group_acks g SET last_at = $4,
	outbox_id = coalesce(s.id, g.outbox_id),
	edit_outbox_id = CASE WHEN s.id IS NOT NULL THEN NULL ELSE coalesce(e.id, g.edit_outbox_id) END
FROM a LEFT JOIN resend s ON s.ack = a.id LEFT JOIN edits e ON e.ack = a.id
WHERE g.id = a.id`

// GroupAckToSend is a shared acknowledgement as a sender puts its text together: every
// question it lists now, and its county's time zone and the names of its questions'
// categories as the county file gave them.
type GroupAckToSend struct {
	GroupAck
	Timezone   string
	Categories []CategoryRecord
}

// GroupAcksToSend reads shared acknowledgements whole (ids: group_acks rows), for a
// sender that has just taken a version of each from the outbox: what they list is read
// after the taking, so it has everything the transactions that held the version back
// added (see Bursts.queueWrite). Each step is a lookup by key.
func (db *DB) GroupAcksToSend(ctx context.Context, ids []int64) (map[int64]*GroupAckToSend, error) {
	out := map[int64]*GroupAckToSend{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := db.pool.Query(ctx, `SELECT t.id, q.id, q.farmer_name, q.category_id, g.ahead, g.on_duty,
			coalesce(g.next_open, 'epoch'::timestamptz), c.timezone, k.id IS NOT NULL, coalesce(k.name, ''), coalesce(k.name_en, '')
		FROM (SELECT DISTINCT id FROM unnest($1::bigint[]) AS t(id)) t,
			LATERAL (SELECT * FROM group_ack_questions g WHERE g.ack_id = t.id) g,
			LATERAL (SELECT id, farmer_name, category_id, county_id FROM questions WHERE id = g.question_id LIMIT 1) q
			JOIN counties c ON c.id = q.county_id
			LEFT JOIN categories k ON k.county_id = q.county_id AND k.id = q.category_id
		ORDER BY t.id, q.id`, ids)
	if err != nil {
		return nil, wrap("group acks to send", err)
	}
	var id int64
	var it GroupAckItem
	var tz string
	var named bool
	var cat CategoryRecord
	_, err = pgx.ForEachRow(rows, []any{&id, &it.QuestionID, &it.FarmerName, &it.CategoryID, &it.Ahead, &it.OnDuty,
		&it.NextOpen, &tz, &named, &cat.Name, &cat.NameEn}, func() error {
		it.NextOpen = zeroEpoch(it.NextOpen)
		a := out[id]
		if a == nil {
			a = &GroupAckToSend{GroupAck: GroupAck{ID: id}, Timezone: tz}
			out[id] = a
		}
		a.Items = append(a.Items, it)
		if named && !slices.ContainsFunc(a.Categories, func(c CategoryRecord) bool { return c.ID == it.CategoryID }) {
			cat.ID = it.CategoryID
			a.Categories = append(a.Categories, cat)
		}
		return nil
	})
	return out, wrap("group acks to send", err)
}

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
