package web_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
)

// TestTheQuestionPageShowsAnAnswersRevisionsInOrder: after two corrections the question
// page shows the answer as it now reads and its three revisions in order, each with who
// made it and why; the current one is marked, and what people wrote is escaped.
func TestTheQuestionPageShowsAnAnswersRevisionsInOrder(t *testing.T) {
	t.Parallel()
	d := newDash(t)
	ctx := context.Background()
	d.expert(t, 501, "李明", "yuqing", "水稻", 9001)
	id := d.ids["yellow"]
	if _, err := d.svc.Claim(ctx, id, 501, nil); err != nil {
		t.Fatal(err)
	}
	res, err := d.svc.Answer(ctx, consult.AnswerInput{QuestionID: id, Expert: consult.Person{ID: 501}, Text: "追施尿素", UpdateID: 901}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.db.SetAnswerMessage(ctx, res.Answer.ID, 77); err != nil {
		t.Fatal(err)
	}
	for i, c := range []struct {
		by              int64
		name, text, why string
	}{
		{501, "李明", "每亩追施尿素 5 公斤", "补上用量"},
		{9001, "王局长", "每亩追施尿素 5 公斤，温度>30℃时傍晚施", "补上时间"},
	} {
		if _, err := d.svc.Correct(ctx, consult.CorrectInput{QuestionID: id, By: consult.Person{ID: c.by, Name: c.name}, Text: c.text, Why: c.why,
			Source: store.RevisionCommand, UpdateID: int64(910 + i)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	browser, _ := d.signIn(t, 9001)
	code, body := get(t, browser, d.srv.URL+"/questions/"+strconv.FormatInt(id, 10))
	if code != http.StatusOK {
		t.Fatalf("question page: %d\n%s", code, body)
	}
	at := func(s string) int {
		i := strings.Index(body, s)
		if i < 0 {
			t.Errorf("the question page lacks %q", s)
		}
		return i
	}
	one, two, three := at(`data-revision="1"`), at(`data-revision="2"`), at(`data-revision="3"`)
	if !(one < two && two < three) {
		t.Errorf("revisions at %d, %d, %d: want them in order", one, two, three)
	}
	for _, s := range []string{"修订记录", "原解答", "补上用量", "王局长", "补上时间", "温度&gt;30℃", "现行"} {
		at(s)
	}
	if strings.Count(body, "现行") != 1 || strings.Index(body, "现行") < three {
		t.Errorf("the current revision is not the third, alone marked")
	}
}
