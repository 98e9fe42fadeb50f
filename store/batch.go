package store

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// The queries here do for many questions at once what their namesakes do for one, so that
// work arriving together (a burst of claims) costs a few round trips, not a few per item.

// Claim is one expert's claim of one question, for ClaimQuestions.
type Claim struct {
	QuestionID int64
	ExpertID   int64
}

// ClaimQuestions gives each open question to its claimant and returns the questions
// claimed, by number. A question no longer open, or claimed twice in the same call, is
// left out for all but one claimant; the caller reads how it stands.
//
// The questions are found by number alone: "(status = 'open') IS TRUE" says what
// "status = 'open'" says of a column that is never NULL, but the planner cannot answer it
// from the index of open questions. With statistics from before a burst of questions it
// took that index for nearly empty and read every open question, thousands, for each
// batch of claims; autovacuum analyses the archive only after a tenth of it has changed.
func (d *queries) ClaimQuestions(ctx context.Context, claims []Claim, at time.Time) (map[int64]Question, error) {
	ids := make([]int64, len(claims))
	experts := make([]int64, len(claims))
	for i, c := range claims {
		ids[i], experts[i] = c.QuestionID, c.ExpertID
	}
	rows, err := d.dbtx.Query(ctx, `
		UPDATE questions SET status = 'claimed', expert_id = c.expert, claimed_at = $3
		FROM (SELECT DISTINCT ON (qid) qid, expert FROM unnest($1::bigint[], $2::bigint[]) AS u(qid, expert) ORDER BY qid) c
		WHERE questions.id = c.qid AND (questions.status = 'open') IS TRUE
		RETURNING `+questionColumns, ids, experts, at)
	if err != nil {
		return nil, wrap("claim questions", err)
	}
	qs, err := collectQuestions(rows)
	if err != nil {
		return nil, wrap("claim questions", err)
	}
	out := make(map[int64]Question, len(qs))
	for _, q := range qs {
		out[q.ID] = q
	}
	return out, nil
}

// AddEvents records steps of questions' timelines.
func (d *queries) AddEvents(ctx context.Context, events ...Event) error {
	if len(events) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	queueEvents(b, events)
	return d.send(ctx, "add events", b)
}

func queueEvents(b *pgx.Batch, events []Event) {
	var (
		ids, actors []int64
		kinds       []string
		details     []map[string]any
		ats         []time.Time
	)
	for _, e := range events {
		detail := e.Detail
		if detail == nil {
			detail = map[string]any{}
		}
		ids, kinds, actors = append(ids, e.QuestionID), append(kinds, e.Kind), append(actors, e.ActorID)
		details, ats = append(details, detail), append(ats, e.At)
	}
	b.Queue(`INSERT INTO question_events (question_id, kind, actor_id, detail, at)
		SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::jsonb[], $5::timestamptz[])`,
		ids, kinds, actors, details, ats)
}

// send runs a batch of statements in one round trip.
func (d *queries) send(ctx context.Context, what string, b *pgx.Batch) error {
	return wrap(what, d.dbtx.SendBatch(ctx, b).Close())
}

// MediaOf returns the media of each question, in the order the farmer sent them.
func (d *queries) MediaOf(ctx context.Context, questionIDs []int64) (map[int64][]Media, error) {
	out := map[int64][]Media{}
	b := &pgx.Batch{}
	queueMediaOf(b, questionIDs, out)
	return out, d.send(ctx, "media of", b)
}

func queueMediaOf(b *pgx.Batch, questionIDs []int64, out map[int64][]Media) {
	b.Queue(`SELECT question_id, chat_id, message_id, kind, file_id, file_unique_id,
		coalesce(latitude, 0), coalesce(longitude, 0)
		FROM question_media WHERE question_id = ANY ($1) ORDER BY question_id, message_id`, questionIDs).Query(func(rows pgx.Rows) error {
		var m Media
		var id int64
		_, err := pgx.ForEachRow(rows, []any{&id, &m.ChatID, &m.MessageID, &m.Kind, &m.FileID, &m.FileUniqueID, &m.Latitude, &m.Longitude}, func() error {
			out[id] = append(out[id], m)
			return nil
		})
		return err
	})
}

// FollowupsOf returns what was added to each question's conversation, oldest first.
func (d *queries) FollowupsOf(ctx context.Context, questionIDs []int64) (map[int64][]Followup, error) {
	out := map[int64][]Followup{}
	b := &pgx.Batch{}
	queueFollowupsOf(b, questionIDs, out)
	return out, d.send(ctx, "followups of", b)
}

func queueFollowupsOf(b *pgx.Batch, questionIDs []int64, out map[int64][]Followup) {
	b.Queue(`SELECT id, question_id, author_id, author_name, text, kind, file_id,
		chat_id, message_id, created_at FROM followups WHERE question_id = ANY ($1) ORDER BY id`, questionIDs).Query(func(rows pgx.Rows) error {
		all, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Followup])
		for _, f := range all {
			out[f.QuestionID] = append(out[f.QuestionID], f)
		}
		return err
	})
}

// Notices are what SettleNotices returns for one question.
type Notices struct {
	Sent     []BotMessage
	InFlight []PendingMessage
}

// SettleNoticesOf does SettleNotices for many questions: the unsent notices no sender has
// taken are dropped, those in flight are locked and returned, with the delivered ones.
func (d *queries) SettleNoticesOf(ctx context.Context, questionIDs []int64, now time.Time) (map[int64]Notices, error) {
	b := &pgx.Batch{}
	notices := queueSettleNotices(b, questionIDs, now)
	if err := d.send(ctx, "settle notices", b); err != nil {
		return nil, err
	}
	return notices(), nil
}

// queueSettleNotices queues SettleNoticesOf's statements; the func returned gives their
// result once the batch has run.
func queueSettleNotices(b *pgx.Batch, questionIDs []int64, now time.Time) func() map[int64]Notices {
	inFlight, sent := map[int64][]PendingMessage{}, map[int64][]BotMessage{}
	queueSupersedePending(b, MessageQuestionNotice, questionIDs, now, inFlight)
	queueBotMessagesOf(b, MessageQuestionNotice, questionIDs, sent)
	return func() map[int64]Notices {
		out := make(map[int64]Notices, len(questionIDs))
		for _, id := range questionIDs {
			out[id] = Notices{Sent: sent[id], InFlight: inFlight[id]}
		}
		return out
	}
}

// Won is what the winners of a batch of claims are shown.
type Won struct {
	Media     map[int64][]Media
	Followups map[int64][]Followup
	Notices   map[int64]Notices
}

// RecordWins records the events of questions just claimed, settles their notices
// (SettleNoticesOf) and reads their media and follow-ups, in one round trip: under a claim
// race every claimer waits on the transaction that stores the winners' claims, and that
// transaction waited on each of these in turn.
func (d *queries) RecordWins(ctx context.Context, events []Event, questionIDs []int64, now time.Time) (Won, error) {
	w := Won{Media: map[int64][]Media{}, Followups: map[int64][]Followup{}}
	b := &pgx.Batch{}
	if len(events) > 0 {
		queueEvents(b, events)
	}
	queueMediaOf(b, questionIDs, w.Media)
	queueFollowupsOf(b, questionIDs, w.Followups)
	notices := queueSettleNotices(b, questionIDs, now)
	if err := d.send(ctx, "record wins", b); err != nil {
		return Won{}, err
	}
	w.Notices = notices()
	return w, nil
}

// RecordAsks writes what a batch of questions just created caused besides themselves:
// their media, a count in the bundles of the experts not pushed to, the messages to
// send, and the shared acknowledgements they joined (bursts, after Bursts.Join; nil
// for none), in one round trip. Under a burst each getUpdates batch waits on the one
// before, so its transaction is kept to three round trips.
func (d *queries) RecordAsks(ctx context.Context, media map[int64][]Media, bundled [][]Expert, at time.Time, msgs []Message, bursts *Bursts) error {
	b := &pgx.Batch{}
	queueMedia(b, media)
	queueBundles(b, bundled, at)
	if len(msgs) > 0 {
		if err := queueEnqueue(b, msgs); err != nil {
			return err
		}
	}
	// Last, so that a new list's post comes after the replies of the same batch.
	bursts.queueWrite(b)
	if b.Len() == 0 {
		return nil
	}
	return d.send(ctx, "record asks", b)
}

// NewQuestion is a question to archive with CreateQuestions, and the update it came in.
type NewQuestion struct {
	Question
	UpdateID int64
}

// CreateQuestions archives new open questions in one statement, with each one's search
// row and "asked" event, and returns them numbered, by update id. A question whose update
// was stored before (a redelivery) is left out. burst says the questions are a batch of a
// burst: their search entries then wait in the index's pending list until it holds a
// megabyte and are merged into the index together (see
// migrations/0019_pending_list_per_session.sql), and the caller merges what is left once
// the burst is over (MergeSearchIndex).
func (d *queries) CreateQuestions(ctx context.Context, qs []NewQuestion, burst bool) (map[int64]Question, error) {
	b := &pgx.Batch{}
	out := queueCreateQuestions(b, qs, burst)
	if err := d.send(ctx, "create questions", b); err != nil {
		return nil, err
	}
	return out, nil
}

// queueCreateQuestions queues CreateQuestions' statements; the map it returns holds the
// questions once the batch is sent.
func queueCreateQuestions(b *pgx.Batch, qs []NewQuestion, burst bool) map[int64]Question {
	var (
		counties, townships, farmerNames, cats, texts, groups, searches, crops, terms []string
		chats, messages, farmers, updates, threads                                    []int64
		asked                                                                         []time.Time
		similar                                                                       []*string
	)
	for _, q := range qs {
		counties, townships, chats = append(counties, q.CountyID), append(townships, q.Township), append(chats, q.ChatID)
		messages, farmers, farmerNames = append(messages, q.MessageID), append(farmers, q.FarmerID), append(farmerNames, q.FarmerName)
		cats, texts, updates = append(cats, q.CategoryID), append(texts, q.Text), append(updates, q.UpdateID)
		asked, threads, groups = append(asked, q.AskedAt), append(threads, q.ThreadID), append(groups, q.MediaGroupID)
		searches, crops = append(searches, q.Search), append(crops, q.Crop)
		// A question's terms travel as one string: arrays of arrays must be rectangular.
		terms = append(terms, strings.Join(q.Terms, "\x1f"))
		similar = append(similar, idList(q.SimilarIDs))
	}
	// Numbers are drawn first so that each question's search row, written by the same
	// statement, can name it (a redelivered update's number goes unused).
	const create = `
		WITH n AS MATERIALIZED (
			SELECT nextval('questions_id_seq') AS id, *
			FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[], $7::text[],
				$8::text[], $9::bigint[], $10::timestamptz[], $11::bigint[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[])
				AS n(county_id, township, chat_id, message_id, farmer_id, farmer_name, category_id, text,
				update_id, asked_at, thread_id, media_group_id, search, crop, terms, found)),
		q AS (
			INSERT INTO questions (id, county_id, township, chat_id, message_id, farmer_id, farmer_name,
				category_id, text, status, update_id, asked_at, thread_id, media_group_id, crop, terms, similar_ids)
			SELECT id, county_id, township, chat_id, message_id, farmer_id, farmer_name, category_id, text, 'open',
				update_id, asked_at, thread_id, nullif(media_group_id, ''), crop,
				CASE WHEN terms = '' THEN '{}'::text[] ELSE string_to_array(terms, E'\x1f') END,
				CASE WHEN found = '' THEN '{}'::bigint[] ELSE string_to_array(found, ',')::bigint[] END
			FROM n
			ON CONFLICT DO NOTHING
			RETURNING ` + questionColumns + `, update_id),
		s AS (
			INSERT INTO question_search (question_id, asked_at, township, category_id, crop, search)
			SELECT id, asked_at, township, category_id, crop, search::tsvector FROM n WHERE id IN (SELECT id FROM q)),
		e AS (
			INSERT INTO question_events (question_id, kind, actor_id, detail, at)
			SELECT id, 'asked', farmer_id, '{}', asked_at FROM q)
		SELECT * FROM q`
	out := make(map[int64]Question, len(qs))
	if burst {
		b.Queue(`SET LOCAL gin_pending_list_limit = '` + pendingListBurst + `'`)
	}
	b.Queue(create, counties, townships, chats, messages, farmers, farmerNames, cats, texts, updates, asked, threads, groups,
		searches, crops, terms, similar).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var update int64
			q, err := scanQuestionWith(rows, &update)
			if err != nil {
				return err
			}
			out[update] = q
		}
		return rows.Err()
	})
	return out
}

// AskKey is one question of a batch, for AskFacts.
type AskKey struct {
	ChatID   int64
	FarmerID int64
	UpdateID int64
	// Text is compared with the farmer's recent questions in the chat; "" skips that.
	Text string
}

// AskFacts is what a batch of questions needs to know before it is stored.
type AskFacts struct {
	// Groups are the bound chats among the keys', by chat id.
	Groups map[int64]Group
	// Languages are the languages the chats chose, by chat id.
	Languages map[int64]string
	// Seen are the update ids a question was already stored from.
	Seen map[int64]bool
	// Repeats are, by the key's index, the farmer's latest question in the chat with the
	// same words asked since the cutoff.
	Repeats map[int]Question
	// OnDuty are the on-duty experts of the bound chats' counties, by county id, oldest
	// approval first.
	OnDuty map[string][]Expert
}

// AskFacts reads, in one round trip, everything Ask checks before storing a batch of
// questions: the chats' bindings and languages, which updates were stored before, which
// questions repeat one asked since since, and who is on duty.
func (d *queries) AskFacts(ctx context.Context, keys []AskKey, since time.Time) (AskFacts, error) {
	f := AskFacts{Groups: map[int64]Group{}, Languages: map[int64]string{}, Seen: map[int64]bool{},
		Repeats: map[int]Question{}, OnDuty: map[string][]Expert{}}
	if len(keys) == 0 {
		return f, nil
	}
	var (
		chats, farmers, updates []int64
		texts                   []string
		idx                     []int32
	)
	for i, k := range keys {
		chats, updates = append(chats, k.ChatID), append(updates, k.UpdateID)
		if k.Text != "" {
			farmers, texts, idx = append(farmers, k.FarmerID), append(texts, k.Text), append(idx, int32(i))
		}
	}
	repeatChats := make([]int64, len(idx))
	for j, i := range idx {
		repeatChats[j] = keys[i].ChatID
	}
	b := &pgx.Batch{}
	b.Queue(`SELECT chat_id, county_id, township, title, bound_by, bound_at, mode
		FROM groups WHERE chat_id = ANY ($1)`, chats).Query(func(rows pgx.Rows) error {
		var g Group
		_, err := pgx.ForEachRow(rows, []any{&g.ChatID, &g.CountyID, &g.Township, &g.Title, &g.BoundBy, &g.BoundAt, &g.Mode},
			func() error { f.Groups[g.ChatID] = g; return nil })
		return err
	})
	b.Queue(`SELECT chat_id, lang FROM language_prefs WHERE chat_id = ANY ($1)`, chats).Query(func(rows pgx.Rows) error {
		var chat int64
		var lang string
		_, err := pgx.ForEachRow(rows, []any{&chat, &lang}, func() error { f.Languages[chat] = lang; return nil })
		return err
	})
	b.Queue(`SELECT update_id FROM questions WHERE update_id = ANY ($1)`, updates).Query(func(rows pgx.Rows) error {
		var id int64
		_, err := pgx.ForEachRow(rows, []any{&id}, func() error { f.Seen[id] = true; return nil })
		return err
	})
	if len(idx) > 0 {
		b.Queue(`SELECT q.*, k.i FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::int[]) AS k(chat, farmer, text, i)
			CROSS JOIN LATERAL (SELECT `+questionColumns+` FROM questions
				WHERE chat_id = k.chat AND farmer_id = k.farmer AND asked_at >= $5
					AND regexp_replace(text, '\s+', ' ', 'g') = regexp_replace(k.text, '\s+', ' ', 'g')
				ORDER BY asked_at DESC LIMIT 1) q`, repeatChats, farmers, texts, idx, since).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var i int32
				q, err := scanQuestionWith(rows, &i)
				if err != nil {
					return err
				}
				f.Repeats[int(i)] = q
			}
			return rows.Err()
		})
	}
	b.Queue(`SELECT `+expertColumns+` FROM experts
		WHERE on_duty AND county_id IN (SELECT county_id FROM groups WHERE chat_id = ANY ($1))
			AND `+reachable+`
		ORDER BY approved_at, user_id`, chats).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			e, err := scanExpert(rows)
			if err != nil {
				return err
			}
			f.OnDuty[e.CountyID] = append(f.OnDuty[e.CountyID], e)
		}
		return rows.Err()
	})
	if err := d.dbtx.SendBatch(ctx, b).Close(); err != nil {
		return AskFacts{}, wrap("ask facts", err)
	}
	return f, nil
}

// idList writes ids as one comma-separated string, nil for no list at all: arrays of
// arrays must be rectangular, so each question's list travels as one string.
func idList(ids []int64) *string {
	if ids == nil {
		return nil
	}
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	s := strings.Join(parts, ",")
	return &s
}

// SetSimilar records the earlier answered questions found like a question.
func (d *queries) SetSimilar(ctx context.Context, id int64, similar []int64) error {
	if similar == nil {
		similar = []int64{}
	}
	_, err := d.dbtx.Exec(ctx, `UPDATE questions SET similar_ids = $2 WHERE id = $1`, id, similar)
	return wrap("set similar", err)
}

// SimilarByIDs returns the answered or closed questions among ids, with their latest
// answer: the candidates a question's earlier lookup found, read again.
func (d *queries) SimilarByIDs(ctx context.Context, ids []int64) ([]SimilarCandidate, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := d.dbtx.Query(ctx, `SELECT h.*, a_id, a_expert, a_name, a_text, a_msg, a_at, a_kind, a_file
		FROM (SELECT `+questionColumns+` FROM questions WHERE id = ANY ($1) AND status IN ('answered', 'closed')) h
		JOIN LATERAL (SELECT id AS a_id, expert_id AS a_expert, expert_name AS a_name, text AS a_text,
			coalesce(group_message_id, 0) AS a_msg, answered_at AS a_at, kind AS a_kind, file_id AS a_file
			FROM answers WHERE question_id = h.id ORDER BY id DESC LIMIT 1) a ON true`, ids)
	if err != nil {
		return nil, wrap("similar by ids", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (SimilarCandidate, error) {
		var c SimilarCandidate
		a := &c.Answer
		q, err := scanQuestionWith(r, &a.ID, &a.ExpertID, &a.ExpertName, &a.Text, &a.GroupMessageID, &a.AnsweredAt, &a.Kind, &a.FileID)
		c.Question, a.QuestionID = q, q.ID
		return c, err
	})
	return out, wrap("similar by ids", err)
}
