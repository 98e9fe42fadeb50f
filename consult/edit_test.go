package consult_test

import (
	"context"
	"testing"

	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
)

// TestAnEditAfterTheAnswerKeepsTheQuestionOfRecord: the expert answered the words they
// saw. A farmer who edits the question afterwards does not change what was answered: the
// archive keeps those words as the question, and the edit as a step of its timeline after
// the answer, so that neither search nor the earlier answers offered to the next farmers
// pair the answer with words it never answered. An edit before the answer still is the
// question.
func TestAnEditAfterTheAnswerKeepsTheQuestionOfRecord(t *testing.T) {
	t.Parallel()
	svc, b := setup(t)
	ctx := context.Background()
	addExpert(t, svc, 11, "rice")
	q := bindAndAsk(t, svc, "水稻卷叶").Question
	if _, err := svc.EditQuestion(ctx, -100, 7, farmerID, "水稻卷叶，叶尖发白", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Claim(ctx, q.ID, 11, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Answer(ctx, consult.AnswerInput{QuestionID: q.ID, Expert: consult.Person{ID: 11}, Text: "稻纵卷叶螟为害，用氯虫苯甲酰胺", UpdateID: nextUpdate()}, nil); err != nil {
		t.Fatal(err)
	}
	res, err := svc.EditQuestion(ctx, -100, 7, farmerID, "水稻烂根，根发黑", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.AfterAnswer || res.Edit != "水稻烂根，根发黑" {
		t.Errorf("edit result = after answer %v, %q; want it told as an edit after the answer", res.AfterAnswer, res.Edit)
	}

	got, err := b.db.Question(ctx, q.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Text != "水稻卷叶，叶尖发白" || got.OriginalText != "水稻卷叶" {
		t.Errorf("question of record = %q (first asked %q); want the words the expert answered", got.Text, got.OriginalText)
	}
	events, err := b.db.Events(ctx, q.ID)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	var last store.Event
	for _, e := range events {
		kinds = append(kinds, e.Kind)
		last = e
	}
	if last.Kind != "edited" || last.Detail["after_answer"] != true || last.Detail["text"] != "水稻烂根，根发黑" {
		t.Errorf("timeline = %v, last %+v; want the edit after the answer, with its words", kinds, last)
	}

	for _, words := range []string{"烂根", "发黑"} {
		found, err := svc.Search(ctx, []string{"yuqing"}, consult.SearchInput{Text: words})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range found.Hits {
			if h.Question.ID == q.ID {
				t.Errorf("search for %q finds #%d, whose answer is about curling leaves", words, q.ID)
			}
		}
	}
	if found, err := svc.Search(ctx, []string{"yuqing"}, consult.SearchInput{Text: "叶尖"}); err != nil || len(found.Hits) != 1 {
		t.Errorf("search for the words of the edit before the answer = %+v, %v; want the question", found.Hits, err)
	}
	later, err := svc.Ask(ctx, consult.AskInput{ChatID: -100, MessageID: 8, Farmer: consult.Person{ID: 2, Name: "邻居"},
		Text: "水稻烂根，根发黑怎么办", UpdateID: nextUpdate()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range later.Similar {
		if s.Question.ID == q.ID {
			t.Errorf("a farmer asking about rotten roots is offered the answer about curling leaves: %+v", s)
		}
	}
}
