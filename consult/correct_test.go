package consult_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
)

// seniorID is a senior of Yuqing County in the corrections' tests.
const seniorID = 7001

// setupWithSenior is setup with seniorID as a senior of Yuqing County.
func setupWithSenior(t *testing.T) (*consult.Service, *testBundle) {
	t.Helper()
	_, b := setup(t)
	yaml := strings.Replace(testCounties, "admins: [9001]\n", "admins: [9001]\n    seniors: [7001]\n", 1)
	counties, err := consult.ParseCounties([]byte(yaml), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	b.counties = counties
	svc := consult.NewService(b.db, b.queue, counties, consult.Options{Now: b.clock.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	return svc, b
}

// answeredInGroup is question #q answered by expert 11 and posted in the group as message 555.
func answeredInGroup(t *testing.T, svc *consult.Service, b *testBundle, question, answer string) consult.AnswerResult {
	t.Helper()
	ctx := context.Background()
	addExpert(t, svc, 11, "rice", "tea")
	q := bindAndAsk(t, svc, question).Question
	if _, err := svc.Claim(ctx, q.ID, 11, nil); err != nil {
		t.Fatal(err)
	}
	res, err := svc.Answer(ctx, consult.AnswerInput{QuestionID: q.ID, Expert: consult.Person{ID: 11, Name: "expert 11"}, Text: answer, UpdateID: nextUpdate()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.db.SetAnswerMessage(ctx, res.Answer.ID, 555); err != nil {
		t.Fatal(err)
	}
	return res
}

// searchFinds reports whether a search of Yuqing's archive for words finds question id.
func searchFinds(t *testing.T, svc *consult.Service, words string, id int64) bool {
	t.Helper()
	found, err := svc.Search(context.Background(), []string{"yuqing"}, consult.SearchInput{Text: words})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range found.Hits {
		if h.Question.ID == id {
			return true
		}
	}
	return false
}

// TestCorrectionsKeepEveryRevisionAndSearchFindsTheCurrentText: the first correction
// records the answer as sent (revision 1) and itself (2), a second one makes a third;
// each keeps its text, who, when and why, the answer reads the last, the messages reply
// to the original answer message each time, and search finds the current words, not
// the replaced ones.
func TestCorrectionsKeepEveryRevisionAndSearchFindsTheCurrentText(t *testing.T) {
	t.Parallel()
	svc, b := setupWithSenior(t)
	ctx := context.Background()
	a := answeredInGroup(t, svc, b, "水稻卷叶怎么办", "稻纵卷叶螟为害，用阿维菌素")
	id := a.Question.ID
	if !searchFinds(t, svc, "阿维菌素", id) {
		t.Fatal("search does not find the answer before any correction")
	}

	var replies []int64
	out := func(res consult.CorrectResult) []store.Message {
		replies = append(replies, res.Answer.GroupMessageID)
		return nil
	}
	first, err := svc.Correct(ctx, consult.CorrectInput{QuestionID: id, By: consult.Person{ID: 11, Name: "李明"},
		Text: "稻纵卷叶螟为害，用氯虫苯甲酰胺", Why: "药名写错", Source: store.RevisionCommand, UpdateID: nextUpdate()}, out)
	if err != nil {
		t.Fatal(err)
	}
	if first.Revision.Revision != 2 {
		t.Errorf("first correction is revision %d, want 2", first.Revision.Revision)
	}
	if searchFinds(t, svc, "阿维菌素", id) || !searchFinds(t, svc, "氯虫苯甲酰胺", id) {
		t.Errorf("after the correction search finds the old words %v, the new %v; want only the new",
			searchFinds(t, svc, "阿维菌素", id), searchFinds(t, svc, "氯虫苯甲酰胺", id))
	}
	// A senior corrects again: a third revision.
	second, err := svc.Correct(ctx, consult.CorrectInput{QuestionID: id, By: consult.Person{ID: seniorID, Name: "复核 赵"},
		Text: "稻纵卷叶螟为害，每亩用氯虫苯甲酰胺 10 毫升", Why: "补上用量", Source: store.RevisionCommand, UpdateID: nextUpdate()}, out)
	if err != nil {
		t.Fatal(err)
	}
	if second.Revision.Revision != 3 {
		t.Errorf("second correction is revision %d, want 3", second.Revision.Revision)
	}
	if len(replies) != 2 || replies[0] != 555 || replies[1] != 555 {
		t.Errorf("the corrections reply to %v, want the original answer message 555 both times", replies)
	}

	revs, err := svc.Revisions(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		n          int
		text, why  string
		by         int64
		name, from string
	}{
		{1, "稻纵卷叶螟为害，用阿维菌素", "", 11, "expert 11", store.RevisionAnswer},
		{2, "稻纵卷叶螟为害，用氯虫苯甲酰胺", "药名写错", 11, "李明", store.RevisionCommand},
		{3, "稻纵卷叶螟为害，每亩用氯虫苯甲酰胺 10 毫升", "补上用量", seniorID, "复核 赵", store.RevisionCommand},
	}
	if len(revs) != len(want) {
		t.Fatalf("revisions = %+v, want %d", revs, len(want))
	}
	for i, w := range want {
		r := revs[i]
		if r.Revision != w.n || r.Text != w.text || r.Why != w.why || r.ByID != w.by || r.ByName != w.name || r.Source != w.from || r.AnswerID != a.Answer.ID {
			t.Errorf("revision %d = %+v, want %+v", i+1, r, w)
		}
		if i > 0 && !r.At.After(revs[i-1].At) {
			t.Errorf("revision %d at %v, not after %v", r.Revision, r.At, revs[i-1].At)
		}
	}
	if !revs[0].At.Equal(a.Answer.AnsweredAt) {
		t.Errorf("revision 1 at %v, want the time answered %v", revs[0].At, a.Answer.AnsweredAt)
	}
	answers, err := b.db.Answers(ctx, id)
	if err != nil || len(answers) != 1 || answers[0].Text != want[2].text || answers[0].GroupMessageID != 555 {
		t.Errorf("answers = %+v, %v; want one, reading the last revision, still at message 555", answers, err)
	}
	if searchFinds(t, svc, "阿维菌素", id) || !searchFinds(t, svc, "10 毫升", id) {
		t.Error("search after the second correction does not find just the current text")
	}
	// The indexer, rebuilding the question from scratch, agrees.
	if _, err := b.pool.Exec(ctx, `DELETE FROM question_search WHERE question_id = $1`, id); err != nil {
		t.Fatal(err)
	}
	if _, err := b.pool.Exec(ctx, `INSERT INTO search_pending VALUES ($1)`, id); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.IndexArchive(ctx); err != nil {
		t.Fatal(err)
	}
	if searchFinds(t, svc, "阿维菌素", id) || !searchFinds(t, svc, "毫升", id) {
		t.Error("search after a rebuild of the index finds the old words or not the current")
	}
	events, err := b.db.Events(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range events {
		if e.Kind == "corrected" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("timeline has %d corrections, want 2", n)
	}

	// The same update again stores nothing.
	again := nextUpdate()
	in := consult.CorrectInput{QuestionID: id, By: consult.Person{ID: 11}, Text: "第四版", UpdateID: again}
	if _, err := svc.Correct(ctx, in, nil); err != nil {
		t.Fatal(err)
	}
	in.Text = "第五版"
	if _, err := svc.Correct(ctx, in, nil); !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("a redelivered correction: %v, want ErrDuplicate", err)
	}
}

// TestWhoMayCorrectAndWhatIsRefused: the expert who answered, a senior and an admin may
// correct; another expert, the farmer, another county's admin may not; bad text, an
// unanswered question and the pesticide check refuse; a refusal changes nothing.
func TestWhoMayCorrectAndWhatIsRefused(t *testing.T) {
	t.Parallel()
	svc, b := setupWithSenior(t)
	ctx := context.Background()
	addExpert(t, svc, 12, "rice")
	a := answeredInGroup(t, svc, b, "茶叶上有红蜘蛛怎么办", "用哒螨灵喷雾")
	id := a.Question.ID
	open := bindAndAsk(t, svc, "水稻发黄").Question

	tests := []struct {
		name string
		id   int64
		by   int64
		text string
		want error
	}{
		{"another expert", id, 12, "改用螺螨酯", consult.ErrMayNotCorrect},
		{"the farmer", id, farmerID, "改用螺螨酯", consult.ErrMayNotCorrect},
		{"another county's admin", id, 9002, "改用螺螨酯", consult.ErrMayNotCorrect},
		{"no such question", 9999, 11, "改用螺螨酯", consult.ErrNoSuchQuestion},
		{"an unanswered question", open.ID, adminID, "改用螺螨酯", consult.ErrNotAnswered},
		{"empty", id, 11, "  \u200b ", consult.ErrEmptyCorrection},
		{"a NUL", id, 11, "改用\x00螺螨酯", consult.ErrCorrectionGarbled},
		{"invalid UTF-8", id, 11, "改用\xff螺螨酯", consult.ErrCorrectionGarbled},
		{"what became of a NUL", id, 11, "改用\ufffd螺螨酯", consult.ErrCorrectionGarbled},
		{"too long", id, 11, strings.Repeat("药", consult.CorrectionLimit+1), consult.ErrCorrectionTooLong},
		{"markup", id, 11, `改用<a href="https://x">螺螨酯</a>`, consult.ErrCorrectionMarkup},
		{"an entity", id, 11, "改用&lt;螺螨酯", consult.ErrCorrectionMarkup},
		{"the same text", id, 11, "用哒螨灵喷雾", consult.ErrCorrectionUnchanged},
		{"a banned pesticide", id, 11, "改用甲胺磷喷雾", consult.ErrCorrectionBanned},
		{"a banned one by its code", id, adminID, "用1605兑水喷雾", consult.ErrCorrectionBanned},
		{"a pesticide restricted on tea", id, 11, "改用氰戊菊酯", consult.ErrCorrectionNeedsReview},
		{"a banned one in a negation", id, 11, "千万不要用甲胺磷，改用螺螨酯", consult.ErrCorrectionNeedsReview},
	}
	before := snapshot(t, b)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := svc.Correct(ctx, consult.CorrectInput{QuestionID: tt.id, By: consult.Person{ID: tt.by}, Text: tt.text, UpdateID: nextUpdate()}, nil)
			if !errors.Is(err, tt.want) {
				t.Errorf("Correct = %v, want %v", err, tt.want)
			}
			if errors.Is(tt.want, consult.ErrCorrectionBanned) || errors.Is(tt.want, consult.ErrCorrectionNeedsReview) {
				if len(res.Findings) == 0 {
					t.Errorf("refused by the check with no findings to name")
				}
			}
		})
	}
	if after := snapshot(t, b); after != before {
		t.Errorf("a refused correction changed the archive:\nbefore %s\nafter  %s", before, after)
	}
	// A lone < is plain text, and a reason of HTML is refused like the text.
	if _, err := svc.Correct(ctx, consult.CorrectInput{QuestionID: id, By: consult.Person{ID: 11}, Text: "改用螺螨酯", Why: "<b>错</b>", UpdateID: nextUpdate()}, nil); !errors.Is(err, consult.ErrCorrectionMarkup) {
		t.Errorf("a reason with markup: %v, want ErrCorrectionMarkup", err)
	}
	for i, by := range []int64{11, seniorID, adminID} {
		text := []string{"温度<30℃时用螺螨酯", "用螺螨酯，间隔 15 天再喷一次", "用螺螨酯，采茶前 10 天停药"}[i]
		if _, err := svc.Correct(ctx, consult.CorrectInput{QuestionID: id, By: consult.Person{ID: by}, Text: text, UpdateID: nextUpdate()}, nil); err != nil {
			t.Errorf("correction by %d: %v", by, err)
		}
	}
	if revs, err := svc.Revisions(ctx, id); err != nil || len(revs) != 4 {
		t.Errorf("revisions = %d, %v; want 4", len(revs), err)
	}
}

// TestACorrectionWaitsForTheAnswerInTheGroup: until the answer's message is in the group
// there is nothing to reply to; the correction is refused, and nothing changes.
func TestACorrectionWaitsForTheAnswerInTheGroup(t *testing.T) {
	t.Parallel()
	svc, b := setupWithSenior(t)
	ctx := context.Background()
	a := answeredInGroup(t, svc, b, "水稻卷叶", "用氯虫苯甲酰胺")
	if _, err := b.pool.Exec(ctx, `UPDATE answers SET group_message_id = NULL`); err != nil {
		t.Fatal(err)
	}
	b.clock.advance(time.Minute)
	if _, err := svc.Correct(ctx, consult.CorrectInput{QuestionID: a.Question.ID, By: consult.Person{ID: 11}, Text: "用阿维菌素", UpdateID: nextUpdate()}, nil); !errors.Is(err, consult.ErrAnswerNotPosted) {
		t.Errorf("Correct = %v, want ErrAnswerNotPosted", err)
	}
	if revs, _ := svc.Revisions(ctx, a.Question.ID); len(revs) != 0 {
		t.Errorf("revisions = %+v, want none", revs)
	}
}

// snapshot is the tables a correction writes.
func snapshot(t *testing.T, b *testBundle) string {
	t.Helper()
	var s string
	err := b.pool.QueryRow(context.Background(), `SELECT concat_ws(' ',
		(SELECT md5(coalesce(string_agg(a::text, '|' ORDER BY id), '')) FROM answers a),
		(SELECT md5(coalesce(string_agg(r::text, '|' ORDER BY id), '')) FROM answer_revisions r),
		(SELECT md5(coalesce(string_agg(e::text, '|' ORDER BY id), '')) FROM question_events e),
		(SELECT md5(coalesce(string_agg(s::text, '|' ORDER BY question_id), '')) FROM question_search s))`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
