package consult

import (
	"context"
	"errors"
	"slices"

	"github.com/agriclinic/agriclinic/store"
)

// What Telegram lets farmers do in a group depends on two things the bot can read: getMe's
// can_read_all_group_messages (privacy mode off) and its own status in the group
// (getChatMember). Under privacy mode a bot that is no admin gets only commands, replies
// to its messages and service messages: /ask and a reply always work, a plain message (open
// mode) only where the bot is an admin or privacy is off. A plain @mention is not
// delivered either, so no text of ours offers it.

// BotStanding is what Telegram said about the bot in one group.
type BotStanding struct {
	// Known is false when Telegram could not be asked (or did not answer): nothing below
	// is known then.
	Known bool
	// ReadsAll is getMe's can_read_all_group_messages: privacy mode is off.
	ReadsAll bool
	// Status is getChatMember's status of the bot: "member", "administrator",
	// "restricted"…
	Status string
	// CanPin is an administrator's can_pin_messages.
	CanPin bool
}

// Admin says the bot is an administrator of the group.
func (b BotStanding) Admin() bool { return b.Status == "administrator" || b.Status == "creator" }

// HearsPlain says a plain message in the group (not a command, not a reply to the bot)
// reaches the bot: it is an admin there, or privacy mode is off.
func (b BotStanding) HearsPlain() bool { return b.Known && (b.ReadsAll || b.Admin()) }

// ErrCannotHear refuses open mode in a group where plain messages never reach the bot.
var ErrCannotHear = errors.New("the bot does not receive plain messages in this group")

// ErrStandingUnknown refuses open mode while Telegram cannot say whether they would.
var ErrStandingUnknown = errors.New("the bot's standing in this group is unknown")

// StandingChange is what the bot saw of itself in a group now and the time before.
type StandingChange struct {
	Now BotStanding
	// Before is what it saw the last time it looked (Known false: never, or Telegram
	// could not be asked then).
	Before BotStanding
}

// BecameAdmin says the bot was no admin the last time it looked and is one now.
func (c StandingChange) BecameAdmin() bool {
	return c.Now.Known && c.Now.Admin() && c.Before.Known && !c.Before.Admin()
}

// NoteStanding records what the bot saw of itself in a group and returns it with what it
// saw the time before. A standing not known is not recorded: the last one known stays
// the one to compare with.
func (s *Service) NoteStanding(ctx context.Context, chatID int64, now BotStanding) (StandingChange, error) {
	ch := StandingChange{Now: now}
	if !now.Known {
		prev, err := s.db.BotStandingOf(ctx, chatID)
		if err == nil {
			ch.Before = fromStored(prev)
		}
		return ch, ignoreNotFound(err)
	}
	prev, err := s.db.SaveBotStanding(ctx, chatID, store.BotStanding{Status: now.Status, CanPin: now.CanPin, ReadsAll: now.ReadsAll, SeenAt: s.now()})
	if err == nil {
		ch.Before = fromStored(prev)
	}
	return ch, ignoreNotFound(err)
}

// LastStanding is what the bot last saw of itself in a group (Known false: never).
func (s *Service) LastStanding(ctx context.Context, chatID int64) (BotStanding, error) {
	st, err := s.db.BotStandingOf(ctx, chatID)
	if err != nil {
		return BotStanding{}, ignoreNotFound(err)
	}
	return fromStored(st), nil
}

func fromStored(st store.BotStanding) BotStanding {
	return BotStanding{Known: true, ReadsAll: st.ReadsAll, Status: st.Status, CanPin: st.CanPin}
}

func ignoreNotFound(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// GuideResult is a guide to post in a bound group.
type GuideResult struct {
	Group  store.Group
	County *County
	// Sessions are the county's active clinic sessions, soonest first.
	Sessions []store.Schedule
	// Previous is the guide posted before in the group, if any (OutboxID 0: none); its
	// MessageID is 0 while it is not yet sent.
	Previous store.GuideRow
}

// GuideOut renders a guide. Guide is the guide itself, remembered as
// store.MessageGuide; After, given the outbox row that sends it, the messages that follow
// it (pin it, unpin the one before).
type GuideOut struct {
	Guide Out[GuideResult]
	After func(res GuideResult, guideRow int64) []store.Message
}

// PostGuide posts the guide in a bound group: an admin of its county, or a coordinator of
// its township, may. The guide and what follows it are stored in one transaction; what
// follows names the guide's outbox row, so that it is sent after the guide, with the
// guide's message id.
func (s *Service) PostGuide(ctx context.Context, chatID, userID int64, out GuideOut) (GuideResult, error) {
	g, county, err := s.Group(ctx, chatID)
	if err != nil {
		return GuideResult{}, err
	}
	res := GuideResult{Group: g, County: county}
	if !county.IsAdmin(userID) {
		roles, err := s.db.CoordinatorRoles(ctx, userID)
		if err != nil {
			return res, err
		}
		if !coordinates(roles, county.ID, g.Township) {
			return res, ErrNotPermitted
		}
	}
	scheds, err := s.db.Schedules(ctx, county.ID)
	if err != nil {
		return res, err
	}
	for _, sc := range scheds {
		if sc.Kind == store.ScheduleClinic && sc.Active && !sc.NextRunAt.IsZero() {
			res.Sessions = append(res.Sessions, sc)
		}
	}
	slices.SortFunc(res.Sessions, func(a, b store.Schedule) int { return a.NextRunAt.Compare(b.NextRunAt) })
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		prev, err := tx.LastGuide(ctx, chatID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		res.Previous = prev
		if err := tx.Enqueue(ctx, out.Guide.render(res)...); err != nil {
			return err
		}
		if out.After == nil {
			return nil
		}
		// The guide's row: the one just written, or on a second try of the same update
		// (whose first write was kept, see store.WithUpdate) the one written then.
		row, err := tx.LastGuide(ctx, chatID)
		if errors.Is(err, store.ErrNotFound) {
			return nil // the guide was refused before it was written; nothing follows it
		}
		if err != nil {
			return err
		}
		if row.OutboxID == prev.OutboxID {
			res.Previous = store.GuideRow{} // a second try: the first one's guide is this one
		}
		return tx.Enqueue(ctx, out.After(res, row.OutboxID)...)
	})
	return res, err
}
