package bot

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/store"
)

// Sender delivers the outbox. It takes the oldest pending message of each chat (so a
// chat's messages arrive in order), keeps within Telegram's limits through the shared
// limiter, and on a 429 waits what Telegram says; on a 5xx or a network error it backs off
// and tries again. A message is marked sent only after Telegram accepted it. Several
// senders (one per instance) share the work: a taken message is leased to one of them.
type Sender struct {
	db      *store.DB
	tg      *Client
	limiter *store.Limiter
	log     *slog.Logger
	now     func() time.Time
	// lease is how long a taken message belongs to this sender; a sender that dies
	// mid-send leaves it to another after that.
	lease time.Duration
	batch int
	// poll is how long to wait for a notification before looking anyway.
	poll time.Duration
	// Metrics may be set after NewSender; nil counts nothing.
	Metrics *Metrics
}

// NewSender returns a sender.
func NewSender(db *store.DB, tg *Client, limiter *store.Limiter, log *slog.Logger) *Sender {
	return &Sender{db: db, tg: tg, limiter: limiter, log: log, now: time.Now, lease: 15 * time.Second, batch: 64, poll: time.Second}
}

// Run delivers until ctx ends.
func (s *Sender) Run(ctx context.Context) error {
	failures := 0
	for ctx.Err() == nil {
		listener, err := s.db.Listen(ctx)
		if err != nil {
			failures++
			s.log.Warn("sender cannot reach Postgres", "err", err, "retry_in", backoff(failures).String())
			wait(ctx, backoff(failures))
			continue
		}
		err = s.loop(ctx, listener)
		listener.Close()
		if err != nil && ctx.Err() == nil {
			failures++
			s.log.Warn("sender stopped", "err", err, "retry_in", backoff(failures).String())
			wait(ctx, backoff(failures))
		}
	}
	return nil
}

func (s *Sender) loop(ctx context.Context, l *store.Listener) error {
	// wake is the earliest moment a message held back in an earlier round may go; the round
	// that finds nothing due must not sleep past it.
	var wake time.Time
	for ctx.Err() == nil {
		n, next, err := s.SendDue(ctx)
		if err != nil {
			return err
		}
		if at := s.now().Add(next); next > 0 && (wake.IsZero() || at.Before(wake)) {
			wake = at
		}
		if n > 0 {
			continue
		}
		d := s.poll
		if !wake.IsZero() {
			if until := wake.Sub(s.now()); until > 0 {
				d = min(d, until)
			} else {
				// Its time has come and this round found it not due: it was sent by
				// another instance, or waits on something else now.
				wake, d = time.Time{}, min(d, time.Millisecond)
			}
		}
		if err := l.Wait(ctx, d); err != nil {
			return err
		}
	}
	return nil
}

// Drain sends until the outbox is empty or ctx ends: what a stopping instance can still
// deliver, it delivers.
func (s *Sender) Drain(ctx context.Context) error {
	for ctx.Err() == nil {
		n, next, err := s.SendDue(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		backlog, err := s.db.OutboxBacklog(ctx)
		if err != nil || backlog == 0 {
			return err
		}
		wait(ctx, min(max(next, 50*time.Millisecond), s.poll))
	}
	return ctx.Err()
}

// SendDue sends what is due now and returns how many it handled and, when some had to
// wait for the limiter, how soon to look again.
func (s *Sender) SendDue(ctx context.Context) (int, time.Duration, error) {
	msgs, err := s.db.ClaimDue(ctx, s.now(), s.lease, s.batch)
	if err != nil || len(msgs) == 0 {
		return 0, 0, err
	}
	// Taken messages are finished even when the sender is stopping: a message Telegram
	// accepted but the outbox did not record as sent would be sent again later.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.lease)
	defer cancel()
	var (
		mu    sync.Mutex
		soon  time.Duration
		wg    sync.WaitGroup
		first error
	)
	for _, m := range msgs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			later, err := s.deliver(dctx, m)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && first == nil {
				first = err
			}
			if later > 0 && (soon == 0 || later < soon) {
				soon = later
			}
		}()
	}
	wg.Wait()
	return len(msgs), soon, first
}

// deliver sends one message and records the outcome. An error means the outbox could
// not be updated (the message stays leased and is retried after the lease).
func (s *Sender) deliver(ctx context.Context, m store.Message) (time.Duration, error) {
	if m.Method == store.MethodEdit && m.EditMessageID == 0 {
		// The message to edit never reached Telegram; there is nothing to change.
		s.Metrics.send(m.Method, "failed")
		return 0, s.db.Fail(ctx, m.ID, s.now(), "message to edit was never sent")
	}
	wait, err := s.limiter.Reserve(ctx, m.ChatID, s.now())
	if err != nil {
		// Without Redis there is no shared schedule; keep to the per-chat pace alone.
		s.log.Warn("rate limiter unavailable", "err", err)
		wait = 0
	}
	if wait > 0 {
		s.Metrics.send(m.Method, "limited")
		return wait, s.db.Defer(ctx, m.ID, s.now().Add(wait))
	}
	method, params := request(m)
	sent, err := s.tg.attempt(ctx, method, params)
	if err == nil {
		s.Metrics.send(m.Method, "sent")
		if m.Method == store.MethodEdit {
			sent = m.EditMessageID
		}
		return 0, s.markSent(ctx, m, sent)
	}
	apiErr, isAPI := APIError(err)
	switch {
	case isAPI && apiErr.Code == http.StatusTooManyRequests:
		after := time.Duration(max(apiErr.RetryAfter, 1)) * time.Second
		s.Metrics.limited()
		s.Metrics.send(m.Method, "retry")
		s.log.Warn("Telegram asked to slow down", "chat", m.ChatID, "retry_after", after.String())
		return after, s.db.Retry(ctx, m.ID, s.now().Add(after), err.Error())
	case isAPI && m.Method == store.MethodEdit && strings.Contains(apiErr.Message, "message is not modified"):
		s.Metrics.send(m.Method, "sent")
		return 0, s.markSent(ctx, m, m.EditMessageID)
	case isAPI && apiErr.Code >= 400 && apiErr.Code < 500:
		s.Metrics.send(m.Method, "failed")
		// Telegram will never take this one (blocked by the person, chat gone, message to
		// edit deleted); holding it would hold up the chat's later messages.
		s.log.Warn("message refused; dropped", "chat", m.ChatID, "outbox", m.ID, "err", err)
		return 0, s.db.Fail(ctx, m.ID, s.now(), err.Error())
	default:
		after := backoff(m.Attempts)
		s.Metrics.send(m.Method, "retry")
		s.log.Warn("send failed; will retry", "chat", m.ChatID, "outbox", m.ID, "retry_in", after.String(), "err", err)
		return after, s.db.Retry(ctx, m.ID, s.now().Add(after), err.Error())
	}
}

// markSent records a delivered message, retrying while Postgres is away: Telegram has
// the message, and a message not recorded as sent goes again when its lease ends. Only
// an outage longer than the lease (ctx's deadline) can still cause that second send.
func (s *Sender) markSent(ctx context.Context, m store.Message, messageID int64) error {
	for attempt := 0; ; attempt++ {
		err := s.db.MarkSent(ctx, m, messageID, s.now())
		if err == nil || ctx.Err() != nil {
			return err
		}
		s.log.Warn("delivered but not yet recorded; retrying", "outbox", m.ID, "err", err)
		wait(ctx, backoff(attempt))
	}
}

// request turns an outbox row into a Bot API method and its parameters. It builds them
// itself rather than through tgbotapi's configs, which know neither message_thread_id
// nor the media methods.
func request(m store.Message) (string, tgbotapi.Params) {
	p := tgbotapi.Params{}
	for k, v := range m.Params {
		p[k] = v
	}
	if m.API != "setMyCommands" { // its chat is in the scope; the row's chat orders and paces it
		p.AddNonZero64("chat_id", m.ChatID)
	}
	if len(m.Markup) > 0 {
		p["reply_markup"] = string(m.Markup)
	}
	method := m.API
	switch m.Method {
	case store.MethodEdit:
		p.AddNonZero64("message_id", m.EditMessageID)
		p["text"], p["parse_mode"] = m.Text, tgbotapi.ModeHTML
		p.AddBool("disable_web_page_preview", true)
		return "editMessageText", p
	case store.MethodSend:
		method = "sendMessage"
		p["text"], p["parse_mode"] = m.Text, tgbotapi.ModeHTML
		p.AddBool("disable_web_page_preview", true)
	}
	p.AddNonZero64("message_thread_id", m.ThreadID)
	if m.ReplyTo != 0 {
		p.AddNonZero64("reply_to_message_id", m.ReplyTo)
		p.AddBool("allow_sending_without_reply", true)
	}
	if m.Text != "" && method != "sendMessage" {
		// A caption: media with words.
		p["caption"], p["parse_mode"] = m.Text, tgbotapi.ModeHTML
	}
	return method, p
}
