package consult

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/agriclinic/agriclinic/store"
)

// Reminders set when visits and clinic sessions are recalled to the people in them.
type Reminders struct {
	// DayBefore is the local time on the day before a visit ("18:00").
	DayBefore string
	// Before is how long before a visit the second reminder goes.
	Before time.Duration
	// Session is how long before a clinic session its experts are reminded.
	Session time.Duration
	// PlanLead is how long before a planned visit its order is made, for the admins to
	// confirm.
	PlanLead time.Duration
}

// DefaultReminders are the bureau's habits: the evening before, an hour before, and a
// quarter of an hour before a session; planned visits are ordered a week ahead.
var DefaultReminders = Reminders{DayBefore: "18:00", Before: time.Hour, Session: 15 * time.Minute, PlanLead: 7 * 24 * time.Hour}

// ErrBadSchedule is a cron expression or duration that cannot be used; its message says
// what was wrong.
type ErrBadSchedule struct{ Reason string }

func (e *ErrBadSchedule) Error() string { return e.Reason }

// ParseSpec reads a five-field cron expression (minute hour day-of-month month
// day-of-week) in the county's time zone.
func ParseSpec(spec string, c *County) (cron.Schedule, error) {
	spec = strings.Join(strings.Fields(spec), " ")
	if strings.HasPrefix(spec, "CRON_TZ=") || strings.HasPrefix(spec, "TZ=") {
		return nil, &ErrBadSchedule{Reason: "the time zone is the county's; leave out CRON_TZ"}
	}
	tz := "Asia/Shanghai"
	if c != nil && c.Timezone != "" {
		tz = c.Timezone
	}
	s, err := cron.ParseStandard("CRON_TZ=" + tz + " " + spec)
	if err != nil {
		return nil, &ErrBadSchedule{Reason: fmt.Sprintf("%q: %v; five fields are needed: minute hour day-of-month month day-of-week, e.g. \"0 9 * * 2\" for Tuesdays at 09:00", spec, err)}
	}
	return s, nil
}

// adminCounty is the county an admin acts in: the one named, or their only one.
func (s *Service) adminCounty(adminID int64, name string) (*County, error) {
	counties := s.AdminCounties(adminID)
	if len(counties) == 0 {
		return nil, ErrNotAdmin
	}
	if name == "" {
		if len(counties) > 1 {
			return nil, ErrAmbiguousCounty
		}
		return counties[0], nil
	}
	for _, c := range counties {
		if c.ID == name || c.Name == name {
			return c, nil
		}
	}
	return nil, ErrNotAdmin
}

// ClinicDraft is a new clinic schedule waiting for its experts, and who may be picked.
type ClinicDraft struct {
	Schedule   store.Schedule
	County     *County
	Category   *Category
	Candidates []store.Expert
}

// AddClinic schedules recurring clinic sessions of a category: spec says when each
// starts (county time), duration how long it lasts. It stays inactive until experts are
// picked (ToggleClinicExpert) and it is started (ActivateSchedule).
func (s *Service) AddClinic(ctx context.Context, adminID int64, category, duration, spec string) (ClinicDraft, error) {
	county, err := s.adminCounty(adminID, "")
	if err != nil {
		return ClinicDraft{}, err
	}
	cat, ok := county.FindCategory(category)
	if !ok {
		return ClinicDraft{County: county}, ErrUnknownCategory
	}
	d, err := time.ParseDuration(duration)
	if err != nil || d < 15*time.Minute || d > 12*time.Hour {
		return ClinicDraft{County: county}, &ErrBadSchedule{Reason: fmt.Sprintf("duration %q: give it like 2h or 90m, from 15m to 12h", duration)}
	}
	if _, err := ParseSpec(spec, county); err != nil {
		return ClinicDraft{County: county}, err
	}
	sched, err := s.db.CreateSchedule(ctx, store.Schedule{CountyID: county.ID, Kind: store.ScheduleClinic,
		Spec: strings.Join(strings.Fields(spec), " "), Duration: d, CategoryID: cat.ID, CreatedBy: adminID, CreatedAt: s.now()})
	if err != nil {
		return ClinicDraft{}, err
	}
	return s.clinicDraft(ctx, sched)
}

func (s *Service) clinicDraft(ctx context.Context, sched store.Schedule) (ClinicDraft, error) {
	county, ok := s.byID[sched.CountyID]
	if !ok {
		return ClinicDraft{}, ErrNoSuchRequest
	}
	cat, _ := county.Category(sched.CategoryID)
	experts, err := s.db.CategoryExperts(ctx, county.ID, sched.CategoryID)
	return ClinicDraft{Schedule: sched, County: county, Category: cat, Candidates: experts}, err
}

// ownSchedule loads a schedule an admin of its county acts on.
func (s *Service) ownSchedule(ctx context.Context, adminID, id int64) (store.Schedule, *County, error) {
	sched, err := s.db.Schedule(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return sched, nil, ErrNoSuchRequest
	}
	if err != nil {
		return sched, nil, err
	}
	county, ok := s.byID[sched.CountyID]
	if !ok || !county.IsAdmin(adminID) {
		return sched, nil, ErrNotAdmin
	}
	return sched, county, nil
}

// ToggleClinicExpert picks or unpicks an expert of a clinic schedule.
func (s *Service) ToggleClinicExpert(ctx context.Context, adminID, scheduleID, expertID int64) (ClinicDraft, error) {
	sched, _, err := s.ownSchedule(ctx, adminID, scheduleID)
	if err != nil {
		return ClinicDraft{}, err
	}
	if i := slices.Index(sched.Experts, expertID); i >= 0 {
		sched.Experts = slices.Delete(sched.Experts, i, i+1)
	} else {
		sched.Experts = append(sched.Experts, expertID)
	}
	if err := s.db.UpdateSchedule(ctx, sched); err != nil {
		return ClinicDraft{}, err
	}
	return s.clinicDraft(ctx, sched)
}

// ErrNoExperts is a clinic schedule started without experts.
var ErrNoExperts = errors.New("no experts picked")

// ActivateSchedule starts a schedule: its next run is computed from now.
func (s *Service) ActivateSchedule(ctx context.Context, adminID, scheduleID int64) (ClinicDraft, error) {
	sched, county, err := s.ownSchedule(ctx, adminID, scheduleID)
	if err != nil {
		return ClinicDraft{}, err
	}
	if sched.Kind == store.ScheduleClinic && len(sched.Experts) == 0 {
		return ClinicDraft{}, ErrNoExperts
	}
	spec, err := ParseSpec(sched.Spec, county)
	if err != nil {
		return ClinicDraft{}, err
	}
	sched.Active, sched.NextRunAt = true, s.firstRun(sched, spec)
	if err := s.db.UpdateSchedule(ctx, sched); err != nil {
		return ClinicDraft{}, err
	}
	return s.clinicDraft(ctx, sched)
}

// firstRun is when a schedule next fires from now: a clinic session when it starts, a
// visit plan PlanLead before the visit.
func (s *Service) firstRun(sched store.Schedule, spec cron.Schedule) time.Time {
	if sched.Kind == store.ScheduleVisitPlan {
		return spec.Next(s.now().Add(s.reminders.PlanLead)).Add(-s.reminders.PlanLead)
	}
	return spec.Next(s.now())
}

// AddVisitPlan schedules recurring visits to a township (spec: when each visit is, in
// county time); each is ordered PlanLead ahead for the admins to confirm.
func (s *Service) AddVisitPlan(ctx context.Context, adminID int64, township, topic, spec string) (store.Schedule, error) {
	county, err := s.adminCounty(adminID, "")
	if err != nil {
		return store.Schedule{}, err
	}
	if !slices.Contains(county.Townships, township) {
		return store.Schedule{}, ErrUnknownTownship
	}
	parsed, err := ParseSpec(spec, county)
	if err != nil {
		return store.Schedule{}, err
	}
	sched := store.Schedule{CountyID: county.ID, Kind: store.ScheduleVisitPlan, Spec: strings.Join(strings.Fields(spec), " "),
		Township: township, Topic: strings.TrimSpace(topic), Active: true, CreatedBy: adminID, CreatedAt: s.now()}
	sched.NextRunAt = s.firstRun(sched, parsed)
	return s.db.CreateSchedule(ctx, sched)
}

// RemoveSchedule stops a schedule; what it did stays archived.
func (s *Service) RemoveSchedule(ctx context.Context, adminID, scheduleID int64) error {
	sched, _, err := s.ownSchedule(ctx, adminID, scheduleID)
	if err != nil {
		return err
	}
	sched.Active, sched.NextRunAt = false, time.Time{}
	return s.db.UpdateSchedule(ctx, sched)
}

// AdminSchedules lists the schedules of the admin's counties.
func (s *Service) AdminSchedules(ctx context.Context, adminID int64) ([]store.Schedule, error) {
	counties := s.AdminCounties(adminID)
	if len(counties) == 0 {
		return nil, ErrNotAdmin
	}
	var out []store.Schedule
	for _, c := range counties {
		list, err := s.db.Schedules(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, list...)
	}
	return out, nil
}

// Kinds of scheduled work.
const (
	WorkSessionReminder = "session_reminder"
	WorkSessionStart    = "session_start"
	WorkSessionEnd      = "session_end"
	WorkVisitDayBefore  = "visit_day_before"
	WorkVisitSoon       = "visit_soon"
	WorkVisitPlanned    = "visit_planned"
)

// Work is one piece of scheduled work, for the renderer to turn into messages.
type Work struct {
	Kind     string
	County   *County
	Category *Category
	Schedule store.Schedule
	Session  store.ClinicSession
	Visit    store.VisitReminder
	Planned  store.Visit
	// Experts are the session's or visit's experts; Groups the county's groups (a
	// session) or the visit's township group; Languages every recipient's chosen language.
	Experts   []store.Expert
	Groups    []store.Group
	Languages map[int64]string
}

// RunDue does every piece of scheduled work that is due: clinic sessions start and end,
// reminders go, planned visits are ordered. Cron only calls it; each piece is recorded in
// Postgres (a firing key, a session row) in the same transaction as its messages, so two
// instances, or a restart at that minute, do it once. Work missed while the bot was down
// is done late if it still makes sense (a session still running, a reminder before the
// visit) and skipped with a log line if not. It returns how many pieces it did.
func (s *Service) RunDue(ctx context.Context, out Out[Work]) (int, error) {
	done := 0
	scheds, err := s.db.ActiveSchedules(ctx)
	if err != nil {
		return 0, err
	}
	for _, sched := range scheds {
		n, err := s.runSchedule(ctx, sched, out)
		done += n
		if err != nil {
			return done, err
		}
	}
	n, err := s.endSessions(ctx, out)
	done += n
	if err != nil {
		return done, err
	}
	n, err = s.remindVisits(ctx, out)
	return done + n, err
}

// fire does one piece of work once: key records it, next (when set) advances the
// schedule in the same transaction.
func (s *Service) fire(ctx context.Context, key string, w Work, out Out[Work], do func(tx *store.Tx, w *Work) error) (bool, error) {
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.Fire(ctx, key, s.now()); err != nil {
			return err
		}
		if do != nil {
			if err := do(tx, &w); err != nil {
				return err
			}
		}
		return tx.Enqueue(ctx, out.render(w)...)
	})
	if errors.Is(err, store.ErrDuplicate) || errors.Is(err, store.ErrConflict) {
		return false, nil
	}
	return err == nil, err
}

func stamp(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

func (s *Service) runSchedule(ctx context.Context, sched store.Schedule, out Out[Work]) (int, error) {
	county, ok := s.byID[sched.CountyID]
	if !ok || sched.NextRunAt.IsZero() {
		return 0, nil
	}
	spec, err := ParseSpec(sched.Spec, county)
	if err != nil {
		s.log.Warn("schedule with a bad cron expression skipped", "schedule", sched.ID, "err", err)
		return 0, nil
	}
	now, next := s.now(), sched.NextRunAt
	w, err := s.workFor(ctx, sched, county)
	if err != nil {
		return 0, err
	}
	done := 0
	if sched.Kind == store.ScheduleClinic && now.Before(next) {
		if now.Before(next.Add(-s.reminders.Session)) {
			return 0, nil
		}
		w.Kind = WorkSessionReminder
		ok, err := s.fire(ctx, "session-reminder:"+strconv.FormatInt(sched.ID, 10)+":"+stamp(next), w, out, nil)
		if ok {
			done++
		}
		return done, err
	}
	if now.Before(next) {
		return 0, nil
	}
	// Due. The run after it is the first one still ahead: runs missed while the bot was
	// down are not made up one by one.
	after := spec.Next(now)
	if sched.Kind == store.ScheduleVisitPlan {
		after = spec.Next(now.Add(s.reminders.PlanLead)).Add(-s.reminders.PlanLead)
	}
	advance := func(tx *store.Tx) error { return tx.AdvanceSchedule(ctx, sched.ID, next, after) }
	switch sched.Kind {
	case store.ScheduleClinic:
		end := next.Add(sched.Duration)
		if !now.Before(end) {
			s.log.Warn("clinic session missed while the bot was down; skipped", "schedule", sched.ID, "start", next)
			return 0, s.skip(ctx, sched.ID, next, after)
		}
		w.Kind = WorkSessionStart
		ok, err := s.fire(ctx, "session:"+strconv.FormatInt(sched.ID, 10)+":"+stamp(next), w, out, func(tx *store.Tx, w *Work) error {
			wereOff, err := tx.PutOnDuty(ctx, county.ID, sched.Experts)
			if err != nil {
				return err
			}
			w.Session, err = tx.StartSession(ctx, store.ClinicSession{ScheduleID: sched.ID, CountyID: county.ID,
				CategoryID: sched.CategoryID, Experts: sched.Experts, WereOff: wereOff, StartsAt: next, EndsAt: end})
			if err != nil {
				return err
			}
			return advance(tx)
		})
		if ok {
			done++
		}
		return done, err
	case store.ScheduleVisitPlan:
		visitAt := next.Add(s.reminders.PlanLead)
		if !now.Before(visitAt) {
			s.log.Warn("planned visit passed while the bot was down; not ordered", "schedule", sched.ID, "visit", visitAt)
			return 0, s.skip(ctx, sched.ID, next, after)
		}
		w.Kind = WorkVisitPlanned
		ok, err := s.fire(ctx, "plan:"+strconv.FormatInt(sched.ID, 10)+":"+stamp(visitAt), w, out, func(tx *store.Tx, w *Work) error {
			local := visitAt
			if county.Location != nil {
				local = visitAt.In(county.Location)
			}
			v, err := tx.CreateVisit(ctx, store.Visit{CountyID: county.ID, Township: sched.Township, Topic: sched.Topic,
				Preferred: local.Format("2006-01-02 15:04"), Source: "plan", OrderedBy: sched.CreatedBy, OrderedAt: s.now()})
			if err != nil {
				return err
			}
			w.Planned = v
			return advance(tx)
		})
		if ok {
			done++
		}
		return done, err
	}
	return 0, nil
}

// skip moves a schedule past a run that no longer makes sense.
func (s *Service) skip(ctx context.Context, id int64, from, to time.Time) error {
	if err := s.db.AdvanceSchedule(ctx, id, from, to); err != nil && !errors.Is(err, store.ErrConflict) {
		return err
	}
	return nil
}

// workFor gathers what a schedule's messages name: experts, groups, languages. It is read
// before the transaction (renderers must not query).
func (s *Service) workFor(ctx context.Context, sched store.Schedule, county *County) (Work, error) {
	w := Work{County: county, Schedule: sched, Languages: map[int64]string{}}
	w.Category, _ = county.Category(sched.CategoryID)
	for _, id := range sched.Experts {
		e, err := s.db.Expert(ctx, county.ID, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return w, err
		}
		w.Experts = append(w.Experts, e)
		w.Languages[id] = e.Language
	}
	if sched.Kind == store.ScheduleClinic {
		groups, err := s.db.CountyGroups(ctx, county.ID)
		if err != nil {
			return w, err
		}
		w.Groups = groups
	}
	for _, g := range w.Groups {
		w.Languages[g.ChatID] = s.language(ctx, g.ChatID)
	}
	for _, a := range county.Admins {
		w.Languages[a] = s.language(ctx, a)
	}
	return w, nil
}

// endSessions closes the sessions whose time is up: their summary goes to the county's
// groups and the experts who were off duty before go off again.
func (s *Service) endSessions(ctx context.Context, out Out[Work]) (int, error) {
	ended, err := s.db.SessionsEndedBy(ctx, s.now())
	if err != nil {
		return 0, err
	}
	done := 0
	for _, sess := range ended {
		county, ok := s.byID[sess.CountyID]
		if !ok {
			continue
		}
		sched, err := s.db.Schedule(ctx, sess.ScheduleID)
		if err != nil {
			return done, err
		}
		w, err := s.workFor(ctx, sched, county)
		if err != nil {
			return done, err
		}
		w.Kind = WorkSessionEnd
		answered, err := s.db.AnsweredBetween(ctx, county.ID, sess.Experts, sess.StartsAt, sess.EndsAt)
		if err != nil {
			return done, err
		}
		sess.Answered = answered
		w.Session = sess
		err = s.db.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.EndSession(ctx, sess.ID, answered, s.now()); err != nil {
				return err
			}
			if len(sess.WereOff) > 0 {
				if err := tx.PutOffDuty(ctx, county.ID, sess.WereOff); err != nil {
					return err
				}
			}
			return tx.Enqueue(ctx, out.render(w)...)
		})
		if errors.Is(err, store.ErrConflict) {
			continue // another instance ended it
		}
		if err != nil {
			return done, err
		}
		done++
	}
	return done, nil
}

// remindVisits sends the evening-before and the hour-before reminders of approved
// visits. A reminder whose moment passed while the bot was down still goes if the visit
// has not begun, unless the next reminder is due by then.
func (s *Service) remindVisits(ctx context.Context, out Out[Work]) (int, error) {
	now := s.now()
	visits, err := s.db.ApprovedVisitsBetween(ctx, now, now.Add(36*time.Hour))
	if err != nil {
		return 0, err
	}
	hh, mm, err := ParseTimeOfDay(s.reminders.DayBefore)
	if err != nil {
		hh, mm = 18, 0
	}
	done := 0
	for _, v := range visits {
		county, ok := s.byID[v.CountyID]
		if !ok {
			continue
		}
		local := v.ScheduledAt
		if county.Location != nil {
			local = local.In(county.Location)
		}
		y, m, d := local.AddDate(0, 0, -1).Date()
		evening := time.Date(y, m, d, hh, mm, 0, 0, local.Location())
		soon := v.ScheduledAt.Add(-s.reminders.Before)
		var kind, key string
		switch {
		case !now.Before(soon):
			kind, key = WorkVisitSoon, "visit-soon:"
		case !now.Before(evening):
			kind, key = WorkVisitDayBefore, "visit-day-before:"
		default:
			continue
		}
		w := Work{Kind: kind, County: county, Visit: v, Languages: map[int64]string{}}
		for _, id := range v.Experts {
			if e, err := s.db.Expert(ctx, county.ID, id); err == nil {
				w.Experts = append(w.Experts, e)
				w.Languages[id] = e.Language
			}
		}
		if v.ChatID != 0 {
			w.Groups = []store.Group{{ChatID: v.ChatID, CountyID: county.ID, Township: v.Township}}
			w.Languages[v.ChatID] = s.language(ctx, v.ChatID)
		}
		ok, err := s.fire(ctx, key+strconv.FormatInt(v.ID, 10)+":"+stamp(v.ScheduledAt), w, out, nil)
		if err != nil {
			return done, err
		}
		if ok {
			done++
		}
	}
	return done, nil
}
