package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
)

// Callback actions of schedules: "cexp:<schedule>:<expert>" picks an expert,
// "cgo:<schedule>" starts the schedule.
const (
	actionClinicExpert = "cexp"
	actionClinicGo     = "cgo"
)

// ScheduledMessages says what scheduled work means to the people in it.
func ScheduledMessages(w consult.Work) []store.Message {
	var msgs []store.Message
	names := plainNames(w.Experts)
	switch w.Kind {
	case consult.WorkSessionReminder:
		for _, e := range w.Experts {
			l := langFromCode(e.Language)
			msgs = append(msgs, sendTo(e.UserID, fmt.Sprintf(l.pick("⏰ %s开始%s坐诊（%s），请准时在线。开始后你会自动设为值班。",
				"⏰ Your %[2]s clinic session starts at %[1]s (%[3]s); be online. You will be put on duty."),
				clock(w.Schedule.NextRunAt, w.County), categoryLabel(l, w.Category), durationText(l, w.Schedule.Duration)), nil)...)
		}
	case consult.WorkSessionStart:
		s := w.Session
		for _, g := range w.Groups {
			l := langFromCode(w.Languages[g.ChatID])
			msgs = append(msgs, sendTo(g.ChatID, fmt.Sprintf(l.pick(
				"📢 <b>第 %d 期农技坐诊</b>：今天 %s–%s，%s专家 %s 在线坐诊，欢迎提问（/ask 问题，可以带照片）。",
				"📢 <b>Clinic session no. %d</b>: today %s–%s, %s experts %s are on duty; ask away (/ask, photos welcome)."),
				s.Number, clock(s.StartsAt, w.County), clock(s.EndsAt, w.County), categoryLabel(l, w.Category), esc(names)), nil)...)
		}
		for _, e := range w.Experts {
			l := langFromCode(e.Language)
			msgs = append(msgs, sendTo(e.UserID, fmt.Sprintf(l.pick("📢 第 %d 期坐诊开始（到 %s），你已设为值班。发送 /queue 查看待认领的问题。",
				"📢 Clinic session no. %d has begun (until %s); you are on duty. Send /queue for open questions."), s.Number, clock(s.EndsAt, w.County)), nil)...)
		}
	case consult.WorkSessionEnd:
		s := w.Session
		for _, g := range w.Groups {
			l := langFromCode(w.Languages[g.ChatID])
			msgs = append(msgs, sendTo(g.ChatID, fmt.Sprintf(l.pick("✅ 第 %d 期农技坐诊结束，专家共解答 %d 个问题。平时也可以随时用 /ask 提问。",
				"✅ Clinic session no. %d is over; the experts answered %d questions. You can ask with /ask any time."), s.Number, s.Answered), nil)...)
		}
	case consult.WorkVisitDayBefore, consult.WorkVisitSoon:
		v := w.Visit
		when := func(l lang) string {
			if w.Kind == consult.WorkVisitSoon {
				return fmt.Sprintf(l.pick("今天 %s", "today at %s"), clock(v.ScheduledAt, w.County))
			}
			return fmt.Sprintf(l.pick("明天 %s", "tomorrow at %s"), clock(v.ScheduledAt, w.County))
		}
		place := func(l lang) string {
			if v.Place == "" {
				return ""
			}
			return fmt.Sprintf(l.pick("，地点：%s", ", at %s"), esc(v.Place))
		}
		for _, e := range w.Experts {
			l := langFromCode(e.Language)
			msgs = append(msgs, sendTo(e.UserID, fmt.Sprintf(l.pick("🚜 提醒：上门服务 #%d，%s到%s（%s）%s。", "🚜 Reminder: visit #%d %s to %s (%s)%s."),
				v.ID, when(l), esc(v.Township), esc(v.Topic), place(l)), nil)...)
		}
		for _, g := range w.Groups {
			l := langFromCode(w.Languages[g.ChatID])
			msgs = append(msgs, sendTo(g.ChatID, fmt.Sprintf(l.pick("🚜 提醒：%s农技专家 %s 上门服务（%s）%s。", "🚜 Reminder: %s the experts %s visit (%s)%s."),
				when(l), esc(names), esc(v.Topic), place(l)), nil)...)
		}
	case consult.WorkVisitPlanned:
		v := w.Planned
		for _, admin := range w.County.Admins {
			l := langFromCode(w.Languages[admin])
			decide := tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData(
				fmt.Sprintf(l.pick("处理 #%d", "Decide #%d"), v.ID), callbackData(actionVisitOpen, v.ID))))
			msgs = append(msgs, sendTo(admin, fmt.Sprintf(l.pick("🗓 按计划生成上门服务单 <b>#%d</b>：%s · %s，时间 %s。请确认日期并安排专家。",
				"🗓 Planned visit order <b>#%d</b>: %s · %s on %s. Confirm the date and assign experts."),
				v.ID, esc(v.Township), esc(v.Topic), esc(v.Preferred)), decide)...)
		}
	}
	return msgs
}

func plainNames(experts []store.Expert) string {
	names := make([]string, len(experts))
	for i, e := range experts {
		names[i] = e.Name
	}
	return strings.Join(names, "、")
}

// clock is a time of day in the county's zone.
func clock(t time.Time, c *consult.County) string {
	if c != nil && c.Location != nil {
		t = t.In(c.Location)
	}
	return t.Format("15:04")
}

func durationText(l lang, d time.Duration) string {
	h, m := int(d.Hours()), int(d.Minutes())%60
	switch {
	case m == 0:
		return fmt.Sprintf(l.pick("%d 小时", "%dh"), h)
	case h == 0:
		return fmt.Sprintf(l.pick("%d 分钟", "%dmin"), m)
	}
	return fmt.Sprintf(l.pick("%d 小时 %d 分钟", "%dh%02d"), h, m)
}

// clinic handles /clinic: list, add <category> <duration> <cron>, del <id> (admins).
func (b *Bot) clinic(ctx context.Context, in *incoming) error {
	l := in.lang
	verb, rest, _ := strings.Cut(strings.TrimSpace(in.args), " ")
	switch strings.ToLower(verb) {
	case "", "list":
		return b.scheduleList(ctx, in)
	case "add":
		fields := strings.Fields(rest)
		if len(fields) < 3 {
			break
		}
		draft, err := b.svc.AddClinic(ctx, in.msg.From.ID, fields[0], fields[1], strings.Join(fields[2:], " "))
		if err != nil {
			return b.scheduleError(ctx, in, err, draft.County)
		}
		return b.reply(ctx, in, clinicDraftText(l, draft), clinicDraftKeyboard(l, draft))
	case "del":
		id, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(rest), "#"), 10, 64)
		if err != nil {
			break
		}
		if err := b.svc.RemoveSchedule(ctx, in.msg.From.ID, id); err != nil {
			return b.scheduleError(ctx, in, err, nil)
		}
		return b.reply(ctx, in, fmt.Sprintf(l.pick("✅ 已停用日程 #%d。", "✅ Schedule #%d stopped."), id), nil)
	}
	return b.reply(ctx, in, l.pick(
		"用法：\n/clinic — 查看坐诊和上门计划\n/clinic add 类别 时长 cron表达式，例如 /clinic add 水稻 2h 0 9 * * 2（每周二 9:00–11:00，本县时间）\n/clinic del 编号\n上门计划：/plan add 乡镇 主题 cron表达式，例如 /plan add 敖溪镇 花椒修剪 0 9 1 * *",
		"Usage:\n/clinic — list clinic sessions and visit plans\n/clinic add &lt;category&gt; &lt;duration&gt; &lt;cron&gt;, e.g. /clinic add rice 2h 0 9 * * 2 (Tuesdays 9:00–11:00, county time)\n/clinic del &lt;number&gt;\nVisit plans: /plan add &lt;township&gt; &lt;topic&gt; &lt;cron&gt;, e.g. /plan add 敖溪镇 pruning 0 9 1 * *"), nil)
}

// plan handles /plan add <township> <topic> <cron> (admins).
func (b *Bot) plan(ctx context.Context, in *incoming) error {
	l := in.lang
	verb, rest, _ := strings.Cut(strings.TrimSpace(in.args), " ")
	fields := strings.Fields(rest)
	if strings.ToLower(verb) != "add" || len(fields) < 3 {
		return b.clinic(ctx, &incoming{updateID: in.updateID, msg: in.msg, thread: in.thread, lang: in.lang, args: "help"})
	}
	sched, err := b.svc.AddVisitPlan(ctx, in.msg.From.ID, fields[0], fields[1], strings.Join(fields[2:], " "))
	if err != nil {
		return b.scheduleError(ctx, in, err, nil)
	}
	county, _ := b.svc.County(sched.CountyID)
	return b.reply(ctx, in, fmt.Sprintf(l.pick("✅ 上门计划 #%d：%s · %s（%s）。每次提前生成服务单，下一次在 %s 生成。",
		"✅ Visit plan #%d: %s · %s (%s). Each visit is ordered ahead; the next order is made on %s."),
		sched.ID, esc(sched.Township), esc(sched.Topic), esc(sched.Spec), localTime(sched.NextRunAt, county)), nil)
}

func (b *Bot) scheduleError(ctx context.Context, in *incoming, err error, county *consult.County) error {
	l := in.lang
	var bad *consult.ErrBadSchedule
	switch {
	case errors.As(err, &bad):
		return b.reply(ctx, in, l.pick("日程有误：", "That schedule is wrong: ")+esc(bad.Reason), nil)
	case errors.Is(err, consult.ErrNotAdmin):
		return b.reply(ctx, in, l.pick("只有县局管理员可以安排坐诊和上门计划。", "Only county admins schedule clinic sessions and visit plans."), nil)
	case errors.Is(err, consult.ErrAmbiguousCounty):
		return b.reply(ctx, in, l.pick("你管理多个县，暂不支持在这里安排。", "You run several counties; schedule from one county's admin account."), nil)
	case errors.Is(err, consult.ErrUnknownCategory):
		list := ""
		if county != nil {
			list = categoryList(l, county)
		}
		return b.reply(ctx, in, l.pick("没有这个类别。可选：", "No such category. Known: ")+list, nil)
	case errors.Is(err, consult.ErrUnknownTownship):
		return b.reply(ctx, in, l.pick("没有这个乡镇。可选：", "No such township. Known:")+townshipList(b.svc.AdminCounties(in.msg.From.ID)), nil)
	case errors.Is(err, consult.ErrNoSuchRequest):
		return b.reply(ctx, in, l.pick("没有这个日程。", "No such schedule."), nil)
	}
	return err
}

func clinicDraftText(l lang, d consult.ClinicDraft) string {
	s := d.Schedule
	text := fmt.Sprintf(l.pick("🗓 <b>坐诊日程 #%d</b>：%s，%s，每次 %s。\n请选择坐诊专家，然后点“开始”。",
		"🗓 <b>Clinic schedule #%d</b>: %s, %s, %s each.\nPick the experts, then press Start."),
		s.ID, categoryLabel(l, d.Category), esc(s.Spec), durationText(l, s.Duration))
	if s.Active {
		text = fmt.Sprintf(l.pick("✅ <b>坐诊日程 #%d</b> 已开始：%s，%s，每次 %s，专家 %s。下一期：%s。",
			"✅ <b>Clinic schedule #%d</b> is on: %s, %s, %s each, experts %s. Next: %s."),
			s.ID, categoryLabel(l, d.Category), esc(s.Spec), durationText(l, s.Duration), esc(pickedNames(d)), localTime(s.NextRunAt, d.County))
	}
	if len(d.Candidates) == 0 {
		text += l.pick("\n这个类别还没有专家。", "\nThis category has no experts yet.")
	}
	return text
}

func pickedNames(d consult.ClinicDraft) string {
	var names []string
	for _, e := range d.Candidates {
		for _, id := range d.Schedule.Experts {
			if e.UserID == id {
				names = append(names, e.Name)
			}
		}
	}
	return strings.Join(names, "、")
}

func clinicDraftKeyboard(l lang, d consult.ClinicDraft) any {
	if d.Schedule.Active {
		return nil
	}
	var rows [][]tgbotapi.InlineKeyboardButton
	for _, e := range d.Candidates {
		mark := "☐ "
		for _, id := range d.Schedule.Experts {
			if id == e.UserID {
				mark = "☑ "
			}
		}
		rows = append(rows, tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData(mark+e.Name,
			fmt.Sprintf("%s:%d:%d", actionClinicExpert, d.Schedule.ID, e.UserID))))
	}
	rows = append(rows, tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData(l.pick("✅ 开始", "✅ Start"), callbackData(actionClinicGo, d.Schedule.ID))))
	return tgbotapi.NewInlineKeyboardMarkup(rows...)
}

// clinicButton handles the expert picks and the Start button of a clinic draft.
func (b *Bot) clinicButton(ctx context.Context, cq *tgbotapi.CallbackQuery) error {
	l := b.langFor(ctx, cq.From)
	parts := strings.Split(cq.Data, ":")
	var ids []int64
	for _, p := range parts[1:] {
		id, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			b.answerCallback(ctx, cq, l.pick("这个按钮已失效。", "This button no longer works."), false)
			return nil
		}
		ids = append(ids, id)
	}
	var draft consult.ClinicDraft
	var err error
	switch {
	case parts[0] == actionClinicExpert && len(ids) == 2:
		draft, err = b.svc.ToggleClinicExpert(ctx, cq.From.ID, ids[0], ids[1])
	case parts[0] == actionClinicGo && len(ids) == 1:
		draft, err = b.svc.ActivateSchedule(ctx, cq.From.ID, ids[0])
	default:
		err = consult.ErrNoSuchRequest
	}
	switch {
	case errors.Is(err, consult.ErrNotAdmin):
		b.answerCallback(ctx, cq, l.pick("只有本县管理员可以安排坐诊。", "Only an admin of this county can schedule sessions."), true)
		return nil
	case errors.Is(err, consult.ErrNoExperts):
		b.answerCallback(ctx, cq, l.pick("请先选择至少一位专家。", "Pick at least one expert first."), true)
		return nil
	case errors.Is(err, consult.ErrNoSuchRequest):
		b.answerCallback(ctx, cq, l.pick("这个按钮已失效。", "This button no longer works."), false)
		return nil
	case err != nil:
		return err
	}
	b.answerCallback(ctx, cq, "", false)
	if cq.Message == nil || cq.Message.Chat == nil {
		return nil
	}
	edit := editTo(cq.Message.Chat.ID, int64(cq.Message.MessageID), clinicDraftText(l, draft))
	edit.Markup = markupJSON(clinicDraftKeyboard(l, draft))
	return b.db.Enqueue(ctx, edit)
}

// scheduleList lists the admin's schedules.
func (b *Bot) scheduleList(ctx context.Context, in *incoming) error {
	l := in.lang
	list, err := b.svc.AdminSchedules(ctx, in.msg.From.ID)
	if err != nil {
		return b.scheduleError(ctx, in, err, nil)
	}
	if len(list) == 0 {
		return b.reply(ctx, in, l.pick("还没有坐诊日程或上门计划。发送 /clinic help 查看用法。", "No clinic sessions or visit plans yet. Send /clinic help for how."), nil)
	}
	var s strings.Builder
	s.WriteString(l.pick("<b>坐诊日程和上门计划</b>", "<b>Clinic sessions and visit plans</b>"))
	for _, sc := range list {
		county, _ := b.svc.County(sc.CountyID)
		state := l.pick("未开始", "not started")
		if sc.Active {
			state = l.pick("下次 ", "next ") + localTime(sc.NextRunAt, county)
		}
		if sc.Kind == store.ScheduleClinic {
			cat := &consult.Category{ID: sc.CategoryID, Name: sc.CategoryID, NameEn: sc.CategoryID}
			if county != nil {
				if c, ok := county.Category(sc.CategoryID); ok {
					cat = c
				}
			}
			fmt.Fprintf(&s, l.pick("\n#%d 坐诊 · %s · %s · %s · %s", "\n#%d clinic · %s · %s · %s · %s"),
				sc.ID, categoryLabel(l, cat), esc(sc.Spec), durationText(l, sc.Duration), state)
		} else {
			fmt.Fprintf(&s, l.pick("\n#%d 上门计划 · %s · %s · %s · %s", "\n#%d visit plan · %s · %s · %s · %s"),
				sc.ID, esc(sc.Township), esc(sc.Topic), esc(sc.Spec), state)
		}
	}
	return b.reply(ctx, in, s.String(), nil)
}

// calendar handles /calendar: the secret links of the visit calendars the person may
// subscribe to — their own as an expert, their county's as an admin.
func (b *Bot) calendar(ctx context.Context, in *incoming) error {
	l := in.lang
	if b.CalendarLink == nil {
		return b.reply(ctx, in, l.pick("日历订阅还没有开通（需要设置 PUBLIC_URL）。", "Calendar feeds are off (PUBLIC_URL is not set)."), nil)
	}
	counties, own, err := b.svc.CalendarFeeds(ctx, in.msg.From.ID)
	if errors.Is(err, consult.ErrNotPermitted) {
		return b.reply(ctx, in, l.pick("日历订阅只给专家和县局管理员。", "Calendar feeds are for experts and county admins."), nil)
	}
	if err != nil {
		return err
	}
	var lines []string
	for _, c := range counties {
		lines = append(lines, fmt.Sprintf(l.pick("%s全县上门服务：%s", "All visits of %s: %s"), esc(c.Name), esc(b.CalendarLink("county", c.ID))))
	}
	if own {
		lines = append(lines, fmt.Sprintf(l.pick("我的上门服务：%s", "My visits: %s"), esc(b.CalendarLink("expert", strconv.FormatInt(in.msg.From.ID, 10)))))
	}
	return b.reply(ctx, in, l.pick("📅 在手机日历里“订阅日历”并粘贴链接，上门服务就会出现在日历里。链接请勿外传。\n",
		"📅 Subscribe to a link in your phone's calendar and visits appear there. Keep the links private.\n")+strings.Join(lines, "\n"), nil)
}
