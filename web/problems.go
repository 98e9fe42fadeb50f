package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
)

// Updates set aside (bot.Guard) are listed on the groups page, where an admin looks when
// a group seems quiet, each with a Retry button that hands it back to the bot's handler.

// deadShown bounds the list; more than a screenful means something is broken for good,
// and the log and /metrics say so.
const deadShown = 50

// failedShown bounds the list of messages given up on, as deadShown the updates.
const failedShown = 50

// gone reads what the groups page shows of chats the bot cannot reach: the messages
// given up on (each outbox row ends sent or failed, with its reason) to the county's
// chats and to chats no county knows, and the county's groups that removed the bot.
func (d *Dashboard) gone(ctx context.Context, county string) ([]store.FailedMessage, []store.RemovedGroup, error) {
	failed, err := d.DB.FailedMessages(ctx, county, failedShown)
	if err != nil {
		return nil, nil, err
	}
	removed, err := d.DB.RemovedGroups(ctx, county)
	return failed, removed, err
}

// errRetryFailed is a retry that failed again: the update stays set aside.
var errRetryFailed = errors.New("retry failed")

// Retrier hands an update set aside back to the bot (bot.Bot.Retry).
type Retrier func(ctx context.Context, county string, updateID int64) error

// retryDead retries one update set aside, from the groups page.
func (d *Dashboard) retryDead(w http.ResponseWriter, r *http.Request, s *consult.Session) {
	d.change(w, r, s, "groups", "/groups", func() error {
		id, err := pathID(r, store.ErrNotFound)
		if err != nil {
			return err
		}
		if d.Retry == nil {
			return store.ErrNotFound
		}
		err = d.Retry(r.Context(), s.County.ID, id)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			d.Log.Warn("retry of an update set aside failed", "update", id, "err", err)
			return errRetryFailed
		}
		return err
	}, outcome{store.ErrNotFound, http.StatusNotFound, "nodead"}, outcome{errRetryFailed, http.StatusConflict, "retryfailed"})
}
