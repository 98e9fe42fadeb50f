package consult_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
)

// workLog collects the scheduled work a renderer was given.
type workLog struct{ kinds []string }

func (l *workLog) out(w consult.Work) []store.Message {
	l.kinds = append(l.kinds, w.Kind)
	return nil
}

func (l *workLog) take() string {
	s := strings.Join(l.kinds, ",")
	l.kinds = nil
	return s
}

func TestABadCronExpressionSaysWhatIsWrong(t *testing.T) {
	t.Parallel()
	svc, _ := setup(t)
	_, err := svc.AddClinic(context.Background(), adminID, "水稻", "2h", "0 9 * *")
	var bad *consult.ErrBadSchedule
	if !errors.As(err, &bad) || !strings.Contains(bad.Reason, "five fields") || !strings.Contains(bad.Reason, "0 9 * *") {
		t.Errorf("err = %v, want the expression and what a valid one looks like", err)
	}
	if _, err := svc.AddClinic(context.Background(), adminID, "水稻", "two hours", "0 9 * * 2"); !errors.As(err, &bad) {
		t.Errorf("bad duration: %v", err)
	}
	if _, err := svc.AddClinic(context.Background(), 1, "水稻", "2h", "0 9 * * 2"); !errors.Is(err, consult.ErrNotAdmin) {
		t.Errorf("a farmer scheduling: %v", err)
	}
}

func TestAClinicSessionRunsOnItsScheduleOnce(t *testing.T) {
	t.Parallel()
	svc, b := setup(t) // the clock starts Wednesday 2026-07-01 09:00 UTC (17:00 in the county)
	ctx := context.Background()
	addExpert(t, svc, 501, "rice")
	addExpert(t, svc, 502, "rice")
	if err := svc.SetDuty(ctx, 502, false); err != nil {
		t.Fatal(err)
	}
	q := bindAndAsk(t, svc, "水稻卷叶").Question

	draft, err := svc.AddClinic(ctx, adminID, "水稻", "2h", "0 9 * * 4") // Thursdays 09:00-11:00 county time
	if err != nil {
		t.Fatal(err)
	}
	if len(draft.Candidates) != 2 {
		t.Fatalf("candidates = %+v, want both rice experts", draft.Candidates)
	}
	if _, err := svc.ActivateSchedule(ctx, adminID, draft.Schedule.ID); !errors.Is(err, consult.ErrNoExperts) {
		t.Errorf("activating without experts: %v", err)
	}
	for _, e := range []int64{501, 502} {
		if _, err := svc.ToggleClinicExpert(ctx, adminID, draft.Schedule.ID, e); err != nil {
			t.Fatal(err)
		}
	}
	draft, err = svc.ActivateSchedule(ctx, adminID, draft.Schedule.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2026, 7, 2, 1, 0, 0, 0, time.UTC) // Thursday 09:00 in Asia/Shanghai
	if !draft.Schedule.NextRunAt.Equal(want) {
		t.Fatalf("next run = %v, want %v", draft.Schedule.NextRunAt, want)
	}

	var log workLog
	// A second instance shares the archive: each piece of work is done once between them.
	other, _ := setupOn(t, b)
	run := func() string {
		t.Helper()
		for _, s := range []*consult.Service{svc, other} {
			if _, err := s.RunDue(ctx, log.out); err != nil {
				t.Fatal(err)
			}
		}
		return log.take()
	}
	if got := run(); got != "" {
		t.Errorf("before anything is due: %q", got)
	}
	b.clock.advance(want.Add(-10 * time.Minute).Sub(b.clock.Now()))
	if got := run(); got != consult.WorkSessionReminder {
		t.Errorf("10 minutes before: %q, want the reminder", got)
	}
	if got := run(); got != "" {
		t.Errorf("the reminder again: %q", got)
	}
	b.clock.advance(11 * time.Minute)
	if got := run(); got != consult.WorkSessionStart {
		t.Errorf("at the start: %q, want the session to start", got)
	}
	if got := run(); got != "" {
		t.Errorf("the start again: %q", got)
	}
	if e, _ := b.db.Expert(ctx, "yuqing", 502); !e.OnDuty {
		t.Error("the off-duty expert is not on duty during the session")
	}
	if _, err := svc.Claim(ctx, q.ID, 502, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Answer(ctx, consult.AnswerInput{QuestionID: q.ID, Expert: consult.Person{ID: 502}, Text: "打药", UpdateID: nextUpdate()}, nil); err != nil {
		t.Fatal(err)
	}
	b.clock.advance(2 * time.Hour)
	var end consult.Work
	if _, err := svc.RunDue(ctx, func(w consult.Work) []store.Message { end = w; return nil }); err != nil {
		t.Fatal(err)
	}
	if end.Kind != consult.WorkSessionEnd || end.Session.Answered != 1 || end.Session.Number != 1 {
		t.Errorf("end = %s, answered %d, number %d; want the end of session 1 with 1 answered", end.Kind, end.Session.Answered, end.Session.Number)
	}
	if e, _ := b.db.Expert(ctx, "yuqing", 502); e.OnDuty {
		t.Error("the expert who was off duty before is still on duty after the session")
	}
	if e, _ := b.db.Expert(ctx, "yuqing", 501); !e.OnDuty {
		t.Error("the expert who was on duty before is off duty after the session")
	}

	// The bot is down through next Thursday's whole session: it is skipped, not held late;
	// the week after runs as session 2.
	b.clock.advance(7 * 24 * time.Hour)
	if got := run(); got != "" {
		t.Errorf("a session missed entirely: %q, want it skipped", got)
	}
	b.clock.advance(7*24*time.Hour - 2*time.Hour)
	if got := run(); got != consult.WorkSessionStart {
		t.Errorf("the week after: %q", got)
	}
}

func TestVisitRemindersGoOnceAndOnlyBeforeTheVisit(t *testing.T) {
	t.Parallel()
	svc, b := setup(t) // Wednesday 2026-07-01 17:00 county time
	ctx := context.Background()
	addExpert(t, svc, 501, "rice")
	// A visit approved for Thursday 09:00 county time (01:00 UTC).
	at := time.Date(2026, 7, 2, 1, 0, 0, 0, time.UTC)
	v, err := b.db.CreateVisit(ctx, store.Visit{CountyID: "yuqing", Township: "白泥镇", Topic: "水稻", Source: "order", OrderedBy: adminID, OrderedAt: b.clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	approveVisit(t, b, v.ID, at, 501)

	var log workLog
	run := func(s *consult.Service) string {
		t.Helper()
		if _, err := s.RunDue(ctx, log.out); err != nil {
			t.Fatal(err)
		}
		return log.take()
	}
	if got := run(svc); got != "" {
		t.Errorf("at 17:00 the day before: %q", got)
	}
	b.clock.advance(time.Hour) // 18:00
	if got := run(svc); got != consult.WorkVisitDayBefore {
		t.Errorf("at 18:00 the day before: %q", got)
	}
	// A restarted bot (a new service on the same archive) does not send it again.
	restarted, _ := setupOn(t, b)
	if got := run(restarted); got != "" {
		t.Errorf("after a restart: %q", got)
	}
	b.clock.advance(14 * time.Hour) // 08:00, an hour before
	if got := run(restarted) + run(svc); got != consult.WorkVisitSoon {
		t.Errorf("an hour before, from two instances: %q, want one reminder", got)
	}
	b.clock.advance(2 * time.Hour)
	if got := run(svc); got != "" {
		t.Errorf("after the visit began: %q", got)
	}
}

// approveVisit schedules a visit with its experts, as an admin's approval does.
func approveVisit(t *testing.T, b *testBundle, visitID int64, at time.Time, experts ...int64) {
	t.Helper()
	ctx := context.Background()
	if _, err := b.pool.Exec(ctx, `UPDATE visits SET status = 'approved', scheduled_at = $2 WHERE id = $1`, visitID, at); err != nil {
		t.Fatal(err)
	}
	for _, e := range experts {
		if _, err := b.pool.Exec(ctx, `INSERT INTO visit_experts (visit_id, user_id) VALUES ($1, $2)`, visitID, e); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAVisitPlanOrdersEachVisitAWeekAhead(t *testing.T) {
	t.Parallel()
	svc, b := setup(t) // 2026-07-01 17:00 county time
	ctx := context.Background()
	if _, err := svc.AddVisitPlan(ctx, adminID, "北京", "x", "0 9 1 * *"); !errors.Is(err, consult.ErrUnknownTownship) {
		t.Errorf("a plan for an unknown township: %v", err)
	}
	plan, err := svc.AddVisitPlan(ctx, adminID, "白泥镇", "花椒修剪", "0 9 1 * *") // the 1st of each month, 09:00
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 7, 25, 1, 0, 0, 0, time.UTC); !plan.NextRunAt.Equal(want) {
		t.Fatalf("the plan fires at %v, want %v (a week before 1 August 09:00)", plan.NextRunAt, want)
	}
	var got []consult.Work
	collect := func(w consult.Work) []store.Message { got = append(got, w); return nil }
	b.clock.advance(24*24*time.Hour + 8*time.Hour) // 25 July 01:00 UTC and a little
	for range 2 {
		if _, err := svc.RunDue(ctx, collect); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != 1 || got[0].Kind != consult.WorkVisitPlanned || got[0].Planned.Preferred != "2026-08-01 09:00" || got[0].Planned.Township != "白泥镇" {
		t.Fatalf("work = %+v, want one planned visit for 1 August", got)
	}
	s, err := b.db.Schedule(ctx, plan.ID)
	if err != nil || !s.NextRunAt.Equal(time.Date(2026, 8, 25, 1, 0, 0, 0, time.UTC)) {
		t.Errorf("next run = %v, %v; want 25 August (for 1 September)", s.NextRunAt, err)
	}
}

// TestAVisitFromOrderToReport walks one visit the whole way with the service's clock:
// the township orders it, an admin approves it with an expert, the evening before and the
// hour before remind the expert and the group once (with two instances and a restart),
// the expert reports, and nothing is reminded after.
func TestAVisitFromOrderToReport(t *testing.T) {
	t.Parallel()
	svc, b := visitSetup(t) // 2026-07-01 17:00 county time
	ctx := context.Background()
	v := order(t, svc)
	at := slot(svc, 0) // tomorrow 09:00
	approve(t, svc, v.ID, at, 11)

	other, _ := setupOn(t, b)
	var got []consult.Work
	run := func() []string {
		t.Helper()
		got = nil
		for _, s := range []*consult.Service{svc, other} {
			if _, err := s.RunDue(ctx, func(w consult.Work) []store.Message { got = append(got, w); return nil }); err != nil {
				t.Fatal(err)
			}
		}
		var kinds []string
		for _, w := range got {
			kinds = append(kinds, w.Kind)
		}
		return kinds
	}
	if k := run(); len(k) != 0 {
		t.Fatalf("at 17:00 the day before: %v", k)
	}
	b.clock.advance(at.Add(-15 * time.Hour).Sub(b.clock.Now())) // 18:00 the day before
	if k := run(); len(k) != 1 || k[0] != consult.WorkVisitDayBefore {
		t.Fatalf("at 18:00: %v, want one evening reminder", k)
	}
	w := got[0]
	if w.Visit.ID != v.ID || len(w.Experts) != 1 || w.Experts[0].UserID != 11 || len(w.Groups) != 1 || w.Groups[0].ChatID != groupID {
		t.Errorf("reminder = %+v, want the visit's expert and its group", w)
	}
	restarted, _ := setupOn(t, b)
	if _, err := restarted.RunDue(ctx, func(w consult.Work) []store.Message { t.Errorf("after a restart: %s again", w.Kind); return nil }); err != nil {
		t.Fatal(err)
	}
	b.clock.advance(14 * time.Hour) // 08:00
	if k := run(); len(k) != 1 || k[0] != consult.WorkVisitSoon {
		t.Fatalf("at 08:00: %v, want one reminder", k)
	}
	b.clock.advance(3 * time.Hour)
	ok := must[consult.FormResult](t)
	res := ok(svc.StartReport(ctx, v.ID, consult.Person{ID: 11, Name: "expert 11"}, nil))
	res = ok(answer(t, svc, 11, 11, "稻纵卷叶螟"))
	res = ok(answer(t, svc, 11, 11, "喷施氯虫苯甲酰胺"))
	res = ok(answer(t, svc, 11, 11, "18"))
	res = ok(press(t, svc, res.Form, consult.FormInput{Done: true}))
	if res.Visit == nil || res.Visit.Visit.Status != store.VisitDone {
		t.Fatalf("report = %+v", res)
	}
	if k := run(); len(k) != 0 {
		t.Errorf("after the report: %v", k)
	}
}
