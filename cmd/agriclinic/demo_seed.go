//go:build !nodemo

package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

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
}

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

var demoArchive = []demoQA{
	{"rice", "种植的水稻出现卷叶现象怎么处理？", "先看叶里有没有虫：有青绿色小虫吐丝把叶卷成筒，是稻纵卷叶螟，在卵孵化高峰用氯虫苯甲酰胺喷雾；没有虫而是中午卷、早晚展开，多半是缺水或高温，及时灌浅水。"},
	{"rice", "秧苗发黄长不起来，是不是缺肥？", "秧田发黄多为缺氮或低温伤根。每亩秧田追施尿素3-4公斤，保持浅水层，遇低温夜间灌深水护苗。"},
	{"rice", "水稻稻飞虱很多，叶子基部一摸一手虫，用什么药？", "稻飞虱百丛虫量超过1000头就要防治，用吡蚜酮或烯啶虫胺对准稻株基部喷雾，田里留3厘米水层，7天后再查一次。"},
	{"rice", "稻瘟病叶上有梭形斑，抽穗前还要打药吗？", "要打。破口前3-5天和齐穗期各用一次三环唑或稻瘟灵，预防穗颈瘟，比叶瘟损失大得多。"},
	{"rice", "今年想种再生稻，头季什么时候收合适？", "头季稻谷黄熟九成时收，留桩40厘米左右，收后3天内每亩追尿素10公斤促发再生芽。"},
	{"rice", "纹枯病从下往上爬，田里很密怎么办？", "分蘖末期及时晒田控苗，降低田间湿度，发病初期用井冈霉素或噻呋酰胺喷稻株中下部。"},
	{"prickly_ash", "花椒弱枝修剪的标准是什么？", "弱枝指长度不足15厘米、粗度不到0.5厘米的枝条。采果后修剪时疏除弱枝、病虫枝和交叉枝，每个结果母枝留壮枝，树冠保持通风透光。"},
	{"prickly_ash", "花椒树流胶，树干上一团一团的，怎么治？", "流胶多由天牛、吉丁虫蛀干或冻伤引起。刮去胶块和病皮，涂抹石硫合剂或甲基硫菌灵糊剂，同时查虫孔用药棉堵杀。"},
	{"prickly_ash", "九叶青花椒采摘后要施什么肥？", "采后一周内每株施腐熟农家肥10-15公斤加复合肥0.5公斤，环状沟施，促进结果枝萌发。"},
	{"prickly_ash", "花椒叶子上有很多蚜虫，嫩梢都卷了。", "用吡虫啉或啶虫脒喷雾，重点喷嫩梢；注意保护瓢虫等天敌，花期不要用药。"},
	{"tea", "茶园里茶小绿叶蝉很多，芽尖发红发焦。", "叶蝉高峰期前用联苯菊酯或茚虫威防治，配合及时分批采摘带走虫卵，茶园挂黄板诱杀。"},
	{"tea", "春茶采完后茶树怎么修剪？", "春茶后进行轻修剪，剪去树冠面3-5厘米，衰老茶树可深修剪10-15厘米，修剪后追施一次速效氮肥。"},
	{"tea", "茶饼病叶上长白色饼状斑，雨后特别多。", "雨季前用多抗霉素或波尔多液保护，及时摘除病叶，改善茶园通风排水。"},
	{"tea", "新开的茶园茶苗死了不少，什么原因？", "多为栽植过深、根系失水或积水烂根。补苗时根颈与地面齐平，栽后浇足定根水，雨季开沟排水。"},
	{"vegetables", "大棚辣椒叶子发黄掉花，是什么原因？", "棚温过高（超过32度）或夜温过低都会落花，中午注意放风；同时追施钾肥和硼肥，花期喷0.1%硼砂。"},
	{"vegetables", "白菜根部腐烂发臭，一片一片死。", "这是软腐病，发病株连土拔除，穴里撒石灰；用春雷霉素或噻唑锌灌根，避免大水漫灌。"},
	{"vegetables", "番茄果实裂开是怎么回事？", "干湿不均是主因，久旱后突然浇大水或下大雨就裂果。保持土壤湿度均匀，增施钙肥。"},
	{"vegetables", "香菇菌棒转色不好，发白发软。", "转色期需要散射光和适当通风，温度控制在18-22度，适当拍打菌棒刺激转色。"},
	{"fruit", "蜂糖李坐果率低，花开得多果子少。", "李子多数自花不实，需要配置授粉树，花期放蜂；花前喷硼肥，避免花期打药。"},
	{"fruit", "脆红李果子上有褐色斑点流胶。", "多为细菌性穿孔病或食心虫危害。谢花后用噻唑锌喷雾，果实膨大期挂糖醋液诱杀食心虫。"},
	{"fruit", "方竹笋今年出笋少，要怎么管？", "方竹林要留养健壮母竹，每亩保持1500株左右，秋季出笋前施有机肥，挖笋时留足养竹笋。"},
	{"fruit", "猕猴桃叶子边缘发焦是什么病？", "夏季高温强光加上缺水会日灼焦边，注意覆草保湿，高温天早晚浇水，必要时搭遮阳网。"},
	{"livestock", "母猪产仔后不吃食，还有点发烧。", "可能是产后感染或乳房炎。先量体温，超过40度请兽医诊治，用青霉素类消炎，同时补液，圈舍保持干燥。"},
	{"livestock", "仔猪拉黄色稀便，刚出生几天。", "仔猪黄痢，多由大肠杆菌引起。及时隔离，口服补液盐，按兽医指导用抗菌药；母猪产前接种疫苗预防。"},
	{"livestock", "肉牛冬天怎么养膘快？", "冬季增加精料比例到30%，饲喂青贮和氨化秸秆，圈舍防风保暖，定期驱虫。"},
	{"livestock", "鸡群突然死了好几只，冠发紫。", "立即隔离病鸡，死鸡深埋或无害化处理，并马上报告乡镇兽医站排查禽流感和新城疫，不要自行出售。"},
	{"plant_protection", "玉米地里发现草地贪夜蛾，叶子被吃成窗孔。", "在低龄幼虫期用甲氨基阿维菌素苯甲酸盐或氯虫苯甲酰胺喷心叶，傍晚施药效果好，连片统防统治。"},
	{"plant_protection", "果园里杂草太多，除草剂怎么选？", "果园行间推荐生草或覆盖，必须用药时选草铵膦定向喷雾，避免喷到树干和叶片，不要用草甘膦伤根。"},
	{"plant_protection", "蜗牛把菜苗啃得很厉害。", "傍晚在菜地撒四聚乙醛颗粒，或在地边撒石灰隔离带，清除田边杂草减少蜗牛藏身处。"},
	{"soil_fertiliser", "地里土壤板结，庄稼长不好。", "增施有机肥和秸秆还田，每亩每年施腐熟农家肥2000公斤以上，配合深翻，酸性土可适量施石灰。"},
	{"soil_fertiliser", "测土配方施肥去哪里做？", "到县农业农村局土肥站或乡镇农技站送土样，按地块取5-10个点混合，1公斤左右，免费检测并给出配方。"},
	{"soil_fertiliser", "沼液能直接浇菜吗？", "沼液要充分发酵并稀释2-3倍后使用，避开高温时段，叶菜采收前10天停用。"},
	{"machinery", "微耕机打不着火，冒黑烟。", "先查空气滤清器是否堵塞，再看油路有没有进水，柴油要用沉淀过的；还不行送乡镇农机站检修。"},
	{"machinery", "买植保无人机有补贴吗？", "有，列入农机购置补贴目录的植保无人机可以申请，购机后带发票和身份证到县农机中心办理。"},
	{"ecommerce", "想在抖音上直播卖花椒，怎么开始？", "先用身份证开通抖音小店，准备食品经营资质；直播时展示椒园和采摘过程，讲清产地和品质，开播前在村里拍一周短视频积累粉丝。"},
	{"ecommerce", "淘宝开店卖茶叶需要什么证？", "需要营业执照和食品经营许可证，茶叶是预包装食品的要有SC编码；可以先挂靠村合作社的资质。"},
	{"ecommerce", "李子快递老是压坏，怎么包装？", "用单果网套加蛋托分层装，箱内放冰袋，选冷链快递；发货前一天采八成熟的果子。"},
	{"ecommerce", "合作社的农产品怎么注册商标？", "可以在国家知识产权局商标网上申请，选择31类（新鲜水果蔬菜）和30类（茶叶），县市场监管局可以帮忙代办。"},
	{"general", "今年农业保险怎么买，保哪些？", "水稻、玉米、生猪、能繁母猪都有政策性保险，政府补贴大部分保费，找村委或乡镇农业服务中心统一投保。"},
	{"general", "高素质农民培训怎么报名？", "每年春季县农业农村局组织，向乡镇农业服务中心报名，培训免费，有种植、养殖、电商等班。"},
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
		if p.Role != "expert" {
			continue
		}
		if _, err := tx.Exec(ctx, `INSERT INTO experts (county_id, user_id, name, language, categories, on_duty, approved_by, approved_at)
			VALUES ($1, $2, $3, 'zh', $4, true, $5, $6)`, demoCounty, p.ID, p.Name, p.Categories, demoAdminID, start); err != nil {
			return err
		}
	}

	// A fixed seed: every demo shows the same archive.
	rnd := rand.New(rand.NewPCG(2026, 9))
	townships := county.Townships
	span := now.Sub(start) - 48*time.Hour
	var questionIDs []int64
	for i := range demoArchiveSize {
		qa := demoArchive[rnd.IntN(len(demoArchive))]
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
	return seedVisits(ctx, tx, rnd, questionIDs, now)
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
