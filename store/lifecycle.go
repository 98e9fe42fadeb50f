package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// updateQuestion runs an UPDATE … RETURNING of one question; no row means the question is
// not in the state the change expects, and the caller gets the question as it stands and
// ErrConflict.
func (d *queries) updateQuestion(ctx context.Context, op string, id int64, sql string, args ...any) (Question, error) {
	q, err := scanQuestion(d.dbtx.QueryRow(ctx, sql+` RETURNING `+questionColumns, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		current, err := d.Question(ctx, id)
		if err != nil {
			return Question{}, err
		}
		return current, ErrConflict
	}
	return q, wrap(op, err)
}

// EditQuestion replaces an edited question's text, keeping the words first asked.
func (d *queries) EditQuestion(ctx context.Context, id int64, text string, at time.Time) (Question, error) {
	return d.updateQuestion(ctx, "edit question", id, `UPDATE questions
		SET original_text = coalesce(original_text, text), text = $2, edited_at = $3
		WHERE id = $1 AND text <> $2`, id, text, at)
}

// CloseSolved closes an answered (or closed-without-feedback) question as the farmer
// said it is solved.
func (d *queries) CloseSolved(ctx context.Context, id int64, feedback string, at time.Time) (Question, error) {
	return d.updateQuestion(ctx, "close question", id, `UPDATE questions
		SET status = 'closed', feedback = $2, feedback_at = $3, closed_at = coalesce(closed_at, $3)
		WHERE id = $1 AND (status IN ('answered', 'open', 'claimed') OR (status = 'closed' AND feedback = 'none'))`, id, feedback, at)
}

// Reopen puts an answered question back at the head of its queue because the farmer said
// it is not solved.
func (d *queries) Reopen(ctx context.Context, id int64, at time.Time) (Question, error) {
	return d.updateQuestion(ctx, "reopen question", id, `UPDATE questions
		SET status = 'open', expert_id = NULL, claimed_at = NULL, answered_at = NULL, closed_at = NULL,
			feedback = 'unsolved', feedback_at = $2, priority_at = $2, repushed_at = NULL, escalated_at = NULL
		WHERE id = $1 AND (status = 'answered' OR (status = 'closed' AND feedback = 'none'))`, id, at)
}

// ReturnToExpert gives an answered or closed question back to the expert who answered it,
// because the farmer asked more.
func (d *queries) ReturnToExpert(ctx context.Context, id, expertID int64, at time.Time) (Question, error) {
	return d.updateQuestion(ctx, "return question", id, `UPDATE questions
		SET status = 'claimed', expert_id = $2, claimed_at = $3, closed_at = NULL, answered_at = NULL
		WHERE id = $1 AND status IN ('answered', 'closed')`, id, expertID, at)
}

// RequeueQuestion puts an answered or closed question back at the head of its queue.
func (d *queries) RequeueQuestion(ctx context.Context, id int64, at time.Time) (Question, error) {
	return d.updateQuestion(ctx, "requeue question", id, `UPDATE questions
		SET status = 'open', expert_id = NULL, claimed_at = NULL, answered_at = NULL, closed_at = NULL,
			priority_at = $2, repushed_at = NULL
		WHERE id = $1 AND status IN ('answered', 'closed')`, id, at)
}

// TransferQuestion moves an open or claimed question to another category's queue, at its
// head.
func (d *queries) TransferQuestion(ctx context.Context, id int64, category string, at time.Time) (Question, error) {
	q, err := d.updateQuestion(ctx, "transfer question", id, `UPDATE questions
		SET category_id = $2, status = 'open', expert_id = NULL, claimed_at = NULL, priority_at = $3,
			repushed_at = NULL
		WHERE id = $1 AND status IN ('open', 'claimed') AND category_id <> $2`, id, category, at)
	if err != nil {
		return q, err
	}
	// The search index tags a question with its category.
	_, err = d.dbtx.Exec(ctx, `UPDATE question_search SET category_id = $2 WHERE question_id = $1`, id, category)
	return q, wrap("transfer question", err)
}

// CloseUnrated closes up to limit questions answered before cutoff that got no feedback,
// oldest answer first, and returns their numbers. Rows another transaction holds are
// skipped: they are being rated or changed right now.
func (d *queries) CloseUnrated(ctx context.Context, cutoff, at time.Time, limit int) ([]int64, error) {
	rows, err := d.dbtx.Query(ctx, `UPDATE questions SET status = 'closed', feedback = 'none', closed_at = $2
		WHERE id IN (SELECT id FROM questions WHERE status = 'answered' AND answered_at < $1
			ORDER BY answered_at LIMIT $3 FOR UPDATE SKIP LOCKED)
		RETURNING id`, cutoff, at, limit)
	if err != nil {
		return nil, wrap("close unrated", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	return ids, wrap("close unrated", err)
}

// LastAnswer returns a question's latest answer, or ErrNotFound.
func (d *queries) LastAnswer(ctx context.Context, questionID int64) (Answer, error) {
	var a Answer
	err := d.dbtx.QueryRow(ctx, `SELECT id, question_id, expert_id, expert_name, text,
		coalesce(group_message_id, 0), answered_at, kind, file_id FROM answers WHERE question_id = $1
		ORDER BY id DESC LIMIT 1`, questionID).
		Scan(&a.ID, &a.QuestionID, &a.ExpertID, &a.ExpertName, &a.Text, &a.GroupMessageID, &a.AnsweredAt, &a.Kind, &a.FileID)
	return a, wrap("last answer", err)
}

// SetGroupMode sets how a group's messages become questions.
func (d *queries) SetGroupMode(ctx context.Context, chatID int64, mode string) error {
	tag, err := d.dbtx.Exec(ctx, `UPDATE groups SET mode = $2 WHERE chat_id = $1`, chatID, mode)
	if err != nil {
		return wrap("set group mode", err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}
