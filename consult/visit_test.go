package consult_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
)

const (
	coordinatorID = 501
	groupID       = -100
)

// visitSetup is setup with a bound group, a coordinator and three experts: 11 and 13
// for rice, 12 for tea.
func visitSetup(t *testing.T) (*consult.Service, *testBundle) {
	t.Helper()
	svc, b := setup(t)
	ctx := context.Background()
	if _, _, err := svc.Bind(ctx, groupID, "白泥群", adminID, "白泥镇", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.GrantCoordinator(ctx, groupID, adminID, consult.Person{ID: coordinatorID, Name: "赵 村长"}, nil); err != nil {
		t.Fatal(err)
	}
	addExpert(t, svc, 11, "rice")
	addExpert(t, svc, 12, "tea")
	addExpert(t, svc, 13, "rice")
	return svc, b
}

// answer gives the current step of the person's form in a chat a typed answer.
func answer(t *testing.T, svc *consult.Service, chat, user int64, text string) (consult.FormResult, error) {
	t.Helper()
	return svc.AnswerForm(context.Background(), consult.FormInput{ChatID: chat, Person: consult.Person{ID: user, Name: "someone"},
		UpdateID: nextUpdate(), Text: text}, nil)
}

// press presses a button of the person's form: a choice, or Skip, Done or Cancel.
func press(t *testing.T, svc *consult.Service, f store.Form, in consult.FormInput) (consult.FormResult, error) {
	t.Helper()
	in.ChatID, in.FormID, in.Step = f.ChatID, f.ID, f.Step
	in.Person = consult.Person{ID: f.UserID, Name: "someone"}
	return svc.AnswerForm(context.Background(), in, nil)
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// order has the coordinator order a rice visit in the group and returns it.
func order(t *testing.T, svc *consult.Service) store.Visit {
	t.Helper()
	ctx := context.Background()
	ok := must[consult.FormResult](t)
	res := ok(svc.StartVisitForm(ctx, consult.VisitFormInput{ChatID: groupID, Person: consult.Person{ID: coordinatorID, Name: "赵 村长"}}, nil))
	res = ok(press(t, svc, res.Form, consult.FormInput{Choice: "rice"}))
	res = ok(answer(t, svc, groupID, coordinatorID, "水稻"))
	res = ok(answer(t, svc, groupID, coordinatorID, "稻叶卷曲发黄，约两百亩"))
	res = ok(answer(t, svc, groupID, coordinatorID, "20"))
	res = ok(press(t, svc, res.Form, consult.FormInput{Skip: true}))
	res = ok(press(t, svc, res.Form, consult.FormInput{Choice: consult.PreferNextWeek}))
	if !res.Ended || res.Visit == nil {
		t.Fatalf("the last answer left %+v", res)
	}
	return res.Visit.Visit
}

// slot is an offered time: the first day offered, at 09:00 in the county.
func slot(svc *consult.Service, day int) time.Time {
	c, _ := svc.County("yuqing")
	return svc.VisitDates(c)[day].Add(9 * time.Hour)
}

// approve approves a visit for a time with experts, as an admin pressing the buttons.
func approve(t *testing.T, svc *consult.Service, visitID int64, at time.Time, experts ...int64) consult.VisitNews {
	t.Helper()
	ctx := context.Background()
	if _, err := svc.ChooseTime(ctx, visitID, adminID, at, nil); err != nil {
		t.Fatal(err)
	}
	for _, e := range experts {
		if _, err := svc.ChooseExpert(ctx, visitID, adminID, e, true, nil); err != nil {
			t.Fatal(err)
		}
	}
	n, err := svc.ApproveVisit(ctx, visitID, adminID, nil)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func visitExpertIDs(es []store.Expert) []int64 {
	var out []int64
	for _, e := range es {
		out = append(out, e.UserID)
	}
	return out
}

func TestCoordinatorsAreAppointedByTheCountysAdminsInTheTownshipsGroup(t *testing.T) {
	t.Parallel()
	svc, _ := setup(t)
	ctx := context.Background()
	zhao := consult.Person{ID: coordinatorID, Name: "赵 村长", Language: "zh-hans"}
	if _, err := svc.GrantCoordinator(ctx, groupID, adminID, zhao, nil); !errors.Is(err, consult.ErrGroupNotBound) {
		t.Errorf("in an unbound group: %v, want ErrGroupNotBound", err)
	}
	if _, _, err := svc.Bind(ctx, groupID, "白泥群", adminID, "白泥镇", nil); err != nil {
		t.Fatal(err)
	}
	for _, by := range []int64{coordinatorID, 9002} { // a farmer; another county's admin
		if _, err := svc.GrantCoordinator(ctx, groupID, by, zhao, nil); !errors.Is(err, consult.ErrNotAdmin) {
			t.Errorf("granted by %d: %v, want ErrNotAdmin", by, err)
		}
	}
	var rendered []consult.CoordinatorResult
	res, err := svc.GrantCoordinator(ctx, groupID, adminID, zhao, func(r consult.CoordinatorResult) []store.Message {
		rendered = append(rendered, r)
		return nil
	})
	if err != nil || res.Coordinator.Township != "白泥镇" || len(res.Roles) != 1 || len(rendered) != 1 || res.Expert || res.Admin {
		t.Fatalf("grant = %+v, %v; want 白泥镇, one role, rendered once", res, err)
	}
	// Granted again by id alone, the name stays.
	if res, err := svc.GrantCoordinator(ctx, groupID, adminID, consult.Person{ID: coordinatorID}, nil); err != nil || res.Coordinator.Name != "赵 村长" {
		t.Errorf("grant by id = %+v, %v; want the name kept", res.Coordinator, err)
	}
	if roles, err := svc.Coordinates(ctx, coordinatorID); err != nil || len(roles) != 1 || roles[0].Language != "zh-hans" {
		t.Errorf("roles = %+v, %v", roles, err)
	}
	if res, err := svc.RevokeCoordinator(ctx, groupID, adminID, coordinatorID, nil); err != nil || len(res.Roles) != 0 {
		t.Errorf("revoke = %+v, %v; want no role left", res, err)
	}
	if _, err := svc.RevokeCoordinator(ctx, groupID, adminID, coordinatorID, nil); !errors.Is(err, consult.ErrNotCoordinator) {
		t.Errorf("revoke again: %v, want ErrNotCoordinator", err)
	}
}

func TestTheVisitFormAsksOneStepAtATimeAndOrdersTheVisit(t *testing.T) {
	t.Parallel()
	svc, _ := visitSetup(t)
	ctx := context.Background()
	farmer := consult.Person{ID: 1, Name: "农户"}
	if _, err := svc.StartVisitForm(ctx, consult.VisitFormInput{ChatID: groupID, Person: farmer}, nil); !errors.Is(err, consult.ErrNotCoordinator) {
		t.Errorf("a farmer's /visit: %v, want ErrNotCoordinator", err)
	}
	zhao := consult.Person{ID: coordinatorID, Name: "赵 村长", Language: "en"}
	res, err := svc.StartVisitForm(ctx, consult.VisitFormInput{ChatID: groupID, ThreadID: 7, Person: zhao}, nil)
	if err != nil || res.Form.Step != consult.StepTopic || res.Form.Township != "白泥镇" {
		t.Fatalf("start = %+v, %v", res.Form, err)
	}
	first := res.Form
	ok := must[consult.FormResult](t)
	res = ok(press(t, svc, res.Form, consult.FormInput{Choice: "tea"}))
	if res.Form.Step != consult.StepCrops || res.Answered != consult.StepTopic || res.Form.Answers["topic"] != "茶叶" {
		t.Errorf("after the topic button: %+v", res)
	}
	// The button of a step answered already is stale; someone else cannot answer.
	if _, err := press(t, svc, first, consult.FormInput{Choice: "rice"}); !errors.Is(err, consult.ErrStaleForm) {
		t.Errorf("the topic button again: %v, want ErrStaleForm", err)
	}
	other := res.Form
	other.UserID = 1
	if _, err := press(t, svc, other, consult.FormInput{Skip: true}); !errors.Is(err, consult.ErrNotYourForm) {
		t.Errorf("a farmer pressing Skip: %v, want ErrNotYourForm", err)
	}
	res = ok(press(t, svc, res.Form, consult.FormInput{Skip: true}))
	if _, err := press(t, svc, res.Form, consult.FormInput{Skip: true}); !errors.Is(err, consult.ErrRequired) {
		t.Errorf("skipping the problem: %v, want ErrRequired", err)
	}
	problem := consult.FormInput{ChatID: groupID, Person: zhao, UpdateID: nextUpdate(), Text: "茶树叶片发红，新梢萎蔫"}
	res = ok(svc.AnswerForm(ctx, problem, nil))
	if _, err := svc.AnswerForm(ctx, problem, nil); !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("the same update again: %v, want ErrDuplicate", err)
	}
	for _, bad := range []string{"很多", "三十户", "20-30", "0"} {
		if res, err := answer(t, svc, groupID, coordinatorID, bad); !errors.Is(err, consult.ErrNotANumber) || res.Form.Step != consult.StepHouseholds {
			t.Errorf("households %q: %v at %s, want ErrNotANumber and the same step", bad, err, res.Form.Step)
		}
	}
	res = ok(answer(t, svc, groupID, coordinatorID, "约３０户"))
	res = ok(answer(t, svc, groupID, coordinatorID, "新村二组茶园"))
	var rendered consult.FormResult
	res, err = svc.AnswerForm(ctx, consult.FormInput{ChatID: groupID, Person: zhao, FormID: res.Form.ID, Step: consult.StepDates,
		Choice: consult.PreferThisWeek}, func(r consult.FormResult) []store.Message { rendered = r; return nil })
	if err != nil || !res.Ended || res.Visit == nil || rendered.Visit == nil {
		t.Fatalf("the last answer = %+v, %v", res, err)
	}
	v := res.Visit.Visit
	want := store.Visit{ID: v.ID, CountyID: "yuqing", Township: "白泥镇", Topic: "茶叶", Problem: "茶树叶片发红，新梢萎蔫", Households: 30,
		Place: "新村二组茶园", Preferred: consult.PreferThisWeek, Status: store.VisitOrdered, Source: store.SourceOrder, OrderedBy: coordinatorID,
		OrderedAt: v.OrderedAt, ChatID: groupID, CategoryID: "tea", OrderedByName: "赵 村长", OrdererLanguage: "en", ThreadID: 7}
	if v != want {
		t.Errorf("visit =\n%+v\nwant\n%+v", v, want)
	}
	if len(res.Visit.Admins) != 1 || res.Visit.Admins[0].UserID != adminID || res.Visit.OrdererLanguage != "en" {
		t.Errorf("news = %+v; want the county's admin and the orderer's language", res.Visit)
	}
	if _, err := svc.CurrentForm(ctx, groupID, coordinatorID); !errors.Is(err, consult.ErrNoForm) {
		t.Errorf("after the order the form is %v, want gone", err)
	}
}

func TestAVisitIsOrderedInPrivateForTheTownshipCoordinatedOrNamed(t *testing.T) {
	t.Parallel()
	svc, _ := visitSetup(t)
	ctx := context.Background()
	start := func(user int64, township string) (consult.FormResult, error) {
		return svc.StartVisitForm(ctx, consult.VisitFormInput{ChatID: user, Person: consult.Person{ID: user}, Township: township}, nil)
	}
	if res, err := start(coordinatorID, ""); err != nil || res.Form.Township != "白泥镇" || res.Form.ChatID != coordinatorID {
		t.Errorf("a coordinator of one township: %+v, %v", res.Form, err)
	}
	if _, err := start(adminID, ""); !errors.Is(err, consult.ErrNameTownship) {
		t.Errorf("an admin without a township: %v, want ErrNameTownship", err)
	}
	if res, err := start(adminID, "龙溪镇"); err != nil || res.Form.Township != "龙溪镇" {
		t.Errorf("an admin naming 龙溪镇: %+v, %v", res.Form, err)
	}
	if _, err := start(adminID, "湄江镇"); !errors.Is(err, consult.ErrUnknownTownship) {
		t.Errorf("an admin naming another county's township: %v, want ErrUnknownTownship", err)
	}
	if _, err := start(1, "白泥镇"); !errors.Is(err, consult.ErrNotCoordinator) {
		t.Errorf("a farmer: %v, want ErrNotCoordinator", err)
	}
	// An order from a private chat keeps no group.
	ok := must[consult.FormResult](t)
	res := ok(start(coordinatorID, ""))
	res = ok(answer(t, svc, coordinatorID, coordinatorID, "生猪不吃食"))
	if res.Form.Step != consult.StepCrops || res.Form.Answers["category"] != "" {
		t.Errorf("a typed topic: %+v", res.Form)
	}
	res = ok(press(t, svc, res.Form, consult.FormInput{Skip: true})) // crops
	res = ok(answer(t, svc, coordinatorID, coordinatorID, "水稻也卷叶"))  // problem
	res = ok(answer(t, svc, coordinatorID, coordinatorID, "跳过"))     // households, skipped in words
	res = ok(press(t, svc, res.Form, consult.FormInput{Skip: true})) // place
	res = ok(answer(t, svc, coordinatorID, coordinatorID, "7月10日前")) // dates
	if v := res.Visit.Visit; v.ChatID != 0 || v.Preferred != "7月10日前" || v.CategoryID != "rice" {
		t.Errorf("visit = %+v; want no group, the dates as typed, routed to rice by its words", v)
	}
}

func TestAnAdminApprovesAnOrderWithATimeAndExperts(t *testing.T) {
	t.Parallel()
	svc, b := visitSetup(t)
	ctx := context.Background()
	v := order(t, svc)
	if _, err := svc.ChooseTime(ctx, v.ID, adminID, slot(svc, 0).Add(30*time.Minute), nil); !errors.Is(err, consult.ErrTimeNotOffered) {
		t.Errorf("09:30: %v, want ErrTimeNotOffered", err)
	}
	if _, err := svc.ChooseTime(ctx, v.ID, adminID, slot(svc, 0).AddDate(0, 0, -1), nil); !errors.Is(err, consult.ErrTimeNotOffered) {
		t.Errorf("today: %v, want ErrTimeNotOffered", err)
	}
	if _, err := svc.ApproveVisit(ctx, v.ID, adminID, nil); !errors.Is(err, consult.ErrTimeNotOffered) {
		t.Errorf("Done before a time: %v, want ErrTimeNotOffered", err)
	}
	at := slot(svc, 2)
	choice, err := svc.ChooseTime(ctx, v.ID, adminID, at, nil)
	if err != nil {
		t.Fatal(err)
	}
	var offered []int64
	for _, c := range choice.Candidates {
		offered = append(offered, c.UserID)
	}
	if !slices.Equal(offered, []int64{11, 13}) {
		t.Errorf("offered %v, want the rice experts 11 and 13", offered)
	}
	if _, err := svc.ApproveVisit(ctx, v.ID, adminID, nil); !errors.Is(err, consult.ErrNoExpertChosen) {
		t.Errorf("Done without experts: %v, want ErrNoExpertChosen", err)
	}
	for _, step := range []struct {
		expert int64
		on     bool
	}{{11, true}, {13, true}, {13, false}, {11, true}} {
		if choice, err = svc.ChooseExpert(ctx, v.ID, adminID, step.expert, step.on, nil); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(choice.Draft.Experts, []int64{11}) {
		t.Errorf("picked %v, want [11]", choice.Draft.Experts)
	}
	n, err := svc.ApproveVisit(ctx, v.ID, adminID, nil)
	if err != nil || n.Visit.Status != store.VisitApproved || !n.Visit.ScheduledAt.Equal(at) || n.Visit.DecidedBy != adminID ||
		!slices.Equal(visitExpertIDs(n.Experts), []int64{11}) {
		t.Fatalf("approved = %+v with %v, %v", n.Visit, visitExpertIDs(n.Experts), err)
	}
	if _, err := svc.ApproveVisit(ctx, v.ID, adminID, nil); !errors.Is(err, consult.ErrAlreadyDecided) {
		t.Errorf("Done again: %v, want ErrAlreadyDecided", err)
	}

	// Another visit that week shows expert 11 busy once.
	second := order(t, svc)
	choice, err = svc.ChooseTime(ctx, second.ID, adminID, at.Add(5*time.Hour), nil)
	if err != nil || len(choice.Candidates) != 2 || choice.Candidates[0].UserID != 11 || choice.Candidates[0].Week != 1 || choice.Candidates[1].Week != 0 {
		t.Errorf("second visit's choice = %+v, %v; want 11 with one visit that week", choice.Candidates, err)
	}
	events, err := b.db.VisitEvents(ctx, v.ID)
	if err != nil || len(events) != 2 || events[0].Kind != "ordered" || events[1].Kind != "approved" || events[1].ActorID != adminID {
		t.Errorf("timeline = %+v, %v", events, err)
	}
}

func TestOnlyAnAdminOfTheVisitsCountyDecides(t *testing.T) {
	t.Parallel()
	svc, _ := visitSetup(t)
	ctx := context.Background()
	v := order(t, svc)
	for _, who := range []int64{coordinatorID, 11, 9002} {
		if _, err := svc.VisitToDecide(ctx, v.ID, who); !errors.Is(err, consult.ErrNotAdmin) {
			t.Errorf("%d deciding: %v, want ErrNotAdmin", who, err)
		}
		if _, err := svc.ChooseTime(ctx, v.ID, who, slot(svc, 1), nil); !errors.Is(err, consult.ErrNotAdmin) {
			t.Errorf("%d choosing a time: %v, want ErrNotAdmin", who, err)
		}
		if _, err := svc.ProposeVisit(ctx, v.ID, who, slot(svc, 1), nil); !errors.Is(err, consult.ErrNotAdmin) {
			t.Errorf("%d proposing: %v, want ErrNotAdmin", who, err)
		}
		if _, err := svc.StartDecline(ctx, v.ID, who, nil); !errors.Is(err, consult.ErrNotAdmin) {
			t.Errorf("%d declining: %v, want ErrNotAdmin", who, err)
		}
		if _, err := svc.ApproveVisit(ctx, v.ID, who, nil); !errors.Is(err, consult.ErrNotAdmin) {
			t.Errorf("%d approving: %v, want ErrNotAdmin", who, err)
		}
	}
	if _, err := svc.VisitToDecide(ctx, 999, adminID); !errors.Is(err, consult.ErrNoSuchVisit) {
		t.Errorf("no such visit: %v", err)
	}
}

func TestAVisitIsDecidedOnceWhateverPressesRace(t *testing.T) {
	t.Parallel()
	svc, _ := visitSetup(t)
	ctx := context.Background()
	v := order(t, svc)
	at := slot(svc, 3)
	if _, err := svc.ChooseTime(ctx, v.ID, adminID, at, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ChooseExpert(ctx, v.ID, adminID, 13, true, nil); err != nil {
		t.Fatal(err)
	}
	decline, err := svc.StartDecline(ctx, v.ID, adminID, nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 3)
	wg.Add(3)
	go func() { defer wg.Done(); _, errs[0] = svc.ApproveVisit(ctx, v.ID, adminID, nil) }()
	go func() { defer wg.Done(); _, errs[1] = svc.ProposeVisit(ctx, v.ID, adminID, slot(svc, 4), nil) }()
	go func() {
		defer wg.Done()
		_, errs[2] = svc.AnswerForm(ctx, consult.FormInput{ChatID: adminID, Person: consult.Person{ID: adminID}, UpdateID: nextUpdate(),
			Text: "专家都在外地"}, nil)
	}()
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, consult.ErrAlreadyDecided):
			t.Errorf("press %d: %v, want nil or ErrAlreadyDecided", i, err)
		}
	}
	if won != 1 {
		t.Errorf("%d presses decided the visit (%v), want exactly 1", won, errs)
	}
	if _, err := svc.CurrentForm(ctx, adminID, adminID); !errors.Is(err, consult.ErrNoForm) {
		t.Errorf("the decline form (%d) is %v after the race, want over", decline.Form.ID, err)
	}
}

func TestAProposedTimeAcceptedIsApprovedAndThenGetsItsExperts(t *testing.T) {
	t.Parallel()
	svc, _ := visitSetup(t)
	ctx := context.Background()
	v := order(t, svc)
	at := slot(svc, 5)
	n, err := svc.ProposeVisit(ctx, v.ID, adminID, at, nil)
	if err != nil || n.Visit.Status != store.VisitProposed || !n.Visit.ProposedAt.Equal(at) {
		t.Fatalf("proposed = %+v, %v", n.Visit, err)
	}
	if _, err := svc.AnswerProposal(ctx, v.ID, consult.Person{ID: 1}, true, nil); !errors.Is(err, consult.ErrNotTownship) {
		t.Errorf("a farmer accepting: %v, want ErrNotTownship", err)
	}
	n, err = svc.AnswerProposal(ctx, v.ID, consult.Person{ID: coordinatorID}, true, nil)
	if err != nil || n.Visit.Status != store.VisitApproved || !n.Visit.ScheduledAt.Equal(at) || len(n.Experts) != 0 || len(n.Candidates) != 2 {
		t.Fatalf("accepted = %+v with %d candidates, %v; want approved at the time, no experts yet", n.Visit, len(n.Candidates), err)
	}
	if _, err := svc.AnswerProposal(ctx, v.ID, consult.Person{ID: coordinatorID}, false, nil); !errors.Is(err, consult.ErrAlreadyDecided) {
		t.Errorf("answering again: %v, want ErrAlreadyDecided", err)
	}
	if _, err := svc.ChooseExpert(ctx, v.ID, adminID, 13, true, nil); err != nil {
		t.Fatal(err)
	}
	n, err = svc.ApproveVisit(ctx, v.ID, adminID, nil)
	if err != nil || !slices.Equal(visitExpertIDs(n.Experts), []int64{13}) || !n.Visit.ScheduledAt.Equal(at) {
		t.Fatalf("assigned = %+v with %v, %v", n.Visit, visitExpertIDs(n.Experts), err)
	}
	if _, err := svc.ChooseExpert(ctx, v.ID, adminID, 11, true, nil); !errors.Is(err, consult.ErrAlreadyDecided) {
		t.Errorf("choosing once assigned: %v, want ErrAlreadyDecided", err)
	}
}

func TestAProposedTimeTurnedDownGoesBackToTheAdmins(t *testing.T) {
	t.Parallel()
	svc, _ := visitSetup(t)
	ctx := context.Background()
	v := order(t, svc)
	if _, err := svc.ProposeVisit(ctx, v.ID, adminID, slot(svc, 5), nil); err != nil {
		t.Fatal(err)
	}
	n, err := svc.AnswerProposal(ctx, v.ID, consult.Person{ID: coordinatorID}, false, nil)
	if err != nil || n.Visit.Status != store.VisitOrdered || !n.Visit.ProposedAt.IsZero() || n.Visit.DecidedBy != 0 {
		t.Fatalf("turned down = %+v, %v; want ordered again", n.Visit, err)
	}
	if n := approve(t, svc, v.ID, slot(svc, 6), 11); n.Visit.Status != store.VisitApproved {
		t.Errorf("approved after = %+v", n.Visit)
	}
}

func TestADeclineCarriesTheAdminsReason(t *testing.T) {
	t.Parallel()
	svc, b := visitSetup(t)
	ctx := context.Background()
	v := order(t, svc)
	res, err := svc.StartDecline(ctx, v.ID, adminID, nil)
	if err != nil || res.Form.ChatID != adminID || res.Form.Step != consult.StepReason || res.Form.RefID != v.ID {
		t.Fatalf("decline form = %+v, %v", res.Form, err)
	}
	if _, err := answer(t, svc, adminID, adminID, "  "); !errors.Is(err, consult.ErrRequired) {
		t.Errorf("a blank reason: %v, want ErrRequired", err)
	}
	res, err = answer(t, svc, adminID, adminID, "本周专家都在外地培训，请下周再约")
	if err != nil || res.Visit == nil {
		t.Fatalf("reason = %+v, %v", res, err)
	}
	got, err := b.db.Visit(ctx, v.ID)
	if err != nil || got.Status != store.VisitDeclined || got.DeclineReason != "本周专家都在外地培训，请下周再约" || got.DecidedBy != adminID {
		t.Errorf("declined visit = %+v, %v", got, err)
	}
	if _, err := svc.StartDecline(ctx, v.ID, adminID, nil); !errors.Is(err, consult.ErrAlreadyDecided) {
		t.Errorf("declining again: %v, want ErrAlreadyDecided", err)
	}
}

func TestAReportByAnExpertOfTheVisitMarksItDone(t *testing.T) {
	t.Parallel()
	svc, b := visitSetup(t)
	ctx := context.Background()
	v := order(t, svc)
	if _, err := svc.StartReport(ctx, v.ID, consult.Person{ID: 11}, nil); !errors.Is(err, consult.ErrNotVisitExpert) {
		t.Errorf("reporting an ordered visit: %v, want ErrNotVisitExpert", err)
	}
	approve(t, svc, v.ID, slot(svc, 1), 11)
	if _, err := svc.StartReport(ctx, v.ID, consult.Person{ID: 13}, nil); !errors.Is(err, consult.ErrNotVisitExpert) {
		t.Errorf("an expert not sent: %v, want ErrNotVisitExpert", err)
	}
	ok := must[consult.FormResult](t)
	res := ok(svc.StartReport(ctx, v.ID, consult.Person{ID: 11, Name: "expert 11"}, nil))
	photo := func(n int64) consult.FormInput {
		return consult.FormInput{ChatID: 11, Person: consult.Person{ID: 11}, UpdateID: nextUpdate(),
			Photo: &store.Media{Kind: store.MediaPhoto, FileID: "photo-" + string(rune('a'+n))}}
	}
	// A photo before its step is kept, and the step stays.
	res = ok(svc.AnswerForm(ctx, photo(0), nil))
	if res.Form.Step != consult.StepFound || !res.Photo || res.Answered != "" {
		t.Errorf("an early photo: %+v", res)
	}
	res = ok(answer(t, svc, 11, 11, "稻纵卷叶螟二代幼虫，百丛虫量约60头"))
	res = ok(answer(t, svc, 11, 11, "每亩用氯虫苯甲酰胺10毫升兑水喷雾，7天后复查"))
	res = ok(answer(t, svc, 11, 11, "25"))
	res = ok(svc.AnswerForm(ctx, photo(1), nil))
	if _, err := answer(t, svc, 11, 11, "还有吗"); !errors.Is(err, consult.ErrPhotosOnly) {
		t.Errorf("words on the photos step: %v, want ErrPhotosOnly", err)
	}
	res = ok(press(t, svc, res.Form, consult.FormInput{Done: true}))
	if !res.Ended || res.Visit == nil || res.Visit.Visit.Status != store.VisitDone {
		t.Fatalf("done = %+v", res)
	}
	r, err := b.db.VisitReportOf(ctx, v.ID)
	if err != nil || r.ExpertID != 11 || r.Households != 25 || !slices.Equal(r.Photos, []string{"photo-a", "photo-b"}) || r.Found == "" || r.ExpertName != "expert 11" {
		t.Errorf("report = %+v, %v", r, err)
	}
	if _, err := svc.StartReport(ctx, v.ID, consult.Person{ID: 11}, nil); !errors.Is(err, consult.ErrAlreadyReported) {
		t.Errorf("reporting again: %v, want ErrAlreadyReported", err)
	}
}

func TestANeedsAFieldVisitOrderIsLinkedToItsQuestion(t *testing.T) {
	t.Parallel()
	svc, b := visitSetup(t)
	ctx := context.Background()
	q, err := svc.Ask(ctx, consult.AskInput{ChatID: groupID, MessageID: 40, Farmer: consult.Person{ID: 2, Name: "张 大伯"},
		Text: "水稻卷叶很严重，打了药也不行", UpdateID: nextUpdate()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	id := q.Question.ID
	if _, err := svc.VisitFromQuestion(ctx, id, consult.Person{ID: coordinatorID}, nil); !errors.Is(err, consult.ErrNotExpert) {
		t.Errorf("a coordinator pressing it: %v, want ErrNotExpert", err)
	}
	n, err := svc.VisitFromQuestion(ctx, id, consult.Person{ID: 11}, nil)
	v := n.Visit
	if err != nil || v.Source != store.SourceQuestion || v.QuestionID != id || v.Township != "白泥镇" || v.CategoryID != "rice" ||
		v.Problem != "水稻卷叶很严重，打了药也不行" || v.OrderedBy != 11 || v.ChatID != 0 || n.Question.ID != id {
		t.Fatalf("visit = %+v (question %d), %v", v, n.Question.ID, err)
	}
	if again, err := svc.VisitFromQuestion(ctx, id, consult.Person{ID: 13}, nil); !errors.Is(err, store.ErrDuplicate) || again.Visit.ID != v.ID {
		t.Errorf("pressed again = %d, %v; want #%d and ErrDuplicate", again.Visit.ID, err, v.ID)
	}
	if n := approve(t, svc, v.ID, slot(svc, 0), 11); n.Question.ID != id {
		t.Errorf("the approval does not name the question: %+v", n.Question)
	}
	ok := must[consult.FormResult](t)
	res := ok(svc.StartReport(ctx, v.ID, consult.Person{ID: 11}, nil))
	for _, text := range []string{"卷叶螟", "用药", "跳过"} {
		res = ok(answer(t, svc, 11, 11, text))
	}
	res = ok(answer(t, svc, 11, 11, "完成"))
	if !res.Ended || res.Visit.Report.QuestionID != id {
		t.Fatalf("report = %+v", res)
	}
	var kinds []string
	rows, err := b.db.VisitEvents(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range rows {
		kinds = append(kinds, e.Kind)
	}
	if !slices.Equal(kinds, []string{"ordered", "approved", "reported"}) {
		t.Errorf("visit timeline = %v", kinds)
	}
	events, err := b.db.Events(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var qkinds []string
	for _, e := range events {
		qkinds = append(qkinds, e.Kind)
	}
	if !slices.Contains(qkinds, "visit_ordered") || !slices.Contains(qkinds, "visit_reported") {
		t.Errorf("question timeline = %v, want the visit ordered and reported", qkinds)
	}
	// Done, the question may lead to another visit.
	if _, err := svc.VisitFromQuestion(ctx, id, consult.Person{ID: 11}, nil); err != nil {
		t.Errorf("a second visit after the first is done: %v", err)
	}
}

func TestUpcomingVisitsFollowThePersonsRoles(t *testing.T) {
	t.Parallel()
	svc, _ := visitSetup(t)
	ctx := context.Background()
	pending := order(t, svc)
	scheduled := order(t, svc)
	approve(t, svc, scheduled.ID, slot(svc, 1), 11)
	ids := func(l consult.VisitList) []int64 {
		var out []int64
		for _, v := range l.Visits {
			out = append(out, v.Visit.ID)
		}
		return out
	}
	for _, tc := range []struct {
		who   int64
		roles []string
		want  [][]int64
	}{
		{adminID, []string{consult.RoleAdmin}, [][]int64{{pending.ID, scheduled.ID}}},
		{coordinatorID, []string{consult.RoleCoordinator}, [][]int64{{pending.ID, scheduled.ID}}},
		{11, []string{consult.RoleExpert}, [][]int64{{scheduled.ID}}},
		{13, []string{consult.RoleExpert}, [][]int64{nil}},
	} {
		lists, err := svc.UpcomingVisits(ctx, tc.who)
		if err != nil || len(lists) != len(tc.roles) {
			t.Errorf("%d: %d lists, %v; want %v", tc.who, len(lists), err, tc.roles)
			continue
		}
		for i, l := range lists {
			if l.Role != tc.roles[i] || !slices.Equal(ids(l), tc.want[i]) {
				t.Errorf("%d: %s %v, want %s %v", tc.who, l.Role, ids(l), tc.roles[i], tc.want[i])
			}
		}
	}
	if lists, _ := svc.UpcomingVisits(ctx, adminID); len(lists[0].Visits[1].Experts) != 1 {
		t.Errorf("the scheduled visit lists no experts")
	}
	if _, err := svc.UpcomingVisits(ctx, 1); !errors.Is(err, consult.ErrNotCoordinator) {
		t.Errorf("a farmer: %v, want ErrNotCoordinator", err)
	}
}
