package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// The states of a held answer (see migration 0026).
const (
	HeldWaiting  = "waiting"  // banned: the expert rewrites it or sends it to review
	HeldReview   = "review"   // with the county's seniors
	HeldReplaced = "replaced" // a newer answer of the question took its place
	HeldApproved = "approved" // a senior let it (or their corrected text) go to the group
	HeldReturned = "returned" // a senior sent it back to the expert
)

// MessageHeldReview is a senior's copy of a held answer, with its 通过 / 退回 buttons; a
// reply to it is a corrected text. MessageHeldNote is the prompt for the note of a
// returned answer; a reply to it is the note.
const (
	MessageHeldReview = "held_review"
	MessageHeldNote   = "held_note"
)

// HeldAnswer is an answer kept from the group until the pesticide check's finding is
// settled or a senior decides.
type HeldAnswer struct {
	ID         int64
	QuestionID int64
	CountyID   string
	ExpertID   int64
	ExpertName string
	Text       string
	Kind       string
	FileID     string
	Reason     string
	Findings   json.RawMessage
	State      string
	HeldAt     time.Time
	ReviewAt   time.Time // zero until it went to review
	Pushes     int       // 1: pushed to the seniors again; 2: to the admins
	PushedAt   time.Time
	DecidedBy  int64
	// DecidedName is the senior's name, for the group's 已复核 line and the others' copies.
	DecidedName   string
	DecidedAt     time.Time
	CorrectedText string
	Note          string
	AnswerID      int64
}

const heldColumns = `id, question_id, county_id, expert_id, expert_name, text, kind, file_id, reason, findings, state,
	held_at, coalesce(review_at, 'epoch'::timestamptz), pushes, coalesce(pushed_at, 'epoch'::timestamptz),
	coalesce(decided_by, 0), decided_name, coalesce(decided_at, 'epoch'::timestamptz), corrected_text, note,
	coalesce(answer_id, 0)`

func scanHeld(row pgx.Row) (HeldAnswer, error) {
	var h HeldAnswer
	err := row.Scan(&h.ID, &h.QuestionID, &h.CountyID, &h.ExpertID, &h.ExpertName, &h.Text, &h.Kind, &h.FileID,
		&h.Reason, &h.Findings, &h.State, &h.HeldAt, &h.ReviewAt, &h.Pushes, &h.PushedAt, &h.DecidedBy,
		&h.DecidedName, &h.DecidedAt, &h.CorrectedText, &h.Note, &h.AnswerID)
	for _, t := range []*time.Time{&h.ReviewAt, &h.PushedAt, &h.DecidedAt} {
		*t = zeroEpoch(*t)
	}
	return h, err
}

// HeldFromUpdate reports whether an answer was already held from this update.
func (d *queries) HeldFromUpdate(ctx context.Context, updateID int64) (bool, error) {
	var exists bool
	err := d.dbtx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM held_answers WHERE update_id = $1)`, updateID).Scan(&exists)
	return exists, wrap("held from update", err)
}

// HoldAnswer stores a held answer. The question's answer held before, if any, is
// replaced: it is returned with the new one, so that its seniors' copies can be updated.
// first says whether the question had no held answer before (the group is told once).
// A redelivered update gets ErrDuplicate.
func (d *queries) HoldAnswer(ctx context.Context, h HeldAnswer, updateID int64) (held HeldAnswer, replaced []HeldAnswer, first bool, err error) {
	if replaced, err = d.ReplaceHeld(ctx, h.QuestionID); err != nil {
		return h, nil, false, err
	}
	var upd *int64
	if updateID != 0 {
		upd = &updateID
	}
	var review *time.Time
	if h.State == HeldReview {
		review = &h.HeldAt
	}
	findings := h.Findings
	if len(findings) == 0 {
		findings = json.RawMessage("[]")
	}
	held, err = scanHeld(d.dbtx.QueryRow(ctx, `
		INSERT INTO held_answers (question_id, county_id, expert_id, expert_name, text, kind, file_id, update_id,
			reason, findings, state, held_at, review_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
		ON CONFLICT (update_id) DO NOTHING
		RETURNING `+heldColumns, h.QuestionID, h.CountyID, h.ExpertID, h.ExpertName, h.Text, h.Kind, h.FileID, upd,
		h.Reason, findings, h.State, h.HeldAt, review))
	if errors.Is(err, pgx.ErrNoRows) {
		return h, nil, false, ErrDuplicate
	}
	if err != nil {
		return h, nil, false, wrap("hold answer", err)
	}
	err = d.dbtx.QueryRow(ctx, `SELECT NOT EXISTS (SELECT 1 FROM held_answers WHERE question_id = $1 AND id <> $2)`,
		h.QuestionID, held.ID).Scan(&first)
	return held, replaced, first, wrap("hold answer", err)
}

// ReplaceHeld marks the question's held answer, if any, replaced by a newer answer and
// returns it.
func (d *queries) ReplaceHeld(ctx context.Context, questionID int64) ([]HeldAnswer, error) {
	rows, err := d.dbtx.Query(ctx, `UPDATE held_answers SET state = 'replaced'
		WHERE question_id = $1 AND state IN ('waiting', 'review') RETURNING `+heldColumns, questionID)
	if err != nil {
		return nil, wrap("replace held answer", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (HeldAnswer, error) { return scanHeld(r) })
	return out, wrap("replace held answer", err)
}

// Held returns a held answer, or ErrNotFound.
func (d *queries) Held(ctx context.Context, id int64) (HeldAnswer, error) {
	h, err := scanHeld(d.dbtx.QueryRow(ctx, `SELECT `+heldColumns+` FROM held_answers WHERE id = $1`, id))
	return h, wrap("held answer", err)
}

// OpenHeld returns the question's answer held now (waiting or in review), or ErrNotFound.
func (d *queries) OpenHeld(ctx context.Context, questionID int64) (HeldAnswer, error) {
	h, err := scanHeld(d.dbtx.QueryRow(ctx, `SELECT `+heldColumns+` FROM held_answers
		WHERE question_id = $1 AND state IN ('waiting', 'review')`, questionID))
	return h, wrap("open held answer", err)
}

// SendHeldToReview moves a waiting answer to review, on the word of its expert while they
// still hold the question. Anything else gets ErrConflict.
func (d *queries) SendHeldToReview(ctx context.Context, id, expertID int64, at time.Time) (HeldAnswer, error) {
	h, err := scanHeld(d.dbtx.QueryRow(ctx, `UPDATE held_answers h SET state = 'review', review_at = $3
		WHERE id = $1 AND expert_id = $2 AND state = 'waiting'
		AND EXISTS (SELECT 1 FROM questions q WHERE q.id = h.question_id AND q.status = 'claimed' AND q.expert_id = $2)
		RETURNING `+heldColumns, id, expertID, at))
	if errors.Is(err, pgx.ErrNoRows) {
		return HeldAnswer{}, ErrConflict
	}
	return h, wrap("send held answer to review", err)
}

// DecideHeld records a senior's decision on an answer in review: HeldApproved (with the
// corrected text, if they wrote one) or HeldReturned. Of any number of seniors deciding at
// once exactly one does; the others get ErrConflict. An approved answer is archived as the
// question's answer, the question answered, in the same transaction (call it in one); a
// returned one gives the expert a fresh claim lease.
func (d *queries) DecideHeld(ctx context.Context, id int64, state string, seniorID int64, seniorName, corrected string, at time.Time) (HeldAnswer, Question, Answer, error) {
	h, err := scanHeld(d.dbtx.QueryRow(ctx, `UPDATE held_answers SET state = $2, decided_by = $3, decided_name = $4,
			corrected_text = $5, decided_at = $6
		WHERE id = $1 AND state = 'review' RETURNING `+heldColumns, id, state, seniorID, seniorName, corrected, at))
	if errors.Is(err, pgx.ErrNoRows) {
		return HeldAnswer{}, Question{}, Answer{}, ErrConflict
	}
	if err != nil {
		return h, Question{}, Answer{}, wrap("decide held answer", err)
	}
	if state == HeldReturned {
		q, err := scanQuestion(d.dbtx.QueryRow(ctx, `UPDATE questions SET claimed_at = $3
			WHERE id = $1 AND expert_id = $2 AND status = 'claimed' RETURNING `+questionColumns, h.QuestionID, h.ExpertID, at))
		if errors.Is(err, pgx.ErrNoRows) {
			return h, Question{}, Answer{}, ErrConflict
		}
		return h, q, Answer{}, wrap("return held answer", err)
	}
	a := Answer{QuestionID: h.QuestionID, ExpertID: h.ExpertID, ExpertName: h.ExpertName, Text: h.Text, AnsweredAt: at, Kind: h.Kind, FileID: h.FileID}
	if corrected != "" {
		a.Text = corrected
	}
	err = d.dbtx.QueryRow(ctx, `INSERT INTO answers (question_id, expert_id, expert_name, text, answered_at, kind, file_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, a.QuestionID, a.ExpertID, a.ExpertName, a.Text, a.AnsweredAt, a.Kind, a.FileID).Scan(&a.ID)
	if err != nil {
		return h, Question{}, Answer{}, wrap("approve held answer", err)
	}
	q, err := scanQuestion(d.dbtx.QueryRow(ctx, `UPDATE questions SET status = 'answered', answered_at = $3
		WHERE id = $1 AND expert_id = $2 AND status = 'claimed' RETURNING `+questionColumns, h.QuestionID, h.ExpertID, at))
	if errors.Is(err, pgx.ErrNoRows) {
		return h, Question{}, Answer{}, ErrConflict
	}
	if err != nil {
		return h, Question{}, Answer{}, wrap("approve held answer", err)
	}
	_, err = d.dbtx.Exec(ctx, `UPDATE held_answers SET answer_id = $2 WHERE id = $1`, h.ID, a.ID)
	h.AnswerID = a.ID
	return h, q, a, wrap("approve held answer", err)
}

// SetHeldNote keeps the note of the senior who returned an answer; anyone else, or an
// answer not returned, gets ErrConflict.
func (d *queries) SetHeldNote(ctx context.Context, id, seniorID int64, note string) (HeldAnswer, error) {
	h, err := scanHeld(d.dbtx.QueryRow(ctx, `UPDATE held_answers SET note = $3
		WHERE id = $1 AND decided_by = $2 AND state = 'returned' RETURNING `+heldColumns, id, seniorID, note))
	if errors.Is(err, pgx.ErrNoRows) {
		return HeldAnswer{}, ErrConflict
	}
	return h, wrap("held note", err)
}

// LateHeld lists the answers in review that waited past cutoff since they went to review
// (pushes 0) or since they were last pushed (pushes 1): due their next push.
func (d *queries) LateHeld(ctx context.Context, cutoff time.Time) ([]HeldAnswer, error) {
	rows, err := d.dbtx.Query(ctx, `SELECT `+heldColumns+` FROM held_answers
		WHERE state = 'review' AND ((pushes = 0 AND review_at < $1) OR (pushes = 1 AND pushed_at < $1))
		ORDER BY review_at, id`, cutoff)
	if err != nil {
		return nil, wrap("late held answers", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (HeldAnswer, error) { return scanHeld(r) })
	return out, wrap("late held answers", err)
}

// MarkHeldPushed counts one more push of an answer in review, from pushes to pushes+1;
// one decided or pushed meanwhile gets ErrConflict, so each push happens once.
func (d *queries) MarkHeldPushed(ctx context.Context, id int64, pushes int, at time.Time) (HeldAnswer, error) {
	h, err := scanHeld(d.dbtx.QueryRow(ctx, `UPDATE held_answers SET pushes = pushes + 1, pushed_at = $3
		WHERE id = $1 AND pushes = $2 AND state = 'review' RETURNING `+heldColumns, id, pushes, at))
	if errors.Is(err, pgx.ErrNoRows) {
		return HeldAnswer{}, ErrConflict
	}
	return h, wrap("push held answer", err)
}

// ExpertAnswerCount is how many answers an expert has given in a county (review: new).
func (d *queries) ExpertAnswerCount(ctx context.Context, countyID string, expertID int64) (int, error) {
	var n int
	err := d.dbtx.QueryRow(ctx, `SELECT count(*) FROM answers a JOIN questions q ON q.id = a.question_id
		WHERE a.expert_id = $1 AND q.county_id = $2`, expertID, countyID).Scan(&n)
	return n, wrap("expert answer count", err)
}
