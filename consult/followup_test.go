package consult_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
)

const farmerID = 1

// answered asks a rice question, has expert 501 claim and answer it, and returns it.
func answered(t *testing.T, svc *consult.Service) store.Question {
	t.Helper()
	ctx := context.Background()
	addExpert(t, svc, 501, "rice")
	q := bindAndAsk(t, svc, "水稻卷叶怎么办").Question
	if _, err := svc.Claim(ctx, q.ID, 501, nil); err != nil {
		t.Fatal(err)
	}
	res, err := svc.Answer(ctx, consult.AnswerInput{QuestionID: q.ID, Expert: consult.Person{ID: 501}, Text: "喷施三环唑", UpdateID: nextUpdate()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res.Question
}

func TestFeedbackClosesOrReopensAtTheHead(t *testing.T) {
	t.Parallel()
	svc, b := setup(t)
	ctx := context.Background()
	q := answered(t, svc)
	// Another open question, asked earlier than any reopening: the reopened one must still
	// come first.
	other, err := svc.Ask(ctx, consult.AskInput{ChatID: -100, MessageID: 8, Farmer: consult.Person{ID: 2, Name: "邻居"}, Text: "水稻黄叶", UpdateID: nextUpdate()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Feedback(ctx, q.ID, 2, true, nil); !errors.Is(err, consult.ErrNotAsker) {
		t.Errorf("a neighbour's feedback: %v, want ErrNotAsker", err)
	}
	if _, err := svc.Feedback(ctx, other.Question.ID, 2, true, nil); !errors.Is(err, consult.ErrNotAnswered) {
		t.Errorf("feedback before an answer: %v, want ErrNotAnswered", err)
	}
	res, err := svc.Feedback(ctx, q.ID, farmerID, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Question.Status != store.StatusOpen || res.Question.Feedback != store.FeedbackUnsolved || res.Answerer.UserID != 501 {
		t.Errorf("not solved: status %s feedback %s answerer %d; want open, unsolved, 501", res.Question.Status, res.Question.Feedback, res.Answerer.UserID)
	}
	entries, _, err := b.queue.Peek(ctx, "yuqing", []string{"rice"}, 5)
	if err != nil || len(entries) != 2 || entries[0].QuestionID != q.ID {
		t.Errorf("queue after not solved: %+v, %v; want #%d first", entries, err, q.ID)
	}
	if _, err := svc.Feedback(ctx, q.ID, farmerID, true, nil); !errors.Is(err, consult.ErrAlreadyRated) {
		t.Errorf("feedback on a reopened question: %v, want ErrAlreadyRated", err)
	}
	// Answered again, then solved: closed for good.
	if _, err := svc.Claim(ctx, q.ID, 501, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Answer(ctx, consult.AnswerInput{QuestionID: q.ID, Expert: consult.Person{ID: 501}, Text: "再喷一次", UpdateID: nextUpdate()}, nil); err != nil {
		t.Fatal(err)
	}
	res, err = svc.Feedback(ctx, q.ID, farmerID, true, nil)
	if err != nil || res.Question.Status != store.StatusClosed || res.Question.Feedback != store.FeedbackSolved {
		t.Errorf("solved: %+v, %v; want closed and solved", res.Question, err)
	}
	if _, err := svc.Feedback(ctx, q.ID, farmerID, false, nil); !errors.Is(err, consult.ErrAlreadyRated) {
		t.Errorf("second feedback: %v, want ErrAlreadyRated", err)
	}
	answers, err := b.db.Answers(ctx, q.ID)
	if err != nil || len(answers) != 2 {
		t.Errorf("answers kept: %d, %v; want both", len(answers), err)
	}
}

func TestAnsweredQuestionsCloseByThemselves(t *testing.T) {
	t.Parallel()
	svc, b := setup(t)
	ctx := context.Background()
	q := answered(t, svc)
	if n, err := svc.CloseUnrated(ctx, 72*time.Hour); err != nil || n != 0 {
		t.Fatalf("CloseUnrated right after the answer = %d, %v; want 0", n, err)
	}
	b.clock.advance(73 * time.Hour)
	if n, err := svc.CloseUnrated(ctx, 72*time.Hour); err != nil || n != 1 {
		t.Fatalf("CloseUnrated after 73h = %d, %v; want 1", n, err)
	}
	got, _ := b.db.Question(ctx, q.ID)
	if got.Status != store.StatusClosed || got.Feedback != store.FeedbackNone || got.ClosedAt.IsZero() {
		t.Errorf("after auto close: %s %s %v; want closed, none, a time", got.Status, got.Feedback, got.ClosedAt)
	}
	var events int
	if err := b.pool.QueryRow(ctx, `SELECT count(*) FROM question_events WHERE question_id = $1 AND kind = 'closed'`, q.ID).Scan(&events); err != nil || events != 1 {
		t.Errorf("closed events: %d, %v; want 1", events, err)
	}
	// A late "not solved" still reopens it.
	if res, err := svc.Feedback(ctx, q.ID, farmerID, false, nil); err != nil || res.Question.Status != store.StatusOpen {
		t.Errorf("late not solved: %v, %v; want reopened", res.Question.Status, err)
	}
}

func TestFollowupGoesToWhoeverHoldsTheQuestion(t *testing.T) {
	t.Parallel()
	svc, b := setup(t)
	ctx := context.Background()
	q := answered(t, svc)
	in := consult.FollowupInput{QuestionID: q.ID, Author: consult.Person{ID: farmerID, Name: "农户"}, Text: "喷了还是卷", ChatID: -100, MessageID: 30, UpdateID: nextUpdate()}
	res, err := svc.Followup(ctx, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Holder.UserID != 501 || res.Question.Status != store.StatusClaimed || res.Question.ExpertID != 501 {
		t.Errorf("follow-up on an answered question: holder %d, %s by %d; want back with 501", res.Holder.UserID, res.Question.Status, res.Question.ExpertID)
	}
	if _, err := svc.Followup(ctx, in, nil); !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("the same update again: %v, want ErrDuplicate", err)
	}
	neighbour := in
	neighbour.Author, neighbour.UpdateID = consult.Person{ID: 2}, nextUpdate()
	if _, err := svc.Followup(ctx, neighbour, nil); !errors.Is(err, consult.ErrNotAsker) {
		t.Errorf("a neighbour's follow-up: %v, want ErrNotAsker", err)
	}
	in.UpdateID, in.Text = nextUpdate(), "叶尖发白"
	if res, err := svc.Followup(ctx, in, nil); err != nil || res.Holder.UserID != 501 {
		t.Errorf("follow-up while held: holder %d, %v; want 501", res.Holder.UserID, err)
	}
	thread, err := b.db.Followups(ctx, q.ID)
	if err != nil || len(thread) != 2 || thread[0].Text != "喷了还是卷" || thread[1].Text != "叶尖发白" {
		t.Errorf("thread = %+v, %v; want both follow-ups in order", thread, err)
	}
}

func TestTransferMovesTheQuestionToTheHeadOfAnotherQueue(t *testing.T) {
	t.Parallel()
	svc, b := setup(t)
	ctx := context.Background()
	addExpert(t, svc, 501, "rice")
	addExpert(t, svc, 502, "tea")
	q := bindAndAsk(t, svc, "水稻卷叶").Question
	if _, err := svc.Ask(ctx, consult.AskInput{ChatID: -100, MessageID: 9, Farmer: consult.Person{ID: 3, Name: "茶农"}, Text: "茶叶上有虫", UpdateID: nextUpdate()}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Claim(ctx, q.ID, 501, nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		actor int64
		cat   string
		want  error
	}{
		{"a farmer may not", farmerID, "tea", consult.ErrNotPermitted},
		{"an expert of another category may not", 502, "tea", consult.ErrNotPermitted},
		{"an unknown category", 501, "香蕉", consult.ErrUnknownCategory},
		{"the same category", 501, "水稻", consult.ErrSameCategory},
	}
	for _, tt := range tests {
		if _, err := svc.Transfer(ctx, q.ID, consult.Person{ID: tt.actor}, tt.cat, nil); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	res, err := svc.Transfer(ctx, q.ID, consult.Person{ID: 501, Name: "王"}, "茶叶", nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Question.CategoryID != "tea" || res.Question.Status != store.StatusOpen || len(res.Experts) != 1 || res.Experts[0].UserID != 502 {
		t.Errorf("transferred: %s %s, pushed to %+v; want tea, open, 502", res.Question.CategoryID, res.Question.Status, res.Experts)
	}
	tea, _, err := b.queue.Peek(ctx, "yuqing", []string{"tea"}, 5)
	if err != nil || len(tea) != 2 || tea[0].QuestionID != q.ID {
		t.Errorf("tea queue = %+v, %v; want #%d first", tea, err, q.ID)
	}
	events, err := b.db.Events(ctx, q.ID)
	if err != nil || len(events) != 3 || events[2].Kind != "transferred" || events[2].Detail["to"] != "tea" {
		t.Errorf("timeline = %+v, %v; want asked, claimed, transferred to tea", events, err)
	}
}

func TestAnAlbumBecomesOneQuestionWhateverTheOrder(t *testing.T) {
	t.Parallel()
	svc, b := setup(t)
	ctx := context.Background()
	addExpert(t, svc, 501, "rice")
	bindAndAsk(t, svc, "先问一个")
	item := func(msg int64, caption string, addressed bool) store.AlbumItem {
		return store.AlbumItem{
			Media:        store.Media{ChatID: -100, MessageID: msg, Kind: store.MediaPhoto, FileID: "photo-" + string(rune('a'+msg-40))},
			MediaGroupID: "album-1", UpdateID: nextUpdate(), FromID: 4, FromName: "拍照的农户", Caption: caption, Addressed: addressed,
		}
	}
	// The captioned first photo arrives last.
	items := []store.AlbumItem{item(42, "", false), item(41, "", false), item(40, "水稻叶子卷了 @bot", true)}
	for _, it := range items {
		if err := svc.StageAlbumItem(ctx, it); err != nil {
			t.Fatal(err)
		}
	}
	if err := svc.StageAlbumItem(ctx, items[0]); err != nil { // redelivered
		t.Fatal(err)
	}
	if n, err := svc.FlushAlbums(ctx, 2*time.Second, nil); err != nil || n != 0 {
		t.Fatalf("flush before the album is quiet = %d, %v; want 0", n, err)
	}
	b.clock.advance(5 * time.Second)
	var got consult.AskResult
	n, err := svc.FlushAlbums(ctx, 2*time.Second, func(r consult.AskResult) []store.Message { got = r; return nil })
	if err != nil || n != 1 {
		t.Fatalf("flush = %d, %v; want 1 question", n, err)
	}
	q := got.Question
	if q.MessageID != 40 || q.FarmerID != 4 || q.Text != "水稻叶子卷了 @bot" || q.CategoryID != "rice" || len(got.Experts) != 1 {
		t.Errorf("question = %+v pushed to %d; want message 40 by 4, the caption, rice, one expert", q, len(got.Experts))
	}
	// A photo arriving late joins the question.
	if err := svc.StageAlbumItem(ctx, item(43, "", false)); err != nil {
		t.Fatal(err)
	}
	media, err := b.db.QuestionMedia(ctx, q.ID)
	if err != nil || len(media) != 4 || media[0].MessageID != 40 || media[3].MessageID != 43 {
		t.Errorf("media = %+v, %v; want messages 40–43 in order", media, err)
	}
	// An album nobody addressed to the bot, in a group that is not open, is dropped.
	other := item(50, "", false)
	other.MediaGroupID = "album-2"
	if err := svc.StageAlbumItem(ctx, other); err != nil {
		t.Fatal(err)
	}
	b.clock.advance(5 * time.Second)
	if n, err := svc.FlushAlbums(ctx, 2*time.Second, nil); err != nil || n != 0 {
		t.Errorf("flush of an unaddressed album = %d, %v; want 0", n, err)
	}
	if quiet, err := b.db.QuietAlbums(ctx, b.clock.Now()); err != nil || len(quiet) != 0 {
		t.Errorf("albums left waiting: %v, %v", quiet, err)
	}
}

func TestAnEditedQuestionKeepsTheOriginal(t *testing.T) {
	t.Parallel()
	svc, b := setup(t)
	ctx := context.Background()
	q := bindAndAsk(t, svc, "水稻发黄")
	if _, err := svc.EditQuestion(ctx, -100, 7, 2, "别人改的", nil); !errors.Is(err, consult.ErrNotAsker) {
		t.Errorf("an edit by someone else: %v, want ErrNotAsker", err)
	}
	if _, err := svc.EditQuestion(ctx, -100, 999, farmerID, "x", nil); !errors.Is(err, consult.ErrNothingToEdit) {
		t.Errorf("an edit of another message: %v, want ErrNothingToEdit", err)
	}
	if _, err := svc.EditQuestion(ctx, -100, 7, farmerID, "水稻发黄，下部叶片先黄", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.EditQuestion(ctx, -100, 7, farmerID, "水稻发黄，下部叶片先黄，有斑点", nil); err != nil {
		t.Fatal(err)
	}
	got, _ := b.db.Question(ctx, q.Question.ID)
	if got.Text != "水稻发黄，下部叶片先黄，有斑点" || got.OriginalText != "水稻发黄" || got.EditedAt.IsZero() {
		t.Errorf("after edits: text %q original %q; want the last text and the first", got.Text, got.OriginalText)
	}
}
