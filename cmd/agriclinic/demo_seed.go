//go:build !nodemo

package main

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.yaml.in/yaml/v3"

	"github.com/agriclinic/agriclinic/consult"
)

// The demo clinic's people and group. The ids are fixed, so that the archive seeded at
// the first start and the fake Telegram of every later start agree on who is who. The
// admin's id is the placeholder admin of the shipped county file (consult/yuqing.yaml),
// which the demo runs on unchanged.
const (
	demoCounty    = "yuqing"
	demoGroupID   = -1001000000001
	demoGroupName = "白泥镇农技服务群"
	demoTownship  = "白泥镇"
	demoAdminID   = 123456789
	// The seeded archive's other townships ask in chats of their own, counting down
	// from demoTownshipChats, room for demoTownshipsMax of them.
	demoTownshipChats = -1001000000100
	demoTownshipsMax  = 100
)

// demoPerson is someone the playground lets you be.
type demoPerson struct {
	ID         int64
	Name       string
	Role       string   // farmer, expert, admin
	Categories []string // an expert's
}

var demoPeople = []demoPerson{
	{ID: 700001, Name: "王大伯", Role: "farmer"},
	{ID: 700002, Name: "李阿姨", Role: "farmer"},
	{ID: 700003, Name: "张师傅", Role: "farmer"},
	{ID: 710001, Name: "刘农艺师", Role: "expert",
		Categories: []string{"rice", "plant_protection", "soil_fertiliser", "vegetables", "machinery", "general"}},
	{ID: 710002, Name: "陈专家", Role: "expert",
		Categories: []string{"prickly_ash", "tea", "fruit", "livestock", "ecommerce"}},
	{ID: demoAdminID, Name: "赵科长", Role: "admin"},
	// The senior agronomist who decides held answers (复核): the placeholder senior of the
	// shipped county file. The playground shows them among the experts; they answer no
	// category.
	{ID: demoSeniorID, Name: "周高工", Role: "expert"},
}

// demoSeniorID is the placeholder senior of consult/yuqing.yaml (seniors:).
const demoSeniorID = 987654321

// demoHeldQuestion is the seeded question whose answer waits for a senior's review.
const demoHeldQuestion = "茶园里小绿叶蝉很多，叶子发白卷曲，打什么药好？"

// demoExpertFor is the seeded expert who answers a category.
func demoExpertFor(category string) demoPerson {
	for _, p := range demoPeople {
		for _, c := range p.Categories {
			if c == category {
				return p
			}
		}
	}
	return demoPeople[3]
}

// demoQA is one question of the seeded archive and its answer.
type demoQA struct{ category, question, answer string }

// demoArchiveFile holds the questions and answers the archive is drawn from: words for
// a reader of Chinese to change, kept apart from the code that seeds them.
//
//go:embed demo_archive.yaml
var demoArchiveFile []byte

// loadDemoArchive reads demoArchiveFile in its order (the seed's draws depend on it) and
// checks that every category is one of county's, so each question is answered by the
// expert of its category.
func loadDemoArchive(county *consult.County) ([]demoQA, error) {
	var groups []struct {
		Category  string
		Questions []struct{ Question, Answer string }
	}
	dec := yaml.NewDecoder(bytes.NewReader(demoArchiveFile))
	dec.KnownFields(true)
	if err := dec.Decode(&groups); err != nil {
		return nil, fmt.Errorf("demo_archive.yaml: %w", err)
	}
	var archive []demoQA
	for _, g := range groups {
		if !slices.ContainsFunc(county.Categories, func(c consult.Category) bool { return c.ID == g.Category }) {
			return nil, fmt.Errorf("demo_archive.yaml: category %q is not one of county %s's", g.Category, county.ID)
		}
		for _, qa := range g.Questions {
			if qa.Question == "" || qa.Answer == "" {
				return nil, fmt.Errorf("demo_archive.yaml: a question of %s lacks its question or its answer", g.Category)
			}
			archive = append(archive, demoQA{g.Category, qa.Question, qa.Answer})
		}
	}
	if len(archive) == 0 {
		return nil, errors.New("demo_archive.yaml: no questions")
	}
	return archive, nil
}

// demoFarmerNames name the farmers of the seeded archive.
var demoFarmerNames = []string{"王大伯", "李阿姨", "张师傅", "杨大姐", "吴大哥", "罗老师", "陈二叔", "黄婶", "周老汉", "冉大嫂",
	"田家兄弟", "龙大爷", "穆二哥", "申阿婆", "蒋大叔", "卢村长"}

// demoArchiveSize is how many answered questions the archive starts with.
const demoArchiveSize = 320

// seedDemo fills an empty archive with the demo clinic: the group bound to 白泥镇, two
// approved experts, a few hundred answered questions of the last months across
// categories and townships, with feedback and follow-ups, and visits. It does nothing when
// the group is bound already, so the second start finds what the first made (and what
// was done in the playground since).
func seedDemo(ctx context.Context, pool *pgxpool.Pool, svc *consult.Service, now time.Time) (bool, error) {
	county, ok := svc.County(demoCounty)
	if !ok {
		return false, fmt.Errorf("demo seed: the example county %q is not loaded", demoCounty)
	}
	seeded := false
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		// One seed at a time, whatever the number of demos on the database.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7271009)`); err != nil {
			return err
		}
		var bound bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM groups WHERE chat_id = $1)`, demoGroupID).Scan(&bound); err != nil {
			return err
		}
		if bound {
			return nil
		}
		seeded = true
		return seedRows(ctx, tx, county, now)
	})
	if err != nil {
		return false, fmt.Errorf("demo seed: %w", err)
	}
	if err := showHeld(ctx, pool); err != nil {
		return seeded, fmt.Errorf("demo seed: show the held answer: %w", err)
	}
	// Search and similar answers need the archive's search vectors (also when an
	// earlier start seeded but stopped before indexing).
	if _, err := svc.IndexArchive(ctx); err != nil {
		return seeded, fmt.Errorf("demo seed: index the archive: %w", err)
	}
	return seeded, nil
}

func seedRows(ctx context.Context, tx pgx.Tx, county *consult.County, now time.Time) error {
	start := now.Add(-120 * 24 * time.Hour)
	if _, err := tx.Exec(ctx, `INSERT INTO groups (chat_id, county_id, township, title, bound_by, bound_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, demoGroupID, demoCounty, demoTownship, demoGroupName, demoAdminID, start); err != nil {
		return err
	}
	for _, p := range demoPeople {
		if p.Role != "expert" || len(p.Categories) == 0 {
			continue
		}
		if _, err := tx.Exec(ctx, `INSERT INTO experts (county_id, user_id, name, language, categories, on_duty, approved_by, approved_at)
			VALUES ($1, $2, $3, 'zh', $4, true, $5, $6)`, demoCounty, p.ID, p.Name, p.Categories, demoAdminID, start); err != nil {
			return err
		}
	}

	archive, err := loadDemoArchive(county)
	if err != nil {
		return err
	}
	// A fixed seed: every demo shows the same archive.
	rnd := rand.New(rand.NewPCG(2026, 9))
	townships := county.Townships
	span := now.Sub(start) - 48*time.Hour
	var questionIDs []int64
	for i := range demoArchiveSize {
		qa := archive[rnd.IntN(len(archive))]
		township := townships[rnd.IntN(len(townships))]
		chatID, messageID := int64(demoTownshipChats-int64(indexOf(townships, township))), int64(i+1)
		if township == demoTownship {
			chatID = demoGroupID
		}
		farmerN := rnd.IntN(len(demoFarmerNames))
		farmerID := int64(720001 + farmerN)
		if farmerN < 3 {
			farmerID = demoPeople[farmerN].ID
		}
		expert := demoExpertFor(qa.category)
		asked := start.Add(time.Duration(float64(span) * float64(i) / demoArchiveSize)).Add(time.Duration(rnd.IntN(300)) * time.Minute)
		// Working hours in the county's time zone.
		asked = asked.Truncate(time.Hour).Add(time.Duration(rnd.IntN(40)) * time.Minute)
		claimed := asked.Add(time.Duration(3+rnd.IntN(90)) * time.Minute)
		answered := claimed.Add(time.Duration(5+rnd.IntN(120)) * time.Minute)

		status, feedback := "closed", "none"
		var feedbackAt, closedAt *time.Time
		closed := answered.Add(72 * time.Hour)
		switch r := rnd.IntN(100); {
		case r < 55:
			feedback = "solved"
			t := answered.Add(time.Duration(20+rnd.IntN(600)) * time.Minute)
			feedbackAt, closedAt = &t, &t
		case r < 62:
			feedback = "archive"
			t := answered
			feedbackAt, closedAt = &t, &t
		default:
			closedAt = &closed
		}
		if closed.After(now) && feedback == "none" {
			status, feedback, closedAt = "answered", "", nil
		}
		var id int64
		err := tx.QueryRow(ctx, `INSERT INTO questions (county_id, township, chat_id, message_id, farmer_id, farmer_name,
				category_id, text, status, expert_id, asked_at, claimed_at, answered_at, feedback, feedback_at, closed_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, NULLIF($14, ''), $15, $16) RETURNING id`,
			demoCounty, township, chatID, messageID, farmerID, demoFarmerNames[farmerN], qa.category, qa.question, status,
			expert.ID, asked, claimed, answered, feedback, feedbackAt, closedAt).Scan(&id)
		if err != nil {
			return err
		}
		questionIDs = append(questionIDs, id)
		if _, err := tx.Exec(ctx, `INSERT INTO answers (question_id, expert_id, expert_name, text, answered_at) VALUES ($1, $2, $3, $4, $5)`,
			id, expert.ID, expert.Name, qa.answer, answered); err != nil {
			return err
		}
		events := []struct {
			kind  string
			actor int64
			at    time.Time
		}{{"asked", farmerID, asked}, {"claimed", expert.ID, claimed}, {"answered", expert.ID, answered}}
		if rnd.IntN(6) == 0 {
			// A follow-up now and then: the farmer adds what they saw after the answer.
			at := answered.Add(40 * time.Minute)
			if _, err := tx.Exec(ctx, `INSERT INTO followups (question_id, author_id, author_name, text, chat_id, message_id, created_at)
				VALUES ($1, $2, $3, '按您说的做了，这两天再看看效果。', $4, $5, $6)`, id, farmerID, demoFarmerNames[farmerN], chatID, 100000+i, at); err != nil {
				return err
			}
			events = append(events, struct {
				kind  string
				actor int64
				at    time.Time
			}{"followup", farmerID, at})
		}
		if closedAt != nil {
			events = append(events, struct {
				kind  string
				actor int64
				at    time.Time
			}{"closed", farmerID, *closedAt})
		}
		for _, e := range events {
			if _, err := tx.Exec(ctx, `INSERT INTO question_events (question_id, kind, actor_id, at) VALUES ($1, $2, $3, $4)`,
				id, e.kind, e.actor, e.at); err != nil {
				return err
			}
		}
	}
	// Written straight into the archive, the questions wait for the indexer (IndexArchive
	// runs right after the seed).
	if _, err := tx.Exec(ctx, `INSERT INTO search_pending (question_id) SELECT unnest($1::bigint[])`, questionIDs); err != nil {
		return err
	}
	if err := seedVisits(ctx, tx, rnd, questionIDs, now); err != nil {
		return err
	}
	return seedHeld(ctx, tx, county, now)
}

// seedHeld adds a tea question of the demo group, claimed by its expert, whose answer
// names a pesticide restricted on tea: held for a senior's review (复核).
func seedHeld(ctx context.Context, tx pgx.Tx, county *consult.County, now time.Time) error {
	lists, err := consult.CountyPesticides(consult.NationalPesticides, "pesticides.yaml", []consult.County{*county})
	if err != nil {
		return err
	}
	expert := demoExpertFor("tea")
	tea, _ := county.Category("tea")
	answer := "用20%氰戊菊酯乳油2000倍液喷雾，隔7天再喷一次。"
	found := lists[county.ID].Check(answer, consult.PesticideQuestion{Category: tea.ID + " " + tea.Name, Text: demoHeldQuestion}, now)
	findings := make([]consult.HeldFinding, len(found))
	for i, f := range found {
		findings[i] = consult.HeldFinding{Name: f.Name, Matched: f.Matched, Banned: f.Banned, Negated: f.Negated,
			Notice: f.Rule.Notice, Since: f.Rule.Since, Crop: f.Crop}
	}
	fj, err := json.Marshal(findings)
	if err != nil {
		return err
	}
	asked, claimed, held := now.Add(-50*time.Minute), now.Add(-45*time.Minute), now.Add(-35*time.Minute)
	var id int64
	if err := tx.QueryRow(ctx, `INSERT INTO questions (county_id, township, chat_id, message_id, farmer_id, farmer_name,
			category_id, text, status, expert_id, asked_at, claimed_at)
		VALUES ($1, $2, $3, $4, $5, $6, 'tea', $7, 'claimed', $8, $9, $10) RETURNING id`,
		demoCounty, demoTownship, demoGroupID, demoArchiveSize+1, demoPeople[1].ID, demoPeople[1].Name, demoHeldQuestion,
		expert.ID, asked, claimed).Scan(&id); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO held_answers (question_id, county_id, expert_id, expert_name, text, reason,
			findings, state, held_at, review_at)
		VALUES ($1, $2, $3, $4, $5, 'restricted', $6, 'review', $7, $7)`, id, demoCounty, expert.ID, expert.Name, answer, fj, held); err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO question_events (question_id, kind, actor_id, at) VALUES ($1, 'asked', $2, $3), ($1, 'claimed', $4, $5), ($1, 'held', $4, $6)`,
		id, demoPeople[1].ID, asked, expert.ID, claimed, held)
	return err
}

// showHeld has the seeded held answer, while undecided, pushed to the seniors again by
// the jobs of this start (PushLateHeld): each demo starts with empty chats, and the
// review should be there to press.
func showHeld(ctx context.Context, pool *pgxpool.Pool) error {
	_, err := pool.Exec(ctx, `UPDATE held_answers h SET pushes = 0, pushed_at = NULL, review_at = now() - interval '1 day'
		FROM questions q WHERE q.id = h.question_id AND q.chat_id = $1 AND q.text = $2 AND h.state = 'review'`,
		demoGroupID, demoHeldQuestion)
	return err
}

// seedVisits adds door-to-door visits: done ones with reports, one approved for next
// week, one ordered and waiting for the admins.
func seedVisits(ctx context.Context, tx pgx.Tx, rnd *rand.Rand, questionIDs []int64, now time.Time) error {
	visits := []struct {
		township, topic, category, status string
		daysAgo                           int
		found, advice                     string
	}{
		{"敖溪镇", "花椒修剪现场指导", "prickly_ash", "done", 60, "椒园弱枝多、通风差，部分植株流胶。", "示范疏除弱枝和病枝，刮胶涂药，秋季增施有机肥。"},
		{"龙溪镇", "稻飞虱统防统治", "rice", "done", 35, "百丛虫量约1500头，已达防治指标。", "组织统一用药，田间留水层，一周后复查。"},
		{"白泥镇", "茶园病虫害巡查", "tea", "done", 20, "茶小绿叶蝉中等发生，个别茶园有茶饼病。", "挂黄板，分批采摘，雨季前喷保护药。"},
		{"构皮滩镇", "生猪防疫和圈舍消毒", "livestock", "done", 12, "两户圈舍潮湿，仔猪有腹泻。", "圈舍每周消毒两次，母猪产前免疫，腹泻仔猪补液。"},
		{"白泥镇", "李子授粉和保果", "fruit", "approved", -5, "", ""},
		{"松烟镇", "大棚蔬菜根腐病", "vegetables", "ordered", 0, "", ""},
	}
	for i, v := range visits {
		ordered := now.Add(-time.Duration(v.daysAgo+7) * 24 * time.Hour)
		if v.status == "ordered" || v.status == "approved" {
			ordered = now.Add(-48 * time.Hour)
		}
		scheduled := now.Add(-time.Duration(v.daysAgo) * 24 * time.Hour).Truncate(24 * time.Hour).Add(time.Hour) // 09:00 in China
		var sched *time.Time
		if v.status != "ordered" {
			sched = &scheduled
		}
		expert := demoExpertFor(v.category)
		qid := questionIDs[rnd.IntN(len(questionIDs))]
		source := "order"
		var question *int64
		if i%2 == 0 {
			source, question = "question", &qid
		}
		var visitID int64
		err := tx.QueryRow(ctx, `INSERT INTO visits (county_id, township, topic, category_id, problem, households, status, source,
				ordered_by, ordered_by_name, ordered_at, chat_id, question_id, scheduled_at, decided_by, decided_at, done_at)
			VALUES ($1, $2, $3, $4, $3, $5, $6, $7, $8, '赵科长', $9, $10, $11, $12, $13, $14, $15) RETURNING id`,
			demoCounty, v.township, v.topic, v.category, 5+rnd.IntN(30), v.status, source, demoAdminID, ordered,
			chatFor(v.township), question, sched, decider(v.status), decidedAt(v.status, ordered), doneAt(v.status, scheduled)).Scan(&visitID)
		if err != nil {
			return err
		}
		if v.status == "ordered" {
			continue
		}
		if _, err := tx.Exec(ctx, `INSERT INTO visit_experts (visit_id, user_id, assigned_by, assigned_at) VALUES ($1, $2, $3, $4)`,
			visitID, expert.ID, demoAdminID, ordered.Add(time.Hour)); err != nil {
			return err
		}
		if v.status == "done" {
			if _, err := tx.Exec(ctx, `INSERT INTO visit_reports (visit_id, question_id, expert_id, expert_name, found, advice, households, reported_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, visitID, question, expert.ID, expert.Name, v.found, v.advice, 8+rnd.IntN(20),
				scheduled.Add(6*time.Hour)); err != nil {
				return err
			}
		}
	}
	return nil
}

func chatFor(township string) int64 {
	if township == demoTownship {
		return demoGroupID
	}
	return 0
}

func decider(status string) *int64 {
	if status == "ordered" {
		return nil
	}
	id := int64(demoAdminID)
	return &id
}

func decidedAt(status string, ordered time.Time) *time.Time {
	if status == "ordered" {
		return nil
	}
	t := ordered.Add(2 * time.Hour)
	return &t
}

func doneAt(status string, scheduled time.Time) *time.Time {
	if status != "done" {
		return nil
	}
	t := scheduled.Add(6 * time.Hour)
	return &t
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}
