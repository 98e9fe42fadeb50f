package consult

import (
	"context"
	"errors"

	"github.com/agriclinic/agriclinic/store"
)

// Chats the bot can no longer reach: a group that removed or banned the bot, an expert who
// blocked it. Neither is forgotten. A removed group stays bound and its questions stay open
// (their answers go to the farmer privately, or are kept: see AnswerResult.Reach), and it is
// active again once the bot is added back. An unreachable expert's claims go back to the
// queue and are offered to the others; their next /start makes them reachable again. The
// county's admins are told of each change, once.

// GroupChange is a group the bot left (removed or banned) or came back to.
type GroupChange struct {
	Group  store.RemovedGroup
	County *County
	Admins []AdminContact
	// Back says the bot is in the group again; otherwise it was removed.
	Back bool
	// Language is the group's /lang choice ("" for the default).
	Language string
}

// GroupRemoved marks a bound group the bot was removed or banned from (reason is what
// said so: the membership update, or Telegram's answer to a send) and tells its county's
// admins through out. A group not bound, or marked already, changes nothing: changed is
// false.
func (s *Service) GroupRemoved(ctx context.Context, chatID int64, reason string, out Out[GroupChange]) (changed bool, err error) {
	return s.groupChange(ctx, chatID, false, func(tx *store.Tx) (store.RemovedGroup, bool, error) {
		return tx.RemoveGroup(ctx, chatID, reason, s.now())
	}, out)
}

// GroupBack marks a group the bot was added to again as active, and tells its county's
// admins; a group that was not marked removed changes nothing (changed is false).
func (s *Service) GroupBack(ctx context.Context, chatID int64, out Out[GroupChange]) (changed bool, err error) {
	return s.groupChange(ctx, chatID, true, func(tx *store.Tx) (store.RemovedGroup, bool, error) {
		return tx.RestoreGroup(ctx, chatID)
	}, out)
}

func (s *Service) groupChange(ctx context.Context, chatID int64, back bool, change func(tx *store.Tx) (store.RemovedGroup, bool, error), out Out[GroupChange]) (bool, error) {
	// The change happens once whatever update causes it, so its messages are not a step of
	// that update (store.WithUpdate): a second try of the update finds nothing to change.
	ctx = store.WithoutUpdate(ctx)
	var changed bool
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		g, ok, err := change(tx)
		if err != nil || !ok {
			return err
		}
		county, known := s.byID[g.CountyID]
		if !known {
			return nil // its county left the file: nobody to tell
		}
		changed = true
		res := GroupChange{Group: g, County: county, Back: back}
		if res.Admins, err = adminContacts(ctx, tx, county); err != nil {
			return err
		}
		if res.Language, err = tx.Language(ctx, chatID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return tx.Enqueue(ctx, out.render(res)...)
	})
	return changed, err
}

// Unreachable is an expert who blocked the bot, in one county where they are an expert,
// or who started it again.
type Unreachable struct {
	Expert store.Expert
	County *County
	Admins []AdminContact
	// Released are the questions they held in the county, open again, each with the
	// on-duty experts to offer it to (the unreachable one left out).
	Released []ExpiredClaim
	// Back says they started the bot again and are reachable.
	Back bool
}

// PersonBlocked records that the bot may not write to the person (a send got 403 "bot
// was blocked by the user", or Telegram said they blocked it). An expert is then
// unreachable: pushes leave them out, every question they hold goes back to the head of
// its queue and is offered to the category's on-duty experts, and each county's admins
// are told (out renders it, per county). Known already, it changes nothing.
func (s *Service) PersonBlocked(ctx context.Context, userID int64, reason string, out Out[Unreachable]) error {
	ctx = store.WithoutUpdate(ctx) // as in groupChange
	var requeue []ExpiredClaim
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		requeue = requeue[:0]
		changed, err := tx.BlockPrivateChat(ctx, userID, reason, s.now())
		if err != nil || !changed {
			return err
		}
		experts, err := tx.ExpertCounties(ctx, userID)
		if err != nil || len(experts) == 0 {
			return err
		}
		held, err := tx.HeldQuestions(ctx, userID)
		if err != nil {
			return err
		}
		byCounty := map[string][]ExpiredClaim{}
		for _, q := range held {
			v, err := s.view(q)
			if err != nil {
				continue // its county left the file
			}
			q, err := tx.ReleaseQuestion(ctx, q.ID, userID, s.now())
			if errors.Is(err, store.ErrConflict) {
				continue
			}
			if err != nil {
				return err
			}
			v.Question = q
			if err := tx.AddEvent(ctx, store.Event{QuestionID: q.ID, Kind: "released", ActorID: userID,
				Detail: map[string]any{"reason": "expert unreachable"}, At: s.now()}); err != nil {
				return err
			}
			// The blocked expert is left out: their private chat is marked above.
			others, err := tx.OnDutyExperts(ctx, v.County.ID, v.Category.ID)
			if err != nil {
				return err
			}
			c := ExpiredClaim{QuestionView: v, Experts: others}
			byCounty[v.County.ID] = append(byCounty[v.County.ID], c)
			requeue = append(requeue, c)
		}
		var msgs []store.Message
		for _, e := range experts {
			county, ok := s.byID[e.CountyID]
			if !ok {
				continue
			}
			res := Unreachable{Expert: e, County: county, Released: byCounty[e.CountyID]}
			for i := range res.Released {
				res.Released[i].Holder = e
			}
			if res.Admins, err = adminContacts(ctx, tx, county); err != nil {
				return err
			}
			msgs = appendMessages(msgs, out.render(res))
		}
		return tx.Enqueue(ctx, msgs...)
	})
	if err != nil {
		return err
	}
	for _, c := range requeue {
		s.requeue(ctx, c.County.ID, c.Question)
	}
	return nil
}

// PersonStarted records that the person started the bot (/start, or unblocked it): the
// bot may write to them again. An expert who was unreachable is reachable again, and each
// county's admins are told (out renders it, per county).
func (s *Service) PersonStarted(ctx context.Context, userID int64, out Out[Unreachable]) error {
	ctx = store.WithoutUpdate(ctx) // as in groupChange
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		wasBlocked, err := tx.StartPrivateChat(ctx, userID, s.now())
		if err != nil || !wasBlocked {
			return err
		}
		experts, err := tx.ExpertCounties(ctx, userID)
		if err != nil {
			return err
		}
		var msgs []store.Message
		for _, e := range experts {
			county, ok := s.byID[e.CountyID]
			if !ok {
				continue
			}
			res := Unreachable{Expert: e, County: county, Back: true}
			if res.Admins, err = adminContacts(ctx, tx, county); err != nil {
				return err
			}
			msgs = appendMessages(msgs, out.render(res))
		}
		return tx.Enqueue(ctx, msgs...)
	})
}

// AnswerUndelivered handles an answer whose message to the group was refused because
// the bot is no longer there (outboxID is that message): what was to follow its delivery
// (the expert's "posted") is dropped, and out renders, as for an answer given after the
// group was gone (AnswerResult.Reach), the answer to the farmer privately or the expert
// told it is kept.
func (s *Service) AnswerUndelivered(ctx context.Context, answerID, outboxID int64, out Out[AnswerResult]) error {
	ctx = store.WithoutUpdate(ctx)
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		if n, err := tx.SupersedeAfter(ctx, outboxID, s.now()); err != nil || n == 0 {
			return err // handled already (the refused message taken again), or nothing follows
		}
		a, err := tx.AnswerOf(ctx, answerID)
		if err != nil {
			return err
		}
		q, err := tx.Question(ctx, a.QuestionID)
		if err != nil {
			return err
		}
		v, err := s.view(q)
		if err != nil {
			return nil // its county left the file
		}
		res := AnswerResult{QuestionView: v, Answer: a}
		if res.Holder, err = tx.Expert(ctx, v.County.ID, a.ExpertID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		res.Holder.UserID = a.ExpertID
		if res.Reach, err = tx.ReachOf(ctx, q.ChatID, q.FarmerID); err != nil {
			return err
		}
		if res.GroupLanguage, err = tx.Language(ctx, q.ChatID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		res.Reach.GroupRemoved = true // whatever the mark says: Telegram just said so
		return tx.Enqueue(ctx, out.render(res)...)
	})
}
