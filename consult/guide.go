package consult

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/agriclinic/agriclinic/store"
)

// What Telegram lets farmers do in a group depends on three things: the bot's status in the
// group (getChatMember), read live, and its privacy mode as it was when it joined the group.
// Under privacy mode a bot that is no admin gets only commands, replies to its messages and
// service messages: /ask and a reply always work, a plain message (open mode) only where the
// bot is an admin or joined the group with privacy off. A plain @mention is not delivered
// either, so no text of ours offers it.
//
// getMe's can_read_all_group_messages (privacy off) changes as soon as BotFather's
// /setprivacy does, but Telegram applies the change to a group only when the bot joins it
// (is added, or removed and added back); no method tells a bot which mode a group has. So
// the bot reads getMe when it joins a group and records it (NoteJoin), and a group's
// standing goes by that record, not by getMe now. A group with no record (joined before
// the bot kept them) is JoinedUnknown: it does not hear plain messages as far as open mode
// is concerned, and the admins are told to re-add the bot or make it an admin.

// JoinedWith is the privacy mode the bot had when it joined a group.
type JoinedWith uint8

const (
	// JoinedUnknown: no join recorded (the bot joined before it kept them, or the join
	// did not reach it while privacy was off).
	JoinedUnknown JoinedWith = iota
	// JoinedPrivacyOn: privacy was on when the bot joined, or when it first looked at the
	// group without having seen it join.
	JoinedPrivacyOn
	// JoinedPrivacyOff: privacy was off when the bot joined; every message reaches it.
	JoinedPrivacyOff
)

// BotStanding is what Telegram said about the bot in one group, with the privacy mode it
// joined the group with.
type BotStanding struct {
	// Known is false when Telegram could not be asked (or did not answer): nothing below
	// is known then.
	Known bool
	// ReadsAll is getMe's can_read_all_group_messages now: privacy mode is off for groups
	// the bot joins from now on. It is not what this group has (Joined is).
	ReadsAll bool
	// Status is getChatMember's status of the bot: "member", "administrator",
	// "restricted"…
	Status string
	// CanPin is an administrator's can_pin_messages.
	CanPin bool
	// Joined is the privacy mode the bot had when it joined the group, as recorded.
	Joined JoinedWith
}

// Admin says the bot is an administrator of the group.
func (b BotStanding) Admin() bool { return b.Status == "administrator" || b.Status == "creator" }

// HearsPlain says a plain message in the group (not a command, not a reply to the bot)
// reaches the bot: it is an admin there, or it joined the group with privacy off. A group
// whose join is not recorded does not count as hearing them.
func (b BotStanding) HearsPlain() bool {
	return b.Known && (b.Admin() || b.Joined == JoinedPrivacyOff)
}

// WaitsForRejoin says privacy is off now but the group still has it, or may still have
// it: the bot joined it with privacy on, or it is not known what it joined with. Removing
// the bot and adding it back (or making it an admin) lets plain messages reach it.
func (b BotStanding) WaitsForRejoin() bool {
	return b.Known && b.ReadsAll && !b.HearsPlain()
}

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

// NoteJoin records that the bot joined a group at the date Telegram gave, with getMe's
// can_read_all_group_messages (readsAll) read then: the mode the group goes by from now
// on, whatever getMe says later.
func (s *Service) NoteJoin(ctx context.Context, chatID int64, readsAll bool, at time.Time) error {
	return s.db.SaveGroupJoin(ctx, chatID, store.GroupJoin{ReadsAll: readsAll, JoinedAt: at, NotedAt: s.now()})
}

// NoteLeft forgets the join of a group the bot left (was removed or banned from): the mode
// it comes back with is its next join's, and a re-adding the bot does not hear of reads as
// unknown rather than as the old mode.
func (s *Service) NoteLeft(ctx context.Context, chatID int64) error {
	return s.db.ForgetGroupJoin(ctx, chatID)
}

// NoteFirstLook records, for groups the bot is in and has no join of, that it first looked
// at them while its privacy mode was on: such a group goes by privacy on, which is what it
// has unless privacy was off when the bot joined and on since (and then assuming less is
// harmless). With privacy off now nothing is recorded: the bot may have joined before it
// was turned off, which is the very case no method tells apart.
func (s *Service) NoteFirstLook(ctx context.Context, chatIDs []int64) error {
	return s.db.NoteGroupsSeen(ctx, chatIDs, s.now())
}

// JoinsOf returns the recorded join mode of each of chatIDs; a group with none is absent
// (JoinedUnknown).
func (s *Service) JoinsOf(ctx context.Context, chatIDs []int64) (map[int64]JoinedWith, error) {
	joins, err := s.db.GroupJoins(ctx, chatIDs)
	out := make(map[int64]JoinedWith, len(joins))
	for id, j := range joins {
		out[id] = JoinedPrivacyOn
		if j.ReadsAll {
			out[id] = JoinedPrivacyOff
		}
	}
	return out, err
}

// BoundGroupJoins counts the bound groups the bot is in by the mode it joined them with.
func (s *Service) BoundGroupJoins(ctx context.Context) (off, on, unknown int, err error) {
	return s.db.BoundGroupJoins(ctx)
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
