package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/agriclinic/agriclinic/consult"
)

// handleWorkers bounds how many updates of a batch that are not plain questions are
// handled at once.
const handleWorkers = 16

// HandleMany handles updates that arrived together, each from a different chat, and
// returns each one's error as Handle would. Plain questions (/ask in a group) are taken
// together with consult's AskMany: a burst from a hundred groups costs a few round trips,
// not a few per question. Everything else goes through Handle, several at once.
func (b *Bot) HandleMany(ctx context.Context, us []Update) []error {
	errs := make([]error, len(us))
	var (
		asks, others []int
		ins          []*incoming
		rest         []Update
	)
	for i, u := range us {
		if in, ok := b.plainQuestion(u); ok {
			asks, ins = append(asks, i), append(ins, in)
		} else {
			others, rest = append(others, i), append(rest, u)
		}
	}
	done := make(chan []error, 1)
	go func() { done <- OneByOne(b.Handle, handleWorkers)(ctx, rest) }()
	if len(asks) > 0 {
		for j, err := range b.askMany(ctx, us, asks, ins) {
			errs[asks[j]] = err
		}
	}
	for j, err := range <-done {
		errs[others[j]] = err
	}
	return errs
}

// plainQuestion is an update that is nothing but a question: /ask in a group, without an
// album to wait for.
func (b *Bot) plainQuestion(u Update) (*incoming, bool) {
	msg := u.Message
	if msg == nil || msg.Chat == nil || msg.Chat.IsPrivate() || msg.From == nil || msg.From.IsBot ||
		msg.MigrateToChatID != 0 || msg.MediaGroupID != "" {
		return nil, false
	}
	name, at, args, ok := parseCommand(words(msg))
	if !ok || name != "ask" || (at != "" && !strings.EqualFold(at, b.self.UserName)) {
		return nil, false
	}
	return &incoming{updateID: int64(u.UpdateID), msg: msg, thread: u.ThreadID, lang: langOf(msg.From), args: args}, true
}

// askMany asks the questions of us at asks together. Should that panic, each is asked on
// its own through Handle, so that one poisoned update costs only itself.
func (b *Bot) askMany(ctx context.Context, us []Update, asks []int, ins []*incoming) (errs []error) {
	start := time.Now()
	defer func() {
		if r := recover(); r != nil {
			b.log.Error("panic while asking a batch; asking one by one", "questions", len(asks), "panic", fmt.Sprint(r))
			errs = make([]error, len(asks))
			for j, i := range asks {
				errs[j] = b.Handle(ctx, us[i])
			}
		}
	}()
	inputs := make([]consult.AskInput, len(ins))
	for j, in := range ins {
		inputs[j] = askInput(in)
	}
	outcomes := b.svc.AskMany(ctx, inputs, AskMessages)
	errs = make([]error, len(asks))
	for j, o := range outcomes {
		errs[j] = b.asked(ctx, ins[j], o.Result, o.Err)
		outcome := "ok"
		if errs[j] != nil {
			outcome = "retry"
		}
		b.logUpdate(us[asks[j]], start, outcome)
	}
	return errs
}
