package consult_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
)

// archive asks questions in the Yuqing group (and one in Meitan) and answers the first.
func archive(t *testing.T, svc *consult.Service) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	addExpert(t, svc, 501, "rice", "tea")
	if _, _, err := svc.Bind(ctx, -100, "群", adminID, "白泥镇", nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Bind(ctx, -200, "湄潭群", 9002, "湄江镇", nil); err != nil {
		t.Fatal(err)
	}
	ids := map[string]int64{}
	ask := func(key string, chat int64, farmer int64, text string) {
		t.Helper()
		res, err := svc.Ask(ctx, consult.AskInput{ChatID: chat, MessageID: int64(len(ids) + 10), Farmer: consult.Person{ID: farmer, Name: "农户"}, Text: text, UpdateID: nextUpdate()}, nil)
		if err != nil {
			t.Fatalf("ask %q: %v", text, err)
		}
		ids[key] = res.Question.ID
	}
	ask("yellow", -100, 1, "水稻叶子发黄怎么办")
	ask("hopper", -100, 2, "稻田里稻飞虱很多")
	ask("tea", -100, 3, "茶树叶子发黄")
	ask("english", -100, 4, "Rice leaf curling after the rain")
	ask("urea", -100, 5, "水稻追施尿素的时间")
	ask("meitan", -200, 6, "茶叶发黄")
	if _, err := svc.Claim(ctx, ids["yellow"], 501, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Answer(ctx, consult.AnswerInput{QuestionID: ids["yellow"], Expert: consult.Person{ID: 501}, Text: "多半是缺氮，追施尿素", UpdateID: nextUpdate()}, nil); err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestSearchFindsChineseWordsAnywhereWithinScope(t *testing.T) {
	t.Parallel()
	svc, _ := setup(t)
	ctx := context.Background()
	ids := archive(t, svc)
	yuqing := []string{"yuqing"}
	tests := []struct {
		name  string
		scope []string
		in    consult.SearchInput
		want  []string // in order
	}{
		{"a two-character word", yuqing, consult.SearchInput{Text: "发黄"}, []string{"tea", "yellow"}},
		{"a word inside a longer run", yuqing, consult.SearchInput{Text: "飞虱"}, []string{"hopper"}},
		{"a three-character word is a phrase", yuqing, consult.SearchInput{Text: "稻飞虱"}, []string{"hopper"}},
		{"bigrams out of order do not match", yuqing, consult.SearchInput{Text: "虱飞"}, nil},
		{"two words, both needed", yuqing, consult.SearchInput{Text: "叶子 发黄 水稻"}, []string{"yellow"}},
		{"an English word, any case", yuqing, consult.SearchInput{Text: "CURLING"}, []string{"english"}},
		{"words of the answer; the question's own words rank first", yuqing, consult.SearchInput{Text: "尿素"}, []string{"urea", "yellow"}},
		{"no match", yuqing, consult.SearchInput{Text: "西瓜"}, nil},
		{"punctuation finds nothing, not everything", yuqing, consult.SearchInput{Text: "？！"}, nil},
		{"a category filter", yuqing, consult.SearchInput{Text: "发黄", Category: "tea"}, []string{"tea"}},
		{"a status filter", yuqing, consult.SearchInput{Text: "发黄", Status: store.StatusAnswered}, []string{"yellow"}},
		{"an expert filter", yuqing, consult.SearchInput{ExpertID: 501}, []string{"yellow"}},
		{"a crop filter", yuqing, consult.SearchInput{Crop: "茶叶"}, []string{"tea"}},
		{"another county sees only its own", []string{"meitan"}, consult.SearchInput{Text: "发黄"}, []string{"meitan"}},
		{"no scope sees nothing", nil, consult.SearchInput{Text: "发黄"}, nil},
		{"no words: newest first", yuqing, consult.SearchInput{Limit: 2}, []string{"urea", "english"}},
	}
	for _, tt := range tests {
		res, err := svc.Search(ctx, tt.scope, tt.in)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var got []int64
		for _, h := range res.Hits {
			got = append(got, h.Question.ID)
		}
		var want []int64
		for _, k := range tt.want {
			want = append(want, ids[k])
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: got %v, want %v (%v)", tt.name, got, want, tt.want)
		}
	}
	res, err := svc.Search(ctx, yuqing, consult.SearchInput{Limit: 2})
	if err != nil || !res.More {
		t.Errorf("a full page says there is more: %v, %v", res.More, err)
	}
}

func TestANewQuestionGetsSimilarAnsweredOnes(t *testing.T) {
	t.Parallel()
	svc, b := setup(t)
	ctx := context.Background()
	ids := archive(t, svc)
	res, err := svc.Ask(ctx, consult.AskInput{ChatID: -100, MessageID: 99, Farmer: consult.Person{ID: 7, Name: "新农户"}, Text: "水稻叶片变黄了", UpdateID: nextUpdate()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Similar) != 1 || res.Similar[0].Question.ID != ids["yellow"] || res.Similar[0].Answer.Text != "多半是缺氮，追施尿素" {
		t.Fatalf("similar = %+v, want the answered yellow-leaf question", res.Similar)
	}
	// Open questions, other troubles and other categories are not suggested.
	other, err := svc.Ask(ctx, consult.AskInput{ChatID: -100, MessageID: 100, Farmer: consult.Person{ID: 8, Name: "农户"}, Text: "水稻稻飞虱很多怎么办", UpdateID: nextUpdate()}, nil)
	if err != nil || len(other.Similar) != 0 {
		t.Errorf("similar for an unanswered trouble = %+v, %v; want none", other.Similar, err)
	}
	// The farmer closes the new question from the archive: it leaves the queue.
	if _, err := svc.CloseFromArchive(ctx, res.Question.ID, 8, nil); err == nil {
		t.Error("someone else closed the question")
	}
	closed, err := svc.CloseFromArchive(ctx, res.Question.ID, 7, nil)
	if err != nil || closed.Question.Status != store.StatusClosed || closed.Question.Feedback != store.FeedbackArchive {
		t.Errorf("closed from the archive: %+v, %v", closed.Question, err)
	}
	members, _ := b.queue.Members(ctx, "yuqing", "rice")
	for _, m := range members {
		if m == res.Question.ID {
			t.Error("a question closed from the archive is still queued")
		}
	}
}

// What a lookup of earlier answers found is kept for half a minute for the next farmers
// (an outbreak is many farmers asking about one trouble at once): an answer given through
// this instance is offered at once, one given through another instance after that.
func TestEarlierAnswersFoundAreKeptBriefly(t *testing.T) {
	t.Parallel()
	svc, b := setup(t)
	ctx := context.Background()
	ids := archive(t, svc)
	other, _ := setupOn(t, b)
	addExpert(t, svc, 502, "rice", "tea", "general")
	farmer := int64(40)
	ask := func(text string) []consult.SimilarAnswer {
		t.Helper()
		farmer++
		res, err := svc.Ask(ctx, consult.AskInput{ChatID: -100, MessageID: farmer, Farmer: consult.Person{ID: farmer, Name: "农户"}, Text: text, UpdateID: nextUpdate()}, nil)
		if err != nil {
			t.Fatalf("ask %q: %v", text, err)
		}
		return res.Similar
	}
	if got := ask("稻飞虱又来了怎么办"); len(got) != 0 {
		t.Fatalf("similar before any planthopper answer = %+v", got)
	}
	if _, err := other.Claim(ctx, ids["hopper"], 502, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Answer(ctx, consult.AnswerInput{QuestionID: ids["hopper"], Expert: consult.Person{ID: 502}, Text: "用吡蚜酮喷稻株基部", UpdateID: nextUpdate()}, nil); err != nil {
		t.Fatal(err)
	}
	if got := ask("稻飞虱好多"); len(got) != 0 {
		t.Errorf("similar a moment after another instance answered = %+v; want what was found before (none)", got)
	}
	b.clock.advance(31 * time.Second)
	if got := ask("稻飞虱成灾了"); len(got) != 1 || got[0].Question.ID != ids["hopper"] {
		t.Errorf("similar half a minute later = %+v; want the planthopper answer", got)
	}
	// This instance's own answer to the question is offered to the next farmer at once.
	if _, err := svc.Claim(ctx, ids["urea"], 501, nil); err != nil {
		t.Fatal(err)
	}
	if got := ask("水稻尿素什么时候追施"); len(got) != 0 {
		t.Fatalf("similar before the urea answer = %+v", got)
	}
	if _, err := svc.Answer(ctx, consult.AnswerInput{QuestionID: ids["urea"], Expert: consult.Person{ID: 501}, Text: "分蘖期追施", UpdateID: nextUpdate()}, nil); err != nil {
		t.Fatal(err)
	}
	if got := ask("水稻追施尿素的时间是什么时候"); len(got) != 1 || got[0].Question.ID != ids["urea"] {
		t.Errorf("similar after this instance answered = %+v; want the urea answer", got)
	}
}

// The search index lives apart from the question's state: claiming, answering and
// closing change the question, not its search row, unless they add words; a transfer
// moves the row's category tag with it, so a category filter finds the question where it
// now is.
func TestTheSearchRowChangesOnlyWithWordsAndTags(t *testing.T) {
	t.Parallel()
	svc, b := setup(t)
	ctx := context.Background()
	ids := archive(t, svc)
	version := func(id int64) string {
		t.Helper()
		var v string
		if err := b.pool.QueryRow(ctx, `SELECT xmin::text FROM question_search WHERE question_id = $1`, id).Scan(&v); err != nil {
			t.Fatalf("search row of #%d: %v", id, err)
		}
		return v
	}
	asked := version(ids["tea"])
	if _, err := svc.Claim(ctx, ids["tea"], 501, nil); err != nil {
		t.Fatal(err)
	}
	if v := version(ids["tea"]); v != asked {
		t.Errorf("a claim wrote the search row again (version %s, was %s)", v, asked)
	}
	if _, err := svc.Answer(ctx, consult.AnswerInput{QuestionID: ids["tea"], Expert: consult.Person{ID: 501}, Text: "用吡蚜酮防治", UpdateID: nextUpdate()}, nil); err != nil {
		t.Fatal(err)
	}
	if v := version(ids["tea"]); v == asked {
		t.Error("an answer did not add its words to the search row")
	}
	res, err := svc.Search(ctx, []string{"yuqing"}, consult.SearchInput{Text: "吡蚜酮"})
	if err != nil || len(res.Hits) != 1 || res.Hits[0].Question.ID != ids["tea"] {
		t.Errorf("searching the answer's words: %+v, %v; want #%d", res.Hits, err, ids["tea"])
	}

	if _, err := svc.Claim(ctx, ids["urea"], 501, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Transfer(ctx, ids["urea"], consult.Person{ID: 501, Name: "王"}, "茶叶", nil); err != nil {
		t.Fatal(err)
	}
	for cat, want := range map[string]int{"tea": 1, "rice": 0} {
		res, err := svc.Search(ctx, []string{"yuqing"}, consult.SearchInput{Text: "尿素", Category: cat})
		got := 0
		for _, h := range res.Hits {
			if h.Question.ID == ids["urea"] {
				got++
			}
		}
		if err != nil || got != want {
			t.Errorf("the transferred question under %s: found %d times, %v; want %d", cat, got, err, want)
		}
	}
}

// Questions written straight into the archive wait on a list for the indexer, which
// builds their search rows from the question, its answers and its follow-ups; an answer
// given before the indexer came round is in the row.
func TestTheIndexerIndexesWhatWaitsForIt(t *testing.T) {
	t.Parallel()
	svc, b := setup(t)
	ctx := context.Background()
	ids := archive(t, svc)
	// The tea question is answered with a photo alone: an answer with no words.
	if _, err := svc.Claim(ctx, ids["tea"], 501, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Answer(ctx, consult.AnswerInput{QuestionID: ids["tea"], Expert: consult.Person{ID: 501}, UpdateID: nextUpdate(),
		Media: &store.Media{Kind: store.MediaPhoto, FileID: "photo-answer"}}, nil); err != nil {
		t.Fatal(err)
	}
	// As if indexed never: the yellow-leaf question (answered), the tea one and the urea one.
	for _, sql := range []string{
		`DELETE FROM question_search WHERE question_id = ANY ($1)`,
		`INSERT INTO search_pending (question_id) SELECT unnest($1::bigint[])`,
	} {
		if _, err := b.pool.Exec(ctx, sql, []int64{ids["yellow"], ids["tea"], ids["urea"]}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.Claim(ctx, ids["urea"], 501, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Answer(ctx, consult.AnswerInput{QuestionID: ids["urea"], Expert: consult.Person{ID: 501}, Text: "分蘖期追施", UpdateID: nextUpdate()}, nil); err != nil {
		t.Fatal(err)
	}
	if res, err := svc.Search(ctx, []string{"yuqing"}, consult.SearchInput{Text: "分蘖"}); err != nil || len(res.Hits) != 0 {
		t.Fatalf("before indexing: %+v, %v; want nothing", res.Hits, err)
	}
	n, err := svc.IndexArchive(ctx)
	if err != nil || n != 3 {
		t.Fatalf("indexed %d, %v; want 3", n, err)
	}
	for _, k := range []string{"yellow", "tea", "urea"} {
		var answered bool
		if err := b.pool.QueryRow(ctx, `SELECT answered FROM question_search WHERE question_id = $1`, ids[k]).Scan(&answered); err != nil || !answered {
			t.Errorf("%s: indexed as answered = %v, %v; want true (earlier answers are looked for among these)", k, answered, err)
		}
	}
	for text, want := range map[string]int64{"分蘖": ids["urea"], "缺氮": ids["yellow"], "尿素": ids["urea"]} {
		res, err := svc.Search(ctx, []string{"yuqing"}, consult.SearchInput{Text: text, Newest: true})
		if err != nil || len(res.Hits) == 0 || res.Hits[0].Question.ID != want {
			t.Errorf("after indexing, %s: %+v, %v; want #%d first", text, res.Hits, err, want)
		}
	}
	if n, err := svc.IndexArchive(ctx); err != nil || n != 0 {
		t.Errorf("indexing again: %d, %v; want nothing left", n, err)
	}
}
