package store

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// Kinds of media a message can carry.
const (
	MediaPhoto     = "photo"
	MediaVoice     = "voice"
	MediaVideo     = "video"
	MediaVideoNote = "video_note"
	MediaAudio     = "audio"
	MediaDocument  = "document"
	MediaAnimation = "animation"
	MediaLocation  = "location"
)

// Media is one photo, voice message, video, document or location sent with a question:
// Telegram keeps the file, the archive keeps its id.
type Media struct {
	ChatID       int64
	MessageID    int64
	Kind         string
	FileID       string
	FileUniqueID string
	Latitude     float64
	Longitude    float64
}

// AddMedia attaches media to a question; an item stored before (a redelivered update) is
// left as it is.
func (d *queries) AddMedia(ctx context.Context, questionID int64, items ...Media) error {
	return d.AddMediaOf(ctx, map[int64][]Media{questionID: items})
}

// AddMediaOf does AddMedia for many questions in one statement.
func (d *queries) AddMediaOf(ctx context.Context, media map[int64][]Media) error {
	b := &pgx.Batch{}
	queueMedia(b, media)
	if b.Len() == 0 {
		return nil
	}
	return d.send(ctx, "add media", b)
}

// queueMedia queues AddMediaOf's statement, if there is any media.
func queueMedia(b *pgx.Batch, media map[int64][]Media) {
	var (
		qids, chats, msgs     []int64
		kinds, files, uniques []string
		lats, longs           []float64
	)
	for qid, items := range media {
		for _, m := range items {
			qids, chats, msgs = append(qids, qid), append(chats, m.ChatID), append(msgs, m.MessageID)
			kinds, files, uniques = append(kinds, m.Kind), append(files, m.FileID), append(uniques, m.FileUniqueID)
			lats, longs = append(lats, m.Latitude), append(longs, m.Longitude)
		}
	}
	if len(qids) == 0 {
		return
	}
	b.Queue(`INSERT INTO question_media (question_id, chat_id, message_id, kind,
			file_id, file_unique_id, latitude, longitude)
		SELECT q, c, m, k, f, u, nullif(la, 0::float8), nullif(lo, 0::float8)
		FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::float8[], $8::float8[])
			AS n(q, c, m, k, f, u, la, lo)
		ON CONFLICT (chat_id, message_id) DO NOTHING`, qids, chats, msgs, kinds, files, uniques, lats, longs)
}

// QuestionMedia returns a question's media in the order the farmer sent them.
func (d *queries) QuestionMedia(ctx context.Context, questionID int64) ([]Media, error) {
	all, err := d.MediaOf(ctx, []int64{questionID})
	return all[questionID], err
}

// AlbumItem is one update of an album, waiting for the rest of it.
type AlbumItem struct {
	Media
	MediaGroupID string
	UpdateID     int64
	FromID       int64
	FromName     string
	FromUsername string
	FromLanguage string
	ThreadID     int64
	Caption      string
	Addressed    bool
	ReceivedAt   time.Time
}

// StageAlbumItem keeps an album item until its album is complete. A redelivered update
// changes nothing.
func (d *queries) StageAlbumItem(ctx context.Context, it AlbumItem) error {
	_, err := d.dbtx.Exec(ctx, `INSERT INTO album_items (chat_id, message_id, media_group_id, update_id,
		from_id, from_name, from_username, from_language, thread_id, kind, file_id, file_unique_id,
		caption, addressed, received_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
		ON CONFLICT DO NOTHING`,
		it.ChatID, it.MessageID, it.MediaGroupID, it.UpdateID, it.FromID, it.FromName, it.FromUsername,
		it.FromLanguage, it.ThreadID, it.Kind, it.FileID, it.FileUniqueID, it.Caption, it.Addressed, it.ReceivedAt)
	return wrap("stage album item", err)
}

// AlbumKey names one album.
type AlbumKey struct {
	ChatID       int64
	MediaGroupID string
}

// QuietAlbums lists the albums whose last item arrived before cutoff: complete, since
// Telegram sends an album's items together.
func (d *queries) QuietAlbums(ctx context.Context, cutoff time.Time) ([]AlbumKey, error) {
	rows, err := d.dbtx.Query(ctx, `SELECT chat_id, media_group_id FROM album_items
		GROUP BY chat_id, media_group_id HAVING max(received_at) < $1 ORDER BY min(received_at)`, cutoff)
	if err != nil {
		return nil, wrap("quiet albums", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[AlbumKey])
	return out, wrap("quiet albums", err)
}

// TakeAlbum removes an album's items and returns them in message order; another instance
// taking the same album at once gets none.
func (d *queries) TakeAlbum(ctx context.Context, k AlbumKey) ([]AlbumItem, error) {
	rows, err := d.dbtx.Query(ctx, `DELETE FROM album_items WHERE chat_id = $1 AND media_group_id = $2
		RETURNING chat_id, message_id, kind, file_id, file_unique_id, media_group_id, update_id, from_id,
			from_name, from_username, from_language, thread_id, caption, addressed, received_at`, k.ChatID, k.MediaGroupID)
	if err != nil {
		return nil, wrap("take album", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (AlbumItem, error) {
		var it AlbumItem
		err := r.Scan(&it.ChatID, &it.MessageID, &it.Kind, &it.FileID, &it.FileUniqueID, &it.MediaGroupID,
			&it.UpdateID, &it.FromID, &it.FromName, &it.FromUsername, &it.FromLanguage, &it.ThreadID,
			&it.Caption, &it.Addressed, &it.ReceivedAt)
		return it, err
	})
	if err != nil {
		return nil, wrap("take album", err)
	}
	slices.SortFunc(out, func(a, b AlbumItem) int { return cmp.Compare(a.MessageID, b.MessageID) })
	return out, nil
}

// AlbumQuestion returns the question an album became, or ErrNotFound.
func (d *queries) AlbumQuestion(ctx context.Context, k AlbumKey) (Question, error) {
	q, err := scanQuestion(d.dbtx.QueryRow(ctx, `SELECT `+questionColumns+` FROM questions
		WHERE chat_id = $1 AND media_group_id = $2`, k.ChatID, k.MediaGroupID))
	return q, wrap("album question", err)
}

// QuestionAt returns the question asked by this message, or ErrNotFound.
func (d *queries) QuestionAt(ctx context.Context, chatID, messageID int64) (Question, error) {
	q, err := scanQuestion(d.dbtx.QueryRow(ctx, `SELECT `+questionColumns+` FROM questions
		WHERE chat_id = $1 AND message_id = $2 ORDER BY id LIMIT 1`, chatID, messageID))
	return q, wrap("question at", err)
}

// Event is one step in a question's timeline.
type Event struct {
	ID         int64
	QuestionID int64
	Kind       string
	ActorID    int64
	Detail     map[string]any
	At         time.Time
}

// AddEvent records a step of a question's timeline.
func (d *queries) AddEvent(ctx context.Context, e Event) error {
	return d.AddEvents(ctx, e)
}

// Events returns a question's timeline, oldest first.
func (d *queries) Events(ctx context.Context, questionID int64) ([]Event, error) {
	rows, err := d.dbtx.Query(ctx, `SELECT id, question_id, kind, actor_id, detail, at
		FROM question_events WHERE question_id = $1 ORDER BY id`, questionID)
	if err != nil {
		return nil, wrap("events", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Event])
	return out, wrap("events", err)
}

// Followup is something added to a question's conversation after it was asked.
type Followup struct {
	ID         int64
	QuestionID int64
	AuthorID   int64
	AuthorName string
	Text       string
	Kind       string // media kind, "" for text
	FileID     string
	ChatID     int64
	MessageID  int64
	CreatedAt  time.Time
}

// AddFollowup archives a follow-up; a redelivered update gets ErrDuplicate.
func (d *queries) AddFollowup(ctx context.Context, f Followup, updateID int64) (Followup, error) {
	err := d.dbtx.QueryRow(ctx, `INSERT INTO followups (question_id, author_id, author_name, text, kind,
		file_id, chat_id, message_id, update_id, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (update_id) DO NOTHING RETURNING id`,
		f.QuestionID, f.AuthorID, f.AuthorName, f.Text, f.Kind, f.FileID, f.ChatID, f.MessageID, updateID, f.CreatedAt).Scan(&f.ID)
	if errors.Is(err, pgx.ErrNoRows) {
		return f, ErrDuplicate
	}
	return f, wrap("add followup", err)
}

// Followups returns a question's follow-ups, oldest first.
func (d *queries) Followups(ctx context.Context, questionID int64) ([]Followup, error) {
	all, err := d.FollowupsOf(ctx, []int64{questionID})
	return all[questionID], err
}

// Bundle is the questions an expert was not pushed one by one.
type Bundle struct {
	UserID    int64
	Language  string
	Questions int
	FirstAt   time.Time
}

// AddToBundles counts one question in each expert's pending bundle (an expert named
// twice counts two). It appends a row per expert: a burst of questions to the same
// experts does not queue up behind one counter row per expert.
func (d *queries) AddToBundles(ctx context.Context, experts []Expert, at time.Time) error {
	b := &pgx.Batch{}
	queueBundles(b, [][]Expert{experts}, at)
	if b.Len() == 0 {
		return nil
	}
	return d.send(ctx, "add to bundles", b)
}

// queueBundles queues AddToBundles' statement for the experts of several questions (an
// expert named in n of them counts n), if there is anyone to count.
func queueBundles(b *pgx.Batch, experts [][]Expert, at time.Time) {
	var (
		ids    []int64
		langs  []string
		counts []int32
		row    = map[int64]int{}
	)
	for _, es := range experts {
		for _, e := range es {
			if i, ok := row[e.UserID]; ok {
				counts[i]++
				continue
			}
			row[e.UserID] = len(ids)
			ids, langs, counts = append(ids, e.UserID), append(langs, e.Language), append(counts, 1)
		}
	}
	if len(ids) == 0 {
		return
	}
	b.Queue(`INSERT INTO expert_bundle_items (user_id, language, at, questions)
		SELECT user_id, language, $3, questions FROM unnest($1::bigint[], $2::text[], $4::int[]) AS e(user_id, language, questions)`,
		ids, langs, at, counts)
}

// TakeBundles removes and returns the bundles started before cutoff, each with how many
// questions it counts.
func (d *queries) TakeBundles(ctx context.Context, cutoff time.Time) ([]Bundle, error) {
	rows, err := d.dbtx.Query(ctx, `
		WITH due AS (SELECT user_id FROM expert_bundle_items GROUP BY user_id HAVING min(at) < $1),
		taken AS (DELETE FROM expert_bundle_items i USING due WHERE i.user_id = due.user_id
			RETURNING i.user_id, i.language, i.at, i.questions)
		SELECT user_id, (array_agg(language ORDER BY at DESC))[1], sum(questions)::int, min(at)
		FROM taken GROUP BY user_id ORDER BY user_id`, cutoff)
	if err != nil {
		return nil, wrap("take bundles", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Bundle])
	return out, wrap("take bundles", err)
}
