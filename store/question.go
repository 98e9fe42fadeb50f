package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// Statuses of a question. A question is open until an expert claims it, claimed until that
// expert answers it, then answered.
const (
	StatusOpen     = "open"
	StatusClaimed  = "claimed"
	StatusAnswered = "answered"
	StatusClosed   = "closed"
)

// Question is a farmer's question as archived.
type Question struct {
	ID         int64
	CountyID   string
	Township   string
	ChatID     int64
	MessageID  int64
	FarmerID   int64
	FarmerName string
	CategoryID string
	Text       string
	Status     string
	ExpertID   int64
	AskedAt    time.Time
	ClaimedAt  time.Time // zero until claimed
	AnsweredAt time.Time // zero until answered
	// ThreadID is the forum topic the question was asked in (0: none).
	ThreadID     int64
	MediaGroupID string
	// OriginalText is the text first asked, when the farmer edited it since.
	OriginalText string
	EditedAt     time.Time
	Feedback     string // "", FeedbackSolved, FeedbackUnsolved, FeedbackArchive, FeedbackNone
	FeedbackAt   time.Time
	ClosedAt     time.Time
	// PriorityAt, when set, puts the question at the head of its queue.
	PriorityAt  time.Time
	EscalatedAt time.Time
	// Crop is the crop or animal the question names; Terms the pests, diseases and
	// symptoms (see consult.Terms).
	Crop  string
	Terms []string
	// SimilarIDs are the earlier answered questions found like it, once looked up (nil:
	// not looked up; empty: none found).
	SimilarIDs []int64
	// Search is the tsvector literal to store with a new question (CreateQuestion only).
	Search string
}

// nonNil keeps a NOT NULL array column from getting NULL.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Entry is the question's place in its queue.
func (q Question) Entry() Entry {
	return Entry{QuestionID: q.ID, Category: q.CategoryID, AskedAt: q.AskedAt, Priority: q.PriorityAt}
}

// Feedback a question can carry.
const (
	FeedbackSolved   = "solved"
	FeedbackUnsolved = "unsolved"
	FeedbackArchive  = "archive"
	FeedbackNone     = "none"
)

// Answer is an expert's answer to a question.
type Answer struct {
	ID             int64
	QuestionID     int64
	ExpertID       int64
	ExpertName     string
	Text           string
	GroupMessageID int64
	AnsweredAt     time.Time
	// Kind and FileID are the photo, voice or document the expert answered with ("": text).
	Kind   string
	FileID string
}

const questionColumns = `id, county_id, township, chat_id, message_id, farmer_id, farmer_name,
	category_id, text, status, coalesce(expert_id, 0), asked_at,
	coalesce(claimed_at, 'epoch'::timestamptz), coalesce(answered_at, 'epoch'::timestamptz),
	thread_id, coalesce(media_group_id, ''), coalesce(original_text, ''),
	coalesce(edited_at, 'epoch'::timestamptz), coalesce(feedback, ''), coalesce(feedback_at, 'epoch'::timestamptz),
	coalesce(closed_at, 'epoch'::timestamptz), coalesce(priority_at, 'epoch'::timestamptz),
	coalesce(escalated_at, 'epoch'::timestamptz), crop, terms, similar_ids`

func scanQuestion(row pgx.Row) (Question, error) { return scanQuestionWith(row) }

// scanQuestionWith scans the question columns and then extra columns of the same row.
func scanQuestionWith(row pgx.Row, extra ...any) (Question, error) {
	var q Question
	dest := []any{&q.ID, &q.CountyID, &q.Township, &q.ChatID, &q.MessageID, &q.FarmerID, &q.FarmerName,
		&q.CategoryID, &q.Text, &q.Status, &q.ExpertID, &q.AskedAt, &q.ClaimedAt, &q.AnsweredAt,
		&q.ThreadID, &q.MediaGroupID, &q.OriginalText, &q.EditedAt, &q.Feedback, &q.FeedbackAt,
		&q.ClosedAt, &q.PriorityAt, &q.EscalatedAt, &q.Crop, &q.Terms, &q.SimilarIDs}
	err := row.Scan(append(dest, extra...)...)
	for _, t := range []*time.Time{&q.ClaimedAt, &q.AnsweredAt, &q.EditedAt, &q.FeedbackAt, &q.ClosedAt, &q.PriorityAt, &q.EscalatedAt} {
		*t = zeroEpoch(*t)
	}
	return q, err
}

func collectQuestions(rows pgx.Rows) ([]Question, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Question, error) { return scanQuestion(r) })
}

// zeroEpoch turns the epoch that stands in for NULL back into the zero time.
func zeroEpoch(t time.Time) time.Time {
	if t.Unix() == 0 {
		return time.Time{}
	}
	return t
}

// CreateQuestion archives a new open question and gives it its number. updateID is the
// Telegram update that carried it: a redelivered update returns ErrDuplicate and stores
// nothing.
func (d *queries) CreateQuestion(ctx context.Context, q Question, updateID int64) (Question, error) {
	out, err := scanQuestion(d.dbtx.QueryRow(ctx, `
		WITH q AS (
			INSERT INTO questions (county_id, township, chat_id, message_id, farmer_id, farmer_name,
				category_id, text, status, update_id, asked_at, thread_id, media_group_id, crop, terms)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', $9, $10, $11, nullif($12, ''), $14, $15)
			ON CONFLICT DO NOTHING
			RETURNING `+questionColumns+`),
		s AS (
			INSERT INTO question_search (question_id, asked_at, township, category_id, crop, search)
			SELECT id, asked_at, township, category_id, crop, $13::tsvector FROM q)
		SELECT * FROM q`,
		q.CountyID, q.Township, q.ChatID, q.MessageID, q.FarmerID, q.FarmerName,
		q.CategoryID, q.Text, updateID, q.AskedAt, q.ThreadID, q.MediaGroupID, q.Search, q.Crop, nonNil(q.Terms)))
	if errors.Is(err, pgx.ErrNoRows) {
		return Question{}, ErrDuplicate
	}
	return out, wrap("create question", err)
}

// Question returns one question by its number.
func (d *queries) Question(ctx context.Context, id int64) (Question, error) {
	q, err := scanQuestion(d.dbtx.QueryRow(ctx, `SELECT `+questionColumns+` FROM questions WHERE id = $1`, id))
	return q, wrap("question", err)
}

// ExpertQuestion is a question and, when the person asking for it is an expert of its
// county, their registration.
type ExpertQuestion struct {
	Question Question
	Expert   Expert
	IsExpert bool
}

// QuestionsForExperts returns, for each pair of a question's number and a person, the
// question and the person's registration as its county's expert, in one round trip: a
// claim reads both before anything else, and claims pressed at once read together. A
// question that does not exist is missing from the map.
func (d *queries) QuestionsForExperts(ctx context.Context, ids, userIDs []int64) (map[[2]int64]ExpertQuestion, error) {
	rows, err := d.dbtx.Query(ctx, `SELECT `+questionColumns+`, p.uid,
			x.e_user IS NOT NULL, coalesce(x.e_county, ''), coalesce(x.e_user, 0), coalesce(x.e_name, ''),
			coalesce(x.e_username, ''), coalesce(x.e_language, ''), coalesce(x.e_categories, '{}'),
			coalesce(x.e_on_duty, false), coalesce(x.e_approved_by, 0), coalesce(x.e_approved_at, 'epoch'::timestamptz)
		FROM unnest($1::bigint[], $2::bigint[]) p (qid, uid)
		JOIN questions ON questions.id = p.qid
		LEFT JOIN LATERAL (
			SELECT county_id AS e_county, user_id AS e_user, name AS e_name, username AS e_username,
				language AS e_language, categories AS e_categories, on_duty AS e_on_duty,
				approved_by AS e_approved_by, approved_at AS e_approved_at
			FROM experts WHERE experts.county_id = questions.county_id AND experts.user_id = p.uid) x ON true`, ids, userIDs)
	if err != nil {
		return nil, wrap("questions for experts", err)
	}
	defer rows.Close()
	out := make(map[[2]int64]ExpertQuestion, len(ids))
	for rows.Next() {
		var r ExpertQuestion
		var user int64
		e := &r.Expert
		r.Question, err = scanQuestionWith(rows, &user, &r.IsExpert, &e.CountyID, &e.UserID, &e.Name, &e.Username,
			&e.Language, &e.Categories, &e.OnDuty, &e.ApprovedBy, &e.ApprovedAt)
		if err != nil {
			return nil, wrap("questions for experts", err)
		}
		out[[2]int64{r.Question.ID, user}] = r
	}
	return out, wrap("questions for experts", rows.Err())
}

// Questions returns the questions with these numbers, in the order given; missing numbers
// are left out.
func (d *queries) Questions(ctx context.Context, ids []int64) ([]Question, error) {
	rows, err := d.dbtx.Query(ctx, `SELECT `+questionColumns+` FROM questions
		WHERE id = ANY ($1) ORDER BY array_position($1, id)`, ids)
	if err != nil {
		return nil, wrap("questions", err)
	}
	out, err := collectQuestions(rows)
	return out, wrap("questions", err)
}

// OpenQuestions returns every open question, oldest first; the queues are rebuilt from it.
func (d *queries) OpenQuestions(ctx context.Context) ([]Question, error) {
	rows, err := d.dbtx.Query(ctx, `SELECT `+questionColumns+` FROM questions
		WHERE status = 'open' ORDER BY asked_at, id`)
	if err != nil {
		return nil, wrap("open questions", err)
	}
	out, err := collectQuestions(rows)
	return out, wrap("open questions", err)
}

// AnswerQuestion archives an answer from the expert who holds the claim and marks the
// question answered, in one transaction. Anyone else gets ErrConflict; a redelivered update
// gets ErrDuplicate.
func (d *queries) AnswerQuestion(ctx context.Context, a Answer, updateID int64) (Question, Answer, error) {
	var q Question
	err := pgx.BeginFunc(ctx, d.dbtx, func(tx pgx.Tx) error {
		var err error
		err = tx.QueryRow(ctx, `
			INSERT INTO answers (question_id, expert_id, expert_name, text, update_id, answered_at, kind, file_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (update_id) DO NOTHING
			RETURNING id`, a.QuestionID, a.ExpertID, a.ExpertName, a.Text, updateID, a.AnsweredAt, a.Kind, a.FileID).Scan(&a.ID)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrDuplicate
		}
		if err != nil {
			return err
		}
		q, err = scanQuestion(tx.QueryRow(ctx, `
			UPDATE questions SET status = 'answered', answered_at = $3
			WHERE id = $1 AND expert_id = $2 AND status = 'claimed'
			RETURNING `+questionColumns, a.QuestionID, a.ExpertID, a.AnsweredAt))
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrConflict
		}
		return err
	})
	if errors.Is(err, ErrDuplicate) || errors.Is(err, ErrConflict) {
		return Question{}, Answer{}, err
	}
	return q, a, wrap("answer question", err)
}

// SetAnswerMessage records where the answer landed in the group.
func (d *queries) SetAnswerMessage(ctx context.Context, answerID, messageID int64) error {
	_, err := d.dbtx.Exec(ctx, `UPDATE answers SET group_message_id = $2 WHERE id = $1`, answerID, messageID)
	return wrap("set answer message", err)
}

// Answers returns a question's answers, oldest first.
func (d *queries) Answers(ctx context.Context, questionID int64) ([]Answer, error) {
	rows, err := d.dbtx.Query(ctx, `SELECT id, question_id, expert_id, expert_name, text,
		coalesce(group_message_id, 0), answered_at, kind, file_id FROM answers WHERE question_id = $1 ORDER BY id`, questionID)
	if err != nil {
		return nil, wrap("answers", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Answer, error) {
		var a Answer
		err := r.Scan(&a.ID, &a.QuestionID, &a.ExpertID, &a.ExpertName, &a.Text, &a.GroupMessageID, &a.AnsweredAt, &a.Kind, &a.FileID)
		return a, err
	})
	return out, wrap("answers", err)
}

// StatusCount is how many questions of a county are in one status.
type StatusCount struct {
	CountyID string
	Status   string
	Count    int64
}

// QuestionCounts counts questions by county and status, for monitoring.
func (d *queries) QuestionCounts(ctx context.Context) ([]StatusCount, error) {
	rows, err := d.dbtx.Query(ctx, `SELECT county_id, status, count(*) FROM questions GROUP BY county_id, status ORDER BY 1, 2`)
	if err != nil {
		return nil, wrap("question counts", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[StatusCount])
	return out, wrap("question counts", err)
}

// AnswerFromUpdate reports whether an answer was already stored from this update.
func (d *queries) AnswerFromUpdate(ctx context.Context, updateID int64) (bool, error) {
	var exists bool
	err := d.dbtx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM answers WHERE update_id = $1)`, updateID).Scan(&exists)
	return exists, wrap("answer from update", err)
}

// HeldQuestions returns the questions an expert has claimed and not yet answered, oldest
// first.
func (d *queries) HeldQuestions(ctx context.Context, expertID int64) ([]Question, error) {
	rows, err := d.dbtx.Query(ctx, `SELECT `+questionColumns+` FROM questions
		WHERE expert_id = $1 AND status = 'claimed' ORDER BY asked_at, id`, expertID)
	if err != nil {
		return nil, wrap("held questions", err)
	}
	out, err := collectQuestions(rows)
	return out, wrap("held questions", err)
}

// ReleaseQuestion gives a claimed question back to the head of its queue. Only the holder may; anyone
// else, or a question no longer claimed, gets the question as it stands and ErrConflict.
func (d *queries) ReleaseQuestion(ctx context.Context, id, expertID int64, at time.Time) (Question, error) {
	q, err := scanQuestion(d.dbtx.QueryRow(ctx, `
		UPDATE questions SET status = 'open', expert_id = NULL, claimed_at = NULL, priority_at = $3
		WHERE id = $1 AND expert_id = $2 AND status = 'claimed'
		RETURNING `+questionColumns, id, expertID, at))
	if errors.Is(err, pgx.ErrNoRows) {
		current, err := d.Question(ctx, id)
		if err != nil {
			return Question{}, err
		}
		return current, ErrConflict
	}
	return q, wrap("release question", err)
}

// ClaimsOlderThan lists the claimed questions claimed before cutoff, oldest claim first.
func (d *queries) ClaimsOlderThan(ctx context.Context, cutoff time.Time) ([]Question, error) {
	rows, err := d.dbtx.Query(ctx, `SELECT `+questionColumns+` FROM questions
		WHERE status = 'claimed' AND claimed_at < $1`+notInReview+` ORDER BY claimed_at, id`, cutoff)
	if err != nil {
		return nil, wrap("claims older than", err)
	}
	out, err := collectQuestions(rows)
	return out, wrap("claims older than", err)
}

// notInReview keeps a claim whose answer is with the seniors (held_answers) from
// expiring: the expert has answered; the seniors' time is REVIEW_SLA's.
const notInReview = ` AND NOT EXISTS (SELECT 1 FROM held_answers h WHERE h.question_id = questions.id AND h.state = 'review')`

// ExpireClaim releases a claim that is still held by expertID and older than cutoff;
// otherwise (answered, released, claimed again since) it returns ErrConflict.
func (d *queries) ExpireClaim(ctx context.Context, id, expertID int64, cutoff, at time.Time) (Question, error) {
	q, err := scanQuestion(d.dbtx.QueryRow(ctx, `
		UPDATE questions SET status = 'open', expert_id = NULL, claimed_at = NULL, priority_at = $4
		WHERE id = $1 AND expert_id = $2 AND status = 'claimed' AND claimed_at < $3`+notInReview+`
		RETURNING `+questionColumns, id, expertID, cutoff, at))
	if errors.Is(err, pgx.ErrNoRows) {
		return Question{}, ErrConflict
	}
	return q, wrap("expire claim", err)
}

// UnclaimedSince lists open questions asked before cutoff that were not pushed again yet.
func (d *queries) UnclaimedSince(ctx context.Context, cutoff time.Time) ([]Question, error) {
	rows, err := d.dbtx.Query(ctx, `SELECT `+questionColumns+` FROM questions
		WHERE status = 'open' AND asked_at < $1 AND repushed_at IS NULL ORDER BY asked_at, id`, cutoff)
	if err != nil {
		return nil, wrap("unclaimed since", err)
	}
	out, err := collectQuestions(rows)
	return out, wrap("unclaimed since", err)
}

// MarkRepushed records the second push of a still open question; a question claimed or
// pushed again meanwhile gets ErrConflict.
func (d *queries) MarkRepushed(ctx context.Context, id int64, at time.Time) error {
	tag, err := d.dbtx.Exec(ctx, `UPDATE questions SET repushed_at = $2
		WHERE id = $1 AND status = 'open' AND repushed_at IS NULL`, id, at)
	if err != nil {
		return wrap("mark repushed", err)
	}
	if tag.RowsAffected() == 0 {
		return ErrConflict
	}
	return nil
}
