package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/store"
)

// MaxTries is how many times an update may fail while Postgres and Redis both answer
// before it is set aside. With the poller's backoff (0.5 s, 1 s, 2 s, 4 s, …) the fifth
// failure comes about 8 seconds after the first; in webhook mode it is Telegram's fifth
// delivery. Failures during an outage do not count (see Guard), so an outage of any length
// sets nothing aside.
const MaxTries = 5

// Guard stands between the transport (poller or webhook) and the bot's handler, so that
// every update is handled once and none can hold back the others:
//
//   - an update handled to the end before (a redelivery, or the same update twice in one
//     batch) is skipped, and each handled update is recorded (store.MarkHandled);
//   - an update whose handling fails while Postgres and Redis both answer is counted, and
//     after MaxTries failures (at once for one that cannot even be read) it is set aside in
//     dead_updates and confirmed, logged once at error level and counted in /metrics;
//   - an update that fails while either is unreachable is an outage, not the update's
//     fault: it is left to be delivered again, uncounted.
type Guard struct {
	db      *store.DB
	handle  ManyHandler
	healthy func(ctx context.Context) error
	county  func(ctx context.Context, u Update) string
	// Apologise, when set, tells the person behind an update set aside that it was not
	// handled, so they can try again rather than wait.
	Apologise func(ctx context.Context, u Update)
	log       *slog.Logger
	// Metrics may be set after NewGuard; nil counts nothing.
	Metrics *Metrics
	// Now is the clock; tests set it.
	Now func() time.Time
}

// NewGuard guards handle. healthy reports whether Postgres and Redis both answer;
// county names the county whose admins are told of an update set aside ("" if none).
func NewGuard(db *store.DB, handle ManyHandler, healthy func(ctx context.Context) error,
	county func(ctx context.Context, u Update) string, log *slog.Logger) *Guard {
	return &Guard{db: db, handle: handle, healthy: healthy, county: county, log: log, Now: time.Now}
}

// Guard returns a Guard around the bot's batch handler, telling the admins of the
// update's group (or of the person who sent it).
func (b *Bot) Guard(healthy func(ctx context.Context) error) *Guard {
	g := NewGuard(b.db, b.HandleMany, healthy, b.countyOf, b.log)
	g.Metrics = b.Metrics
	g.Apologise = b.apologise
	return g
}

// HandleMany is a ManyHandler for the poller.
func (g *Guard) HandleMany(ctx context.Context, us []Update) []error {
	errs := make([]error, len(us))
	ids := make([]int64, len(us))
	for i, u := range us {
		ids[i] = int64(u.UpdateID)
	}
	skip, err := g.db.Skippable(ctx, ids)
	if err != nil {
		// Without the archive nothing can be handled; the whole batch comes again.
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	var todo []Update
	var at []int
	seen := make(map[int]bool, len(us))
	for i, u := range us {
		switch {
		case skip[int64(u.UpdateID)] || seen[u.UpdateID]:
			// Handled (or set aside) before, or the same update twice in this batch.
		case u.DecodeErr != nil:
			errs[i] = g.failed(ctx, u, fmt.Errorf("unreadable update: %w", u.DecodeErr), 1)
		default:
			todo = append(todo, u)
			at = append(at, i)
		}
		seen[u.UpdateID] = true
	}
	if len(todo) == 0 {
		return errs
	}
	var done []int64
	var failures []int
	for j, err := range g.handle(ctx, todo) {
		i := at[j]
		switch {
		case err == nil:
			done = append(done, int64(us[i].UpdateID))
		case errors.Is(err, ErrHeldBack):
			errs[i] = err
		default:
			errs[i] = err
			failures = append(failures, i)
		}
	}
	if err := g.db.MarkHandled(ctx, done, g.Now()); err != nil {
		// What they caused is stored; unmarked, a redelivery is handled again, and each
		// step it already stored is not repeated (store.WithUpdate).
		g.log.Warn("handled updates not recorded", "updates", len(done), "err", err)
	}
	if len(failures) == 0 {
		return errs
	}
	hctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if herr := g.healthy(hctx); herr != nil {
		g.log.Warn("updates failed during an outage; they come again and are not counted against them",
			"updates", len(failures), "err", herr)
		return errs
	}
	for _, i := range failures {
		errs[i] = g.failed(ctx, us[i], errs[i], MaxTries)
	}
	return errs
}

// Handle is a Handler for the webhook: one update as a batch of one.
func (g *Guard) Handle(ctx context.Context, u Update) error {
	return g.HandleMany(ctx, []Update{u})[0]
}

// failed counts a failure of u; it returns nil once u is set aside (the transport
// confirms it and goes on), else err (u comes again).
func (g *Guard) failed(ctx context.Context, u Update, err error, maxTries int) error {
	f := store.FailedUpdate{UpdateID: int64(u.UpdateID), Raw: string(u.Raw), Kind: updateKind(u.Update),
		ChatID: chatKey(u), Err: truncateError(err.Error())}
	if u.DecodeErr == nil {
		f.CountyID = g.county(ctx, u)
	}
	setAside, rerr := g.db.RecordFailure(ctx, f, maxTries, g.Now())
	if rerr != nil {
		g.log.Warn("update failure not recorded", "update", u.UpdateID, "err", rerr)
		return err
	}
	if !setAside {
		return err
	}
	g.log.Error("update set aside after failing repeatedly; the updates after it go on",
		"update", u.UpdateID, "kind", f.Kind, "chat", f.ChatID, "county", f.CountyID, "err", err)
	g.Metrics.setAside()
	if g.Apologise != nil && u.DecodeErr == nil {
		g.Apologise(store.WithoutUpdate(ctx), u)
	}
	return nil
}

// truncateError keeps a stored error short, cut between characters: a cut inside one
// would be invalid UTF-8, which Postgres refuses, and the failure would then never be
// counted. Errors name operations and causes, not farmers' words (pgx leaves a value's
// detail out of Error()).
func truncateError(s string) string {
	const limit = 500
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// countyOf is the county an update belongs to: its group's, else that of the person
// who sent it (as an admin, then as an expert); "" if none can be told.
func (b *Bot) countyOf(ctx context.Context, u Update) string {
	if chat := chatKey(u); chat < 0 {
		if _, c, err := b.svc.Group(ctx, chat); err == nil && c != nil {
			return c.ID
		}
	}
	var from *tgbotapi.User
	switch {
	case u.Message != nil:
		from = u.Message.From
	case u.CallbackQuery != nil:
		from = u.CallbackQuery.From
	case u.EditedMessage != nil:
		from = u.EditedMessage.From
	case u.MyChatMember != nil:
		from = &u.MyChatMember.From
	}
	if from == nil {
		return ""
	}
	if cs := b.svc.AdminCounties(from.ID); len(cs) > 0 {
		return cs[0].ID
	}
	if es, err := b.svc.Experts(ctx, from.ID); err == nil && len(es) > 0 {
		return es[0].CountyID
	}
	return ""
}

// Retry hands an update set aside back to the handler, for an admin of county (from the
// dashboard). It is handled as Telegram would deliver it; if it fails again it stays set
// aside with the new error.
func (b *Bot) Retry(ctx context.Context, county string, updateID int64) error {
	d, err := b.db.DeadUpdate(ctx, county, updateID)
	if err != nil {
		return err
	}
	var u Update
	if err := u.UnmarshalJSON([]byte(d.Raw)); err != nil {
		_ = b.db.RetryFailed(ctx, updateID, truncateError("unreadable update: "+err.Error()), b.svc.Now())
		return fmt.Errorf("update %d cannot be read: %w", updateID, err)
	}
	if err := b.Handle(ctx, u); err != nil {
		if rerr := b.db.RetryFailed(ctx, updateID, truncateError(err.Error()), b.svc.Now()); rerr != nil {
			b.log.Warn("failed retry not recorded", "update", updateID, "err", rerr)
		}
		return fmt.Errorf("update %d failed again: %w", updateID, err)
	}
	now := b.svc.Now()
	if err := b.db.MarkHandled(ctx, []int64{updateID}, now); err != nil {
		return err
	}
	return b.db.ResolveDead(ctx, updateID, now)
}

// TellSetAside tells each county's admins, privately and at most once a day, how many
// updates were set aside since they were last told, and where to see them. It returns
// how many counties were told.
func (b *Bot) TellSetAside(ctx context.Context) (int, error) {
	now := b.svc.Now()
	counts, err := b.db.DeadToTell(ctx, now)
	if err != nil {
		return 0, err
	}
	told := 0
	var errs []error
	for county, n := range counts {
		c, ok := b.svc.County(county)
		if !ok {
			continue
		}
		var msgs []store.Message
		for _, admin := range c.Admins {
			msgs = append(msgs, sendTo(admin, b.chatLang(ctx, admin).F("guard.set_aside_notice", n), nil)...)
		}
		if err := b.db.TellDead(ctx, county, now, msgs); err != nil {
			errs = append(errs, err)
			continue
		}
		told++
	}
	return told, errors.Join(errs...)
}
