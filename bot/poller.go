package bot

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Handler handles one update; an error means "not done, deliver it again".
type Handler func(ctx context.Context, u Update) error

// ManyHandler handles a getUpdates batch and returns each update's error as a Handler
// would. It handles each chat's updates in the order given; an update that comes after one
// of its chat's that failed is not handled and gets ErrHeldBack.
type ManyHandler func(ctx context.Context, us []Update) []error

// ErrHeldBack is the error of an update not handled because an earlier one of its chat
// failed: it comes again after that one.
var ErrHeldBack = errors.New("held back behind a failed update of the same chat")

// OneByOne makes a ManyHandler of a Handler: each chat's updates one after another,
// different chats at once, up to workers chats at a time.
func OneByOne(handle Handler, workers int) ManyHandler {
	return func(ctx context.Context, us []Update) []error {
		errs := make([]error, len(us))
		var wg sync.WaitGroup
		sem := make(chan struct{}, max(workers, 1))
		for _, idx := range byChat(us) {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				for k, i := range idx {
					if errs[i] = handle(ctx, us[i]); errs[i] != nil {
						for _, later := range idx[k+1:] {
							errs[later] = ErrHeldBack
						}
						return
					}
				}
			}()
		}
		wg.Wait()
		return errs
	}
}

// byChat returns the positions of each chat's updates, chats in the order they first
// appear.
func byChat(us []Update) [][]int {
	var out [][]int
	at := map[int64]int{}
	for i, u := range us {
		key := chatKey(u)
		k, ok := at[key]
		if !ok {
			k = len(out)
			at[key] = k
			out = append(out, nil)
		}
		out[k] = append(out[k], i)
	}
	return out
}

// Poller receives updates by long polling. Unlike tgbotapi's GetUpdatesChan, which
// confirms an update as soon as it is fetched, it moves the offset past an update only
// after the handler has stored what the update caused: a crash means redelivery, never loss,
// and handlers deduplicate redeliveries.
type Poller struct {
	tg      *Client
	handle  ManyHandler
	log     *slog.Logger
	timeout time.Duration
	// finishTimeout bounds how long a batch in flight may run after shutdown begins.
	finishTimeout time.Duration
}

// NewPoller returns a poller that passes every update to handle.
func NewPoller(tg *Client, handle ManyHandler, log *slog.Logger) *Poller {
	return &Poller{tg: tg, handle: handle, log: log, timeout: pollTimeout, finishTimeout: 30 * time.Second}
}

// Run polls until ctx ends. A batch being handled when ctx ends is finished first.
func (p *Poller) Run(ctx context.Context) error {
	// getUpdates refuses to work while a webhook is set.
	if err := p.tg.Request(ctx, tgbotapi.DeleteWebhookConfig{}); err != nil && ctx.Err() == nil {
		p.log.Warn("deleteWebhook failed; polling anyway", "err", err)
	}
	offset, failures := 0, 0
	for ctx.Err() == nil {
		updates, err := p.tg.GetUpdates(ctx, offset, p.timeout)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			failures++
			p.log.Warn("getUpdates failed", "err", err, "retry_in", backoff(failures).String())
			wait(ctx, backoff(failures))
			continue
		}
		// Shutdown waits for the batch: what it started is stored, not abandoned halfway.
		bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.finishTimeout)
		next, failed := p.handleBatch(bctx, updates, offset)
		cancel()
		offset = next
		if failed {
			failures++
			p.log.Warn("updates not stored; they will be handled again", "from_update", next, "retry_in", retryBatch(failures).String())
			wait(ctx, retryBatch(failures))
			continue
		}
		failures = 0
	}
	return nil
}

// handleBatch handles a getUpdates batch and returns the offset to confirm: past the
// whole batch, or up to the first update that failed (updates after it that succeeded come
// again and are deduplicated).
func (p *Poller) handleBatch(ctx context.Context, updates []Update, offset int) (int, bool) {
	if len(updates) == 0 {
		return offset, false
	}
	firstFail, failed := -1, false
	for i, err := range p.handle(ctx, updates) {
		if err == nil {
			continue
		}
		u := updates[i]
		if !errors.Is(err, ErrHeldBack) {
			p.log.Error("update failed", "update", u.UpdateID, "err", err)
			failed = true
		}
		if firstFail < 0 || u.UpdateID < firstFail {
			firstFail = u.UpdateID
		}
	}
	if firstFail >= 0 {
		// Only held back (the update before them was set aside): fetch them again at
		// once, no backoff.
		return firstFail, failed
	}
	return updates[len(updates)-1].UpdateID + 1, false
}

// retryBatch is how long the poller waits before it fetches a batch again after an
// update in it failed. It starts shorter than a Bot API retry (backoff): while it waits no
// chat's update is handled, and an update that fails every time while Postgres and Redis
// answer is set aside only after MaxTries of them (bot/guard.go), 3 s in all. In an
// outage it grows to the same 10 s.
func retryBatch(failures int) time.Duration {
	return min(100*time.Millisecond<<failures, 10*time.Second)
}

// chatKey is the chat an update belongs to, so one chat's updates stay in order.
func chatKey(u Update) int64 {
	switch {
	case u.Message != nil && u.Message.Chat != nil:
		return u.Message.Chat.ID
	case u.CallbackQuery != nil && u.CallbackQuery.Message != nil && u.CallbackQuery.Message.Chat != nil:
		return u.CallbackQuery.Message.Chat.ID
	case u.CallbackQuery != nil && u.CallbackQuery.From != nil:
		return u.CallbackQuery.From.ID
	case u.MyChatMember != nil:
		return u.MyChatMember.Chat.ID
	case u.EditedMessage != nil && u.EditedMessage.Chat != nil:
		return u.EditedMessage.Chat.ID
	}
	return 0
}

// wait pauses for d or until ctx ends.
func wait(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
