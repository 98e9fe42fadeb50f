package bot

import (
	"context"
	"time"

	"github.com/agriclinic/agriclinic/store"
)

// A reaction (setMessageReaction) is not a message: Telegram documents the limits on
// messages (sendX, and edits share them), and a reaction creates none. So the sender
// books a reaction a slot of the overall schedule only, never of its chat's allowance
// (one a second, twenty a minute in a group), which a burst needs for the shared
// acknowledgement. It is still counted against the overall 30 a second, in case.

// isReaction says whether m sets a reaction.
func isReaction(m store.Message) bool {
	return m.Method == store.MethodCall && m.API == reactionMethod
}

// book books m's slot: a message's under every limit of its chat, a reaction's under
// the overall one alone.
func (s *Sender) book(ctx context.Context, m store.Message, now time.Time) (store.Booking, time.Duration, error) {
	if isReaction(m) {
		return s.limiter.BookGlobal(ctx, now, s.ahead)
	}
	return s.limiter.Book(ctx, m.ChatID, now, s.ahead)
}

// sent moves the chat's schedules on after a message Telegram answered; a reaction
// leaves them as they were.
func (s *Sender) sent(ctx context.Context, m store.Message) error {
	if isReaction(m) {
		return nil
	}
	return s.limiter.Sent(ctx, m.ChatID, s.clock.Now())
}
