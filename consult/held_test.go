package consult_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
)

const heldSeniorID = 9100

// reviewService is a service on a fresh archive whose Yuqing county has a senior and the
// review: setting given (YAML, after "review:"), and REVIEW_FIRST first.
func reviewService(t *testing.T, review string, first int) (*consult.Service, *testBundle) {
	t.Helper()
	_, b := setup(t)
	yaml := strings.Replace(testCounties, "admins: [9001]", "admins: [9001]\n    seniors: [9100]\n    review: "+review, 1)
	counties, err := consult.ParseCounties([]byte(yaml), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	svc := consult.NewService(b.db, b.queue, counties, consult.Options{Now: b.clock.Now, ReviewFirst: &first,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	return svc, b
}

// answerAs asks a question, has the expert claim and answer it, and returns why the
// answer was held ("" when it went to the group).
func answerAs(t *testing.T, svc *consult.Service, expert int64, question, answer string) (consult.AnswerResult, string) {
	t.Helper()
	ctx := context.Background()
	q := bindAndAsk(t, svc, question).Question
	if _, err := svc.Claim(ctx, q.ID, expert, nil); err != nil {
		t.Fatalf("claim: %v", err)
	}
	res, err := svc.Answer(ctx, consult.AnswerInput{QuestionID: q.ID, Expert: consult.Person{ID: expert}, Text: answer, UpdateID: nextUpdate()}, nil)
	if err != nil {
		t.Fatalf("answer: %v", err)
	}
	if res.Held == nil {
		if res.Question.Status != store.StatusAnswered {
			t.Errorf("an answer not held left the question %s", res.Question.Status)
		}
		return res, ""
	}
	return res, res.Held.Held.Reason
}

// The county's review mode decides which answers a senior sees first; a banned name is
// held in every mode, and a negated one goes to review even where review is off.
func TestReviewModes(t *testing.T) {
	t.Parallel()
	const (
		clean      = "多施有机肥，注意排水"
		restricted = "用氰戊菊酯兑水喷雾" // restricted on tea
		banned     = "用克无踪除草"
		negated    = "千万不要用百草枯"
	)
	cases := []struct {
		review   string
		first    int
		seasoned bool // the expert has answered once before
		category string
		answer   string
		want     string
	}{
		{"off", 5, false, "茶叶", clean, ""},
		{"off", 5, false, "茶叶", restricted, ""},
		{"off", 5, false, "茶叶", banned, consult.HeldBanned},
		{"off", 5, false, "茶叶", negated, consult.HeldNegated},
		{"flagged", 5, false, "茶叶", clean, ""},
		{"flagged", 5, false, "茶叶", restricted, consult.HeldRestricted},
		{"flagged", 5, false, "水稻", restricted, ""}, // not restricted on rice
		{"flagged", 5, false, "水稻", banned, consult.HeldBanned},
		{"new", 1, false, "茶叶", clean, consult.HeldNew},
		{"new", 1, true, "茶叶", clean, ""},
		{"new", 0, false, "茶叶", clean, ""},
		{"new", 1, true, "茶叶", restricted, consult.HeldRestricted},
		{"all", 5, true, "茶叶", clean, consult.HeldAll},
		{"{default: off, tea: all}", 5, false, "茶叶", clean, consult.HeldAll},
		{"{default: off, tea: all}", 5, false, "水稻", clean, ""},
		{"{default: all, rice: flagged}", 5, false, "水稻", clean, ""},
	}
	for _, tc := range cases {
		t.Run(tc.review+" "+tc.category+" "+tc.answer, func(t *testing.T) {
			t.Parallel()
			svc, b := reviewService(t, tc.review, tc.first)
			addExpert(t, svc, 11, "rice", "tea")
			if tc.seasoned {
				// One answer before, through a service that reviews only what the check holds.
				plain, _ := setupOn(t, b)
				if _, why := answerAs(t, plain, 11, "水稻 卷叶", "人工摘除卷叶"); why != "" {
					t.Fatalf("the first answer was held: %s", why)
				}
			}
			res, why := answerAs(t, svc, 11, tc.category+"有问题怎么办", tc.answer)
			if why != tc.want {
				t.Fatalf("held for %q, want %q", why, tc.want)
			}
			if why == "" {
				return
			}
			h := res.Held.Held
			wantState := store.HeldReview
			if why == consult.HeldBanned {
				wantState = store.HeldWaiting
			}
			if h.State != wantState || res.Question.Status != store.StatusClaimed {
				t.Errorf("held %s with the question %s, want %s and still claimed", h.State, res.Question.Status, wantState)
			}
			if wantState == store.HeldReview && len(res.Held.Seniors) != 2 {
				t.Errorf("seniors told = %+v, want the senior and the admin", res.Held.Seniors)
			}
		})
	}
}

// A held answer undecided past REVIEW_SLA goes to the seniors once more, after as long
// again to the admins, each once; a decided one is pushed no more.
func TestHeldAnswerPushedPastTheSLA(t *testing.T) {
	t.Parallel()
	svc, b := reviewService(t, "flagged", 5)
	ctx := context.Background()
	addExpert(t, svc, 11, "tea")
	_, why := answerAs(t, svc, 11, "茶叶有虫", "用氰戊菊酯兑水喷雾")
	if why != consult.HeldRestricted {
		t.Fatalf("held for %q", why)
	}
	var pushes []consult.HeldPush
	record := func(p consult.HeldPush) []store.Message { pushes = append(pushes, p); return nil }
	const sla = 30 * time.Minute
	step := func(d time.Duration, want int) {
		t.Helper()
		b.clock.advance(d)
		n, err := svc.PushLateHeld(ctx, sla, record)
		if err != nil || n != want {
			t.Fatalf("after %v more: pushed %d, %v; want %d", d, n, err, want)
		}
	}
	step(25*time.Minute, 0)
	step(10*time.Minute, 1)
	step(0, 0)
	if p := pushes[0]; p.Pushes != 1 || len(p.To) != 2 || p.To[0].UserID != heldSeniorID {
		t.Errorf("first push = %d to %+v, want the seniors", p.Pushes, p.To)
	}
	step(25*time.Minute, 0)
	step(10*time.Minute, 1)
	if p := pushes[1]; p.Pushes != 2 || len(p.To) != 1 || p.To[0].UserID != adminID {
		t.Errorf("second push = %d to %+v, want the admins", p.Pushes, p.To)
	}
	step(time.Hour, 0)

	// A claim in review does not expire meanwhile; a decision ends the pushes.
	if n, err := svc.ExpireClaims(ctx, time.Minute, nil); err != nil || n != 0 {
		t.Errorf("expired %d claims, %v; want none while in review", n, err)
	}
	if _, err := svc.DecideHeld(ctx, pushes[0].Held.ID, consult.Person{ID: heldSeniorID, Name: "高工"}, true, "", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.DecideHeld(ctx, pushes[0].Held.ID, consult.Person{ID: adminID, Name: "局长"}, false, "", nil); err != consult.ErrHeldSettled {
		t.Errorf("a second decision: %v, want ErrHeldSettled", err)
	}
}
