package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// MessageEscalation is a late question shown to a county admin with a button per expert
// to assign it to; once it is assigned every admin's copy is edited to say to whom.
const MessageEscalation = "escalation"

// LateQuestions lists the questions asked before cutoff that still wait for an answer
// (open or claimed) and were never escalated, oldest first.
func (d *queries) LateQuestions(ctx context.Context, cutoff time.Time) ([]Question, error) {
	rows, err := d.dbtx.Query(ctx, `SELECT `+questionColumns+` FROM questions
		WHERE status IN ('open', 'claimed') AND escalated_at IS NULL AND asked_at < $1`+notInReview+`
		ORDER BY asked_at, id`, cutoff)
	if err != nil {
		return nil, wrap("late questions", err)
	}
	out, err := collectQuestions(rows)
	return out, wrap("late questions", err)
}

// MarkEscalated records that a question still waiting for an answer was escalated to its
// county's admins, and notes it in the question's timeline. A question answered or
// escalated meanwhile gets ErrConflict, so it is escalated at most once.
func (d *queries) MarkEscalated(ctx context.Context, id int64, at time.Time) (Question, error) {
	var q Question
	err := pgx.BeginFunc(ctx, d.dbtx, func(tx pgx.Tx) error {
		var err error
		q, err = scanQuestion(tx.QueryRow(ctx, `UPDATE questions SET escalated_at = $2
			WHERE id = $1 AND status IN ('open', 'claimed') AND escalated_at IS NULL
			RETURNING `+questionColumns, id, at))
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrConflict
		}
		if err != nil {
			return err
		}
		detail := map[string]int64{}
		if q.ExpertID != 0 {
			detail["holder"] = q.ExpertID
		}
		_, err = tx.Exec(ctx, `INSERT INTO question_events (question_id, kind, detail, at)
			VALUES ($1, 'escalated', $2, $3)`, id, detail, at)
		return err
	})
	if errors.Is(err, ErrConflict) {
		return Question{}, ErrConflict
	}
	return q, wrap("mark escalated", err)
}

// ExpertLoad is an expert with the number of questions they hold (claimed, not answered).
type ExpertLoad struct {
	Expert
	Held int
}

// ExpertsToAssign returns up to limit approved experts of a county's category who can be
// reached, those on duty first, then by approval, each with how many questions they hold
// now in any county.
func (d *queries) ExpertsToAssign(ctx context.Context, countyID, category string, limit int) ([]ExpertLoad, error) {
	rows, err := d.dbtx.Query(ctx, `SELECT `+expertColumns+`,
			(SELECT count(*) FROM questions h WHERE h.expert_id = experts.user_id AND h.status = 'claimed')
		FROM experts WHERE county_id = $1 AND categories @> ARRAY[$2::text] AND `+reachable+`
		ORDER BY on_duty DESC, approved_at, user_id LIMIT $3`, countyID, category, limit)
	if err != nil {
		return nil, wrap("experts to assign", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ExpertLoad, error) {
		var e ExpertLoad
		err := r.Scan(&e.CountyID, &e.UserID, &e.Name, &e.Username, &e.Language, &e.Categories, &e.OnDuty,
			&e.ApprovedBy, &e.ApprovedAt, &e.Held)
		return e, err
	})
	return out, wrap("experts to assign", err)
}

// LanguagePrefs returns the /lang choice of each of these people or chats that made one.
func (d *queries) LanguagePrefs(ctx context.Context, chatIDs []int64) (map[int64]string, error) {
	rows, err := d.dbtx.Query(ctx, `SELECT chat_id, lang FROM language_prefs WHERE chat_id = ANY ($1)`, chatIDs)
	if err != nil {
		return nil, wrap("language prefs", err)
	}
	out := map[int64]string{}
	var id int64
	var lang string
	_, err = pgx.ForEachRow(rows, []any{&id, &lang}, func() error {
		out[id] = lang
		return nil
	})
	return out, wrap("language prefs", err)
}

// LockQuestion returns a question and locks it until the transaction ends, so a decision
// taken on its state holds when it is written.
func (d *queries) LockQuestion(ctx context.Context, id int64) (Question, error) {
	q, err := scanQuestion(d.dbtx.QueryRow(ctx, `SELECT `+questionColumns+` FROM questions WHERE id = $1 FOR UPDATE`, id))
	return q, wrap("lock question", err)
}

// AssignQuestion gives a question waiting for an answer to expert to on an admin's word,
// whether it was open or held by from (0: open), and notes it in the question's timeline.
// The claim starts afresh, so the new holder has a whole lease. A question no longer
// open or held by from gets ErrConflict.
func (d *queries) AssignQuestion(ctx context.Context, id, from, to, adminID int64, at time.Time) (Question, error) {
	var q Question
	err := pgx.BeginFunc(ctx, d.dbtx, func(tx pgx.Tx) error {
		var err error
		q, err = scanQuestion(tx.QueryRow(ctx, `UPDATE questions SET status = 'claimed', expert_id = $3, claimed_at = $4
			WHERE id = $1 AND status IN ('open', 'claimed') AND coalesce(expert_id, 0) = $2
			RETURNING `+questionColumns, id, from, to, at))
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrConflict
		}
		if err != nil {
			return err
		}
		detail := map[string]int64{"expert": to}
		if from != 0 {
			detail["from"] = from
		}
		_, err = tx.Exec(ctx, `INSERT INTO question_events (question_id, kind, actor_id, detail, at)
			VALUES ($1, 'assigned', $2, $3, $4)`, id, adminID, detail, at)
		return err
	})
	if errors.Is(err, ErrConflict) {
		return Question{}, ErrConflict
	}
	return q, wrap("assign question", err)
}
