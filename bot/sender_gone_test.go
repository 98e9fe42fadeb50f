package bot

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/store"
)

// TestSenderRetriesNothingForever: every outbox row ends sent or failed. A refusal that
// will not pass ends the row at its first attempt, after the sender has told Refused; a
// 5xx is retried with the backoff as before, and a row that keeps failing is given up
// once it has failed for giveUp, with its reason; a 429 still waits what Telegram says
// and the row is delivered. All on a clock the sender moves by waiting: no sleeps.
func TestSenderRetriesNothingForever(t *testing.T) {
	t.Parallel()

	t.Run("a refusal fails the row at once, after Refused is told", func(t *testing.T) {
		t.Parallel()
		b := setupSender(t)
		group := b.tg.NewGroup("白泥镇农户群")
		b.tg.FailNext("sendMessage", http.StatusForbidden, "Forbidden: bot was kicked from the supergroup chat", 0)
		b.enqueue(t, sendText(group.ID, "专家解答"), sendText(group.ID, "下一条"))
		s := b.newSender(t, noLimits)
		s.clock = b.clockAhead(t, newStepClock)
		var told []string
		s.Refused = func(_ context.Context, m store.Message, e *tgbotapi.Error) error {
			told = append(told, m.Text+": "+e.Message)
			return nil
		}

		b.drain(t, s)

		status, _, reason := b.outcome(t, store.MethodSend, "专家解答")
		if status != "failed" || reason != "Forbidden: bot was kicked from the supergroup chat" {
			t.Errorf("refused row: %s, %q; want failed with Telegram's reason", status, reason)
		}
		if got := statuses(t, b.tg); got[403] != 1 || got[200] != 1 {
			t.Errorf("sendMessage answers = %v, want one 403 (never tried again) and the next message sent", got)
		}
		if len(told) != 1 || told[0] != "专家解答: Forbidden: bot was kicked from the supergroup chat" {
			t.Errorf("Refused was told %q, want the refused message once", told)
		}
	})

	t.Run("a refusal's reason is stored short and clean", func(t *testing.T) {
		t.Parallel()
		b := setupSender(t)
		group := b.tg.NewGroup("白泥镇农户群")
		// Postgres refuses NUL and invalid UTF-8: stored as given, the row could never end.
		long := "Bad Request: <b>" + strings.Repeat("\x00\xff长", 3000)
		b.tg.FailNext("sendMessage", http.StatusBadRequest, long, 0)
		b.enqueue(t, sendText(group.ID, "专家解答"))
		s := b.newSender(t, noLimits)
		s.clock = b.clockAhead(t, newStepClock)

		b.drain(t, s)

		status, _, reason := b.outcome(t, store.MethodSend, "专家解答")
		if status != "failed" || !strings.HasPrefix(reason, "Bad Request: <b>") || len(reason) > 600 ||
			strings.ContainsRune(reason, 0) || !utf8.ValidString(reason) {
			t.Errorf("refused row: %s, %d bytes %q; want failed with the reason cut short, valid and without NUL", status, len(reason), reason)
		}
	})

	t.Run("a 5xx is retried with backoff, then given up with its reason", func(t *testing.T) {
		t.Parallel()
		b := setupSender(t)
		group := b.tg.NewGroup("龙溪镇农户群")
		for range 100 {
			b.tg.FailNext("sendMessage", http.StatusBadGateway, "Bad Gateway", 0)
		}
		b.enqueue(t, sendText(group.ID, "专家解答"))
		s := b.newSender(t, noLimits)
		s.clock = b.clockAhead(t, newStepClock)
		s.giveUp = time.Minute

		b.drain(t, s)

		status, _, reason := b.outcome(t, store.MethodSend, "专家解答")
		if status != "failed" || !strings.HasPrefix(reason, "gave up after ") || !strings.Contains(reason, "Bad Gateway") {
			t.Errorf("row that kept failing: %s, %q; want failed, given up, with the last reason", status, reason)
		}
		calls := b.tg.Calls("sendMessage")
		// The backoff of today: 250 ms doubling up to 10 s, so about a dozen tries fit in
		// the minute.
		if len(calls) < 8 || len(calls) > 16 {
			t.Fatalf("%d tries in a minute of failures, want the backoff's dozen", len(calls))
		}
		for i := 2; i < len(calls); i++ {
			prev, gap := calls[i-1].At.Sub(calls[i-2].At), calls[i].At.Sub(calls[i-1].At)
			if gap < prev || gap > 10*time.Second+time.Second {
				t.Errorf("try %d came %v after the one before, which came %v after its own; want a growing backoff up to 10s", i+1, gap, prev)
			}
		}
		if span := calls[len(calls)-1].At.Sub(calls[0].At); span < time.Minute {
			t.Errorf("given up %v after the first failure, want a minute (giveUp)", span)
		}
	})

	t.Run("a 429 waits and the row is delivered", func(t *testing.T) {
		t.Parallel()
		b := setupSender(t)
		group := b.tg.NewGroup("敖溪镇农户群")
		for range 3 {
			b.tg.FailNext("sendMessage", http.StatusTooManyRequests, "Too Many Requests: retry after 5", 5)
		}
		b.enqueue(t, sendText(group.ID, "专家解答"))
		s := b.newSender(t, noLimits)
		s.clock = b.clockAhead(t, newStepClock)
		s.giveUp = time.Minute

		b.drain(t, s)

		if status, _, _ := b.outcome(t, store.MethodSend, "专家解答"); status != "sent" {
			t.Errorf("row after three 429s is %s, want sent", status)
		}
		calls := b.tg.Calls("sendMessage")
		if len(calls) != 4 || calls[3].At.Sub(calls[0].At) < 15*time.Second {
			t.Errorf("%d tries over %v, want 4, each after the 5 s Telegram asked for", len(calls), calls[len(calls)-1].At.Sub(calls[0].At))
		}
	})
}
