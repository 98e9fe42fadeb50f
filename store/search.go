package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// SearchFilter narrows a search of the archive. CountyIDs is the searcher's scope and
// must not be empty: a county sees only its own archive.
type SearchFilter struct {
	CountyIDs []string
	// Query is a tsquery literal (see consult.SearchQuery); empty lists by the filters
	// alone, newest first.
	Query    string
	Township string
	Category string
	Crop     string
	ExpertID int64 // the expert who holds or answered it
	Status   string
	Feedback string
	From, To time.Time // asked in [From, To)
	// Newest orders by time asked even when there is a query (else: best match first,
	// newest first among equals).
	Newest bool
	Limit  int
	Offset int
}

// rankWindow is how many of the newest matches are ranked.
const rankWindow = 200

// SearchHit is a question found, with how well it matched.
type SearchHit struct {
	Question
	Rank float32
}

// Search finds archived questions (with their answers and follow-ups) matching the
// filter. It returns up to Limit hits and whether there are more.
func (d *queries) Search(ctx context.Context, f SearchFilter) ([]SearchHit, bool, error) {
	if len(f.CountyIDs) == 0 {
		return nil, false, nil
	}
	limit := f.Limit
	if limit <= 0 || limit > 200 {
		limit = 20
	}
	var where []string
	args := []any{f.CountyIDs}
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	where = append(where, "county_id = ANY ($1)")
	// tags are the filters as the search index knows them (question_tags): with them the
	// index narrows the matches before the heap is read.
	var tags []string
	var match []string // conditions on the search row
	rank := "0::real"
	if f.Query != "" {
		q := arg(f.Query)
		match = append(match, "search @@ "+q+"::tsquery")
		rank = "ts_rank(search, " + q + "::tsquery)"
	}
	if f.Township != "" {
		where = append(where, "township = "+arg(f.Township))
		tags = append(tags, "township:"+f.Township)
	}
	if f.Category != "" {
		where = append(where, "category_id = "+arg(f.Category))
		tags = append(tags, "category:"+f.Category)
	}
	if f.Crop != "" {
		where = append(where, "crop = "+arg(f.Crop))
		tags = append(tags, "crop:"+f.Crop)
	}
	if f.ExpertID != 0 {
		e := arg(f.ExpertID)
		where = append(where, "(expert_id = "+e+" OR EXISTS (SELECT 1 FROM answers a WHERE a.question_id = questions.id AND a.expert_id = "+e+"))")
	}
	if f.Status != "" {
		where = append(where, "status = "+arg(f.Status))
	}
	if f.Feedback != "" {
		where = append(where, "feedback = "+arg(f.Feedback))
	}
	var from, to string
	if !f.From.IsZero() {
		from = arg(f.From)
		where = append(where, "asked_at >= "+from)
	}
	if !f.To.IsZero() {
		to = arg(f.To)
		where = append(where, "asked_at < "+to)
	}
	var sql string
	if f.Query == "" {
		sql = `SELECT ` + questionColumns + `, 0::real AS rank FROM questions WHERE ` +
			strings.Join(where, " AND ") + ` ORDER BY asked_at DESC, id DESC`
	} else {
		sql = newestMatches(match, where, rank, arg(nonNil(tags)), from, to)
	}
	if f.Query != "" && !f.Newest {
		// Best match first among the newest matches: ranking every match of a common word
		// (90,000 of a million questions name 发黄) costs hundreds of milliseconds, ranking
		// the newest few hundred costs one.
		window := max(rankWindow, f.Offset+limit+1)
		sql = `SELECT * FROM (` + sql + ` LIMIT ` + strconv.Itoa(window) + `) recent ORDER BY rank DESC, asked_at DESC, id DESC`
	}
	// The limits are written into the statement, not passed: the plan kept for the
	// statement (keepPlan) is made without the parameters' values, and with a limit
	// passed as a parameter it would be made without knowing how few rows are wanted.
	sql += ` LIMIT ` + strconv.Itoa(limit+1) + ` OFFSET ` + strconv.Itoa(max(f.Offset, 0))
	var hits []SearchHit
	collect := func(rows pgx.Rows) (err error) {
		hits, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (SearchHit, error) {
			var h SearchHit
			q, err := scanQuestionWith(r, &h.Rank)
			h.Question = q
			return h, err
		})
		return err
	}
	b := &pgx.Batch{}
	if f.Query != "" {
		keepPlan(b)
	}
	b.Queue(sql, args...).Query(collect)
	if err := d.send(ctx, "search", b); err != nil {
		return nil, false, err
	}
	more := len(hits) > limit
	if more {
		hits = hits[:limit]
	}
	return hits, more, nil
}

// newestMatches is the matches of a search newest first, read back in time one bucket at
// a time (see migrations/0012_search_pyramid.sql): the index finds the matches of each
// bucket, the heap is read only for those, and the LIMIT the caller adds stops the walk
// as soon as it has its rows. match is the conditions on the search row (question_search:
// the words, whether answered), checked before the question is read; where those on the
// question, the first the county scope; rank ranks a match from its search row; tags is
// the placeholder of the filters' tags; from and to those of the time filter, or "".
//
// Each bucket's scan is parameterised by the bucket and kept from being merged into the
// outer query (OFFSET 0); otherwise a planner that takes a phrase (稻飞 <-> 飞虱) for rare
// reads every match first and filters them by bucket after.
func newestMatches(match, where []string, rank, tags, from, to string) string {
	top := "SELECT max(asked_at) FROM questions WHERE county_id = c.id"
	if to != "" {
		top += " AND asked_at < " + to
	}
	oldest := "0"
	if from != "" {
		oldest = "question_slot(" + from + ")"
	}
	return `SELECT h.* FROM question_steps(
			(SELECT question_slot(max(newest)) FROM unnest($1::text[]) c (id), LATERAL (` + top + `) n (newest)),
			` + oldest + `) WITH ORDINALITY s (bucket, step)
		CROSS JOIN LATERAL (SELECT ` + questionColumns + `, m.rank FROM (
				SELECT question_id, ` + rank + ` AS rank FROM question_search
				WHERE question_tags(asked_at, township, category_id, crop) @> array_prepend(s.bucket, ` + tags + `::text[])
					AND ` + strings.Join(match, " AND ") + `
				OFFSET 0) m
			JOIN questions ON questions.id = m.question_id
			WHERE ` + strings.Join(where, " AND ") + `
			OFFSET 0) h
		ORDER BY s.step, h.asked_at DESC, h.id DESC`
}

// keepPlan makes the next statement of a batch, a walk back in time (newestMatches), run
// with the plan Postgres keeps for it, in the same round trip. Postgres plans a prepared
// statement afresh for its first five runs, then keeps a plan made without the
// parameters' values only if it looks no costlier than those; for the walk it often does
// not (a filter makes the estimates differ), and then plans every search again, a third
// of the search's time (docs/benchmarks.md), for the same plan each time. The
// walk's plan does not depend on the values: whatever the words, it is a nested loop over
// the buckets with the index inside. SET LOCAL lasts until the batch's implicit
// transaction ends. Searches by filters alone keep Postgres' choice.
func keepPlan(b *pgx.Batch) {
	b.Queue(`SET LOCAL plan_cache_mode = force_generic_plan`)
}

// MergeSearchIndex moves the search index's pending entries into the index proper
// (gin_clean_pending_list), as the service does once a burst of questions is over.
func (d *DB) MergeSearchIndex(ctx context.Context) error {
	_, err := d.pool.Exec(ctx, `SELECT gin_clean_pending_list('question_search_in_time'::regclass)`)
	return wrap("merge search index", err)
}

// SimilarCandidate is an answered question that shares words with a new one.
type SimilarCandidate struct {
	Question
	Answer Answer
}

// SimilarRef is an earlier answered question as far as ranking it needs: its words.
type SimilarRef struct {
	ID      int64
	Text    string
	AskedAt time.Time
}

// SimilarRefs returns, of the newest (up to limit) answered or closed questions of a
// county's category asked since since, that match query (any of its
// lexemes), those with an answer. They are found by walking back in time as Search does, so the cost is that of
// the buckets walked and the rows returned, not of every match; since ends the walk. Only
// their words come back: the few that rank highest are read whole with SimilarByIDs.
func (d *queries) SimilarRefs(ctx context.Context, county, category, query string, since time.Time, limit int) ([]SimilarRef, error) {
	where := []string{"county_id = ANY ($1)", "category_id = $2",
		"status IN ('answered', 'closed')", "coalesce(feedback, '') <> 'unsolved'", "asked_at >= $5"}
	// The search row's answered flag drops the never-answered inside the walk; whether
	// the answers are there is checked after the limit, on the few rows returned.
	rows, err := d.dbtx.Query(ctx, `SELECT id, text, asked_at FROM (`+newestMatches([]string{"search @@ $3::tsquery", "answered"}, where, "0::real", "$4", "$5", "")+
		` LIMIT `+strconv.Itoa(limit)+`) h WHERE EXISTS (SELECT 1 FROM answers a WHERE a.question_id = h.id)`,
		[]string{county}, category, query, []string{"category:" + category}, since)
	if err != nil {
		return nil, wrap("similar refs", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[SimilarRef])
	return out, wrap("similar refs", err)
}

// AppendSearch adds lexemes (a tsvector literal) to a question's search vector: an
// answer (answered: it tags the question answered), a follow-up, or the new words of an
// edit. A question not indexed yet is left
// to the indexer, which reads its answers and follow-ups whole; it is marked again in
// case the indexer has just read them.
func (d *queries) AppendSearch(ctx context.Context, id int64, vector string, answered bool) error {
	if vector == "" && !answered {
		return nil
	}
	_, err := d.dbtx.Exec(ctx, `WITH s AS (
			UPDATE question_search SET search = search || $2::tsvector, answered = answered OR $3
			WHERE question_id = $1 RETURNING 1)
		INSERT INTO search_pending (question_id) SELECT $1 WHERE NOT EXISTS (SELECT 1 FROM s)
		ON CONFLICT DO NOTHING`, id, vector, answered)
	return wrap("append search", err)
}

// SetQuestionTerms records the crop and lexicon terms a question names.
func (d *queries) SetQuestionTerms(ctx context.Context, id int64, crop string, terms []string) error {
	_, err := d.dbtx.Exec(ctx, `WITH s AS (UPDATE question_search SET crop = $2 WHERE question_id = $1 AND crop <> $2)
		UPDATE questions SET crop = $2, terms = $3 WHERE id = $1`, id, crop, terms)
	return wrap("set question terms", err)
}

// Unindexed takes up to limit questions off the indexer's list (the table search_pending), with
// the texts of their answers and follow-ups; the caller's transaction indexes them with
// SetSearch. Questions another indexer has taken are skipped.
func (d *queries) Unindexed(ctx context.Context, limit int) ([]IndexText, error) {
	rows, err := d.dbtx.Query(ctx, `WITH p AS (
			DELETE FROM search_pending WHERE question_id IN (
				SELECT question_id FROM search_pending ORDER BY question_id LIMIT $1 FOR UPDATE SKIP LOCKED)
			RETURNING question_id)
		SELECT q.id, q.text,
			coalesce((SELECT string_agg(text, E'\n' ORDER BY id) FROM answers WHERE question_id = q.id), ''),
			coalesce((SELECT string_agg(text, E'\n' ORDER BY id) FROM followups WHERE question_id = q.id), ''),
			EXISTS (SELECT 1 FROM answers WHERE question_id = q.id)
		FROM questions q JOIN p ON p.question_id = q.id ORDER BY q.id`, limit)
	if err != nil {
		return nil, wrap("unindexed", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[IndexText])
	return out, wrap("unindexed", err)
}

// IndexText is what a question's search vector is made of.
type IndexText struct {
	ID        int64
	Question  string
	Answers   string
	Followups string
	Answered  bool // it has an answer (a photo's may have no text)
}

// SetSearch writes a question's whole search vector and terms; answered says it has an
// answer.
func (d *queries) SetSearch(ctx context.Context, id int64, vector, crop string, terms []string, answered bool) error {
	_, err := d.dbtx.Exec(ctx, `WITH q AS (
			UPDATE questions SET crop = $3, terms = COALESCE($4::text[], '{}') WHERE id = $1
			RETURNING id, asked_at, township, category_id, crop)
		INSERT INTO question_search (question_id, asked_at, township, category_id, crop, answered, search)
		SELECT id, asked_at, township, category_id, crop, $5, $2::tsvector FROM q
		ON CONFLICT (question_id) DO UPDATE SET category_id = excluded.category_id, crop = excluded.crop,
			answered = excluded.answered, search = excluded.search`,
		id, vector, crop, terms, answered)
	return wrap("set search", err)
}

// LearnedKeyword is a routing keyword an admin added to a category.
type LearnedKeyword struct {
	CountyID   string
	CategoryID string
	Keyword    string
	AddedBy    int64
	AddedAt    time.Time
}

// LearnedKeywords returns every learned keyword.
func (d *queries) LearnedKeywords(ctx context.Context) ([]LearnedKeyword, error) {
	rows, err := d.dbtx.Query(ctx, `SELECT county_id, category_id, keyword, added_by, added_at
		FROM learned_keywords ORDER BY county_id, category_id, added_at`)
	if err != nil {
		return nil, wrap("learned keywords", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[LearnedKeyword])
	return out, wrap("learned keywords", err)
}

// AddLearnedKeyword records a learned keyword; adding it again changes nothing.
func (d *queries) AddLearnedKeyword(ctx context.Context, k LearnedKeyword) error {
	_, err := d.dbtx.Exec(ctx, `INSERT INTO learned_keywords (county_id, category_id, keyword, added_by, added_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, k.CountyID, k.CategoryID, k.Keyword, k.AddedBy, k.AddedAt)
	return wrap("add learned keyword", err)
}

// TransferredInto returns the texts of the questions experts moved into a category since
// a time.
func (d *queries) TransferredInto(ctx context.Context, county, category string, since time.Time) ([]string, error) {
	rows, err := d.dbtx.Query(ctx, `SELECT q.text FROM questions q
		WHERE q.county_id = $1 AND EXISTS (SELECT 1 FROM question_events e WHERE e.question_id = q.id
			AND e.kind = 'transferred' AND e.detail->>'to' = $2 AND e.at >= $3)
		ORDER BY q.id`, county, category, since)
	if err != nil {
		return nil, wrap("transferred into", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return out, wrap("transferred into", err)
}
