package bot

import (
	"context"
	"strconv"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// press is a button press with its data read once: the action before the first ':' and
// the fields after it ("claim:12" is action "claim", fields ["12"]).
type press struct {
	q      *tgbotapi.CallbackQuery
	thread int64 // the forum topic of the message under the button
	action string
	fields []string
}

// readPress reads a press's data; data without an action is action "".
func readPress(q *tgbotapi.CallbackQuery, thread int64) press {
	action, rest, found := cutAction(q.Data)
	p := press{q: q, thread: thread, action: action}
	if found {
		p.fields = strings.Split(rest, ":")
	}
	return p
}

// cutAction splits callback data at its action, as every reader of it does (the router,
// the metric labels).
func cutAction(data string) (action, rest string, found bool) {
	return strings.Cut(data, ":")
}

// id is the press's one field as a positive number (a question's, a request's, an
// alert's); ok is false for anything else, so that "claim:12:x" is not "claim:12".
func (p press) id() (int64, bool) {
	if len(p.fields) != 1 {
		return 0, false
	}
	id, err := strconv.ParseInt(p.fields[0], 10, 64)
	return id, err == nil && id > 0
}

// button is what one action's buttons do. It is the only place a button is routed: the
// router (onCallback) and the metric labels read it.
type button struct {
	action string
	handle func(b *Bot, ctx context.Context, p press) error
}

// byID adapts a handler of a press that names one thing by number.
func byID(h func(b *Bot, ctx context.Context, q *tgbotapi.CallbackQuery, id int64) error) func(*Bot, context.Context, press) error {
	return func(b *Bot, ctx context.Context, p press) error {
		id, ok := p.id()
		if !ok {
			return b.expiredButton(ctx, p.q)
		}
		return h(b, ctx, p.q, id)
	}
}

// whole adapts a handler that reads the press's data itself (data of several fields).
func whole(h func(b *Bot, ctx context.Context, q *tgbotapi.CallbackQuery) error) func(*Bot, context.Context, press) error {
	return func(b *Bot, ctx context.Context, p press) error { return h(b, ctx, p.q) }
}

// buttonTable is every button action. A function, not a variable, for the reason
// commandTable is one.
func buttonTable() []button {
	decide := func(approve bool) func(*Bot, context.Context, press) error {
		return byID(func(b *Bot, ctx context.Context, q *tgbotapi.CallbackQuery, id int64) error {
			return b.decideExpert(ctx, q, id, approve)
		})
	}
	rate := func(solved bool) func(*Bot, context.Context, press) error {
		return byID(func(b *Bot, ctx context.Context, q *tgbotapi.CallbackQuery, id int64) error {
			return b.feedback(ctx, q, id, solved)
		})
	}
	visit := func(b *Bot, ctx context.Context, p press) error { return b.visitButton(ctx, p.q, p.thread) }
	table := []button{
		{actionClaim, byID((*Bot).claim)},
		{actionApprove, decide(true)},
		{actionReject, decide(false)},
		{actionSolved, rate(true)},
		{actionUnsolved, rate(false)},
		{actionQueue, func(b *Bot, ctx context.Context, p press) error { return b.queueButton(ctx, p.q) }},
		{actionPrevious, func(b *Bot, ctx context.Context, p press) error {
			id, ok := p.id()
			if !ok {
				return b.expiredButton(ctx, p.q)
			}
			return b.previousAnswer(ctx, p.q, id, p.thread)
		}},
		{actionArchive, byID((*Bot).closeFromArchive)},
		{actionShow, byID((*Bot).show)},
		{actionClinicExpert, whole((*Bot).clinicButton)},
		{actionClinicGo, whole((*Bot).clinicButton)},
		{actionVisitFromAlert, byID((*Bot).visitFromAlert)},
		{actionKeyword, whole((*Bot).addKeyword)},
		{actionAssign, whole((*Bot).assign)},
		{actionHeldSend, (*Bot).heldButton},
		{actionHeldApprove, (*Bot).heldButton},
		{actionHeldReturn, (*Bot).heldButton},
	}
	for _, a := range visitActions {
		table = append(table, button{a, visit})
	}
	return table
}

// visitActions are the buttons of visits and forms, which visitButton reads further.
var visitActions = []string{actionForm, actionVisitApprove, actionVisitPropose, actionVisitDecline, actionVisitBack,
	actionVisitOpen, actionVisitDate, actionVisitTime, actionVisitExpert, actionVisitDone, actionVisitAccept,
	actionVisitReject, actionNeedsVisit}

// onCallback routes a button press. Every press is answered, or the person's app keeps
// spinning.
func (b *Bot) onCallback(ctx context.Context, q *tgbotapi.CallbackQuery, thread int64) error {
	// Presses are paced per person (consult.Pace): past it a press only hears so.
	if p := b.svc.PacePress(ctx, q.From.ID); p.Over {
		b.answerCallback(ctx, q, b.langFor(ctx, q.From).T("buttons.too_many_presses_please"), false)
		return nil
	}
	p := readPress(q, thread)
	if btn, ok := b.buttons[p.action]; ok {
		return btn.handle(b, ctx, p)
	}
	return b.expiredButton(ctx, q)
}

// expiredButton answers a press of a button whose data the bot cannot read: an old
// keyboard, or data a script made up.
func (b *Bot) expiredButton(ctx context.Context, q *tgbotapi.CallbackQuery) error {
	b.answerCallback(ctx, q, b.langFor(ctx, q.From).T("buttons.button_no_longer_works"), false)
	return nil
}
