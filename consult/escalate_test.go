package consult_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
)

// set moves the clock to a moment, as a test that seeds a calendar needs.
func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// anotherInstance is a second Service on the same archive, queues and clock, as a second
// running bot would be.
func anotherInstance(t *testing.T, b *testBundle) *consult.Service {
	t.Helper()
	counties, err := consult.ParseCounties([]byte(testCounties), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return consult.NewService(b.db, b.queue, counties, consult.Options{
		Now: b.clock.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
}

func shanghai(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func expertIDs(experts []store.ExpertLoad) []int64 {
	var ids []int64
	for _, e := range experts {
		ids = append(ids, e.UserID)
	}
	return ids
}

func TestAQuestionUnansweredPastTheSLAIsEscalatedOnceToTheCountyAdmins(t *testing.T) {
	t.Parallel()
	svc, b := setup(t)
	ctx := context.Background()
	addExpert(t, svc, 11, "rice")
	addExpert(t, svc, 13, "rice")
	addExpert(t, svc, 14, "rice")
	addExpert(t, svc, 12, "tea")
	// Expert 13 is the one off duty: offered last.
	if err := svc.SetDuty(ctx, 13, false); err != nil {
		t.Fatal(err)
	}
	if err := b.db.SetLanguage(ctx, adminID, "en"); err != nil {
		t.Fatal(err)
	}
	open := bindAndAsk(t, svc, "水稻卷叶").Question
	claimed := bindAndAsk(t, svc, "水稻 秧苗发黄").Question
	answered := bindAndAsk(t, svc, "水稻 倒伏").Question
	if _, err := svc.Claim(ctx, claimed.ID, 11, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Claim(ctx, answered.ID, 14, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Answer(ctx, consult.AnswerInput{QuestionID: answered.ID, Expert: consult.Person{ID: 14}, Text: "扶正", UpdateID: nextUpdate()}, nil); err != nil {
		t.Fatal(err)
	}
	got := map[int64]consult.Escalation{}
	collect := func(e consult.Escalation) []store.Message {
		if _, twice := got[e.Question.ID]; twice {
			t.Errorf("#%d escalated twice", e.Question.ID)
		}
		got[e.Question.ID] = e
		return nil
	}

	b.clock.advance(time.Hour)
	if n, err := svc.EscalateLate(ctx, 2*time.Hour, collect); err != nil || n != 0 {
		t.Fatalf("an hour after asking: escalated %d, %v; want none", n, err)
	}
	b.clock.advance(time.Hour)
	if n, err := svc.EscalateLate(ctx, 2*time.Hour, collect); err != nil || n != 2 {
		t.Fatalf("past the SLA: escalated %d, %v; want the open and the claimed question", n, err)
	}
	for range 2 {
		if n, err := svc.EscalateLate(ctx, 2*time.Hour, collect); err != nil || n != 0 {
			t.Errorf("again: escalated %d, %v; want none", n, err)
		}
	}
	if n, err := anotherInstance(t, b).EscalateLate(ctx, 2*time.Hour, collect); err != nil || n != 0 {
		t.Errorf("on another instance: escalated %d, %v; want none", n, err)
	}

	e, ok := got[open.ID]
	switch {
	case !ok:
		t.Errorf("the open question #%d was not escalated", open.ID)
	case e.Holder.UserID != 0 || e.Waited < 2*time.Hour || e.County.ID != "yuqing" || e.Category.ID != "rice":
		t.Errorf("open question's escalation = %+v; want no holder, waited 2h, yuqing/rice", e)
	case len(e.Admins) != 1 || e.Admins[0] != (consult.AdminContact{UserID: adminID, Language: "en"}):
		t.Errorf("admins = %+v; want the county's admin with the language they chose", e.Admins)
	case !slices.Equal(expertIDs(e.Experts), []int64{11, 14, 13}) || e.Experts[0].Held != 1 || e.Experts[1].Held != 0:
		t.Errorf("experts = %+v; want 11 (holding 1), 14, then 13 who is off duty", e.Experts)
	}
	e, ok = got[claimed.ID]
	switch {
	case !ok:
		t.Errorf("the claimed, unanswered question #%d was not escalated", claimed.ID)
	case e.Holder.UserID != 11 || e.Holder.Name != "expert 11":
		t.Errorf("holder = %+v; want expert 11", e.Holder)
	case !slices.Equal(expertIDs(e.Experts), []int64{14, 13}):
		t.Errorf("experts = %v; want the holder left out", expertIDs(e.Experts))
	}
	for _, id := range []int64{open.ID, claimed.ID} {
		if q, _ := b.db.Question(ctx, id); q.EscalatedAt.IsZero() {
			t.Errorf("#%d has no escalated_at", id)
		}
	}
	if q, _ := b.db.Question(ctx, answered.ID); !q.EscalatedAt.IsZero() {
		t.Errorf("the answered question was escalated")
	}
}

func TestAnEscalationOffersAtMostEightExperts(t *testing.T) {
	t.Parallel()
	svc, b := setup(t)
	ctx := context.Background()
	for i := range 10 {
		addExpert(t, svc, int64(100+i), "rice")
	}
	bindAndAsk(t, svc, "水稻卷叶")
	b.clock.advance(3 * time.Hour)
	var got []consult.Escalation
	if _, err := svc.EscalateLate(ctx, 2*time.Hour, func(e consult.Escalation) []store.Message { got = append(got, e); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || len(got[0].Experts) != consult.MaxAssignChoices {
		t.Errorf("escalations %d, offering %d experts; want one offering %d", len(got), len(got[0].Experts), consult.MaxAssignChoices)
	}
}

func TestOnlyACountyAdminAssignsAndTheQuestionGoesToTheChosenExpert(t *testing.T) {
	t.Parallel()
	svc, b := setup(t)
	ctx := context.Background()
	addExpert(t, svc, 11, "rice")
	addExpert(t, svc, 13, "rice")
	addExpert(t, svc, 12, "tea")
	q := bindAndAsk(t, svc, "水稻卷叶").Question

	refused := []struct {
		name          string
		admin, expert int64
		want          error
	}{
		{"another county's admin", 9002, 11, consult.ErrNotAdmin},
		{"an expert", 11, 11, consult.ErrNotAdmin},
		{"to an expert of another category", adminID, 12, consult.ErrNotExpert},
		{"to someone who is no expert", adminID, 1, consult.ErrNotExpert},
	}
	for _, tt := range refused {
		if _, err := svc.Assign(ctx, q.ID, tt.admin, tt.expert, nil); !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
	if _, err := svc.Assign(ctx, 999, adminID, 11, nil); !errors.Is(err, consult.ErrNoSuchQuestion) {
		t.Errorf("a missing question: err = %v, want ErrNoSuchQuestion", err)
	}
	if cur, _ := b.db.Question(ctx, q.ID); cur.Status != store.StatusOpen {
		t.Fatalf("after refusals the question is %s, want still open", cur.Status)
	}

	res, err := svc.Assign(ctx, q.ID, adminID, 11, nil)
	if err != nil || res.Former.UserID != 0 || res.Expert.UserID != 11 || res.Question.Status != store.StatusClaimed || res.Question.ExpertID != 11 {
		t.Fatalf("assign an open question: %+v, %v; want claimed by 11, no former holder", res, err)
	}
	if _, total, _ := b.queue.Peek(ctx, "yuqing", []string{"rice"}, 10); total != 0 {
		t.Errorf("the queue still holds %d questions after the assignment", total)
	}
	if _, err := svc.Assign(ctx, q.ID, adminID, 11, nil); !errors.Is(err, consult.ErrAlreadyAssigned) {
		t.Errorf("assign to the holder: err = %v, want ErrAlreadyAssigned", err)
	}

	res, err = svc.Assign(ctx, q.ID, adminID, 13, nil)
	if err != nil || res.Former.UserID != 11 || res.Former.Name != "expert 11" || res.Question.ExpertID != 13 {
		t.Fatalf("take over: %+v, %v; want moved from 11 to 13", res, err)
	}
	answer := func(user int64) error {
		_, err := svc.Answer(ctx, consult.AnswerInput{QuestionID: q.ID, Expert: consult.Person{ID: user}, Text: "喷药", UpdateID: nextUpdate()}, nil)
		return err
	}
	if err := answer(11); !errors.Is(err, consult.ErrNotHolder) {
		t.Errorf("the former holder answers: err = %v, want ErrNotHolder", err)
	}
	if err := answer(13); err != nil {
		t.Fatalf("the new holder answers: %v", err)
	}
	res, err = svc.Assign(ctx, q.ID, adminID, 11, nil)
	if !errors.Is(err, consult.ErrAlreadyAnswered) || res.Question.Status != store.StatusAnswered {
		t.Errorf("assign an answered question: %v, status %s; want ErrAlreadyAnswered", err, res.Question.Status)
	}
	if cur, _ := b.db.Question(ctx, q.ID); cur.Status != store.StatusAnswered || cur.ExpertID != 13 {
		t.Errorf("after assigning an answered question it is %s by %d, want unchanged", cur.Status, cur.ExpertID)
	}
}

// TestTheMorningDigestSumsUpYesterdayOnceTheDigestTimeHasPassed seeds two days of
// questions and reads the digest of the second the morning after.
func TestTheMorningDigestSumsUpYesterdayOnceTheDigestTimeHasPassed(t *testing.T) {
	t.Parallel()
	svc, b := setup(t)
	ctx := context.Background()
	loc := shanghai(t)
	at := func(day, hour, minute int) time.Time { return time.Date(2026, 7, day, hour, minute, 0, 0, loc) }
	addExpert(t, svc, 11, "rice")
	addExpert(t, svc, 12, "tea")
	answer := func(q store.Question, expert int64) {
		t.Helper()
		if _, err := svc.Claim(ctx, q.ID, expert, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Answer(ctx, consult.AnswerInput{QuestionID: q.ID, Expert: consult.Person{ID: expert}, Text: "答", UpdateID: nextUpdate()}, nil); err != nil {
			t.Fatal(err)
		}
	}

	// The day before: one question still open, one answered the next day.
	b.clock.set(time.Date(2026, 6, 30, 10, 0, 0, 0, loc))
	oldest := bindAndAsk(t, svc, "水稻卷叶 A").Question
	lateAnswered := bindAndAsk(t, svc, "水稻 B").Question
	// July 1st, the day the digest sums up.
	b.clock.set(at(1, 9, 0))
	answeredSameDay := bindAndAsk(t, svc, "水稻 C").Question
	claimedTea := bindAndAsk(t, svc, "茶 D").Question
	bindAndAsk(t, svc, "水稻 E")
	b.clock.set(at(1, 10, 0))
	answer(answeredSameDay, 11)
	answer(lateAnswered, 11)
	if _, err := svc.Claim(ctx, claimedTea.ID, 12, nil); err != nil {
		t.Fatal(err)
	}
	b.clock.set(at(1, 23, 59))
	bindAndAsk(t, svc, "玉米 F") // general

	digests := map[string][]consult.Digest{}
	var mu sync.Mutex
	collect := func(d consult.Digest) []store.Message {
		mu.Lock()
		defer mu.Unlock()
		digests[d.County.ID] = append(digests[d.County.ID], d)
		return nil
	}
	b.clock.set(at(2, 7, 59))
	if n, err := svc.MorningDigest(ctx, "08:00", 2*time.Hour, collect); err != nil || n != 0 {
		t.Fatalf("at 07:59: sent %d, %v; want none before 08:00", n, err)
	}
	// Asked this morning, within the SLA: waiting, not overdue, not yesterday's.
	b.clock.set(at(2, 9, 30))
	bindAndAsk(t, svc, "茶 G")
	// The bot was down at 08:00 and is back at 10:00.
	b.clock.set(at(2, 10, 0))
	if n, err := svc.MorningDigest(ctx, "08:00", 2*time.Hour, collect); err != nil || n != 2 {
		t.Fatalf("at 10:00: sent %d, %v; want both counties' digests", n, err)
	}
	if n, err := svc.MorningDigest(ctx, "08:00", 2*time.Hour, collect); err != nil || n != 0 {
		t.Errorf("called again: sent %d, %v; want none", n, err)
	}
	if n, err := anotherInstance(t, b).MorningDigest(ctx, "08:00", 2*time.Hour, collect); err != nil || n != 0 {
		t.Errorf("on another instance: sent %d, %v; want none", n, err)
	}

	if len(digests["yuqing"]) != 1 || len(digests["meitan"]) != 1 {
		t.Fatalf("digests: %d of yuqing, %d of meitan; want one each", len(digests["yuqing"]), len(digests["meitan"]))
	}
	d := digests["yuqing"][0]
	if !d.Day.Equal(at(1, 0, 0)) || d.Overdue != 2*time.Hour {
		t.Errorf("digest of %v with SLA %v; want July 1st and 2h", d.Day, d.Overdue)
	}
	type counts struct{ asked, answered, waiting, overdue int }
	of := func(r consult.DigestRow) counts { return counts{r.Asked, r.Answered, r.Waiting, r.Overdue} }
	want := []struct {
		category string
		counts
	}{
		// asked C, E; answered B, C; waiting A, E; both overdue
		{"rice", counts{2, 2, 2, 2}},
		// asked D; waiting D and this morning's G, of which D overdue
		{"tea", counts{1, 0, 2, 1}},
		// asked F just before midnight: overdue by now
		{"general", counts{1, 0, 1, 1}},
	}
	if len(d.Rows) != len(want) {
		t.Fatalf("rows = %+v; want %d", d.Rows, len(want))
	}
	for i, w := range want {
		if d.Rows[i].Category.ID != w.category || of(d.Rows[i]) != w.counts {
			t.Errorf("row %d = %s %+v; want %s %+v", i, d.Rows[i].Category.ID, of(d.Rows[i]), w.category, w.counts)
		}
	}
	if got := of(d.Total); got != (counts{4, 2, 5, 4}) {
		t.Errorf("total = %+v; want 4 asked, 2 answered, 5 waiting, 4 overdue", got)
	}
	if d.Oldest.Question.ID != oldest.ID || d.OldestHolder.UserID != 0 || d.OldestWaited < 40*time.Hour {
		t.Errorf("oldest = #%d held by %d, waited %v; want #%d, open, since June 30th", d.Oldest.Question.ID, d.OldestHolder.UserID, d.OldestWaited, oldest.ID)
	}
	if len(d.Admins) != 1 || d.Admins[0].UserID != adminID {
		t.Errorf("admins = %+v; want the county's admin", d.Admins)
	}
	if m := digests["meitan"][0]; len(m.Rows) != 0 || m.Total != (consult.DigestRow{}) || m.Oldest.Question.ID != 0 || m.Admins[0].UserID != 9002 {
		t.Errorf("the quiet county's digest = %+v; want empty, to its admin", m)
	}

	// Down for all of July 3rd: on the 4th the digest is of the 3rd; the 2nd's is never sent.
	b.clock.set(at(4, 9, 0))
	if n, err := svc.MorningDigest(ctx, "08:00", 2*time.Hour, collect); err != nil || n != 2 {
		t.Fatalf("on July 4th: sent %d, %v; want both counties'", n, err)
	}
	if got := digests["yuqing"]; len(got) != 2 || !got[1].Day.Equal(at(3, 0, 0)) {
		t.Errorf("%d digests after the outage; want July 1st's, then July 3rd's only", len(got))
		for _, d := range got {
			t.Logf("digest of %v", d.Day)
		}
	}
}

func TestTwoInstancesAtTheSameMomentSendTheDigestOnce(t *testing.T) {
	t.Parallel()
	svc, b := setup(t)
	ctx := context.Background()
	b.clock.set(time.Date(2026, 7, 2, 8, 0, 0, 0, shanghai(t)))
	instances := []*consult.Service{svc, anotherInstance(t, b)}
	var mu sync.Mutex
	perCounty := map[string]int{}
	collect := func(d consult.Digest) []store.Message {
		mu.Lock()
		defer mu.Unlock()
		perCounty[d.County.ID]++
		return nil
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range 3 {
		for _, s := range instances {
			wg.Go(func() {
				<-start
				if _, err := s.MorningDigest(ctx, "08:00", 2*time.Hour, collect); err != nil {
					t.Errorf("morning digest: %v", err)
				}
			})
		}
	}
	close(start)
	wg.Wait()
	if perCounty["yuqing"] != 1 || perCounty["meitan"] != 1 {
		t.Errorf("digests rendered per county = %v; want exactly one each", perCounty)
	}
}

func TestAMorningDigestTimeMustBeATimeOfDay(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"8am", "25:00", "", "08:60"} {
		if _, _, err := consult.ParseTimeOfDay(s); err == nil {
			t.Errorf("ParseTimeOfDay(%q) = nil error, want one", s)
		}
	}
	if h, m, err := consult.ParseTimeOfDay("07:30"); err != nil || h != 7 || m != 30 {
		t.Errorf("ParseTimeOfDay(07:30) = %d, %d, %v", h, m, err)
	}
}
