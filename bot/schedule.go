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
			msgs = append(msgs, sendTo(e.UserID, l.F("schedule.your_clinic_session_starts", clock(w.Schedule.NextRunAt, w.County), categoryLabel(l, w.Category), durationText(l, w.Schedule.Duration)), nil)...)
		}
	case consult.WorkSessionStart:
		s := w.Session
		for _, g := range w.Groups {
			l := langFromCode(w.Languages[g.ChatID])
			msgs = append(msgs, sendTo(g.ChatID, l.F("schedule.clinic_session_no_today", s.Number, clock(s.StartsAt, w.County), clock(s.EndsAt, w.County), categoryLabel(l, w.Category), esc(names)), nil)...)
		}
		for _, e := range w.Experts {
			l := langFromCode(e.Language)
			msgs = append(msgs, sendTo(e.UserID, l.F("schedule.clinic_session_no_has", s.Number, clock(s.EndsAt, w.County)), nil)...)
		}
	case consult.WorkSessionEnd:
		s := w.Session
		for _, g := range w.Groups {
			l := langFromCode(w.Languages[g.ChatID])
			msgs = append(msgs, sendTo(g.ChatID, l.F("schedule.clinic_session_no_over", s.Number, s.Answered), nil)...)
		}
	case consult.WorkVisitDayBefore, consult.WorkVisitSoon:
		v := w.Visit
		when := func(l lang) string {
			if w.Kind == consult.WorkVisitSoon {
				return l.F("schedule.today_at", clock(v.ScheduledAt, w.County))
			}
			return l.F("schedule.tomorrow_at", clock(v.ScheduledAt, w.County))
		}
		place := func(l lang) string {
			if v.Place == "" {
				return ""
			}
			return l.F("schedule.at", esc(v.Place))
		}
		for _, e := range w.Experts {
			l := langFromCode(e.Language)
			msgs = append(msgs, sendTo(e.UserID, l.F("schedule.reminder_visit", v.ID, when(l), esc(v.Township), esc(v.Topic), place(l)), nil)...)
		}
		for _, g := range w.Groups {
			l := langFromCode(w.Languages[g.ChatID])
			msgs = append(msgs, sendTo(g.ChatID, l.F("schedule.reminder_experts_visit", when(l), esc(names), esc(v.Topic), place(l)), nil)...)
		}
	case consult.WorkVisitPlanned:
		v := w.Planned
		for _, admin := range w.County.Admins {
			l := langFromCode(w.Languages[admin])
			decide := tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData(
				l.F("outbreak.decide", v.ID), callbackData(actionVisitOpen, v.ID))))
			msgs = append(msgs, sendTo(admin, l.F("schedule.planned_visit_order_confirm", v.ID, esc(v.Township), esc(v.Topic), esc(v.Preferred)), decide)...)
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
		return l.F("schedule.hours", h)
	case h == 0:
		return l.F("schedule.min", m)
	}
	return l.F("schedule.hours_minutes", h, m)
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
		return b.reply(ctx, in, l.F("schedule.schedule_stopped", id), nil)
	}
	return b.reply(ctx, in, l.T("schedule.usage_clinic_list_clinic"), nil)
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
	return b.reply(ctx, in, l.F("schedule.visit_plan_each_visit", sched.ID, esc(sched.Township), esc(sched.Topic), esc(sched.Spec), localTime(sched.NextRunAt, county)), nil)
}

func (b *Bot) scheduleError(ctx context.Context, in *incoming, err error, county *consult.County) error {
	l := in.lang
	var bad *consult.ErrBadSchedule
	switch {
	case errors.As(err, &bad):
		return b.reply(ctx, in, l.T("schedule.that_schedule_wrong")+esc(bad.Reason), nil)
	case errors.Is(err, consult.ErrNotAdmin):
		return b.reply(ctx, in, l.T("schedule.only_county_admins_schedule"), nil)
	case errors.Is(err, consult.ErrAmbiguousCounty):
		return b.reply(ctx, in, l.T("schedule.you_run_several_counties"), nil)
	case errors.Is(err, consult.ErrUnknownCategory):
		list := ""
		if county != nil {
			list = categoryList(l, county)
		}
		return b.reply(ctx, in, l.T("schedule.no_such_category_known")+list, nil)
	case errors.Is(err, consult.ErrUnknownTownship):
		return b.reply(ctx, in, l.T("schedule.no_such_township_known")+townshipList(b.svc.AdminCounties(in.msg.From.ID)), nil)
	case errors.Is(err, consult.ErrNoSuchRequest):
		return b.reply(ctx, in, l.T("schedule.no_such_schedule"), nil)
	}
	return err
}

func clinicDraftText(l lang, d consult.ClinicDraft) string {
	s := d.Schedule
	text := l.F("schedule.clinic_schedule_each_pick", s.ID, categoryLabel(l, d.Category), esc(s.Spec), durationText(l, s.Duration))
	if s.Active {
		text = l.F("schedule.clinic_schedule_each_experts", s.ID, categoryLabel(l, d.Category), esc(s.Spec), durationText(l, s.Duration), esc(pickedNames(d)), localTime(s.NextRunAt, d.County))
	}
	if len(d.Candidates) == 0 {
		text += l.T("schedule.category_has_no_experts")
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
	rows = append(rows, tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData(l.T("schedule.start"), callbackData(actionClinicGo, d.Schedule.ID))))
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
			b.answerCallback(ctx, cq, l.T("buttons.button_no_longer_works"), false)
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
		b.answerCallback(ctx, cq, l.T("schedule.only_admin_county_can"), true)
		return nil
	case errors.Is(err, consult.ErrNoExperts):
		b.answerCallback(ctx, cq, l.T("schedule.pick_at_least_one"), true)
		return nil
	case errors.Is(err, consult.ErrNoSuchRequest):
		b.answerCallback(ctx, cq, l.T("buttons.button_no_longer_works"), false)
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
		return b.reply(ctx, in, l.T("schedule.no_clinic_sessions_visit"), nil)
	}
	var s strings.Builder
	s.WriteString(l.T("schedule.clinic_sessions_visit_plans"))
	for _, sc := range list {
		county, _ := b.svc.County(sc.CountyID)
		state := l.T("schedule.not_started")
		if sc.Active {
			state = l.T("schedule.next") + localTime(sc.NextRunAt, county)
		}
		if sc.Kind == store.ScheduleClinic {
			cat := &consult.Category{ID: sc.CategoryID, Name: sc.CategoryID, NameEn: sc.CategoryID}
			if county != nil {
				if c, ok := county.Category(sc.CategoryID); ok {
					cat = c
				}
			}
			fmt.Fprintf(&s, l.T("schedule.clinic"),
				sc.ID, categoryLabel(l, cat), esc(sc.Spec), durationText(l, sc.Duration), state)
		} else {
			fmt.Fprintf(&s, l.T("schedule.visit_plan"),
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
		return b.reply(ctx, in, l.T("schedule.calendar_feeds_are_off"), nil)
	}
	counties, own, err := b.svc.CalendarFeeds(ctx, in.msg.From.ID)
	if errors.Is(err, consult.ErrNotPermitted) {
		return b.reply(ctx, in, l.T("schedule.calendar_feeds_are_experts"), nil)
	}
	if err != nil {
		return err
	}
	var lines []string
	for _, c := range counties {
		lines = append(lines, l.F("schedule.all_visits", esc(c.Name), esc(b.CalendarLink("county", c.ID))))
	}
	if own {
		lines = append(lines, l.F("schedule.my_visits", esc(b.CalendarLink("expert", strconv.FormatInt(in.msg.From.ID, 10)))))
	}
	return b.reply(ctx, in, l.T("schedule.subscribe_link_your_phone")+strings.Join(lines, "\n"), nil)
}
