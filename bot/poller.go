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

// Poller receives updates by long polling. Unlike tgbotapi's GetUpdatesChan, which
// confirms an update as soon as it is fetched, it moves the offset past an update only
// after the handler has stored what the update caused: a crash means redelivery, never loss,
// and handlers deduplicate redeliveries.
type Poller struct {
	tg      *Client
	handle  Handler
	log     *slog.Logger
	timeout time.Duration
	// workers bounds how many chats are handled at once within a batch.
	workers int
	// finishTimeout bounds how long a batch in flight may run after shutdown begins.
	finishTimeout time.Duration
}

// NewPoller returns a poller that passes every update to handle.
func NewPoller(tg *Client, handle Handler, log *slog.Logger) *Poller {
	return &Poller{tg: tg, handle: handle, log: log, timeout: pollTimeout, workers: 16, finishTimeout: 30 * time.Second}
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

// handleBatch handles a getUpdates batch: updates of one chat in order, different chats
// at once. It returns the offset to confirm: past the whole batch, or up to the first
// update that failed (updates after it that succeeded come again and are deduplicated).
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
	var (
		mu        sync.Mutex
		firstFail = -1
		wg        sync.WaitGroup
		sem       = make(chan struct{}, p.workers)
	)
	for _, key := range order {
		wg.Add(1)
		sem <- struct{}{}
		go func(batch []Update) {
			defer func() { <-sem; wg.Done() }()
			for _, u := range batch {
				if err := p.handle(ctx, u); err != nil {
					p.log.Error("update failed", "update", u.UpdateID, "err", err)
					mu.Lock()
					if firstFail < 0 || u.UpdateID < firstFail {
						firstFail = u.UpdateID
					}
					mu.Unlock()
					return // later updates of this chat wait, to keep their order
				}
			}
		}(byChat[key])
	}
	wg.Wait()
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
