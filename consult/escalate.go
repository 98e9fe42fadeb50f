package consult

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/agriclinic/agriclinic/store"
)

// ErrAlreadyAssigned means the expert an admin chose already holds the question.
var ErrAlreadyAssigned = errors.New("question already held by that expert")

// MaxAssignChoices is how many experts an escalation offers to assign the question to:
// a phone shows that many buttons without scrolling.
const MaxAssignChoices = 8

// AdminContact is a county admin and the language they chose with /lang ("" when they
// chose none: the bot writes Chinese).
type AdminContact struct {
	UserID   int64
	Language string
}

// Escalation is a question that waited too long for an answer, to be shown to every
// admin of its county with the experts who could take it.
type Escalation struct {
	QuestionView
	// Holder is the expert who claimed it and has not answered; zero when it is open.
	Holder store.Expert
	// Waited is how long ago it was asked.
	Waited time.Duration
	// Experts are the category's approved experts but the holder, on duty first, up to
	// MaxAssignChoices.
	Experts []store.ExpertLoad
	Admins  []AdminContact
}

// EscalateLate shows the county admins every question still open or claimed but
// unanswered sla after it was asked, once per question; out renders the messages. It
// returns how many it escalated.
func (s *Service) EscalateLate(ctx context.Context, sla time.Duration, out Out[Escalation]) (int, error) {
	late, err := s.db.LateQuestions(ctx, s.now().Add(-sla))
	if err != nil {
		return 0, err
	}
	escalated := 0
	for _, q := range late {
		v, err := s.view(q)
		if err != nil {
			continue // its county left the file; nobody to tell
		}
		res := Escalation{QuestionView: v}
		err = s.db.InTx(ctx, func(tx *store.Tx) error {
			now := s.now()
			q, err := tx.MarkEscalated(ctx, q.ID, now)
			if err != nil {
				return err
			}
			res.Question, res.Waited = q, now.Sub(q.AskedAt)
			if q.ExpertID != 0 {
				if res.Holder, err = tx.Expert(ctx, v.County.ID, q.ExpertID); errors.Is(err, store.ErrNotFound) {
					res.Holder = store.Expert{UserID: q.ExpertID}
				} else if err != nil {
					return err
				}
			}
			// The holder is no choice: assigning to them changes nothing.
			experts, err := tx.ExpertsToAssign(ctx, v.County.ID, v.Category.ID, MaxAssignChoices+1)
			if err != nil {
				return err
			}
			res.Experts = slices.DeleteFunc(experts, func(e store.ExpertLoad) bool { return e.UserID == q.ExpertID })
			res.Experts = res.Experts[:min(len(res.Experts), MaxAssignChoices)]
			if res.Admins, err = adminContacts(ctx, tx, v.County); err != nil {
				return err
			}
			return tx.Enqueue(ctx, out.render(res)...)
		})
		if errors.Is(err, store.ErrConflict) {
			continue // answered, or escalated by another instance, meanwhile
		}
		if err != nil {
			return escalated, err
		}
		escalated++
	}
	return escalated, nil
}

// adminContacts returns the county's admins with their language, read inside the
// transaction because the rendering must not query.
func adminContacts(ctx context.Context, tx *store.Tx, c *County) ([]AdminContact, error) {
	prefs, err := tx.LanguagePrefs(ctx, c.Admins)
	if err != nil {
		return nil, err
	}
	out := make([]AdminContact, len(c.Admins))
	for i, id := range c.Admins {
		out[i] = AdminContact{UserID: id, Language: prefs[id]}
	}
	return out, nil
}

// AssignResult is a question an admin gave to an expert.
type AssignResult struct {
	QuestionView
	// Expert is the expert chosen, the holder now.
	Expert store.Expert
	// Former is the expert who held it before; zero when it was open.
	Former store.Expert
	// Escalations are the admins' copies of the escalation, to be updated.
	Escalations []store.BotMessage
	// Notices are the messages that showed the question to experts, to be updated.
	Notices []store.BotMessage
	// InFlight are notices on their way to Telegram; each needs an edit once delivered.
	InFlight []store.PendingMessage
}

// Assign gives a question to an expert on the word of an admin of its county, whatever
// its state: an open question becomes claimed by the expert, a claimed one moves to them
// from its holder. An answered or closed question is left as it is (ErrAlreadyAnswered),
// and so is one the expert already holds (ErrAlreadyAssigned). The expert must be an
// approved expert of the question's county and category (ErrNotExpert); anyone but an
// admin of that county gets ErrNotAdmin. Errors after the question was found come with
// it in the result, so the admin can be shown where it stands.
func (s *Service) Assign(ctx context.Context, questionID, adminID, expertID int64, out Out[AssignResult]) (AssignResult, error) {
	v, err := s.Question(ctx, questionID)
	if err != nil {
		return AssignResult{}, err
	}
	res := AssignResult{QuestionView: v}
	if !v.County.IsAdmin(adminID) {
		return res, ErrNotAdmin
	}
	expert, err := s.db.Expert(ctx, v.County.ID, expertID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !slices.Contains(expert.Categories, v.Category.ID)) {
		return res, ErrNotExpert
	}
	if err != nil {
		return res, err
	}
	res.Expert = expert
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		q, err := tx.LockQuestion(ctx, questionID)
		if err != nil {
			return err
		}
		res.Question = q
		switch {
		case q.Status != store.StatusOpen && q.Status != store.StatusClaimed:
			return ErrAlreadyAnswered
		case q.Status == store.StatusClaimed && q.ExpertID == expertID:
			return ErrAlreadyAssigned
		}
		if q.Status == store.StatusClaimed {
			if res.Former, err = tx.Expert(ctx, v.County.ID, q.ExpertID); errors.Is(err, store.ErrNotFound) {
				res.Former = store.Expert{UserID: q.ExpertID} // no longer an expert, still to be told
			} else if err != nil {
				return err
			}
		}
		now := s.now()
		if res.Question, err = tx.AssignQuestion(ctx, questionID, q.ExpertID, expertID, adminID, now); err != nil {
			return err
		}
		// As with a claim: notices not yet delivered are settled first, so each is either
		// recorded below or edited once it is.
		if res.Notices, res.InFlight, err = tx.SettleNotices(ctx, questionID, now); err != nil {
			return err
		}
		if res.Escalations, err = tx.BotMessagesFor(ctx, store.MessageEscalation, questionID); err != nil {
			return err
		}
		return tx.Enqueue(ctx, out.render(res)...)
	})
	if err != nil {
		return res, err
	}
	if err := s.queue.Remove(ctx, v.County.ID, v.Category.ID, questionID); err != nil {
		s.log.Warn("question assigned but still queued; the queue rebuild will drop it", "question", questionID, "err", err)
	}
	return res, nil
}
