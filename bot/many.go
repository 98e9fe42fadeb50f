package bot

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
)

// handleWorkers bounds how many updates of a batch that are not plain questions are
// handled at once.
const handleWorkers = 16

// HandleMany handles a getUpdates batch as a ManyHandler. Plain questions (/ask in a
// group) are taken together with consult's AskMany: a burst from a hundred groups costs a
// few round trips, not a few per question. Everything else goes through Handle, several
// chats at once.
//
// Each chat's updates are cut into segments: a run of plain questions, or one other
// update. Round k handles the k-th segment of every chat: all the questions of the round
// in one AskMany, the other updates at the same time one by one. So a chat's updates keep
// their order, and a burst of questions in one group is still one batch.
func (b *Bot) HandleMany(ctx context.Context, us []Update) []error {
	errs := make([]error, len(us))
	ins := make([]*incoming, len(us))
	var chats [][][]int // each chat's segments: positions in us
	for _, idx := range byChat(us) {
		var segs [][]int
		for _, i := range idx {
			in, ok := b.plainQuestion(us[i])
			ins[i] = in
			if ok && len(segs) > 0 && ins[segs[len(segs)-1][0]] != nil {
				segs[len(segs)-1] = append(segs[len(segs)-1], i)
				continue
			}
			segs = append(segs, []int{i})
		}
		chats = append(chats, segs)
	}
	failed := make([]bool, len(chats))
	for round := 0; ; round++ {
		var asks, others []int
		var otherChat []int
		more := false
		for c, segs := range chats {
			if round >= len(segs) {
				continue
			}
			more = true
			seg := segs[round]
			if failed[c] {
				for _, i := range seg {
					errs[i] = ErrHeldBack
				}
				continue
			}
			if ins[seg[0]] != nil {
				asks = append(asks, seg...)
			} else {
				others, otherChat = append(others, seg[0]), append(otherChat, c)
			}
		}
		if !more {
			break
		}
		rest := make([]Update, len(others))
		for j, i := range others {
			rest[j] = us[i]
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
			if err != nil {
				failed[otherChat[j]] = true
			}
		}
		for c, segs := range chats {
			if round < len(segs) && ins[segs[round][0]] != nil {
				for _, i := range segs[round] {
					if errs[i] != nil && !errors.Is(errs[i], ErrHeldBack) {
						failed[c] = true
					}
				}
			}
		}
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
	if !ok || !b.routes[name].batched || (at != "" && !strings.EqualFold(at, b.self.UserName)) {
		return nil, false
	}
	// Telegram's language, not the one chosen with /lang (that would be a read per
	// question): every reply to a question is in both languages, and its acknowledgement
	// in the group's.
	return &incoming{updateID: int64(u.UpdateID), msg: msg, thread: u.ThreadID, lang: langOf(msg.From), args: args}, true
}

// askMany asks the questions of us at asks together. Should that panic, each is asked on
// its own through Handle, so that one poisoned update costs only itself.
func (b *Bot) askMany(ctx context.Context, us []Update, asks []int, ins []*incoming) (errs []error) {
	start := time.Now()
	defer func() {
		if r := recover(); r != nil {
			b.log.Error("panic while asking a batch; asking one by one", "questions", len(asks), "panic", fmt.Sprint(r),
				"stack", string(debug.Stack()))
			errs = make([]error, len(asks))
			for j, i := range asks {
				errs[j] = b.Handle(ctx, us[i])
			}
		}
	}()
	inputs := make([]consult.AskInput, len(asks))
	for j, i := range asks {
		inputs[j] = askInput(ins[i])
	}
	outcomes := b.svc.AskMany(ctx, inputs, AskMessages)
	errs = make([]error, len(asks))
	for j, o := range outcomes {
		errs[j] = b.asked(store.WithUpdate(ctx, ins[asks[j]].updateID), ins[asks[j]], o.Result, o.Err)
		outcome := "ok"
		if errs[j] != nil {
			outcome = "retry"
		}
		b.logUpdate(us[asks[j]], start, outcome)
	}
	return errs
}
