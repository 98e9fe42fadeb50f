package bot

import (
	"context"
	"errors"
	"fmt"
	"html"
	"slices"
	"strconv"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
)

// Township ordering (乡镇点单): a coordinator or an admin orders a door-to-door visit with
// /visit (a form, see form.go), or an expert from a question that needs one; every admin
// of the county gets the order with buttons to approve it (a date, a time, experts),
// propose another time or decline it; the township and the orderer are told at each
// step, the experts get the visit, and one of them reports it with /report.

// Visit buttons. Data is "<action>:<visit>" unless said otherwise; all stay well under
// Telegram's 64 bytes (see TestVisitCallbackDataFits).
const (
	actionVisitApprove = "vapprove" // pick a date, a time and experts
	actionVisitPropose = "vpropose" // pick another date and time for the township to accept
	actionVisitDecline = "vdecline" // give a reason
	actionVisitBack    = "vback"    // back to the three choices
	actionVisitOpen    = "vopen"    // show an order with its choices again (from /visits)
	// "vdate:<visit>:<mode><yyyymmdd>" and "vtime:<visit>:<mode><yyyymmddhhmm>", where mode
	// is modeApprove or modePropose.
	actionVisitDate = "vdate"
	actionVisitTime = "vtime"
	// "vexp:<visit>:<expert>:<1|0>" picks an expert or takes them off.
	actionVisitExpert = "vexp"
	actionVisitDone   = "vdone"   // approve with the time and experts picked
	actionVisitAccept = "vaccept" // the township accepts a proposed time
	actionVisitReject = "vreject" // the township turns it down
	// actionNeedsVisit orders a visit for a question (id: the question), from the card
	// of the expert who claimed it.
	actionNeedsVisit = "vneed"
)

const (
	modeApprove = 'a'
	modePropose = 'p'
)

// visitButton routes a press on a visit's or a form's button.
func (b *Bot) visitButton(ctx context.Context, q *tgbotapi.CallbackQuery, thread int64) error {
	l := b.langFor(ctx, q.From)
	action, rest, _ := strings.Cut(q.Data, ":")
	if action == actionForm {
		return b.formButton(ctx, q, l)
	}
	head, tail, _ := strings.Cut(rest, ":")
	id, err := strconv.ParseInt(head, 10, 64)
	if err != nil || id <= 0 {
		b.answerCallback(ctx, q, l.T("buttons.button_no_longer_works"), false)
		return nil
	}
	switch action {
	case actionNeedsVisit:
		return b.needsVisit(ctx, q, id, l)
	case actionVisitOpen:
		// From a list or a notice: the order comes as a message of its own.
		v, err := b.svc.VisitToDecide(ctx, id, q.From.ID)
		if errors.Is(err, consult.ErrAlreadyDecided) {
			b.answerCallback(ctx, q, l.F("visit.numbered", id, visitStatusPlain(l, v)), true)
			return nil
		}
		if err != nil {
			return b.visitRefused(ctx, q, l, v, err)
		}
		b.answerCallback(ctx, q, "", false)
		return b.db.Enqueue(ctx, remembered(sendTo(q.From.ID, visitCard(l, v), decisionKeyboardFor(l, id)),
			store.MessageVisitOrder, id, q.From.ID, l)...)
	case actionVisitApprove, actionVisitPropose, actionVisitBack:
		v, err := b.svc.VisitToDecide(ctx, id, q.From.ID)
		if err != nil {
			return b.visitRefused(ctx, q, l, v, err)
		}
		b.answerCallback(ctx, q, "", false)
		switch action {
		case actionVisitApprove:
			return b.db.Enqueue(ctx, editPressed(q, datePicker(l, v, b.svc.VisitDates(v.County), modeApprove))...)
		case actionVisitPropose:
			return b.db.Enqueue(ctx, editPressed(q, datePicker(l, v, b.svc.VisitDates(v.County), modePropose))...)
		}
		return b.db.Enqueue(ctx, editPressed(q, pickerView{visitCard(l, v), decisionKeyboardFor(l, id)})...)
	case actionVisitDecline:
		return b.startDecline(ctx, q, id, l)
	case actionVisitDate:
		mode, day, ok := parseMode(tail, "20060102")
		v, err := b.svc.VisitToDecide(ctx, id, q.From.ID)
		if err != nil {
			return b.visitRefused(ctx, q, l, v, err)
		}
		if !ok {
			b.answerCallback(ctx, q, l.T("buttons.button_no_longer_works"), false)
			return nil
		}
		b.answerCallback(ctx, q, "", false)
		return b.db.Enqueue(ctx, editPressed(q, timePicker(l, v, inCounty(day, v.County), mode))...)
	case actionVisitTime:
		return b.pickTime(ctx, q, id, tail, l)
	case actionVisitExpert:
		expert, on, found := strings.Cut(tail, ":")
		uid, err := strconv.ParseInt(expert, 10, 64)
		if !found || err != nil || (on != "0" && on != "1") {
			b.answerCallback(ctx, q, l.T("buttons.button_no_longer_works"), false)
			return nil
		}
		res, err := b.svc.ChooseExpert(ctx, id, q.From.ID, uid, on == "1", func(c consult.ExpertChoice) []store.Message {
			return editPressed(q, expertPicker(l, c, ""))
		})
		if err != nil {
			return b.visitRefused(ctx, q, l, res.VisitView, err)
		}
		b.answerCallback(ctx, q, "", false)
		return nil
	case actionVisitDone:
		adminName := personName(q.From)
		n, err := b.svc.ApproveVisit(ctx, id, q.From.ID, func(n consult.VisitNews) []store.Message {
			return approvedMessages(n, q, l, adminName)
		})
		if err != nil {
			return b.visitRefused(ctx, q, l, n.VisitView, err)
		}
		b.answerCallback(ctx, q, l.F("visit.visit_scheduled", id), false)
		return nil
	case actionVisitAccept, actionVisitReject:
		return b.answerProposal(ctx, q, id, action == actionVisitAccept, l, thread)
	}
	b.answerCallback(ctx, q, l.T("buttons.button_no_longer_works"), false)
	return nil
}

// parseMode reads "<mode><time in layout>" from a date or time button.
func parseMode(s, layout string) (byte, time.Time, bool) {
	if len(s) != 1+len(layout) || (s[0] != modeApprove && s[0] != modePropose) {
		return 0, time.Time{}, false
	}
	t, err := time.Parse(layout, s[1:])
	return s[0], t, err == nil
}

// inCounty reads the wall-clock time t (parsed as UTC) in the county's time zone.
func inCounty(t time.Time, c *consult.County) time.Time {
	loc := c.Location
	if loc == nil {
		loc = time.UTC
	}
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), 0, 0, loc)
}

// pickTime handles a time button: approving, it moves on to the experts; proposing, it
// proposes.
func (b *Bot) pickTime(ctx context.Context, q *tgbotapi.CallbackQuery, id int64, tail string, l lang) error {
	mode, wall, ok := parseMode(tail, "200601021504")
	if !ok {
		b.answerCallback(ctx, q, l.T("buttons.button_no_longer_works"), false)
		return nil
	}
	v, err := b.svc.Visit(ctx, id)
	if err != nil {
		return b.visitRefused(ctx, q, l, v, err)
	}
	at := inCounty(wall, v.County)
	if mode == modeApprove {
		res, err := b.svc.ChooseTime(ctx, id, q.From.ID, at, func(c consult.ExpertChoice) []store.Message {
			return editPressed(q, expertPicker(l, c, ""))
		})
		if err != nil {
			return b.visitRefused(ctx, q, l, res.VisitView, err)
		}
		b.answerCallback(ctx, q, "", false)
		return nil
	}
	adminName := personName(q.From)
	n, err := b.svc.ProposeVisit(ctx, id, q.From.ID, at, func(n consult.VisitNews) []store.Message {
		return proposedMessages(n, q, l, adminName)
	})
	if err != nil {
		return b.visitRefused(ctx, q, l, n.VisitView, err)
	}
	b.answerCallback(ctx, q, l.T("visit.proposed_time_was_sent"), false)
	return nil
}

// visitRefused answers a visit button the service refused; a visit decided meanwhile
// also has the pressed message show how, so nobody decides it twice.
func (b *Bot) visitRefused(ctx context.Context, q *tgbotapi.CallbackQuery, l lang, v consult.VisitView, err error) error {
	switch {
	case errors.Is(err, consult.ErrNoSuchVisit):
		b.answerCallback(ctx, q, l.T("visit.there_no_such_visit"), true)
	case errors.Is(err, consult.ErrNotAdmin):
		b.answerCallback(ctx, q, l.T("visit.only_admin_decides"), true)
	case errors.Is(err, consult.ErrNotTownship):
		b.answerCallback(ctx, q, l.T("visit.only_township_coordinator_can"), true)
	case errors.Is(err, consult.ErrTimeNotOffered):
		b.answerCallback(ctx, q, l.T("visit.that_time_can_no"), true)
	case errors.Is(err, consult.ErrNoExpertChosen):
		b.answerCallback(ctx, q, l.T("visit.choose_at_least_one"), true)
	case errors.Is(err, consult.ErrNotExpert):
		b.answerCallback(ctx, q, l.T("visit.that_person_no_longer"), true)
	case errors.Is(err, consult.ErrAlreadyDecided):
		b.answerCallback(ctx, q, l.T("visit.order_was_already_decided"), false)
		if v.County != nil {
			return b.db.Enqueue(ctx, editPressed(q, pickerView{visitCard(l, v) + "\n\n" + visitStatusLine(l, v), nil})...)
		}
	default:
		return err
	}
	return nil
}

// pickerView is a message's text and buttons.
type pickerView struct {
	text   string
	markup any
}

// editPressed changes the message whose button was pressed.
func editPressed(q *tgbotapi.CallbackQuery, v pickerView) []store.Message {
	if q.Message == nil || q.Message.Chat == nil {
		return nil
	}
	e := editTo(q.Message.Chat.ID, int64(q.Message.MessageID), v.text)
	e.Markup = markupJSON(v.markup)
	return []store.Message{e}
}

func decisionKeyboardFor(l lang, visitID int64) tgbotapi.InlineKeyboardMarkup {
	return tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
		tgbotapi.NewInlineKeyboardButtonData(l.T("keyboard.approve"), callbackData(actionVisitApprove, visitID)),
		tgbotapi.NewInlineKeyboardButtonData(l.T("visit.propose_time"), callbackData(actionVisitPropose, visitID)),
		tgbotapi.NewInlineKeyboardButtonData(l.T("visit.decline"), callbackData(actionVisitDecline, visitID)),
	))
}

// datePicker offers the days a visit may be set on, two to a row.
func datePicker(l lang, v consult.VisitView, days []time.Time, mode byte) pickerView {
	var rows [][]tgbotapi.InlineKeyboardButton
	var row []tgbotapi.InlineKeyboardButton
	for _, d := range days {
		data := fmt.Sprintf("%s:%d:%c%s", actionVisitDate, v.Visit.ID, mode, d.Format("20060102"))
		row = append(row, tgbotapi.NewInlineKeyboardButtonData(dayLabel(l, d), data))
		if len(row) == 2 {
			rows, row = append(rows, row), nil
		}
	}
	if len(row) > 0 {
		rows = append(rows, row)
	}
	rows = append(rows, tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData(l.T("visit.back"), callbackData(actionVisitBack, v.Visit.ID))))
	ask := l.T("visit.pick_day_visit")
	if mode == modePropose {
		ask = l.T("visit.pick_day_propose_township")
	}
	return pickerView{visitCard(l, v) + "\n\n" + ask, tgbotapi.NewInlineKeyboardMarkup(rows...)}
}

// timePicker offers the times of day on a chosen day.
func timePicker(l lang, v consult.VisitView, day time.Time, mode byte) pickerView {
	var row []tgbotapi.InlineKeyboardButton
	for _, slot := range consult.VisitSlots {
		data := fmt.Sprintf("%s:%d:%c%s%s", actionVisitTime, v.Visit.ID, mode, day.Format("20060102"), strings.ReplaceAll(slot, ":", ""))
		row = append(row, tgbotapi.NewInlineKeyboardButtonData(slot, data))
	}
	back := actionVisitApprove
	if mode == modePropose {
		back = actionVisitPropose
	}
	kb := tgbotapi.NewInlineKeyboardMarkup(row, tgbotapi.NewInlineKeyboardRow(
		tgbotapi.NewInlineKeyboardButtonData(l.T("visit.another_day"), callbackData(back, v.Visit.ID))))
	return pickerView{visitCard(l, v) + "\n\n" + l.F("visit.day_pick_time", dayLabel(l, day)), kb}
}

// expertPicker offers the experts, those picked marked ✅, each with their other visits
// that week, and Done.
func expertPicker(l lang, c consult.ExpertChoice, head string) pickerView {
	var rows [][]tgbotapi.InlineKeyboardButton
	for _, e := range c.Candidates {
		picked := slices.Contains(c.Draft.Experts, e.UserID)
		label := l.F("visit.week_count", snippet(expertName(e.Expert), 24), e.Week)
		on := "1"
		if picked {
			label, on = "✅ "+label, "0"
		}
		data := fmt.Sprintf("%s:%d:%d:%s", actionVisitExpert, c.Visit.ID, e.UserID, on)
		rows = append(rows, tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData(label, data)))
	}
	last := tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData(l.T("form.done"), callbackData(actionVisitDone, c.Visit.ID)))
	if c.Visit.Status == store.VisitOrdered {
		last = append(last, tgbotapi.NewInlineKeyboardButtonData(l.T("visit.another_time"), callbackData(actionVisitApprove, c.Visit.ID)))
	}
	rows = append(rows, last)
	text := head + visitCard(l, c.VisitView) + "\n\n"
	when := c.Draft.ScheduledAt
	if when.IsZero() {
		when = c.Visit.ScheduledAt
	}
	text += l.F("visit.time", visitWhen(l, when, c.County))
	if len(c.Candidates) == 0 {
		text += l.T("visit.county_has_no_approved")
	} else {
		text += l.T("visit.choose_experts_go_one")
	}
	return pickerView{text, tgbotapi.NewInlineKeyboardMarkup(rows...)}
}

// dayLabel is a day as a button shows it, e.g. "07-03 周五" or "Fri 07-03".
func dayLabel(l lang, d time.Time) string { return dayName(l, d, "01-02") }

// visitWhen is a visit's time in its county, e.g. "07-03 周五 09:00".
func visitWhen(l lang, t time.Time, c *consult.County) string {
	if c != nil && c.Location != nil {
		t = t.In(c.Location)
	}
	return dayLabel(l, t) + " " + t.Format("15:04")
}

// preferredLabel says the dates a township would like.
func preferredLabel(l lang, s string) string {
	switch s {
	case consult.PreferThisWeek:
		return l.T("visit.this_week")
	case consult.PreferNextWeek:
		return l.T("visit.next_week")
	case consult.PreferAnyTime:
		return l.T("visit.any_time")
	}
	return esc(s)
}

// topicLabel is a visit's topic: a category's name in the language, or the words given.
func topicLabel(l lang, v consult.VisitView) string {
	if v.Category != nil && v.Visit.Topic == v.Category.Name {
		return categoryLabel(l, v.Category)
	}
	return esc(v.Visit.Topic)
}

// visitCard is how a visit order reads.
func visitCard(l lang, v consult.VisitView) string {
	x := v.Visit
	var s strings.Builder
	fmt.Fprintf(&s, l.T("visit.visit"), x.ID, esc(v.County.Name), esc(x.Township))
	fmt.Fprintf(&s, l.T("visit.topic"), topicLabel(l, v))
	if x.Crops != "" {
		fmt.Fprintf(&s, l.T("visit.crops_herds"), esc(x.Crops))
	}
	if x.Problem != "" {
		fmt.Fprintf(&s, l.T("visit.problem"), esc(snippet(x.Problem, 300)))
	}
	if x.Households > 0 {
		fmt.Fprintf(&s, l.T("visit.households_about"), x.Households)
	}
	if x.Place != "" {
		fmt.Fprintf(&s, l.T("visit.place"), esc(x.Place))
	}
	if x.Preferred != "" {
		fmt.Fprintf(&s, l.T("visit.preferred"), preferredLabel(l, x.Preferred))
	}
	var source string
	switch x.Source {
	case store.SourceQuestion:
		source = l.F("visit.question_needs_field_visit", x.QuestionID)
	case store.SourceAlert:
		source = l.T("visit.outbreak_alert")
	default:
		source = l.T("visit.ordered_by_township")
	}
	who := ""
	if x.OrderedByName != "" {
		who = " · " + esc(x.OrderedByName)
	}
	fmt.Fprintf(&s, l.T("visit.from"), source, who, localTime(x.OrderedAt, v.County))
	return s.String()
}

// expertNames lists a visit's experts.
func expertNames(l lang, experts []store.Expert) string {
	if len(experts) == 0 {
		return l.T("visit.chosen")
	}
	names := make([]string, len(experts))
	for i, e := range experts {
		names[i] = esc(expertName(e))
	}
	return strings.Join(names, l.T("render.list_separator"))
}

// visitStatusLine says where a visit stands.
func visitStatusLine(l lang, v consult.VisitView) string {
	x := v.Visit
	switch x.Status {
	case store.VisitOrdered:
		return l.T("visit.waiting_county_bureau")
	case store.VisitProposed:
		return l.F("visit.bureau_proposed_waiting_township", visitWhen(l, x.ProposedAt, v.County))
	case store.VisitApproved:
		return l.F("visit.scheduled_experts", visitWhen(l, x.ScheduledAt, v.County), expertNames(l, v.Experts))
	case store.VisitDeclined:
		return l.F("visit.declined", esc(x.DeclineReason))
	case store.VisitDone:
		return l.T("visit.done_button")
	case store.VisitCancelled:
		return l.T("visit.cancelled")
	}
	return ""
}

// visitStatusPlain is visitStatusLine without HTML, for a button's alert.
func visitStatusPlain(l lang, v consult.VisitView) string {
	if v.County == nil {
		return ""
	}
	return html.UnescapeString(visitStatusLine(l, v)) // the line has no tags
}

// orderMessages shows a visit order to every admin of its county with the choices, each
// copy remembered so that once it is decided every copy says how.
func orderMessages(n consult.VisitNews, head func(l lang) string) []store.Message {
	var msgs []store.Message
	for _, a := range n.Admins {
		l := langFromCode(a.Language)
		text := visitCard(l, n.VisitView)
		if head != nil {
			text = head(l) + text
		}
		msgs = append(msgs, remembered(sendTo(a.UserID, text, decisionKeyboardFor(l, n.Visit.ID)), store.MessageVisitOrder, n.Visit.ID, a.UserID, l)...)
	}
	return msgs
}

// settleOrders updates every admin's copy of the order (and the one pressed, which may
// not be recorded yet) to say where the visit stands and who decided.
func settleOrders(n consult.VisitNews, q *tgbotapi.CallbackQuery, pressedLang lang, adminName string, line func(l lang) string) []store.Message {
	var msgs []store.Message
	orders := n.Orders
	if q != nil {
		orders = withPressed(orders, q, store.MessageVisitOrder, n.Visit.ID, pressedLang)
	}
	text := func(l lang) string {
		by := ""
		if adminName != "" {
			by = l.F("visit.in_brackets", esc(adminName))
		}
		return visitCard(l, n.VisitView) + "\n\n" + line(l) + by
	}
	for _, m := range orders {
		msgs = append(msgs, editTo(m.ChatID, m.MessageID, text(langFromCode(m.Language))))
	}
	for _, p := range n.OrdersInFlight {
		e := editTo(p.ChatID, 0, text(langFromCode(p.Language)))
		e.EditOutboxID = p.OutboxID
		msgs = append(msgs, e)
	}
	return msgs
}

// toTownship tells the group the visit was ordered in, in its topic.
func toTownship(n consult.VisitNews, text func(l lang) string, markup func(l lang) any) []store.Message {
	if n.Visit.ChatID == 0 {
		return nil
	}
	gl := langFromCode(n.GroupLanguage)
	var kb any
	if markup != nil {
		kb = markup(gl)
	}
	return inTopic(sendTo(n.Visit.ChatID, text(gl), kb), n.Visit.ThreadID)
}

// toOrderer tells the person who ordered the visit, privately, unless they are the one
// who caused the step (skip).
func toOrderer(n consult.VisitNews, skip int64, text func(l lang) string, markup func(l lang) any) []store.Message {
	if n.Visit.OrderedBy == 0 || n.Visit.OrderedBy == skip {
		return nil
	}
	l := langFromCode(n.OrdererLanguage)
	var kb any
	if markup != nil {
		kb = markup(l)
	}
	return sendTo(n.Visit.OrderedBy, text(l), kb)
}

// approvedMessages tell everyone a visit is scheduled with its experts: the admins (every
// copy of the order), the township's group, the orderer, each expert with the details,
// and for a visit from a question the farmer's group under the question.
func approvedMessages(n consult.VisitNews, q *tgbotapi.CallbackQuery, l lang, adminName string) []store.Message {
	msgs := settleOrders(n, q, l, adminName, func(l lang) string { return visitStatusLine(l, n.VisitView) })
	when := func(l lang) string { return visitWhen(l, n.Visit.ScheduledAt, n.County) }
	told := func(l lang) string {
		return l.F("visit.visit_scheduled_time_experts", n.Visit.ID, esc(n.Visit.Township), topicLabel(l, n.VisitView), when(l), expertNames(l, n.Experts))
	}
	msgs = append(msgs, toTownship(n, told, nil)...)
	if !slices.ContainsFunc(n.Experts, func(e store.Expert) bool { return e.UserID == n.Visit.OrderedBy }) {
		msgs = append(msgs, toOrderer(n, q.From.ID, told, nil)...) // an expert who goes gets the details below
	}
	for _, e := range n.Experts {
		el := langFromCode(e.Language)
		text := el.F("visit.you_are_going_visit", n.Visit.ID, when(el), expertNames(el, n.Experts)) +
			visitCard(el, n.VisitView) + el.F("visit.afterwards_send_report_file", n.Visit.ID)
		msgs = append(msgs, sendTo(e.UserID, text, nil)...)
	}
	if qq := n.Question; qq.ID != 0 && n.Visit.ChatID == 0 {
		gl := langFromCode(n.GroupLanguage)
		msgs = append(msgs, toQuestion(qq, gl.F("visit.county_experts_will_visit", qq.ID, when(gl), expertNames(gl, n.Experts)), nil)...)
	}
	return msgs
}

// proposedMessages tell the admins another time was proposed, and ask the township and the
// orderer to accept it.
func proposedMessages(n consult.VisitNews, q *tgbotapi.CallbackQuery, l lang, adminName string) []store.Message {
	msgs := settleOrders(n, q, l, adminName, func(l lang) string { return visitStatusLine(l, n.VisitView) })
	ask := func(l lang) string {
		return visitCard(l, n.VisitView) + "\n\n" + l.F("visit.county_bureau_proposes_visit", visitWhen(l, n.Visit.ProposedAt, n.County))
	}
	kb := func(l lang) any {
		return tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
			tgbotapi.NewInlineKeyboardButtonData(l.T("visit.accept"), callbackData(actionVisitAccept, n.Visit.ID)),
			tgbotapi.NewInlineKeyboardButtonData(l.T("visit.decline_time"), callbackData(actionVisitReject, n.Visit.ID))))
	}
	remember := func(msgs []store.Message, userID int64, l lang) []store.Message {
		return remembered(msgs, store.MessageVisitProposal, n.Visit.ID, userID, l)
	}
	if group := toTownship(n, ask, kb); len(group) > 0 {
		msgs = append(msgs, remember(group, 0, langFromCode(n.GroupLanguage))...)
	}
	if mine := toOrderer(n, q.From.ID, ask, kb); len(mine) > 0 {
		msgs = append(msgs, remember(mine, n.Visit.OrderedBy, langFromCode(n.OrdererLanguage))...)
	}
	return msgs
}

// settleProposals updates every copy of a proposal to say how it was answered.
func settleProposals(n consult.VisitNews, q *tgbotapi.CallbackQuery, pressedLang lang, line func(l lang) string) []store.Message {
	var msgs []store.Message
	text := func(l lang) string { return visitCard(l, n.VisitView) + "\n\n" + line(l) }
	for _, m := range withPressed(n.Proposals, q, store.MessageVisitProposal, n.Visit.ID, pressedLang) {
		msgs = append(msgs, editTo(m.ChatID, m.MessageID, text(langFromCode(m.Language))))
	}
	for _, p := range n.ProposalsInFlight {
		e := editTo(p.ChatID, 0, text(langFromCode(p.Language)))
		e.EditOutboxID = p.OutboxID
		msgs = append(msgs, e)
	}
	return msgs
}

// answerProposal handles the township's Accept or Decline of a proposed time.
func (b *Bot) answerProposal(ctx context.Context, q *tgbotapi.CallbackQuery, id int64, accept bool, l lang, thread int64) error {
	who := personName(q.From)
	n, err := b.svc.AnswerProposal(ctx, id, person(q.From), accept, func(n consult.VisitNews) []store.Message {
		if accept {
			msgs := settleProposals(n, q, l, func(l lang) string {
				return l.F("visit.accepted_by_you_will", esc(who), visitWhen(l, n.Visit.ScheduledAt, n.County))
			})
			msgs = append(msgs, settleOrders(n, nil, l, "", func(l lang) string {
				return l.F("visit.township_accepted_choose_experts", visitWhen(l, n.Visit.ScheduledAt, n.County))
			})...)
			for _, a := range n.Admins {
				al := langFromCode(a.Language)
				head := al.F("visit.township_accepted_time_visit", n.Visit.ID)
				v := expertPicker(al, consult.ExpertChoice{VisitView: n.VisitView, Candidates: n.Candidates}, head)
				msgs = append(msgs, remembered(sendTo(a.UserID, v.text, v.markup), store.MessageVisitOrder, n.Visit.ID, a.UserID, al)...)
			}
			return msgs
		}
		msgs := settleProposals(n, q, l, func(l lang) string {
			return l.F("visit.said_time_does_not", esc(who))
		})
		msgs = append(msgs, settleOrders(n, nil, l, "", func(l lang) string {
			return l.T("visit.time_turned_down_button")
		})...)
		return append(msgs, orderMessages(n, func(l lang) string {
			return l.T("visit.time_turned_down_notice")
		})...)
	})
	if err != nil {
		if errors.Is(err, consult.ErrAlreadyDecided) {
			b.answerCallback(ctx, q, l.T("visit.time_was_already_answered"), false)
			return b.db.Enqueue(ctx, editPressed(q, pickerView{visitCard(l, n.VisitView) + "\n\n" + visitStatusLine(l, n.VisitView), nil})...)
		}
		return b.visitRefused(ctx, q, l, n.VisitView, err)
	}
	if accept {
		b.answerCallback(ctx, q, l.T("visit.accepted_thank_you"), false)
	} else {
		b.answerCallback(ctx, q, l.T("visit.bureau_was_told"), false)
	}
	return nil
}

// declinedMessages tell the admins, the township and the orderer that a visit was
// declined, and why.
func declinedMessages(n consult.VisitNews, adminName string) []store.Message {
	msgs := settleOrders(n, nil, zh, adminName, func(l lang) string { return visitStatusLine(l, n.VisitView) })
	told := func(l lang) string {
		return l.F("visit.visit_cannot_arranged_time", n.Visit.ID, esc(n.Visit.Township), topicLabel(l, n.VisitView), esc(n.Visit.DeclineReason))
	}
	msgs = append(msgs, toTownship(n, told, nil)...)
	return append(msgs, toOrderer(n, n.Visit.DecidedBy, told, nil)...)
}

// orderedMessages show a new order to the admins.
func orderedMessages(n consult.VisitNews) []store.Message {
	return orderMessages(n, func(l lang) string {
		return l.T("visit.new_visit_order")
	})
}

// reportedMessages give the admins and the township the report of a visit done.
func reportedMessages(n consult.VisitNews) []store.Message {
	summary := func(l lang) string {
		r := n.Report
		var s strings.Builder
		fmt.Fprintf(&s, l.T("visit.done_notice"),
			n.Visit.ID, esc(n.Visit.Township), topicLabel(l, n.VisitView), visitWhen(l, n.Visit.ScheduledAt, n.County))
		fmt.Fprintf(&s, l.T("visit.experts"), expertNames(l, n.Experts))
		fmt.Fprintf(&s, l.T("visit.found"), esc(r.Found))
		fmt.Fprintf(&s, l.T("visit.advice"), esc(r.Advice))
		if r.Households > 0 {
			fmt.Fprintf(&s, l.T("visit.households_served"), r.Households)
		}
		if len(r.Photos) > 0 {
			fmt.Fprintf(&s, l.T("visit.photos_archived"), len(r.Photos))
		}
		fmt.Fprintf(&s, l.T("visit.reported_by"), esc(r.ExpertName))
		return s.String()
	}
	var msgs []store.Message
	for _, a := range n.Admins {
		msgs = append(msgs, sendTo(a.UserID, summary(langFromCode(a.Language)), nil)...)
	}
	msgs = append(msgs, toTownship(n, summary, nil)...)
	if qq := n.Question; qq.ID != 0 && n.Visit.ChatID == 0 {
		msgs = append(msgs, toQuestion(qq, summary(langFromCode(n.GroupLanguage)), nil)...)
	}
	return msgs
}

// needsVisit orders a visit for a question from the claiming expert's card.
func (b *Bot) needsVisit(ctx context.Context, q *tgbotapi.CallbackQuery, questionID int64, l lang) error {
	n, err := b.svc.VisitFromQuestion(ctx, questionID, person(q.From), func(n consult.VisitNews) []store.Message {
		msgs := orderedMessages(n)
		return append(msgs, sendTo(q.From.ID, l.F("visit.visit_ordered_question_county", questionID, n.Visit.ID), nil)...)
	})
	switch {
	case errors.Is(err, consult.ErrNoSuchQuestion):
		b.answerCallback(ctx, q, l.F("claim.there_no_question", questionID), true)
	case errors.Is(err, consult.ErrNotExpert):
		b.answerCallback(ctx, q, l.T("visit.only_expert_question_category"), true)
	case errors.Is(err, store.ErrDuplicate):
		b.answerCallback(ctx, q, l.F("visit.question_already_has_visit", questionID, n.Visit.ID), false)
	case err != nil:
		return err
	default:
		b.answerCallback(ctx, q, l.F("visit.visit_ordered", n.Visit.ID), false)
	}
	return nil
}

// needsVisitButton goes on the card of the expert who claimed a question.
func needsVisitButton(l lang, questionID int64) tgbotapi.InlineKeyboardMarkup {
	return tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData(
		l.T("visit.needs_field_visit"), callbackData(actionNeedsVisit, questionID))))
}

// coordinator handles /coordinator in a group: an admin grants the township-coordinator
// role to the person whose message they reply to (or whose id they give), and takes it
// back with /coordinator off.
func (b *Bot) coordinator(ctx context.Context, in *incoming) error {
	gl := b.chatLang(ctx, in.msg.Chat.ID)
	args := strings.Fields(in.args)
	off := len(args) > 0 && strings.EqualFold(args[0], "off")
	if off {
		args = args[1:]
	}
	var target consult.Person
	r := in.msg.ReplyToMessage
	switch {
	case len(args) == 1:
		id, err := strconv.ParseInt(args[0], 10, 64)
		if err != nil || id <= 0 {
			return b.reply(ctx, in, coordinatorUsage(gl), nil)
		}
		target = consult.Person{ID: id}
	case len(args) == 0 && r != nil && r.From != nil && !r.From.IsBot:
		target = person(r.From)
	default:
		return b.reply(ctx, in, coordinatorUsage(gl), nil)
	}
	render := func(res consult.CoordinatorResult) []store.Message {
		name := res.Coordinator.Name
		if name == "" {
			name = strconv.FormatInt(res.Coordinator.UserID, 10)
		}
		var text string
		if off {
			text = gl.F("visit.no_longer_township_coordinator", esc(name), esc(res.Coordinator.Township))
		} else {
			text = gl.F("visit.now_township_coordinator_send", esc(name), esc(res.Coordinator.Township), esc(b.self.UserName))
		}
		roles := []role{}
		if len(res.Roles) > 0 {
			roles = append(roles, roleCoordinator)
		}
		if res.Expert {
			roles = append(roles, roleExpert)
		}
		if res.Admin {
			roles = append(roles, roleAdmin)
		}
		return append(in.replyWith(text, nil), personalMenu(res.Coordinator.UserID, roles...)...)
	}
	var err error
	if off {
		_, err = b.svc.RevokeCoordinator(ctx, in.msg.Chat.ID, in.msg.From.ID, target.ID, render)
	} else {
		_, err = b.svc.GrantCoordinator(ctx, in.msg.Chat.ID, in.msg.From.ID, target, render)
	}
	switch {
	case errors.Is(err, consult.ErrGroupNotBound):
		return b.reply(ctx, in, notBoundText(), nil)
	case errors.Is(err, consult.ErrNotAdmin):
		// Told to the person refused, in their language; what the group reads is in its.
		return b.reply(ctx, in, in.lang.T("visit.only_admin_appoints"), nil)
	case errors.Is(err, consult.ErrNotCoordinator):
		return b.reply(ctx, in, gl.T("visit.that_person_not_coordinator"), nil)
	}
	return err
}

func coordinatorUsage(l lang) string {
	return l.T("visit.usage_reply_someone_message")
}

// visitCommand handles /visit: it starts the order form, in the group for its township or
// in a private chat for the township named or coordinated.
func (b *Bot) visitCommand(ctx context.Context, in *incoming) error {
	l := in.lang
	chat := in.msg.Chat.ID
	place := formPlace{chatID: chat, replyTo: in.msg.MessageID, thread: in.thread}
	_, err := b.svc.StartVisitForm(ctx, consult.VisitFormInput{ChatID: chat, ThreadID: in.thread, Person: person(in.msg.From), Township: in.args},
		func(res consult.FormResult) []store.Message { return formPrompt(l, res, place, in.msg.From, "") })
	switch {
	case errors.Is(err, consult.ErrGroupNotBound):
		return b.reply(ctx, in, notBoundText(), nil)
	case errors.Is(err, consult.ErrNotCoordinator):
		return b.reply(ctx, in, l.T("visit.only_township_coordinators_county"), nil)
	case errors.Is(err, consult.ErrNameTownship), errors.Is(err, consult.ErrUnknownTownship):
		var names []string
		if roles, err := b.svc.Coordinates(ctx, in.msg.From.ID); err == nil {
			for _, r := range roles {
				names = append(names, r.Township)
			}
		}
		for _, c := range b.svc.AdminCounties(in.msg.From.ID) {
			names = append(names, c.Townships...)
		}
		head := l.T("visit.name_township_e_g")
		if errors.Is(err, consult.ErrUnknownTownship) {
			head = l.F("visit.no_township_you_can", echo(in.args))
		}
		example := ""
		if len(names) > 0 {
			example = names[0]
		}
		return b.reply(ctx, in, head+esc(example)+"\n"+l.T("visit.choose_from")+esc(strings.Join(names, l.T("render.list_separator"))), nil)
	}
	return err
}

// report handles /report <visit>: an expert of an approved visit files what was done.
func (b *Bot) report(ctx context.Context, in *incoming) error {
	l := in.lang
	id, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(in.args), "#"), 10, 64)
	if err != nil || id <= 0 {
		return b.reply(ctx, in, l.T("visit.usage_report_visit_number"), nil)
	}
	place := formPlace{chatID: in.msg.Chat.ID, replyTo: in.msg.MessageID}
	_, err = b.svc.StartReport(ctx, id, person(in.msg.From), func(res consult.FormResult) []store.Message {
		return formPrompt(l, res, place, in.msg.From, "")
	})
	switch {
	case errors.Is(err, consult.ErrNoSuchVisit):
		return b.reply(ctx, in, l.F("visit.there_no_visit", id), nil)
	case errors.Is(err, consult.ErrNotVisitExpert):
		return b.reply(ctx, in, l.F("visit.only_experts_sent_visit", id), nil)
	case errors.Is(err, consult.ErrAlreadyReported):
		return b.reply(ctx, in, l.F("visit.visit_already_reported", id), nil)
	case errors.Is(err, consult.ErrNotApproved):
		return b.reply(ctx, in, l.F("visit.visit_not_scheduled_so", id), nil)
	}
	return err
}

// startDecline asks the admin who pressed Decline for the reason, in their private chat.
func (b *Bot) startDecline(ctx context.Context, q *tgbotapi.CallbackQuery, id int64, l lang) error {
	place := formPlace{chatID: q.From.ID}
	res, err := b.svc.StartDecline(ctx, id, q.From.ID, func(res consult.FormResult) []store.Message {
		return formPrompt(l, res, place, q.From, "")
	})
	if err != nil {
		var v consult.VisitView
		if res.Visit != nil {
			v = res.Visit.VisitView
		}
		return b.visitRefused(ctx, q, l, v, err)
	}
	b.answerCallback(ctx, q, l.T("visit.send_reason_please"), false)
	return nil
}

// visits handles /visits: the visits coming up for each of the person's roles.
func (b *Bot) visits(ctx context.Context, in *incoming) error {
	l := in.lang
	lists, err := b.svc.UpcomingVisits(ctx, in.msg.From.ID)
	if errors.Is(err, consult.ErrNotCoordinator) {
		return b.reply(ctx, in, l.T("visit.only_township_coordinators_experts"), nil)
	}
	if err != nil {
		return err
	}
	var s strings.Builder
	var rows [][]tgbotapi.InlineKeyboardButton
	for i, list := range lists {
		if i > 0 {
			s.WriteString("\n\n")
		}
		switch list.Role {
		case consult.RoleAdmin:
			fmt.Fprintf(&s, l.T("visit.visits_next_30_days"), esc(list.County.Name))
		case consult.RoleCoordinator:
			fmt.Fprintf(&s, l.T("visit.township_visits"), esc(list.Township))
		default:
			s.WriteString(l.T("visit.my_visits"))
		}
		if len(list.Visits) == 0 {
			s.WriteString(l.T("visit.none"))
		}
		for _, v := range list.Visits {
			fmt.Fprintf(&s, "\n\n<b>#%d</b> · %s · %s", v.Visit.ID, esc(v.Visit.Township), topicLabel(l, v))
			if v.Visit.Place != "" {
				s.WriteString(" · " + esc(v.Visit.Place))
			}
			s.WriteString("\n" + visitStatusLine(l, v))
			if list.Role == consult.RoleExpert && v.Visit.ScheduledAt.Before(b.svc.Now()) {
				fmt.Fprintf(&s, l.T("visit.report_report"), v.Visit.ID)
			}
			if list.Role == consult.RoleAdmin && v.Visit.Status == store.VisitOrdered && len(rows) < 10 {
				rows = append(rows, tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData(
					l.F("outbreak.decide", v.Visit.ID), callbackData(actionVisitOpen, v.Visit.ID))))
			}
		}
	}
	return b.reply(ctx, in, s.String(), tgbotapi.NewInlineKeyboardMarkup(rows...))
}

// VisitApprovedMessages tells everyone of a visit approved from the dashboard what the
// Done button in Telegram tells them: the township, the orderer, the experts, and the
// admins' copies of the order.
func VisitApprovedMessages(adminID int64, adminName string) consult.Out[consult.VisitNews] {
	q := &tgbotapi.CallbackQuery{From: &tgbotapi.User{ID: adminID}}
	return func(n consult.VisitNews) []store.Message { return approvedMessages(n, q, zh, adminName) }
}
