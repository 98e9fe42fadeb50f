package bot

import (
	"context"
	"log/slog"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Handler handles one update; an error means "not done, deliver it again".
type Handler func(ctx context.Context, u Update) error

// ManyHandler handles updates that arrived together, each from a different chat, and
// returns each one's error as a Handler would.
type ManyHandler func(ctx context.Context, us []Update) []error

// OneByOne makes a ManyHandler of a Handler: each update is handled on its own, up to
// workers at once.
func OneByOne(handle Handler, workers int) ManyHandler {
	return func(ctx context.Context, us []Update) []error {
		errs := make([]error, len(us))
		var wg sync.WaitGroup
		sem := make(chan struct{}, max(workers, 1))
		for i, u := range us {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				errs[i] = handle(ctx, u)
			}()
		}
		wg.Wait()
		return errs
	}
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
			p.log.Warn("updates not stored; they will be handled again", "from_update", next, "retry_in", backoff(failures).String())
			wait(ctx, backoff(failures))
			continue
		}
		failures = 0
	}
	return nil
}

// handleBatch handles a getUpdates batch in rounds: the first update of every chat
// together, then the second of every chat, and so on, so that one chat's updates keep
// their order while different chats' are handled together. It returns the offset to
// confirm: past the whole batch, or up to the first update that failed (updates after it
// that succeeded come again and are deduplicated).
func (p *Poller) handleBatch(ctx context.Context, updates []Update, offset int) (int, bool) {
	if len(updates) == 0 {
		return offset, false
	}
	var order []int64
	byChat := map[int64][]Update{}
	for _, u := range updates {
		key := chatKey(u)
		if _, ok := byChat[key]; !ok {
			order = append(order, key)
		}
		byChat[key] = append(byChat[key], u)
	}
	firstFail := -1
	stopped := map[int64]bool{} // chats whose later updates wait, to keep their order
	for round := 0; ; round++ {
		var us []Update
		for _, key := range order {
			if chat := byChat[key]; round < len(chat) && !stopped[key] {
				us = append(us, chat[round])
			}
		}
		if len(us) == 0 {
			break
		}
		for i, err := range p.handle(ctx, us) {
			if err == nil {
				continue
			}
			u := us[i]
			p.log.Error("update failed", "update", u.UpdateID, "err", err)
			stopped[chatKey(u)] = true
			if firstFail < 0 || u.UpdateID < firstFail {
				firstFail = u.UpdateID
			}
		}
	}
	if firstFail >= 0 {
		return firstFail, true
	}
	return updates[len(updates)-1].UpdateID + 1, false
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
