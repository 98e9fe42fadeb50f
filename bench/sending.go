package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/agriclinic/agriclinic/bot"
	"github.com/agriclinic/agriclinic/bot/telegramtest"
	"github.com/agriclinic/agriclinic/store"
)

// sendingSenders is how many senders (instances of the bot) share the outbox and the
// Redis schedule, as in a deployment of two instances.
const sendingSenders = 2

// benchSending puts a backlog of messages into the outbox, as the product does, half to
// township groups and half to private chats (experts), and has real senders deliver them
// to the fake Bot API enforcing Telegram's limits: 30 new messages in any second, 1 in
// any second to a chat, 20 in any minute to a group, a 429 beyond. The figure is the
// delivery rate as a share of the highest rate those limits allow for this workload; the
// goal is at least 90% and no 429.
func benchSending(ctx context.Context, e *env, sz sizes) ([]result, error) {
	var runs []sendingRun
	for i := range sz.sendRuns {
		r, err := sendOnce(ctx, e, sz, i)
		if err != nil {
			return nil, fmt.Errorf("run %d: %w", i+1, err)
		}
		runs = append(runs, r)
	}
	// The run of median rate gives every figure, so they belong together.
	slices.SortFunc(runs, func(a, b sendingRun) int { return int(1e6 * (a.rate() - b.rate())) })
	m := runs[len(runs)/2]
	most429 := 0
	for _, r := range runs {
		most429 = max(most429, r.tooMany)
	}
	share := m.rate() / m.allowed
	return []result{{
		name: fmt.Sprintf("sending: %d messages to %d chats (%d groups), %d senders, limits enforced by the fake; 429s in the worst run %d; median of %d",
			sz.sendMessages, sz.sendChats, sz.sendChats/2, sendingSenders, most429, len(runs)),
		figure:  fmt.Sprintf("%.1f msg/s in %s, %d × 429", m.rate(), m.elapsed.Round(100*time.Millisecond), m.tooMany),
		peer:    fmt.Sprintf("allowed %.1f msg/s", m.allowed),
		ratio:   fmt.Sprintf("%.0f%%", 100*share),
		goal:    "≥ 90%, no 429",
		verdict: verdict(share >= 0.9 && most429 == 0),
	}}, nil
}

type sendingRun struct {
	elapsed time.Duration // from the senders' start to the last message accepted
	allowed float64       // messages per second the limits allow for the workload
	tooMany int           // 429s the fake answered
	n       int
}

func (r sendingRun) rate() float64 { return float64(r.n) / r.elapsed.Seconds() }

func sendOnce(ctx context.Context, e *env, sz sizes, run int) (sendingRun, error) {
	// A clean outbox (the claim race leaves notices in it) and a fresh Redis schedule.
	// TRUNCATE, not DELETE: each deleted row checks the outbox's references to itself
	// (after_id, edit_outbox_id) by reading the whole table.
	if _, err := e.pool.Exec(ctx, `TRUNCATE outbox`); err != nil {
		return sendingRun{}, err
	}
	prefix := fmt.Sprintf("%ssend%d:", e.prefix, run)
	fake := telegramtest.StartLimited(telegramtest.DefaultLimits)
	defer fake.Close()

	var chats []int64
	for i := range sz.sendChats {
		if i%2 == 0 {
			chats = append(chats, fake.NewGroup("乡镇群 "+strconv.Itoa(i)).ID)
			continue
		}
		u := fake.NewUser("专家", strconv.Itoa(i), "zh")
		fake.Start(u)
		chats = append(chats, u.ID)
	}
	// Every chat gets its share, in an order shuffled the same way each run: messages
	// come from many questions at once.
	per := sz.sendMessages / len(chats)
	var msgs []store.Message
	for _, c := range chats {
		for k := range per {
			msgs = append(msgs, store.Message{ChatID: c, Method: store.MethodSend, Text: fmt.Sprintf("%d/%d 第%d条答复", c, k, k+1)})
		}
	}
	rng := rand.New(rand.NewPCG(7, 8))
	rng.Shuffle(len(msgs), func(i, j int) { msgs[i], msgs[j] = msgs[j], msgs[i] })
	// Shuffling reorders a chat's messages; number them again in outbox order, so that
	// the order each chat sees can be checked.
	seq := map[int64]int{}
	for i := range msgs {
		c := msgs[i].ChatID
		msgs[i].Text = fmt.Sprintf("%d/%d 第%d条答复", c, seq[c], seq[c]+1)
		seq[c]++
	}
	for chunk := range slices.Chunk(msgs, 500) {
		if err := e.db.Enqueue(ctx, chunk...); err != nil {
			return sendingRun{}, err
		}
	}

	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, sendingSenders)
	start := time.Now()
	for range sendingSenders {
		client, err := bot.NewClient(ctx, fake.Token(), fake.URL())
		if err != nil {
			return sendingRun{}, err
		}
		s := bot.NewSender(e.db, client, store.NewLimiter(e.rdb, prefix, store.DefaultRates), log)
		go func() { done <- s.Run(sctx) }()
	}
	allowed := allowedRate(per, len(chats), telegramtest.DefaultLimits)
	deadline := start.Add(time.Duration(3*float64(len(msgs))/allowed*float64(time.Second)) + time.Minute)
	for {
		backlog, err := e.db.OutboxBacklog(ctx)
		if err != nil {
			return sendingRun{}, err
		}
		if backlog == 0 {
			break
		}
		if time.Now().After(deadline) {
			return sendingRun{}, fmt.Errorf("%d of %d messages still unsent after %v", backlog, len(msgs), time.Since(start).Round(time.Second))
		}
		time.Sleep(100 * time.Millisecond)
	}
	stop()
	for range sendingSenders {
		if err := <-done; err != nil {
			return sendingRun{}, err
		}
	}

	// Every message once, each chat's in order, and when the last one arrived.
	var last time.Time
	got := map[int64][]int{}
	for _, c := range fake.Calls("sendMessage") {
		switch c.Status {
		case http.StatusOK:
		case http.StatusTooManyRequests:
			// What was refused, and when: the first question when the goal is missed.
			fmt.Printf("429 at %.3fs to chat %s: %s\n", c.At.Sub(start).Seconds(), c.Params["chat_id"], c.Description)
			continue
		default:
			return sendingRun{}, fmt.Errorf("sendMessage failed: %d %s", c.Status, c.Description)
		}
		last = c.At
		if os.Getenv("SENDING_TRACE") != "" {
			fmt.Printf("%8.3f %s %s\n", c.At.Sub(start).Seconds(), c.Params["chat_id"], c.Params["text"])
		}
		head, _, _ := strings.Cut(c.Params["text"], " ")
		chat, k, _ := strings.Cut(head, "/")
		id, _ := strconv.ParseInt(chat, 10, 64)
		n, _ := strconv.Atoi(k)
		got[id] = append(got[id], n)
	}
	for _, c := range chats {
		ok := len(got[c]) == seq[c]
		for i, n := range got[c] {
			ok = ok && i == n
		}
		if !ok {
			return sendingRun{}, fmt.Errorf("chat %d got messages %v, want 0..%d once each in order", c, got[c], seq[c]-1)
		}
	}
	r := sendingRun{elapsed: last.Sub(start), allowed: allowed, tooMany: fake.TooManyRequests(), n: len(msgs)}
	fmt.Printf("sending run %d: %d messages in %v, %.1f msg/s of %.1f allowed (%.0f%%), %d × 429\n",
		run+1, r.n, r.elapsed.Round(time.Millisecond), r.rate(), r.allowed, 100*r.rate()/r.allowed, r.tooMany)
	return r, nil
}

// allowedRate is the highest rate at which the limits let chats chats (every other one
// a group) receive per messages each: the messages over the shortest time the limits
// allow, which is the longer of the overall limit's (n / Global) and the time one chat
// needs for its messages (one a second, and in a group, 20 a minute).
func allowedRate(per, chats int, l telegramtest.Limits) float64 {
	n := per * chats
	overall := float64(n) / float64(l.Global)
	// The k-th message to a group (from 0) can go no sooner than the limits allow.
	last := per - 1
	private := float64(last) / float64(l.PerChat)
	group := float64(last/l.GroupPerMinute*60) + float64(last%l.GroupPerMinute)/float64(l.PerChat)
	return float64(n) / max(overall, private, group)
}
