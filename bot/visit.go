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
		b.answerCallback(ctx, q, l.pick("这个按钮已失效。", "This button no longer works."), false)
		return nil
	}
	switch action {
	case actionNeedsVisit:
		return b.needsVisit(ctx, q, id, l)
	case actionVisitOpen:
		// From a list or a notice: the order comes as a message of its own.
		v, err := b.svc.VisitToDecide(ctx, id, q.From.ID)
		if errors.Is(err, consult.ErrAlreadyDecided) {
			b.answerCallback(ctx, q, fmt.Sprintf(l.pick("#%d：%s", "#%d: %s"), id, visitStatusPlain(l, v)), true)
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
			b.answerCallback(ctx, q, l.pick("这个按钮已失效。", "This button no longer works."), false)
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
			b.answerCallback(ctx, q, l.pick("这个按钮已失效。", "This button no longer works."), false)
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
		b.answerCallback(ctx, q, fmt.Sprintf(l.pick("已安排上门服务 #%d", "Visit #%d scheduled"), id), false)
		return nil
	case actionVisitAccept, actionVisitReject:
		return b.answerProposal(ctx, q, id, action == actionVisitAccept, l, thread)
	}
	b.answerCallback(ctx, q, l.pick("这个按钮已失效。", "This button no longer works."), false)
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
		b.answerCallback(ctx, q, l.pick("这个按钮已失效。", "This button no longer works."), false)
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
	b.answerCallback(ctx, q, l.pick("已把建议的时间发给乡镇", "The proposed time was sent to the township"), false)
	return nil
}

// visitRefused answers a visit button the service refused; a visit decided meanwhile
// also has the pressed message show how, so nobody decides it twice.
func (b *Bot) visitRefused(ctx context.Context, q *tgbotapi.CallbackQuery, l lang, v consult.VisitView, err error) error {
	switch {
	case errors.Is(err, consult.ErrNoSuchVisit):
		b.answerCallback(ctx, q, l.pick("没有这个上门服务预约。", "There is no such visit order."), true)
	case errors.Is(err, consult.ErrNotAdmin):
		b.answerCallback(ctx, q, l.pick("只有本县管理员可以处理上门服务预约。", "Only an admin of this county can decide visit orders."), true)
	case errors.Is(err, consult.ErrNotTownship):
		b.answerCallback(ctx, q, l.pick("只有预约的乡镇联络员可以答复。", "Only the township's coordinator can answer this."), true)
	case errors.Is(err, consult.ErrTimeNotOffered):
		b.answerCallback(ctx, q, l.pick("这个时间已不可选，请重新选择。", "That time can no longer be chosen; please pick again."), true)
	case errors.Is(err, consult.ErrNoExpertChosen):
		b.answerCallback(ctx, q, l.pick("请至少选择一位专家。", "Choose at least one expert."), true)
	case errors.Is(err, consult.ErrNotExpert):
		b.answerCallback(ctx, q, l.pick("这位已不是本县的专家。", "That person is no longer an expert of this county."), true)
	case errors.Is(err, consult.ErrAlreadyDecided):
		b.answerCallback(ctx, q, l.pick("这个预约已经处理过了。", "This order was already decided."), false)
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
		tgbotapi.NewInlineKeyboardButtonData(l.pick("✅ 批准", "✅ Approve"), callbackData(actionVisitApprove, visitID)),
		tgbotapi.NewInlineKeyboardButtonData(l.pick("📅 另约时间", "📅 Propose a time"), callbackData(actionVisitPropose, visitID)),
		tgbotapi.NewInlineKeyboardButtonData(l.pick("❌ 谢绝", "❌ Decline"), callbackData(actionVisitDecline, visitID)),
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
	rows = append(rows, tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData(l.pick("↩️ 返回", "↩️ Back"), callbackData(actionVisitBack, v.Visit.ID))))
	ask := l.pick("请选择上门日期：", "Pick the day of the visit:")
	if mode == modePropose {
		ask = l.pick("请选择建议的日期（乡镇确认后生效）：", "Pick the day to propose (the township confirms it):")
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
		tgbotapi.NewInlineKeyboardButtonData(l.pick("↩️ 重选日期", "↩️ Another day"), callbackData(back, v.Visit.ID))))
	return pickerView{visitCard(l, v) + "\n\n" + fmt.Sprintf(l.pick("日期：%s。请选择时间：", "Day: %s. Pick the time:"), dayLabel(l, day)), kb}
}

// expertPicker offers the experts, those picked marked ✅, each with their other visits
// that week, and Done.
func expertPicker(l lang, c consult.ExpertChoice, head string) pickerView {
	var rows [][]tgbotapi.InlineKeyboardButton
	for _, e := range c.Candidates {
		picked := slices.Contains(c.Draft.Experts, e.UserID)
		label := fmt.Sprintf(l.pick("%s · 本周 %d", "%s · %d this week"), snippet(expertName(e.Expert), 24), e.Week)
		on := "1"
		if picked {
			label, on = "✅ "+label, "0"
		}
		data := fmt.Sprintf("%s:%d:%d:%s", actionVisitExpert, c.Visit.ID, e.UserID, on)
		rows = append(rows, tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData(label, data)))
	}
	last := tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData(l.pick("✔️ 完成", "✔️ Done"), callbackData(actionVisitDone, c.Visit.ID)))
	if c.Visit.Status == store.VisitOrdered {
		last = append(last, tgbotapi.NewInlineKeyboardButtonData(l.pick("↩️ 重选时间", "↩️ Another time"), callbackData(actionVisitApprove, c.Visit.ID)))
	}
	rows = append(rows, last)
	text := head + visitCard(l, c.VisitView) + "\n\n"
	when := c.Draft.ScheduledAt
	if when.IsZero() {
		when = c.Visit.ScheduledAt
	}
	text += fmt.Sprintf(l.pick("时间：<b>%s</b>\n", "Time: <b>%s</b>\n"), visitWhen(l, when, c.County))
	if len(c.Candidates) == 0 {
		text += l.pick("本县还没有经批准的专家，无法安排。", "This county has no approved expert to send yet.")
	} else {
		text += l.pick("请选择上门的专家（可多选），选好后点“完成”。数字是该专家当周已有的其他上门服务。",
			"Choose the experts to go (one or more), then press Done. The number is their other visits that week.")
	}
	return pickerView{text, tgbotapi.NewInlineKeyboardMarkup(rows...)}
}

var zhWeekdays = [...]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}

// dayLabel is a day as a button shows it, e.g. "07-03 周五" or "Fri 07-03".
func dayLabel(l lang, d time.Time) string {
	if l == en {
		return d.Format("Mon 01-02")
	}
	return d.Format("01-02") + " " + zhWeekdays[d.Weekday()]
}

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
		return l.pick("本周", "this week")
	case consult.PreferNextWeek:
		return l.pick("下周", "next week")
	case consult.PreferAnyTime:
		return l.pick("时间不限", "any time")
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
	fmt.Fprintf(&s, l.pick("🚜 <b>上门服务 #%d</b> · %s · %s", "🚜 <b>Visit #%d</b> · %s · %s"), x.ID, esc(v.County.Name), esc(x.Township))
	fmt.Fprintf(&s, l.pick("\n主题：%s", "\nTopic: %s"), topicLabel(l, v))
	if x.Crops != "" {
		fmt.Fprintf(&s, l.pick("\n作物/畜禽：%s", "\nCrops or herds: %s"), esc(x.Crops))
	}
	if x.Problem != "" {
		fmt.Fprintf(&s, l.pick("\n问题：%s", "\nProblem: %s"), esc(snippet(x.Problem, 300)))
	}
	if x.Households > 0 {
		fmt.Fprintf(&s, l.pick("\n农户：约 %d 户", "\nHouseholds: about %d"), x.Households)
	}
	if x.Place != "" {
		fmt.Fprintf(&s, l.pick("\n地点：%s", "\nPlace: %s"), esc(x.Place))
	}
	if x.Preferred != "" {
		fmt.Fprintf(&s, l.pick("\n希望时间：%s", "\nPreferred: %s"), preferredLabel(l, x.Preferred))
	}
	var source string
	switch x.Source {
	case store.SourceQuestion:
		source = fmt.Sprintf(l.pick("问题 #%d 需要上门", "question #%d needs a field visit"), x.QuestionID)
	case store.SourceAlert:
		source = l.pick("病虫害预警", "an outbreak alert")
	default:
		source = l.pick("乡镇点单", "ordered by the township")
	}
	who := ""
	if x.OrderedByName != "" {
		who = " · " + esc(x.OrderedByName)
	}
	fmt.Fprintf(&s, l.pick("\n来源：%s%s · %s", "\nFrom: %s%s · %s"), source, who, localTime(x.OrderedAt, v.County))
	return s.String()
}

// expertNames lists a visit's experts.
func expertNames(l lang, experts []store.Expert) string {
	if len(experts) == 0 {
		return l.pick("待定", "to be chosen")
	}
	names := make([]string, len(experts))
	for i, e := range experts {
		names[i] = esc(expertName(e))
	}
	return strings.Join(names, l.pick("、", ", "))
}

// visitStatusLine says where a visit stands.
func visitStatusLine(l lang, v consult.VisitView) string {
	x := v.Visit
	switch x.Status {
	case store.VisitOrdered:
		return l.pick("⏳ 等待县局审核", "⏳ Waiting for the county bureau")
	case store.VisitProposed:
		return fmt.Sprintf(l.pick("📅 县局建议改为 %s，等待乡镇确认", "📅 The bureau proposed %s; waiting for the township"), visitWhen(l, x.ProposedAt, v.County))
	case store.VisitApproved:
		return fmt.Sprintf(l.pick("✅ 已安排：%s · 专家：%s", "✅ Scheduled: %s · experts: %s"), visitWhen(l, x.ScheduledAt, v.County), expertNames(l, v.Experts))
	case store.VisitDeclined:
		return fmt.Sprintf(l.pick("❌ 已谢绝：%s", "❌ Declined: %s"), esc(x.DeclineReason))
	case store.VisitDone:
		return l.pick("📝 已完成上门服务", "📝 Visit done")
	case store.VisitCancelled:
		return l.pick("已取消", "Cancelled")
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
			by = fmt.Sprintf(l.pick("（%s）", " (%s)"), esc(adminName))
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
		return fmt.Sprintf(l.pick("✅ <b>上门服务 #%d 已安排</b>：%s · %s\n时间：<b>%s</b>\n专家：%s",
			"✅ <b>Visit #%d is scheduled</b>: %s · %s\nTime: <b>%s</b>\nExperts: %s"),
			n.Visit.ID, esc(n.Visit.Township), topicLabel(l, n.VisitView), when(l), expertNames(l, n.Experts))
	}
	msgs = append(msgs, toTownship(n, told, nil)...)
	if !slices.ContainsFunc(n.Experts, func(e store.Expert) bool { return e.UserID == n.Visit.OrderedBy }) {
		msgs = append(msgs, toOrderer(n, q.From.ID, told, nil)...) // an expert who goes gets the details below
	}
	for _, e := range n.Experts {
		el := langFromCode(e.Language)
		text := fmt.Sprintf(el.pick("🚜 <b>你被安排参加上门服务 #%d</b>\n时间：<b>%s</b>\n同行专家：%s\n\n",
			"🚜 <b>You are going on visit #%d</b>\nTime: <b>%s</b>\nExperts: %s\n\n"), n.Visit.ID, when(el), expertNames(el, n.Experts)) +
			visitCard(el, n.VisitView) + fmt.Sprintf(el.pick("\n\n完成后请发送 /report %d 填写服务记录（发现的问题、建议、服务户数和照片）。",
			"\n\nAfterwards, send /report %d to file what you found and advised, the households served and photos."), n.Visit.ID)
		msgs = append(msgs, sendTo(e.UserID, text, nil)...)
	}
	if qq := n.Question; qq.ID != 0 && n.Visit.ChatID == 0 {
		gl := langFromCode(n.GroupLanguage)
		msgs = append(msgs, toQuestion(qq, fmt.Sprintf(gl.pick("🚜 #%d：县里的农技专家将上门查看，时间 %s（%s）。",
			"🚜 #%d: the county's experts will visit, on %s (%s)."), qq.ID, when(gl), expertNames(gl, n.Experts)), nil)...)
	}
	return msgs
}

// proposedMessages tell the admins another time was proposed, and ask the township and the
// orderer to accept it.
func proposedMessages(n consult.VisitNews, q *tgbotapi.CallbackQuery, l lang, adminName string) []store.Message {
	msgs := settleOrders(n, q, l, adminName, func(l lang) string { return visitStatusLine(l, n.VisitView) })
	ask := func(l lang) string {
		return visitCard(l, n.VisitView) + "\n\n" + fmt.Sprintf(l.pick("📅 县农业农村局建议把上门时间定在 <b>%s</b>，可以吗？",
			"📅 The county bureau proposes <b>%s</b> for the visit. Does it suit you?"), visitWhen(l, n.Visit.ProposedAt, n.County))
	}
	kb := func(l lang) any {
		return tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
			tgbotapi.NewInlineKeyboardButtonData(l.pick("✅ 接受", "✅ Accept"), callbackData(actionVisitAccept, n.Visit.ID)),
			tgbotapi.NewInlineKeyboardButtonData(l.pick("❌ 不行", "❌ Decline"), callbackData(actionVisitReject, n.Visit.ID))))
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
				return fmt.Sprintf(l.pick("✅ %s 已接受：%s。专家确定后会通知。", "✅ Accepted by %s: %s. You will be told which experts come."),
					esc(who), visitWhen(l, n.Visit.ScheduledAt, n.County))
			})
			msgs = append(msgs, settleOrders(n, nil, l, "", func(l lang) string {
				return fmt.Sprintf(l.pick("✅ 乡镇已接受 %s，请在新消息中指派专家", "✅ The township accepted %s; choose the experts in the new message"),
					visitWhen(l, n.Visit.ScheduledAt, n.County))
			})...)
			for _, a := range n.Admins {
				al := langFromCode(a.Language)
				head := fmt.Sprintf(al.pick("✅ <b>乡镇已接受上门服务 #%d 的时间</b>，请指派专家：\n\n", "✅ <b>The township accepted the time of visit #%d</b>; choose the experts:\n\n"), n.Visit.ID)
				v := expertPicker(al, consult.ExpertChoice{VisitView: n.VisitView, Candidates: n.Candidates}, head)
				msgs = append(msgs, remembered(sendTo(a.UserID, v.text, v.markup), store.MessageVisitOrder, n.Visit.ID, a.UserID, al)...)
			}
			return msgs
		}
		msgs := settleProposals(n, q, l, func(l lang) string {
			return fmt.Sprintf(l.pick("❌ %s 回复时间不合适，县局将重新安排。", "❌ %s said the time does not suit; the bureau will decide again."), esc(who))
		})
		msgs = append(msgs, settleOrders(n, nil, l, "", func(l lang) string {
			return l.pick("↩️ 乡镇未接受建议的时间，请在新消息中重新处理", "↩️ The township turned the proposed time down; decide again in the new message")
		})...)
		return append(msgs, orderMessages(n, func(l lang) string {
			return l.pick("↩️ <b>乡镇未接受建议的时间，请重新处理：</b>\n\n", "↩️ <b>The township turned the proposed time down; please decide again:</b>\n\n")
		})...)
	})
	if err != nil {
		if errors.Is(err, consult.ErrAlreadyDecided) {
			b.answerCallback(ctx, q, l.pick("这个时间已经答复过了。", "This time was already answered."), false)
			return b.db.Enqueue(ctx, editPressed(q, pickerView{visitCard(l, n.VisitView) + "\n\n" + visitStatusLine(l, n.VisitView), nil})...)
		}
		return b.visitRefused(ctx, q, l, n.VisitView, err)
	}
	if accept {
		b.answerCallback(ctx, q, l.pick("已接受，谢谢！", "Accepted, thank you!"), false)
	} else {
		b.answerCallback(ctx, q, l.pick("已告知县局", "The bureau was told"), false)
	}
	return nil
}

// declinedMessages tell the admins, the township and the orderer that a visit was
// declined, and why.
func declinedMessages(n consult.VisitNews, adminName string) []store.Message {
	msgs := settleOrders(n, nil, zh, adminName, func(l lang) string { return visitStatusLine(l, n.VisitView) })
	told := func(l lang) string {
		return fmt.Sprintf(l.pick("❌ <b>上门服务 #%d 这次未能安排</b>（%s · %s）\n理由：%s\n如有需要可以再次预约。",
			"❌ <b>Visit #%d cannot be arranged this time</b> (%s · %s)\nReason: %s\nYou may order again if needed."),
			n.Visit.ID, esc(n.Visit.Township), topicLabel(l, n.VisitView), esc(n.Visit.DeclineReason))
	}
	msgs = append(msgs, toTownship(n, told, nil)...)
	return append(msgs, toOrderer(n, n.Visit.DecidedBy, told, nil)...)
}

// orderedMessages show a new order to the admins.
func orderedMessages(n consult.VisitNews) []store.Message {
	return orderMessages(n, func(l lang) string {
		return l.pick("📥 <b>新的上门服务预约</b>\n", "📥 <b>New visit order</b>\n")
	})
}

// reportedMessages give the admins and the township the report of a visit done.
func reportedMessages(n consult.VisitNews) []store.Message {
	summary := func(l lang) string {
		r := n.Report
		var s strings.Builder
		fmt.Fprintf(&s, l.pick("📝 <b>上门服务 #%d 已完成</b>（%s · %s · %s）", "📝 <b>Visit #%d done</b> (%s · %s · %s)"),
			n.Visit.ID, esc(n.Visit.Township), topicLabel(l, n.VisitView), visitWhen(l, n.Visit.ScheduledAt, n.County))
		fmt.Fprintf(&s, l.pick("\n专家：%s", "\nExperts: %s"), expertNames(l, n.Experts))
		fmt.Fprintf(&s, l.pick("\n发现：%s", "\nFound: %s"), esc(r.Found))
		fmt.Fprintf(&s, l.pick("\n建议：%s", "\nAdvice: %s"), esc(r.Advice))
		if r.Households > 0 {
			fmt.Fprintf(&s, l.pick("\n服务农户：%d 户", "\nHouseholds served: %d"), r.Households)
		}
		if len(r.Photos) > 0 {
			fmt.Fprintf(&s, l.pick("\n现场照片：%d 张（已存档）", "\nPhotos: %d (archived)"), len(r.Photos))
		}
		fmt.Fprintf(&s, l.pick("\n记录人：%s", "\nReported by %s"), esc(r.ExpertName))
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
		return append(msgs, sendTo(q.From.ID, fmt.Sprintf(l.pick(
			"🚜 已为问题 #%d 申请上门服务 <b>#%d</b>，县农业农村局安排好后会通知你。",
			"🚜 Visit <b>#%[2]d</b> is ordered for question #%[1]d; the county bureau will tell you when it is scheduled."), questionID, n.Visit.ID), nil)...)
	})
	switch {
	case errors.Is(err, consult.ErrNoSuchQuestion):
		b.answerCallback(ctx, q, fmt.Sprintf(l.pick("没有 #%d 号问题。", "There is no question #%d."), questionID), true)
	case errors.Is(err, consult.ErrNotExpert):
		b.answerCallback(ctx, q, l.pick("只有本县该类别的专家可以申请上门服务。", "Only an expert of this question's category can order a visit."), true)
	case errors.Is(err, store.ErrDuplicate):
		b.answerCallback(ctx, q, fmt.Sprintf(l.pick("问题 #%d 已有上门服务 #%d。", "Question #%d already has visit #%d."), questionID, n.Visit.ID), false)
	case err != nil:
		return err
	default:
		b.answerCallback(ctx, q, fmt.Sprintf(l.pick("已申请上门服务 #%d", "Visit #%d ordered"), n.Visit.ID), false)
	}
	return nil
}

// needsVisitButton goes on the card of the expert who claimed a question.
func needsVisitButton(l lang, questionID int64) tgbotapi.InlineKeyboardMarkup {
	return tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData(
		l.pick("🚜 需要上门", "🚜 Needs a field visit"), callbackData(actionNeedsVisit, questionID))))
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
			text = fmt.Sprintf(gl.pick("已取消 %s 在 %s 的乡镇联络员身份。", "%s is no longer a township coordinator of %s."), esc(name), esc(res.Coordinator.Township))
		} else {
			text = fmt.Sprintf(gl.pick(
				"✅ %s 现在是 %s 的乡镇联络员：可以在本群或私聊机器人发送 /visit 预约专家上门服务。请先私聊 @%s 点“开始”，以便接收通知。",
				"✅ %s is now a township coordinator of %s: send /visit here or to me privately to order an expert visit. Start a private chat with @%s first, to be told how it goes."),
				esc(name), esc(res.Coordinator.Township), esc(b.self.UserName))
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
		return b.reply(ctx, in, notBoundText, nil)
	case errors.Is(err, consult.ErrNotAdmin):
		// Told to the person refused, in their language; what the group reads is in its.
		return b.reply(ctx, in, in.lang.pick("只有本县农业农村局的管理员可以授权乡镇联络员。", "Only an admin of this county can appoint township coordinators."), nil)
	case errors.Is(err, consult.ErrNotCoordinator):
		return b.reply(ctx, in, gl.pick("这个人不是本乡镇的联络员。", "That person is not a coordinator of this township."), nil)
	}
	return err
}

func coordinatorUsage(l lang) string {
	return l.pick("用法：回复某人的消息发送 /coordinator，授权其为本乡镇联络员；/coordinator off 取消。也可以写 ID：/coordinator 123456789。",
		"Usage: reply to someone's message with /coordinator to make them this township's coordinator; /coordinator off to undo. Or give the id: /coordinator 123456789.")
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
		return b.reply(ctx, in, notBoundText, nil)
	case errors.Is(err, consult.ErrNotCoordinator):
		return b.reply(ctx, in, l.pick("只有乡镇联络员和县农业农村局管理员可以预约专家上门服务。联络员由县局管理员在乡镇群里授权。",
			"Only township coordinators and county admins can order expert visits. A county admin appoints coordinators in the township's group."), nil)
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
		head := l.pick("请写上乡镇名，例如：/visit ", "Name the township, e.g. /visit ")
		if errors.Is(err, consult.ErrUnknownTownship) {
			head = fmt.Sprintf(l.pick("没有“%s”这个乡镇（或你不能为它预约）。例如：/visit ", "No township “%s” you can order for. E.g. /visit "), echo(in.args))
		}
		example := ""
		if len(names) > 0 {
			example = names[0]
		}
		return b.reply(ctx, in, head+esc(example)+"\n"+l.pick("可选：", "Choose from: ")+esc(strings.Join(names, l.pick("、", ", "))), nil)
	}
	return err
}

// report handles /report <visit>: an expert of an approved visit files what was done.
func (b *Bot) report(ctx context.Context, in *incoming) error {
	l := in.lang
	id, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(in.args), "#"), 10, 64)
	if err != nil || id <= 0 {
		return b.reply(ctx, in, l.pick("用法：/report 上门服务编号，例如 /report 12。发送 /visits 查看你的上门服务。",
			"Usage: /report &lt;visit number&gt;, e.g. /report 12. Send /visits to see your visits."), nil)
	}
	place := formPlace{chatID: in.msg.Chat.ID, replyTo: in.msg.MessageID}
	_, err = b.svc.StartReport(ctx, id, person(in.msg.From), func(res consult.FormResult) []store.Message {
		return formPrompt(l, res, place, in.msg.From, "")
	})
	switch {
	case errors.Is(err, consult.ErrNoSuchVisit):
		return b.reply(ctx, in, fmt.Sprintf(l.pick("没有上门服务 #%d。", "There is no visit #%d."), id), nil)
	case errors.Is(err, consult.ErrNotVisitExpert):
		return b.reply(ctx, in, fmt.Sprintf(l.pick("只有安排参加上门服务 #%d 的专家可以填写记录。", "Only the experts sent on visit #%d can report it."), id), nil)
	case errors.Is(err, consult.ErrAlreadyReported):
		return b.reply(ctx, in, fmt.Sprintf(l.pick("上门服务 #%d 已经有记录了。", "Visit #%d is already reported."), id), nil)
	case errors.Is(err, consult.ErrNotApproved):
		return b.reply(ctx, in, fmt.Sprintf(l.pick("上门服务 #%d 还没有安排，不能填写记录。", "Visit #%d is not scheduled, so it cannot be reported."), id), nil)
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
	b.answerCallback(ctx, q, l.pick("请发送谢绝的理由", "Send the reason, please"), false)
	return nil
}

// visits handles /visits: the visits coming up for each of the person's roles.
func (b *Bot) visits(ctx context.Context, in *incoming) error {
	l := in.lang
	lists, err := b.svc.UpcomingVisits(ctx, in.msg.From.ID)
	if errors.Is(err, consult.ErrNotCoordinator) {
		return b.reply(ctx, in, l.pick("只有乡镇联络员、专家和县局管理员有上门服务可看。", "Only township coordinators, experts and county admins have visits to see."), nil)
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
			fmt.Fprintf(&s, l.pick("<b>%s · 上门服务（30 天内及待审核）</b>", "<b>%s · visits (next 30 days and pending)</b>"), esc(list.County.Name))
		case consult.RoleCoordinator:
			fmt.Fprintf(&s, l.pick("<b>%s · 本乡镇的上门服务</b>", "<b>%s · the township's visits</b>"), esc(list.Township))
		default:
			s.WriteString(l.pick("<b>我参加的上门服务</b>", "<b>My visits</b>"))
		}
		if len(list.Visits) == 0 {
			s.WriteString(l.pick("\n暂无。", "\nNone."))
		}
		for _, v := range list.Visits {
			fmt.Fprintf(&s, "\n\n<b>#%d</b> · %s · %s", v.Visit.ID, esc(v.Visit.Township), topicLabel(l, v))
			if v.Visit.Place != "" {
				s.WriteString(" · " + esc(v.Visit.Place))
			}
			s.WriteString("\n" + visitStatusLine(l, v))
			if list.Role == consult.RoleExpert && v.Visit.ScheduledAt.Before(b.svc.Now()) {
				fmt.Fprintf(&s, l.pick("\n⚠️ 待填写记录：/report %d", "\n⚠️ To report: /report %d"), v.Visit.ID)
			}
			if list.Role == consult.RoleAdmin && v.Visit.Status == store.VisitOrdered && len(rows) < 10 {
				rows = append(rows, tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData(
					fmt.Sprintf(l.pick("处理 #%d", "Decide #%d"), v.Visit.ID), callbackData(actionVisitOpen, v.Visit.ID))))
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
