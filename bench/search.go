package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/agriclinic/agriclinic/consult"
)

// A farming vocabulary for generated questions: common words (发黄, 叶子) and rare ones
// (溃疡, 流胶), crops, pests, the ways farmers ask, and some English.
var (
	crops    = []string{"水稻", "玉米", "茶树", "花椒", "辣椒", "油菜", "李子", "猕猴桃", "烤烟", "洋芋", "红薯", "白菜", "猪", "牛", "鸡"}
	parts    = []string{"叶子", "叶片", "根部", "茎秆", "果实", "穗子", "秧苗", "新梢", "叶尖", "嫩芽"}
	troubles = []string{"发黄", "卷曲", "有斑点", "枯萎", "烂根", "倒伏", "长不大", "有虫眼", "发白", "流胶", "落果", "溃疡", "发黑", "打卷"}
	pests    = []string{"稻飞虱", "纹枯病", "稻瘟病", "草地贪夜蛾", "蚜虫", "红蜘蛛", "茶小绿叶蝉", "炭疽病", "白粉病", "二化螟", "蓟马", "霜霉病"}
	tails    = []string{"怎么办", "是什么原因", "用什么药", "怎么防治", "严重吗", "请专家看看", "", "急！"}
	english  = []string{"leaf curl", "yellow leaves", "fertilizer dose", "pesticide", "planthopper", "rice blast", "root rot"}
	// rare troubles turn up in about one question in a thousand.
	rare = []string{"根结线虫", "缺硼", "稻曲病", "桃蛀螟", "boron deficiency"}
)

func questionText(r *rand.Rand) string {
	var b strings.Builder
	b.WriteString(crops[r.IntN(len(crops))])
	b.WriteString(parts[r.IntN(len(parts))])
	b.WriteString(troubles[r.IntN(len(troubles))])
	if r.IntN(3) == 0 {
		b.WriteString("，可能是" + pests[r.IntN(len(pests))])
	}
	if r.IntN(10) == 0 {
		b.WriteString(" " + english[r.IntN(len(english))])
	}
	if r.IntN(1000) == 0 {
		b.WriteString("，还有" + rare[r.IntN(len(rare))])
	}
	b.WriteString(tails[r.IntN(len(tails))])
	return b.String()
}

// fillArchive writes n answered questions of the first county, spread over two years,
// as the bot would have indexed them. A kept database that holds them already is left as
// it is.
func fillArchive(ctx context.Context, e *env, n int) error {
	c := &e.counties[0]
	if e.kept {
		var have int
		if err := e.pool.QueryRow(ctx, "SELECT count(*) FROM questions WHERE county_id = $1 AND update_id IS NULL", c.ID).Scan(&have); err != nil {
			return err
		}
		if have == n {
			return nil
		}
		for _, sql := range []string{
			"DELETE FROM question_search WHERE question_id IN (SELECT id FROM questions WHERE county_id = $1)",
			"DELETE FROM questions WHERE county_id = $1",
		} {
			if _, err := e.pool.Exec(ctx, sql, c.ID); err != nil {
				return err
			}
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	start := time.Now().AddDate(-2, 0, 0)
	step := 2 * 365 * 24 * time.Hour / time.Duration(n)
	// The questions' numbers are taken from the sequence first, so that each search row
	// can name its question.
	var next int64
	if err := e.pool.QueryRow(ctx, "SELECT setval('questions_id_seq', nextval('questions_id_seq') + $1)", n).Scan(&next); err != nil {
		return err
	}
	id := next - int64(n)
	rows, searchRows := make([][]any, 0, 10_000), make([][]any, 0, 10_000)
	flush := func() error {
		_, err := e.pool.CopyFrom(ctx, pgx.Identifier{"questions"}, []string{"id", "county_id", "township", "chat_id", "message_id",
			"farmer_id", "farmer_name", "category_id", "text", "status", "asked_at", "answered_at", "closed_at", "crop", "terms"}, pgx.CopyFromRows(rows))
		if err == nil {
			_, err = e.pool.CopyFrom(ctx, pgx.Identifier{"question_search"}, []string{"question_id", "asked_at", "township",
				"category_id", "crop", "answered", "search"}, pgx.CopyFromRows(searchRows))
		}
		rows, searchRows = rows[:0], searchRows[:0]
		return err
	}
	for i := range n {
		text := questionText(r)
		cat := c.Categorize(text)
		crop, terms := "", []string{}
		for _, t := range consult.Terms(text) {
			if t.Kind == consult.TermCrop {
				if crop == "" {
					crop = t.Name
				}
			} else {
				terms = append(terms, t.Name)
			}
		}
		at := start.Add(time.Duration(i) * step)
		// As a running clinic leaves its archive: answered, and closed once the farmer
		// rated the answer or did not within three days.
		status, closed := "answered", any(nil)
		if time.Since(at) > 7*24*time.Hour {
			status, closed = "closed", at.Add(72*time.Hour)
		}
		township := c.Townships[r.IntN(len(c.Townships))]
		rows = append(rows, []any{id, c.ID, township, -100 - int64(r.IntN(50)), int64(i), int64(1000 + r.IntN(5000)),
			"农户", cat.ID, text, status, at, at.Add(time.Hour), closed, crop, terms})
		searchRows = append(searchRows, []any{id, at, township, cat.ID, crop, true, consult.SearchVector(text, 'A')})
		id++
		if len(rows) == cap(rows) {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if len(rows) > 0 {
		if err := flush(); err != nil {
			return err
		}
	}
	// What autovacuum does soon after a bulk load (it counts inserts too): without it the
	// first searches pay for merging the index's pending entries and setting hint bits.
	_, err := e.pool.Exec(ctx, "VACUUM ANALYZE questions, question_search")
	return err
}

// query is one search as a person would type it, with filters.
type query struct {
	text     string
	category string
	township string
}

var queries = []query{
	{text: "发黄"},  // a common two-character word
	{text: "流胶"},  // a rarer one
	{text: "稻飞虱"}, // three characters: a phrase of bigrams
	{text: "纹枯病"},
	{text: "planthopper"},          // English
	{text: "发黄", category: "rice"}, // with a filter
	{text: "稻飞虱", township: "白泥镇"},
	{text: "猕猴桃 溃疡"}, // two words
	{text: "根结线虫"},   // rare words, where a scan has to read everything
	{text: "缺硼"},
	{text: "boron"},
}

func benchSearch(ctx context.Context, e *env, sz sizes) ([]result, error) {
	start := time.Now()
	if err := fillArchive(ctx, e, sz.archive); err != nil {
		return nil, err
	}
	load := time.Since(start)
	county := e.counties[0].ID
	// One round first, not measured, for both sides alike: it prepares each statement on
	// its connection and reads the catalogs, which a long-running server does once.
	for _, q := range queries {
		in := consult.SearchInput{Text: q.text, Category: q.category, Township: q.township, Limit: 20}
		if _, err := e.svc.Search(ctx, []string{county}, in); err != nil {
			return nil, err
		}
		in.Newest = true
		if _, err := e.svc.Search(ctx, []string{county}, in); err != nil {
			return nil, err
		}
		if err := ilikeSearch(ctx, e, county, q); err != nil {
			return nil, err
		}
	}
	// Each round runs every query sz.queries times through the service (newest first and
	// best match first), then as many times as ILIKE; a round's ratio is ILIKE's p95 over
	// ours, both over all its queries.
	var (
		np50, np95, rp95, ip50 []float64 // per round, in ms
		perOurs                = make([][]time.Duration, len(queries))
		perPeer                = make([][]time.Duration, len(queries))
	)
	ours := func(int) (float64, error) {
		var ranked, newest []time.Duration
		for range sz.queries {
			for qi, q := range queries {
				in := consult.SearchInput{Text: q.text, Category: q.category, Township: q.township, Limit: 20}
				t0 := time.Now()
				if _, err := e.svc.Search(ctx, []string{county}, in); err != nil {
					return 0, err
				}
				ranked = append(ranked, time.Since(t0))
				in.Newest = true
				t0 = time.Now()
				if _, err := e.svc.Search(ctx, []string{county}, in); err != nil {
					return 0, err
				}
				d := time.Since(t0)
				newest = append(newest, d)
				perOurs[qi] = append(perOurs[qi], d)
			}
		}
		p50, p95 := percentiles(newest)
		np50, np95, rp95 = append(np50, msf(p50)), append(np95, msf(p95)), append(rp95, msf(quantile(ranked, 95)))
		return msf(p95), nil
	}
	peer := func(int) (float64, error) {
		var ilike []time.Duration
		for range sz.queries {
			for qi, q := range queries {
				t0 := time.Now()
				if err := ilikeSearch(ctx, e, county, q); err != nil {
					return 0, err
				}
				d := time.Since(t0)
				ilike = append(ilike, d)
				perPeer[qi] = append(perPeer[qi], d)
			}
		}
		p50, p95 := percentiles(ilike)
		ip50 = append(ip50, msf(p50))
		return msf(p95), nil
	}
	o95, i95, err := alternate("search, newest 20, p95 in ms (ILIKE the peer)", sz.rounds, ours, peer)
	if err != nil {
		return nil, err
	}
	newestRatios := ratios(o95, i95, quicker)
	rankedRatios := ratios(rp95, i95, quicker)
	out := []result{
		{name: fmt.Sprintf("archive search, newest 20, p50 / p95 (%d questions; filled in %v)", sz.archive, load.Round(time.Second)),
			figure: msm(np50) + " / " + msm(np95), peer: "ILIKE " + msm(ip50) + " / " + msm(i95), ratio: spread(newestRatios, 1),
			goal: "p95 < 20 ms, ≥ 30× the peer", verdict: verdict(median(np95) < 20 && median(newestRatios) >= 30)},
		{name: "archive search, best match first, p95", figure: msm(rp95), peer: "ILIKE " + msm(i95),
			ratio: spread(rankedRatios, 1), goal: "—", verdict: ""},
	}
	// Per query, the rounds' runs together: too few runs in a round for a p95 of their own.
	for qi, q := range queries {
		name := "· newest 20 for “" + q.text + "”"
		if q.category != "" || q.township != "" {
			name += " with a filter"
		}
		o50, o95 := percentiles(perOurs[qi])
		p50, p95 := percentiles(perPeer[qi])
		out = append(out, result{name: name + ", p50 / p95", figure: ms(o50) + " / " + ms(o95),
			peer: "ILIKE " + ms(p50) + " / " + ms(p95), ratio: ratio(p50, o50)})
	}
	return out, nil
}

// ilikeSearch is the peer: what a helpdesk without a Chinese index does.
func ilikeSearch(ctx context.Context, e *env, county string, q query) error {
	sql := `SELECT id FROM questions WHERE county_id = $1`
	args := []any{county}
	for _, w := range strings.Fields(q.text) {
		args = append(args, "%"+w+"%")
		sql += fmt.Sprintf(" AND text ILIKE $%d", len(args))
	}
	if q.category != "" {
		args = append(args, q.category)
		sql += fmt.Sprintf(" AND category_id = $%d", len(args))
	}
	if q.township != "" {
		args = append(args, q.township)
		sql += fmt.Sprintf(" AND township = $%d", len(args))
	}
	rows, err := e.pool.Query(ctx, sql+" ORDER BY asked_at DESC, id DESC LIMIT 20", args...)
	if err != nil {
		return err
	}
	rows.Close()
	return rows.Err()
}

// quantile is the q-th percentile of durations (q from 0 to 100).
func quantile(ds []time.Duration, q int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*q/100)]
}

// percentiles is the median and the 95th percentile.
func percentiles(ds []time.Duration) (p50, p95 time.Duration) {
	return quantile(ds, 50), quantile(ds, 95)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", msf(d)) }

// msf is d in milliseconds.
func msf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// msm is the median of the rounds' figures in milliseconds.
func msm(rounds []float64) string { return fmt.Sprintf("%.2f ms", median(rounds)) }

func ratio(peer, ours time.Duration) string {
	if ours <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f×", float64(peer)/float64(ours))
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "not met"
}
