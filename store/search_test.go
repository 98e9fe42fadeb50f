package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
	"github.com/agriclinic/agriclinic/store/storetest"
)

// searchArchive fills an archive of two counties with questions over six years, common
// and rare words, several townships, and times that do not follow the ids (imports, edits):
// what the bucket walk of Search must not get wrong.
func searchArchive(t *testing.T) (*pgxpool.Pool, *store.DB) {
	t.Helper()
	pool := storetest.NewPool(t)
	db := store.NewDB(pool)
	ctx := context.Background()
	cats := []store.CategoryRecord{{ID: "rice", Name: "水稻"}, {ID: "fruit", Name: "水果"}}
	if err := db.UpsertCounties(ctx, []store.CountyRecord{
		{ID: "yuqing", Name: "余庆县", Timezone: "Asia/Shanghai", Townships: []string{"白泥镇", "龙溪镇", "构皮滩镇"}, Categories: cats},
		{ID: "meitan", Name: "湄潭县", Timezone: "Asia/Shanghai", Townships: []string{"湄江镇"}, Categories: cats},
	}); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(8, 3))
	words := []struct {
		text string
		per  int // in 1000 questions
	}{{"发黄", 400}, {"稻飞虱", 150}, {"猕猴桃", 100}, {"溃疡", 80}, {"leaf curl", 60}, {"缺硼", 8}, {"boron", 5}}
	townships := []string{"白泥镇", "龙溪镇", "构皮滩镇"}
	start := time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)
	var rows, searchRows [][]any
	for i := range 4000 {
		var b strings.Builder
		b.WriteString("水稻叶子")
		for _, w := range words {
			if r.IntN(1000) < w.per {
				b.WriteString("，" + w.text)
			}
		}
		text := b.String()
		at := start.Add(time.Duration(r.Int64N(int64(6 * 365 * 24 * time.Hour))))
		switch {
		case i%500 == 0:
			at = time.Date(1999, 12, 31, 23, 0, 0, 0, time.UTC) // before slot 0
		case i%97 == 0:
			at = start.Add(24 * time.Hour) // many at the same instant: the id breaks ties
		case i < 40:
			at = time.Now().Add(-time.Duration(r.IntN(60)) * time.Minute) // the newest hour
		}
		county, township := "yuqing", townships[r.IntN(len(townships))]
		if i%10 == 0 {
			county, township = "meitan", "湄江镇"
		}
		cat := "rice"
		if strings.Contains(text, "猕猴桃") {
			cat = "fruit"
		}
		crop := ""
		if i%3 == 0 {
			crop = "水稻"
		}
		id := int64(i + 1)
		rows = append(rows, []any{id, county, township, int64(-100), id, int64(1000 + i), "农户", cat, text,
			"answered", at, crop, []string{}})
		searchRows = append(searchRows, []any{id, at, township, cat, crop, true, consult.SearchVector(text, 'A')})
	}
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{"questions"}, []string{"id", "county_id", "township", "chat_id", "message_id",
		"farmer_id", "farmer_name", "category_id", "text", "status", "asked_at", "crop", "terms"}, pgx.CopyFromRows(rows)); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{"question_search"}, []string{"question_id", "asked_at", "township",
		"category_id", "crop", "answered", "search"}, pgx.CopyFromRows(searchRows)); err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{"SELECT setval('questions_id_seq', " + fmt.Sprint(len(rows)) + ")", "ANALYZE questions", "ANALYZE question_search"} {
		if _, err := pool.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	return pool, db
}

// sortEveryMatch is what Search must return, found the plain way: every match, sorted.
func sortEveryMatch(t *testing.T, pool *pgxpool.Pool, f store.SearchFilter) []int64 {
	t.Helper()
	where := "q.county_id = ANY ($1) AND s.search @@ $2::tsquery AND ($3 = '' OR q.township = $3) AND ($4 = '' OR q.category_id = $4)" +
		" AND ($5::timestamptz IS NULL OR q.asked_at >= $5) AND ($6::timestamptz IS NULL OR q.asked_at < $6) AND ($9 = '' OR q.crop = $9)"
	const joined = " FROM questions q JOIN question_search s ON s.question_id = q.id WHERE "
	sql := "SELECT q.id" + joined + where + " ORDER BY q.asked_at DESC, q.id DESC LIMIT $7 OFFSET $8"
	window := f.Offset + f.Limit + 1
	if !f.Newest {
		window = max(200, window)
		sql = "SELECT id FROM (SELECT q.id, q.asked_at, ts_rank(s.search, $2::tsquery) AS rank" + joined + where +
			" ORDER BY asked_at DESC, id DESC LIMIT $10) recent ORDER BY rank DESC, asked_at DESC, id DESC LIMIT $7 OFFSET $8"
	}
	var from, to *time.Time
	if !f.From.IsZero() {
		from = &f.From
	}
	if !f.To.IsZero() {
		to = &f.To
	}
	args := []any{f.CountyIDs, f.Query, f.Township, f.Category, from, to, f.Limit + 1, f.Offset, f.Crop}
	if !f.Newest {
		args = append(args, window)
	}
	rows, err := pool.Query(context.Background(), sql, args...)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestSearchFindsExactlyWhatSortingEveryMatchFinds(t *testing.T) {
	t.Parallel()
	pool, db := searchArchive(t)
	ctx := context.Background()
	yuqing := []string{"yuqing"}
	tests := []struct {
		name string
		f    store.SearchFilter
	}{
		{"a common word", store.SearchFilter{CountyIDs: yuqing, Query: consult.SearchQuery("发黄")}},
		{"a rare word", store.SearchFilter{CountyIDs: yuqing, Query: consult.SearchQuery("缺硼")}},
		{"a rare English word", store.SearchFilter{CountyIDs: yuqing, Query: consult.SearchQuery("boron")}},
		{"a phrase with a township", store.SearchFilter{CountyIDs: yuqing, Query: consult.SearchQuery("稻飞虱"), Township: "龙溪镇"}},
		{"two words with a category", store.SearchFilter{CountyIDs: yuqing, Query: consult.SearchQuery("猕猴桃 溃疡"), Category: "fruit"}},
		{"a rare word of a crop", store.SearchFilter{CountyIDs: yuqing, Query: consult.SearchQuery("缺硼"), Crop: "水稻"}},
		{"a common word, page 3", store.SearchFilter{CountyIDs: yuqing, Query: consult.SearchQuery("发黄"), Offset: 40}},
		{"a rare word, past its last page", store.SearchFilter{CountyIDs: yuqing, Query: consult.SearchQuery("缺硼"), Offset: 60}},
		{"a phrase in a year", store.SearchFilter{CountyIDs: yuqing, Query: consult.SearchQuery("稻飞虱"),
			From: time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{"a common word before 2000", store.SearchFilter{CountyIDs: yuqing, Query: consult.SearchQuery("发黄"),
			To: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{"a common word since a minute ago", store.SearchFilter{CountyIDs: yuqing, Query: consult.SearchQuery("发黄"),
			From: time.Now().Add(-time.Minute)}},
		{"two counties", store.SearchFilter{CountyIDs: []string{"yuqing", "meitan"}, Query: consult.SearchQuery("缺硼")}},
		{"another county", store.SearchFilter{CountyIDs: []string{"meitan"}, Query: consult.SearchQuery("稻飞虱")}},
		{"a county with no questions", store.SearchFilter{CountyIDs: []string{"nowhere"}, Query: consult.SearchQuery("发黄")}},
		{"a word nobody used", store.SearchFilter{CountyIDs: yuqing, Query: consult.SearchQuery("西瓜")}},
	}
	for _, tt := range tests {
		for _, newest := range []bool{true, false} {
			f := tt.f
			f.Newest, f.Limit = newest, 20
			hits, more, err := db.Search(ctx, f)
			if err != nil {
				t.Fatalf("%s (newest %v): %v", tt.name, newest, err)
			}
			var got []int64
			for _, h := range hits {
				got = append(got, h.Question.ID)
			}
			want := sortEveryMatch(t, pool, f)
			wantMore := len(want) > f.Limit
			if wantMore {
				want = want[:f.Limit]
			}
			if fmt.Sprint(got) != fmt.Sprint(want) || more != wantMore {
				t.Errorf("%s (newest %v): got %v (more %v), want %v (more %v)", tt.name, newest, got, more, want, wantMore)
			}
		}
	}
}

func TestSearchStepsCoverEverySlotOnceNewestFirst(t *testing.T) {
	t.Parallel()
	pool := storetest.NewPool(t)
	ctx := context.Background()
	for _, tt := range []struct{ newest, oldest int }{{0, 0}, {1, 0}, {39292, 0}, {39292, 39000}, {65535, 1}, {70001, 12345}, {5, 9}} {
		rows, err := pool.Query(ctx, "SELECT * FROM question_steps($1, $2)", tt.newest, tt.oldest)
		if err != nil {
			t.Fatal(err)
		}
		steps, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		end, prev := tt.newest+1, 0 // the slot after the next step's last; the last step's level
		for i, s := range steps {
			var level, index int
			if _, err := fmt.Sscanf(s, "b%d:%d", &level, &index); err != nil {
				t.Fatalf("%v: step %q: %v", tt, s, err)
			}
			first, last := index<<level, (index+1)<<level-1
			if last != end-1 || level < prev {
				t.Errorf("%v: step %d covers slots %d–%d at level %d, want it to end at %d, no smaller than the step before", tt, i, first, last, level, end-1)
				break
			}
			end, prev = first, level
		}
		if tt.newest >= tt.oldest && end > tt.oldest || tt.newest < tt.oldest && len(steps) > 0 {
			t.Errorf("%v: %d steps end at slot %d, want them to reach slot %d", tt, len(steps), end, tt.oldest)
		}
		if len(steps) > 2*17 {
			t.Errorf("%v: %d steps, want at most about 2 log2(slots)", tt, len(steps))
		}
	}
}

// The walk runs with Postgres' kept plan (keepPlan): the setting must end with the
// search, or every later statement on the connection would be planned without its values.
func TestSearchLeavesTheConnectionsPlanningAlone(t *testing.T) {
	url := storetest.NewDatabase(t)
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 1 // the search's connection is the one asked next
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	db := store.NewDB(pool)
	ctx := context.Background()
	for _, f := range []store.SearchFilter{
		{CountyIDs: []string{"yuqing"}, Query: consult.SearchQuery("稻飞虱"), Township: "白泥镇", Newest: true},
		{CountyIDs: []string{"yuqing"}, Query: "'('"}, // a broken query fails inside the batch
	} {
		_, _, err := db.Search(ctx, f)
		var mode string
		if qerr := pool.QueryRow(ctx, `SELECT current_setting('plan_cache_mode')`).Scan(&mode); qerr != nil {
			t.Fatal(qerr)
		}
		if mode != "auto" {
			t.Errorf("after a search (err %v), plan_cache_mode = %q on its connection, want auto", err, mode)
		}
	}
}

// A burst's batch raises its transaction's pending list limit, and only its own; other
// writes of questions keep the session's.
func TestABurstsQuestionsRaiseThePendingListLimitForTheirTransaction(t *testing.T) {
	t.Parallel()
	pool := storetest.NewPool(t)
	db := store.NewDB(pool)
	ctx := context.Background()
	if err := db.UpsertCounties(ctx, []store.CountyRecord{{ID: "yuqing", Name: "余庆县", Timezone: "Asia/Shanghai",
		Townships: []string{"白泥镇"}, Categories: []store.CategoryRecord{{ID: "rice", Name: "水稻"}}}}); err != nil {
		t.Fatal(err)
	}
	update := int64(0)
	for _, burst := range []bool{false, true} {
		var during, after string
		err := db.InTx(ctx, func(tx *store.Tx) error {
			var qs []store.NewQuestion
			for range 2 {
				update++
				qs = append(qs, store.NewQuestion{UpdateID: update, Question: store.Question{CountyID: "yuqing", Township: "白泥镇",
					ChatID: -100, MessageID: update, FarmerID: 1, CategoryID: "rice", Text: "水稻发黄", AskedAt: time.Now(),
					Search: consult.SearchVector("水稻发黄", 'A')}})
			}
			created, err := tx.CreateQuestions(ctx, qs, burst)
			if err != nil || len(created) != 2 {
				return fmt.Errorf("created %d: %v", len(created), err)
			}
			return tx.QueryRowForTest(ctx, `SELECT current_setting('gin_pending_list_limit')`).Scan(&during)
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := pool.QueryRow(ctx, `SELECT current_setting('gin_pending_list_limit')`).Scan(&after); err != nil {
			t.Fatal(err)
		}
		want := map[bool]string{false: "64kB", true: "1MB"}[burst]
		if during != want || after != "64kB" {
			t.Errorf("burst %v: limit %s in the transaction and %s after, want %s and 64kB", burst, during, after, want)
		}
	}
}
