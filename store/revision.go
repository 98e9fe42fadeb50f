package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// Where a revision of an answer comes from.
const (
	RevisionAnswer  = "answer"  // the answer as first sent
	RevisionCommand = "command" // /correct
	RevisionEdit    = "edit"    // the expert edited their answer message in Telegram
)

// AnswerRevision is one text of an answer: the first as sent, then each correction, numbered
// from 1 in the order made.
type AnswerRevision struct {
	ID         int64
	AnswerID   int64
	QuestionID int64
	Revision   int
	Text       string
	ByID       int64
	ByName     string
	Why        string
	Source     string
	At         time.Time
}

// LatestAnswer is the question's newest answer: the one a correction changes.
func (d *queries) LatestAnswer(ctx context.Context, questionID int64) (Answer, error) {
	var a Answer
	err := d.dbtx.QueryRow(ctx, `SELECT id, question_id, expert_id, expert_name, text,
		coalesce(group_message_id, 0), answered_at, kind, file_id FROM answers WHERE question_id = $1
		ORDER BY id DESC LIMIT 1`, questionID).
		Scan(&a.ID, &a.QuestionID, &a.ExpertID, &a.ExpertName, &a.Text, &a.GroupMessageID, &a.AnsweredAt, &a.Kind, &a.FileID)
	return a, wrap("latest answer", err)
}

// RevisionFromUpdate reports whether a revision was already stored from this update.
func (d *queries) RevisionFromUpdate(ctx context.Context, updateID int64) (bool, error) {
	var exists bool
	err := d.dbtx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM answer_revisions WHERE update_id = $1)`, updateID).Scan(&exists)
	return exists, wrap("revision from update", err)
}

// ReviseAnswer stores a correction of an answer whose text is still was (read before the
// check the correction passed): the answer as first sent becomes revision 1 if no
// correction came before, the correction the next revision, and the answer's text the
// correction's. An answer changed meanwhile gives ErrConflict; a redelivered update
// (updateID stored already) ErrDuplicate.
func (d *queries) ReviseAnswer(ctx context.Context, answerID int64, was string, r AnswerRevision, updateID int64) (AnswerRevision, error) {
	var first AnswerRevision
	err := d.dbtx.QueryRow(ctx, `SELECT id, question_id, text, expert_id, expert_name, answered_at
		FROM answers WHERE id = $1 FOR UPDATE`, answerID).
		Scan(&first.AnswerID, &first.QuestionID, &first.Text, &first.ByID, &first.ByName, &first.At)
	if err != nil {
		return AnswerRevision{}, wrap("revise answer", err)
	}
	if first.Text != was {
		return AnswerRevision{}, ErrConflict
	}
	var upd *int64
	if updateID != 0 {
		upd = &updateID
	}
	// Revision 1 (the answer as sent) is written with the first correction; the row lock
	// above orders two corrections of one answer.
	err = d.dbtx.QueryRow(ctx, `WITH first AS (
			INSERT INTO answer_revisions (answer_id, question_id, revision, text, by_id, by_name, source, at)
			SELECT $1, $2, 1, $3, $4, $5, 'answer', $6
			WHERE NOT EXISTS (SELECT 1 FROM answer_revisions WHERE answer_id = $1)
			RETURNING revision)
		INSERT INTO answer_revisions (answer_id, question_id, revision, text, by_id, by_name, why, source, update_id, at)
		SELECT $1, $2, greatest(coalesce((SELECT max(revision) FROM answer_revisions WHERE answer_id = $1), 0),
				coalesce((SELECT max(revision) FROM first), 0)) + 1,
			$7, $8, $9, $10, $11, $12, $13
		ON CONFLICT (update_id) DO NOTHING
		RETURNING id, revision`,
		answerID, first.QuestionID, first.Text, first.ByID, first.ByName, first.At,
		r.Text, r.ByID, r.ByName, r.Why, r.Source, upd, r.At).Scan(&r.ID, &r.Revision)
	if err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return AnswerRevision{}, ErrDuplicate
		}
		return AnswerRevision{}, wrap("revise answer", err)
	}
	r.AnswerID, r.QuestionID = answerID, first.QuestionID
	if _, err := d.dbtx.Exec(ctx, `UPDATE answers SET text = $2 WHERE id = $1`, answerID, r.Text); err != nil {
		return AnswerRevision{}, wrap("revise answer", err)
	}
	return r, nil
}

// Revisions returns the revisions of a question's answers, each answer's in order.
func (d *queries) Revisions(ctx context.Context, questionID int64) ([]AnswerRevision, error) {
	rows, err := d.dbtx.Query(ctx, `SELECT id, answer_id, question_id, revision, text, by_id, by_name, why, source, at
		FROM answer_revisions WHERE question_id = $1 ORDER BY answer_id, revision`, questionID)
	if err != nil {
		return nil, wrap("revisions", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[AnswerRevision])
	return out, wrap("revisions", err)
}

// IndexTextOf is what a question's search vector is made of now (see Unindexed), read
// without taking it off the indexer's list.
func (d *queries) IndexTextOf(ctx context.Context, id int64) (IndexText, error) {
	var it IndexText
	err := d.dbtx.QueryRow(ctx, `SELECT q.id, q.text,
			coalesce((SELECT string_agg(text, E'\n' ORDER BY id) FROM answers WHERE question_id = q.id), ''),
			coalesce((SELECT string_agg(text, E'\n' ORDER BY id) FROM followups WHERE question_id = q.id), ''),
			EXISTS (SELECT 1 FROM answers WHERE question_id = q.id)
		FROM questions q WHERE q.id = $1`, id).Scan(&it.ID, &it.Question, &it.Answers, &it.Followups, &it.Answered)
	return it, wrap("index text", err)
}

// ReplaceSearch sets a question's search vector whole, leaving its tags as they are: a
// corrected answer's old words must no longer find it. A question not indexed yet is
// left to the indexer, which reads the answers as they are now.
func (d *queries) ReplaceSearch(ctx context.Context, id int64, vector string) error {
	_, err := d.dbtx.Exec(ctx, `WITH s AS (
			UPDATE question_search SET search = $2::tsvector WHERE question_id = $1 RETURNING 1)
		INSERT INTO search_pending (question_id) SELECT $1 WHERE NOT EXISTS (SELECT 1 FROM s)
		ON CONFLICT DO NOTHING`, id, vector)
	return wrap("replace search", err)
}

// UpdateOf is the update ctx is stamped with (WithUpdate), 0 for none: a handler that
// is not given its update's id (an edit) keys what it stores by it.
func UpdateOf(ctx context.Context) int64 {
	if s, _ := ctx.Value(updateKey{}).(*updateStamp); s != nil {
		return s.id
	}
	return 0
}
