package bot

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/store"
)

// Sender delivers the outbox. It takes the oldest pending message of each chat (so a
// chat's messages arrive in order), keeps within Telegram's limits through the shared
// limiter, and on a 429 waits what Telegram says; on a 5xx or a network error it backs off
// and tries again, for a day at most (giveUp). Any other refusal fails the message at once,
// with its reason. A message is marked sent only after Telegram accepted it; every message
// ends sent or failed. Several
// senders (one per instance) share the work: a taken message is leased to one of them.
//
// To send at the full rate it books its slots in the shared schedule up to ahead in
// advance and sends each message at its slot, while it takes the next messages: asking
// the limiter for the present slot only, and writing each refusal back to Postgres,
// spent the time between slots on refusals and reached a quarter of the allowed rate
// (docs/benchmarks.md, sending).
type Sender struct {
	db      *store.DB
	tg      *Client
	limiter *store.Limiter
	log     *slog.Logger
	clock   Clock
	// lease is how long a taken message belongs to this sender; a sender that dies
	// mid-send leaves it to another after that.
	lease time.Duration
	batch int
	// ahead is how far ahead the sender books slots: enough to take the next messages
	// before the booked ones have gone.
	ahead time.Duration
	// poll is how long to wait for a notification before looking anyway.
	poll time.Duration
	// gap is the least time between the starts of two looks at the outbox while it is
	// busy: the last look had to hold messages back for their chat's slot, found the
	// schedule full, or took a whole batch. Under a burst every sent message and every
	// stored batch is a reason to look again (dozens of looks a second, each a probe of
	// every chat with pending messages), while slots are booked ahead a
	// second at a time: looking ten times a second loses no slot. In a conversation
	// nothing is held back, and each reply still goes at once.
	gap time.Duration
	// inflight are the booked messages waiting for their slot or being sent.
	inflight sync.WaitGroup
	// freed is signalled when a message is done, which makes its chat's next message due.
	freed chan struct{}
	// Metrics may be set after NewSender; nil counts nothing.
	Metrics *Metrics
	// Refused, when set, is told of a message Telegram refused for good before it is
	// given up, so that a group that removed the bot or a person who blocked it is marked
	// as such (Bot.Refused). May be set after NewSender.
	Refused func(ctx context.Context, m store.Message, apiErr *tgbotapi.Error) error
	// giveUp is how long a message that keeps failing for a reason that may pass (a 429,
	// a 5xx, the network) is retried after its first failure: then it fails for good,
	// with its reason, and the dashboard lists it. An outage of hours still delivers
	// everything once Telegram answers again.
	giveUp time.Duration
}

// Clock is the sender's time: the time now, and waiting for a time. Every wait of the
// sender is on its clock, so tests that drive their own check the sender's spacing
// without the wall clock. A wait is until a time rather than for a duration: a sender's
// waits are for slots and wakes, which are times, and on a clock that other goroutines
// move, a duration measured from an earlier reading would overshoot.
type Clock interface {
	Now() time.Time
	// Reaches sends the time on the returned channel once this clock reads at or later.
	Reaches(at time.Time) <-chan time.Time
}

// wallClock is the real time.
type wallClock struct{}

func (wallClock) Now() time.Time                        { return time.Now() }
func (wallClock) Reaches(at time.Time) <-chan time.Time { return time.After(time.Until(at)) }

// NewSender returns a sender.
func NewSender(db *store.DB, tg *Client, limiter *store.Limiter, log *slog.Logger) *Sender {
	return &Sender{db: db, tg: tg, limiter: limiter, log: log, clock: wallClock{}, lease: 15 * time.Second, batch: 64,
		ahead: time.Second, poll: time.Second, gap: 100 * time.Millisecond, freed: make(chan struct{}, 1),
		giveUp: 24 * time.Hour}
}

// Run delivers until ctx ends, and returns once the messages it booked are sent.
func (s *Sender) Run(ctx context.Context) error {
	defer s.inflight.Wait()
	failures := 0
	for ctx.Err() == nil {
		listener, err := s.db.Listen(ctx)
		if err != nil {
			failures++
			s.log.Warn("sender cannot reach Postgres", "err", err, "retry_in", backoff(failures).String())
			s.sleep(ctx, backoff(failures))
			continue
		}
		err = s.loop(ctx, listener)
		listener.Close()
		if err != nil && ctx.Err() == nil {
			failures++
			s.log.Warn("sender stopped", "err", err, "retry_in", backoff(failures).String())
			s.sleep(ctx, backoff(failures))
		}
	}
	return nil
}

func (s *Sender) loop(ctx context.Context, l *store.Listener) error {
	// wakes are the moments messages this sender held back may go, or the booked
	// schedule has room again, earliest first; the round that finds nothing due must not
	// sleep past the first. Keeping them all (not just the earliest) matters: each
	// message is held back once, until its chat's slot, and nothing else recalls it.
	var wakes []time.Time
	var busySince time.Time // when the last look began, if it found the outbox busy
	for ctx.Err() == nil {
		if d := s.untilNextRound(busySince); d > 0 {
			s.sleep(ctx, d)
		}
		began := s.clock.Now()
		r, err := s.round(ctx)
		if err != nil {
			return err
		}
		busySince = time.Time{}
		if r.busy(s.batch) {
			busySince = began
		}
		for _, at := range r.wakes {
			i, _ := slices.BinarySearchFunc(wakes, at, time.Time.Compare)
			wakes = slices.Insert(wakes, i, at)
		}
		if r.taken > 0 && r.next == 0 {
			continue
		}
		d := s.poll
		if len(wakes) > 0 {
			now := s.clock.Now()
			passed := 0
			for passed < len(wakes) && !wakes[passed].After(now) {
				passed++
			}
			if passed > 0 {
				// Their time has come and this round found them not due: sent by another
				// instance, or waiting on something else now. One more look, soon.
				wakes = wakes[passed:]
				d = min(d, time.Millisecond)
			} else {
				d = min(d, wakes[0].Sub(now))
			}
		}
		if err := s.idle(ctx, l, d, !r.full); err != nil {
			return err
		}
	}
	return nil
}

// sleep waits for d on the sender's clock, or until ctx ends.
func (s *Sender) sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-s.clock.Reaches(s.clock.Now().Add(d)):
	}
}

// untilNextRound is how long to wait before the next look at the outbox, the last one
// having found it busy at busySince (zero: it was not busy).
func (s *Sender) untilNextRound(busySince time.Time) time.Duration {
	if busySince.IsZero() {
		return 0
	}
	return max(0, s.gap-s.clock.Now().Sub(busySince))
}

// idle waits for an enqueued message, for d on the sender's clock, or, with onFreed, for
// a sent message whose chat has more. While the booked schedule is full, a freed chat can
// wait for the room: looking at once would only take messages to give them back.
func (s *Sender) idle(ctx context.Context, l *store.Listener, d time.Duration, onFreed bool) error {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	timeUp := s.clock.Reaches(s.clock.Now().Add(d))
	var freed <-chan struct{} // nil, never ready: a freed chat does not end this wait
	if onFreed {
		freed = s.freed
	}
	go func() {
		select {
		case <-timeUp:
			cancel()
		case <-freed:
			cancel()
		case <-wctx.Done():
		}
	}()
	// The sender's clock ends the wait; the listener's own timeout, on the wall clock,
	// is there only because Wait wants one, and with d at most poll it comes no sooner.
	err := l.Wait(wctx, s.poll)
	if err != nil && ctx.Err() == nil && wctx.Err() != nil {
		return nil // the time came, or a freed chat woke it
	}
	return err
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
		s.sleep(ctx, min(max(next, 50*time.Millisecond), s.poll))
	}
	return ctx.Err()
}

// SendDue sends what is due now, waiting for its slots, and returns how many it handled
// and, when some had to wait for the limiter, how soon to look again.
func (s *Sender) SendDue(ctx context.Context) (int, time.Duration, error) {
	r, err := s.round(ctx)
	if err != nil {
		return 0, 0, err
	}
	r.sends.Wait()
	return r.taken, r.next, r.failed()
}

// round is one look at the outbox.
type round struct {
	taken int
	// next is how soon to look again (0: at once).
	next time.Duration
	// full says the booked schedule is full.
	full bool
	// wakes are when the messages held back may go and when the full schedule has room.
	wakes []time.Time
	// sends are the round's messages booked and not yet sent.
	sends sync.WaitGroup
	mu    sync.Mutex
	first error
}

// busy says the round found more than it could send at once: it held messages back for
// their chat's slot, found the schedule full, or took a whole batch of limit.
func (r *round) busy(limit int) bool {
	return r.full || len(r.wakes) > 0 || r.taken >= limit
}

func (r *round) fail(err error) {
	if err == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.first == nil {
		r.first = err
	}
}

func (r *round) failed() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.first
}

// round takes the due messages, books a slot for each in the shared schedule and starts
// sending each at its slot, without waiting for them. A message whose chat has no slot
// yet is put back until it has; once the schedule is booked ahead as far as allowed, the
// rest are given back as they were, and the round says when there is room again.
func (s *Sender) round(ctx context.Context) (*round, error) {
	r := &round{}
	msgs, err := s.db.ClaimDue(ctx, s.clock.Now(), s.lease, s.batch)
	if err != nil || len(msgs) == 0 {
		return r, err
	}
	if err := s.groupAckTexts(ctx, msgs); err != nil {
		return r, err // taken, they go again when their lease ends
	}
	r.taken = len(msgs)
	var soon time.Duration
	for i, m := range msgs {
		now := s.clock.Now()
		if m.Method == store.MethodEdit && m.EditMessageID == 0 {
			// The message to edit never reached Telegram; there is nothing to change.
			s.Metrics.send(m.Method, "failed")
			if err := s.db.Fail(ctx, m.ID, now, "message to edit was never sent"); err != nil {
				return r, err
			}
			continue
		}
		booking, wait, err := s.book(ctx, m, now)
		if err != nil {
			// Without Redis there is no shared schedule; keep to the per-chat pace alone.
			s.log.Warn("rate limiter unavailable", "err", err)
			// Its slot is now: finding Redis gone took time, and a slot in the past
			// would have the message put back as late, again and again.
			booking, wait, now = store.Booked, 0, s.clock.Now()
		}
		switch booking {
		case store.Booked:
			s.start(ctx, r, m, now.Add(wait))
			continue
		case store.ChatBusy:
			s.Metrics.send(m.Method, "limited")
			if err := s.db.Defer(ctx, m.ID, now.Add(wait)); err != nil {
				return r, err
			}
			r.wakes = append(r.wakes, now.Add(wait))
			if soon == 0 || wait < soon {
				soon = wait
			}
			continue
		}
		// Full: look again when half of what is booked has gone, so that the next
		// round books a good share of the schedule, not one slot at a time.
		var ids []int64
		for _, m := range msgs[i:] {
			ids = append(ids, m.ID)
		}
		r.full, r.next = true, max(wait-s.ahead/2, time.Millisecond)
		r.wakes = append(r.wakes, now.Add(r.next))
		return r, s.db.Release(ctx, ids)
	}
	if len(msgs) < s.batch {
		r.next = soon
	}
	return r, nil
}

// start sends m at its slot, at, in the background. A message that misses its slot by
// more than half the limiter's margin is put back rather than sent: later slots were
// booked counting on its being on time.
func (s *Sender) start(ctx context.Context, r *round, m store.Message, at time.Time) {
	r.sends.Add(1)
	s.inflight.Add(1)
	go func() {
		defer s.inflight.Done()
		defer r.sends.Done()
		// Booked messages are sent even when the sender is stopping (the slot is at most
		// ahead away): a message Telegram accepted but the outbox did not record as sent
		// would be sent again later.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.lease)
		defer cancel()
		<-s.clock.Reaches(at)
		if late := s.clock.Now().Sub(at); s.limiter.Margin() > 0 && late > s.limiter.Margin()/2 {
			s.Metrics.send(m.Method, "limited")
			s.log.Warn("missed its sending slot; put back", "chat", m.ChatID, "outbox", m.ID, "late", late.String())
			r.fail(s.db.Defer(dctx, m.ID, s.clock.Now()))
		} else {
			r.fail(s.deliver(dctx, m))
		}
		select {
		case s.freed <- struct{}{}:
		default:
		}
	}()
}

// deliver sends one message at its slot and records the outcome. An error means the
// outbox could not be updated (the message stays leased and is retried after the lease).
func (s *Sender) deliver(ctx context.Context, m store.Message) error {
	method, params := request(m)
	sent, err := s.tg.attempt(ctx, method, params)
	if err == nil {
		if err := s.sent(ctx, m); err != nil {
			s.log.Warn("rate limiter unavailable", "err", err)
		}
		s.Metrics.send(m.Method, "sent")
		if m.Method == store.MethodEdit {
			sent = m.EditMessageID
		}
		return s.markSent(ctx, m, sent)
	}
	apiErr, isAPI := APIError(err)
	switch {
	case isAPI && apiErr.Code == http.StatusTooManyRequests:
		after := time.Duration(max(apiErr.RetryAfter, 1)) * time.Second
		s.Metrics.limited()
		s.log.Warn("Telegram asked to slow down", "chat", m.ChatID, "retry_after", after.String())
		return s.retry(ctx, m, after, err)
	case isAPI && harmlessRefusal(m, apiErr) != "":
		s.Metrics.send(m.Method, "sent")
		s.log.Debug("refused, and counted as sent", "chat", m.ChatID, "outbox", m.ID, "why", harmlessRefusal(m, apiErr))
		var id int64
		if m.Method == store.MethodEdit {
			id = m.EditMessageID // the message stands as it was meant to
		}
		return s.markSent(ctx, m, id)
	case isAPI && apiErr.Code >= 400 && apiErr.Code < 500:
		// Telegram will never take this one (blocked by the person, chat gone, message to
		// edit deleted); holding it would hold up the chat's later messages. It fails at
		// once, with Telegram's reason, after what the refusal says about the chat is
		// stored: if that cannot be stored now, the message stays taken and is tried again
		// after its lease, a few times at most.
		if err := s.refused(ctx, m, apiErr); err != nil {
			return err
		}
		s.Metrics.send(m.Method, "failed")
		s.log.Warn("message refused; failed", "chat", m.ChatID, "outbox", m.ID, "err", err)
		return s.db.Fail(ctx, m.ID, s.clock.Now(), storedReason(err.Error()))
	default:
		return s.retry(ctx, m, backoff(m.Attempts), err)
	}
}

// refusedTries is how many times a refused message is taken again while what its refusal
// says about the chat cannot be stored; then it fails anyway.
const refusedTries = 5

func (s *Sender) refused(ctx context.Context, m store.Message, apiErr *tgbotapi.Error) error {
	if s.Refused == nil {
		return nil
	}
	err := s.Refused(ctx, m, apiErr)
	if err != nil && m.Attempts < refusedTries {
		s.log.Warn("refused chat not recorded; the message will be taken again", "chat", m.ChatID, "outbox", m.ID, "err", err)
		return err
	}
	if err != nil {
		s.log.Error("refused chat not recorded; the message fails anyway", "chat", m.ChatID, "outbox", m.ID, "err", err)
	}
	return nil
}

// storedReason is a send's error as Postgres keeps it and the dashboard shows it: valid
// UTF-8 without NUL (Postgres refuses either, and the row would then never end, taken
// again after every lease) and short (truncateError), whatever Telegram or a proxy in
// front of it answered.
func storedReason(s string) string {
	return truncateError(strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", "\uFFFD"), "\uFFFD"))
}

// retry puts a message back for another attempt after wait, unless it has been failing
// for giveUp already: then it fails, and the dashboard lists it with its reason.
func (s *Sender) retry(ctx context.Context, m store.Message, wait time.Duration, cause error) error {
	now := s.clock.Now()
	gaveUp, err := s.db.RetryWithin(ctx, m.ID, now, now.Add(wait), storedReason(cause.Error()), s.giveUp)
	switch {
	case err != nil:
		return err
	case gaveUp:
		s.Metrics.send(m.Method, "failed")
		s.log.Warn("send kept failing; given up", "chat", m.ChatID, "outbox", m.ID, "attempts", m.Attempts, "err", cause)
	default:
		s.Metrics.send(m.Method, "retry")
		s.log.Warn("send failed; will retry", "chat", m.ChatID, "outbox", m.ID, "retry_in", wait.String(), "err", cause)
	}
	return nil
}

// markSent records a delivered message, retrying while Postgres is away: Telegram has
// the message, and a message not recorded as sent goes again when its lease ends. Only
// an outage longer than the lease (ctx's deadline) can still cause that second send.
func (s *Sender) markSent(ctx context.Context, m store.Message, messageID int64) error {
	for attempt := 0; ; attempt++ {
		err := s.db.MarkSent(ctx, m, messageID, s.clock.Now())
		if err == nil || ctx.Err() != nil {
			return err
		}
		s.log.Warn("delivered but not yet recorded; retrying", "outbox", m.ID, "err", err)
		s.sleep(ctx, backoff(attempt))
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
	if m.Method == store.MethodCall {
		// A call that names another outbox row's message (EditOutboxID: the guide to pin)
		// gets that message's id once it is sent.
		p.AddNonZero64("message_id", m.EditMessageID)
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
