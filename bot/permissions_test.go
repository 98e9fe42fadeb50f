package bot_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/bot"
	"github.com/agriclinic/agriclinic/bot/telegramtest"
	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
	"github.com/agriclinic/agriclinic/store/storetest"
)

// meitanYAML is a second county, with an admin of its own, for the people who must not
// act in the first one.
const meitanYAML = `  - id: meitan
    name: 湄潭县
    timezone: Asia/Shanghai
    admins: [%d]
    townships: [湄江镇]
    categories:
      - id: rice
        name: 水稻
        name_en: Rice
        keywords: [水稻, 稻]
      - id: tea
        name: 茶叶
        name_en: Tea
        keywords: [茶]
      - id: general
        name: 综合
        name_en: General
`

// twoCounties is a clinic of Yuqing County (the group, its admin, its rice expert
// experts[0]) beside 湄潭县, whose admin is otherAdmin.
type twoCounties struct {
	*clinic
	otherAdmin tgbotapi.User
}

// newTwoCounties wires the bot as newClinic does, with both counties in the county file,
// a calendar and a dashboard address (so /calendar and /dashboard answer), and opts
// applied to the service; it stops when the test ends.
func newTwoCounties(t *testing.T, opts ...func(*consult.Options, *store.Quota)) *twoCounties {
	t.Helper()
	tg := telegramtest.NewServer(t)
	c := &clinic{
		tg:     tg,
		admin:  tg.NewUser("王", "局长", "zh-hans"),
		farmer: tg.NewUser("张", "大伯", "zh-hans"),
		group:  tg.NewGroup("白泥镇农户群"),
	}
	c.experts = []tgbotapi.User{tg.NewUser("李", "明", "zh-hans"), tg.NewUser("Chen", "Wei", "en")}
	other := tg.NewUser("Mei", "Admin", "en")
	counties, err := consult.ParseCounties(fmt.Appendf(nil, countyYAML+meitanYAML, c.admin.ID, other.ID), "test.yaml")
	if err != nil {
		t.Fatalf("counties: %v", err)
	}
	c.pool = storetest.NewPool(t)
	rdb, prefix := storetest.NewRedis(t)
	c.db = store.NewDB(c.pool)
	log := quietLog()
	// Every question gets its own reply, which each row reads (see newClinicWithoutPolling).
	o := consult.Options{Logger: log, Bursts: &store.BurstRule{}}
	quota := store.NewQuota(rdb, prefix)
	for _, opt := range opts {
		opt(&o, quota)
	}
	c.svc = consult.NewService(c.db, store.NewQueue(rdb, prefix), counties, o)
	ctx := context.Background()
	if err := c.svc.SaveCounties(ctx); err != nil {
		t.Fatalf("save counties: %v", err)
	}
	if c.client, err = bot.NewClient(ctx, tg.Token(), tg.URL()); err != nil {
		t.Fatalf("client: %v", err)
	}
	c.bot = bot.New(c.svc, c.db, c.client, log)
	c.bot.CalendarLink = func(kind, id string) string { return "https://clinic.example/calendar/" + kind + "/" + id + ".ics" }
	c.bot.PublicURL = "https://clinic.example"
	c.runLoops(t, rdb, prefix, log)
	return &twoCounties{clinic: c, otherAdmin: other}
}

// register makes u an approved, on-duty expert of a county's categories, as the county's
// admin would.
func (c *twoCounties) register(t *testing.T, u tgbotapi.User, county string, categories ...string) {
	t.Helper()
	ctx := context.Background()
	admin := c.admin.ID
	if county == "meitan" {
		admin = c.otherAdmin.ID
	}
	r, _, err := c.svc.RequestExpert(ctx, consult.ExpertRequestInput{
		Person: consult.Person{ID: u.ID, Name: u.FirstName + " " + u.LastName, Language: u.LanguageCode},
		Args:   append([]string{county}, categories...), UpdateID: time.Now().UnixNano(),
	}, nil)
	if err != nil {
		t.Fatalf("request of %s: %v", u.FirstName, err)
	}
	if _, _, err := c.svc.DecideExpert(ctx, r.ID, admin, true, nil); err != nil {
		t.Fatalf("approval of %s: %v", u.FirstName, err)
	}
	c.tg.Start(u)
}

// everything is the state a refused command or press must leave as it was: every table
// a person's action can change, but the bot's own messages.
func (c *clinic) everything(t *testing.T) string {
	t.Helper()
	tables := []string{"groups", "expert_requests", "experts", "questions", "answers", "language_prefs", "followups",
		"question_events", "learned_keywords", "outbreak_alerts", "visits", "visit_experts", "coordinators", "visit_drafts",
		"visit_reports", "forms", "schedules", "reviewers", "dashboard_links", "question_search", "held_answers", "answer_revisions"}
	parts := make([]string, len(tables))
	for i, table := range tables {
		parts[i] = fmt.Sprintf(`'%[1]s=' || (SELECT coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '-') FROM %[1]s t)`, table)
	}
	var s string
	if err := c.pool.QueryRow(context.Background(), `SELECT concat_ws(' ', `+strings.Join(parts, ", ")+`)`).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestAnotherCountysAdminCannotChangeAGroupsLanguage: /mode already refused an admin of
// another county; /lang did not, and every farmer of the group read the bot in a
// language its own county never chose.
func TestAnotherCountysAdminCannotChangeAGroupsLanguage(t *testing.T) {
	t.Parallel()
	c := newTwoCounties(t)
	tg := c.tg
	c.bindGroup(t)
	before := c.everything(t)
	refused := tg.SendText(c.group, c.otherAdmin, "/lang en")
	tg.WaitMessage(t, c.group.ID, repliesTo(refused, "Only a county bureau admin of this group's county"))
	if after := c.everything(t); after != before {
		t.Errorf("another county's admin changed the group:\nbefore %s\nafter  %s", before, after)
	}
	unbound := tg.NewGroup("还没绑定的群")
	early := tg.SendText(unbound, c.admin, "/lang en")
	tg.WaitMessage(t, unbound.ID, repliesTo(early, "还没有绑定乡镇"))
	own := tg.SendText(c.group, c.admin, "/lang en")
	tg.WaitMessage(t, c.group.ID, repliesTo(own, "Switched to English"))
}

// TestStartAndWhoamiInAGroupShowNoIDs: a Telegram id in a group is everyone's to read; the
// bot gives it only in a private chat.
func TestStartAndWhoamiInAGroupShowNoIDs(t *testing.T) {
	t.Parallel()
	c := newClinic(t)
	tg := c.tg
	c.bindGroup(t)
	id := strconv.FormatInt(c.farmer.ID, 10)
	english := tg.NewUser("Anna", "", "en")
	for _, tt := range []struct {
		from       tgbotapi.User
		text, want string
	}{
		{c.farmer, "/start", "你好，张"},
		{c.farmer, "/whoami", "私聊"},
		{english, "/start", "Hello, Anna"},
		{english, "/whoami", "private chat"},
	} {
		sent := tg.SendText(c.group, tt.from, tt.text)
		got := tg.WaitMessage(t, c.group.ID, repliesTo(sent, tt.want))
		if own := strconv.FormatInt(tt.from.ID, 10); strings.Contains(got.Text, own) || strings.Contains(got.Text, id) {
			t.Errorf("%s by %s in the group = %q, shows an id", tt.text, tt.from.FirstName, got.Text)
		}
	}
	dm := telegramtest.PrivateChat(c.farmer)
	for _, text := range []string{"/start", "/whoami"} {
		sent := tg.SendText(dm, c.farmer, text)
		tg.WaitMessage(t, c.farmer.ID, repliesTo(sent, id))
	}
}

// outcome is what a person gets for a command or a press: refused (nothing changes) or
// allowed, with what the answer says in Chinese and in English.
type outcome struct {
	refused bool
	zh, en  string
	// absent must not be in the answer (another county's names, an id).
	absent string
}

func refused(zh, en string) outcome   { return outcome{refused: true, zh: zh, en: en} }
func allowedTo(zh, en string) outcome { return outcome{zh: zh, en: en} }

func (o outcome) without(s string) outcome { o.absent = s; return o }

// persona is one of the people who may not do what the clinic's own people do.
type persona struct {
	name string
	user tgbotapi.User
}

// english reports whether the persona's app is in English.
func (p persona) english() bool { return strings.HasPrefix(p.user.LanguageCode, "en") }

// The people of the permission table.
const (
	asFarmer        = "a farmer"
	asOtherCategory = "an expert of another category"
	asOtherCounty   = "an expert of another county"
	asOtherAdmin    = "an admin of another county"
	asUnknown       = "an unknown user"
)

// TestEveryCommandAndButtonRefusesWhoMayNot drives every command and every button, as a
// farmer, an expert of another category, an expert of another county, an admin of
// another county and someone the bot does not know, through the fake Bot API. Where the
// rules of package consult refuse, the person gets a clear answer in their language and
// nothing in the archive changes; where they allow (their own county, their own
// registration), the answer shows nothing of the county they do not belong to.
func TestEveryCommandAndButtonRefusesWhoMayNot(t *testing.T) {
	t.Parallel()
	c := newTwoCounties(t)
	tg := c.tg
	ctx := context.Background()
	c.bindGroup(t)
	rice := c.experts[0]
	c.register(t, rice, "yuqing", "rice")
	people := []persona{
		{asFarmer, tg.NewUser("赵", "四", "zh-hans")},
		{asOtherCategory, tg.NewUser("Tea", "Expert", "en")},
		{asOtherCounty, tg.NewUser("湄潭", "专家", "zh-hans")},
		{asOtherAdmin, c.otherAdmin},
		{asUnknown, tg.NewUser("Nobody", "", "en")},
	}
	c.register(t, people[1].user, "yuqing", "tea")
	c.register(t, people[2].user, "meitan", "rice")

	// #1 answered, #2 held by the rice expert, #3 open; a visit ordered for #1, a clinic
	// schedule, a pending expert request, an outbreak alert and a visit form in progress.
	q1 := tg.SendText(c.group, c.farmer, "/ask 水稻卷叶怎么办")
	tg.WaitMessage(t, c.group.ID, repliesTo(q1, "#1"))
	answer := c.claimAndAnswer(t, rice, "1", "喷施氯虫苯甲酰胺")
	q2 := tg.SendText(c.group, c.farmer, "/ask 水稻叶子发黄")
	tg.WaitMessage(t, c.group.ID, repliesTo(q2, "#2"))
	c.claimNotice(t, rice, "2")
	// #2's answer is held for senior review (held answer 1): a banned name in a negation.
	if res, err := c.svc.Answer(ctx, consult.AnswerInput{QuestionID: 2, Expert: consult.Person{ID: rice.ID, Name: "李 明"},
		Text: "千万不要用百草枯", UpdateID: time.Now().UnixNano()}, nil); err != nil || res.Held == nil {
		t.Fatalf("held answer: %+v, %v", res, err)
	}
	q3 := tg.SendText(c.group, c.farmer, "/ask 秧苗烂根是什么原因")
	ack3 := tg.WaitMessage(t, c.group.ID, repliesTo(q3, "#3"))
	c.svc.Settle()
	visit, err := c.svc.VisitFromQuestion(ctx, 1, consult.Person{ID: rice.ID, Name: "李 明"}, nil)
	if err != nil {
		t.Fatalf("visit: %v", err)
	}
	clinic, err := c.svc.AddClinic(ctx, c.admin.ID, "水稻", "2h", "0 9 * * 2")
	if err != nil {
		t.Fatalf("clinic: %v", err)
	}
	applicant := tg.NewUser("申请", "人", "zh-hans")
	request, _, err := c.svc.RequestExpert(ctx, consult.ExpertRequestInput{Person: consult.Person{ID: applicant.ID, Name: "申请 人"},
		Args: []string{"yuqing", "茶叶"}, UpdateID: time.Now().UnixNano()}, nil)
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	alert, err := c.db.ClaimOutbreakAlert(ctx, store.OutbreakAlert{CountyID: "yuqing", Township: "白泥镇", Term: "稻飞虱",
		Week: time.Date(2026, 7, 6, 0, 0, 0, 0, time.UTC), Questions: []int64{1}, SentAt: time.Now()})
	if err != nil {
		t.Fatalf("alert: %v", err)
	}
	form, err := c.svc.StartVisitForm(ctx, consult.VisitFormInput{ChatID: c.admin.ID, Person: consult.Person{ID: c.admin.ID, Name: "王 局长"}, Township: "白泥镇"}, nil)
	if err != nil {
		t.Fatalf("form: %v", err)
	}
	for _, p := range people {
		dm := telegramtest.PrivateChat(p.user)
		tg.WaitMessage(t, p.user.ID, repliesTo(tg.SendText(dm, p.user, "/start"), ""))
	}

	notExpert := refused("你还不是专家", "You are not an expert yet")
	schedulers := refused("只有县局管理员可以安排坐诊和上门计划", "Only county admins schedule")
	visitDeciders := refused("只有本县管理员可以处理上门服务预约", "Only an admin of this county can decide visit orders")
	commands := []struct {
		text  string
		group bool
		all   outcome
		but   map[string]outcome
	}{
		{"/start", false, allowedTo("你好", "Hello"), nil},
		{"/start", true, allowedTo("你好", "Hello"), nil},
		{"/help", false, allowedTo("使用说明", "AgriClinic · help"), nil},
		{"/help", true, allowedTo("使用说明", "使用说明"), nil}, // in the group's language
		{"/whoami", false, allowedTo("Telegram ID", "Telegram id"), nil},
		{"/whoami", true, allowedTo("私聊", "private chat"), nil},
		{"/lang {code}", false, allowedTo("已切换为中文", "Switched to English"), nil},
		{"/lang en", true, refused("只有本县农业农村局的管理员可以更改本群的语言", "Only a county bureau admin of this group's county"), nil},
		{"/bind 湄江镇", true, refused("只有县农业农村局的管理员可以绑定本群", "Only a county bureau admin can bind this group"), map[string]outcome{
			asOtherAdmin: refused("本群已绑定到余庆县", "already bound to 余庆县"),
		}},
		{"/mode open", true, refused("只有本县农业农村局的管理员可以更改本群的提问方式", "Only an admin of this county can change how this group asks"), nil},
		{"/guide", true, refused("只有本县管理员或本乡镇联络员可以发布提问指南", "Only an admin of this county or a coordinator of this township"), nil},
		{"/coordinator 424242", true, refused("只有本县农业农村局的管理员可以授权乡镇联络员", "Only an admin of this county can appoint township coordinators"), nil},
		{"/visit", true, refused("只有乡镇联络员和县农业农村局管理员可以预约", "Only township coordinators and county admins can order"), nil},
		{"/visit 白泥镇", false, refused("只有乡镇联络员和县农业农村局管理员可以预约", "Only township coordinators and county admins can order"), map[string]outcome{
			asOtherAdmin: refused("没有“白泥镇”这个乡镇", "No township “白泥镇” you can order for"),
		}},
		{"/queue", false, notExpert, map[string]outcome{
			asOtherCategory: allowedTo("目前没有待认领的问题", "No open questions"),
			asOtherCounty:   allowedTo("目前没有待认领的问题", "No open questions"),
		}},
		{"/mine", false, notExpert, map[string]outcome{
			asOtherCategory: allowedTo("你手上没有待解答的问题", "You hold no questions"),
			asOtherCounty:   allowedTo("你手上没有待解答的问题", "You hold no questions"),
		}},
		{"/answer 2 喷药", false, refused("你没有认领 #2", "You do not hold #2"), nil},
		{"/correct 1 改用氯虫苯甲酰胺", false, refused("只有解答 #1 的专家、复核专家或县局管理员可以更正", "Only the expert who answered #1, a senior or a county admin can correct"), nil},
		{"/release 2", false, refused("#2 不在你手上", "You do not hold #2"), nil},
		{"/transfer 2 茶叶", false, refused("只有认领 #2 的专家", "Only the expert holding #2"), nil},
		{"/duty off", false, notExpert, map[string]outcome{
			asOtherCategory: allowedTo("你已下班", "You are off duty"),
			asOtherCounty:   allowedTo("你已下班", "You are off duty"),
		}},
		{"/search 水稻", false, refused("只有专家和县局管理员可以查询问题档案", "Only experts and county admins can search the archive"), map[string]outcome{
			asOtherCategory: allowedTo("查询结果", "Found for"),
			asOtherCounty:   allowedTo("档案里没有找到", "Nothing about").without("卷叶"),
			asOtherAdmin:    allowedTo("档案里没有找到", "Nothing about").without("卷叶"),
		}},
		{"/keywords", false, refused("只有县局管理员可以管理分类关键词", "Only county admins manage the routing keywords"), map[string]outcome{
			asOtherAdmin: allowedTo("暂时没有建议", "No suggestions yet"),
		}},
		{"/clinic", false, schedulers, map[string]outcome{
			asOtherAdmin: allowedTo("还没有坐诊日程", "No clinic sessions"),
		}},
		{"/plan add 白泥镇 水稻 0 9 1 * *", false, schedulers, map[string]outcome{
			asOtherAdmin: refused("没有这个乡镇", "No such township"),
		}},
		{"/calendar", false, refused("日历订阅只给专家和县局管理员", "Calendar feeds are for experts and county admins"), map[string]outcome{
			asOtherCategory: allowedTo("我的上门服务", "My visits").without("county/yuqing"),
			asOtherCounty:   allowedTo("我的上门服务", "My visits").without("county/yuqing"),
			asOtherAdmin:    allowedTo("湄潭县", "湄潭县").without("yuqing"),
		}},
		{"/dashboard", false, refused("网页后台只给县局管理员和审阅人", "The dashboard is for county admins and reviewers"), map[string]outcome{
			asOtherAdmin: allowedTo("湄潭县", "湄潭县").without("余庆县"),
		}},
		{"/reviewer 424242", false, refused("只有县局管理员可以授予审阅权限", "Only county admins grant reviewer access"), map[string]outcome{
			asOtherAdmin: allowedTo("湄潭县", "湄潭县"),
		}},
		{"/visits", false, refused("只有乡镇联络员、专家和县局管理员有上门服务可看", "Only township coordinators, experts and county admins"), map[string]outcome{
			asOtherCategory: allowedTo("我参加的上门服务", "My visits").without("白泥镇"),
			asOtherCounty:   allowedTo("我参加的上门服务", "My visits").without("白泥镇"),
			asOtherAdmin:    allowedTo("湄潭县", "湄潭县").without("白泥镇"),
		}},
		{fmt.Sprintf("/report %d", visit.Visit.ID), false, refused(fmt.Sprintf("只有安排参加上门服务 #%d 的专家", visit.Visit.ID), fmt.Sprintf("Only the experts sent on visit #%d", visit.Visit.ID)), nil},
		{"/expert yuqing 水稻", false, allowedTo("已提交专家申请", "Your request"), nil},
		{"/ask 水稻叶子上有白斑", true, allowedTo("#", "#"), nil},
	}

	vid := visit.Visit.ID
	buttons := []struct {
		data string
		on   *tgbotapi.Message // a message of the group to press on; nil: the person's own chat
		all  outcome
		but  map[string]outcome
	}{
		{"claim:3", nil, refused("只有该类别经审核的专家可以认领", "Only an approved expert of this category can claim it"), nil},
		{fmt.Sprintf("approve:%d", request.ID), nil, refused("只有本县管理员可以审核", "Only an admin of this county can decide"), nil},
		{fmt.Sprintf("reject:%d", request.ID), nil, refused("只有本县管理员可以审核", "Only an admin of this county can decide"), nil},
		{"solved:1", &answer, refused("只有提问的农户可以评价这个解答", "Only the farmer who asked can rate this answer"), nil},
		{"unsolved:1", &answer, refused("只有提问的农户可以评价这个解答", "Only the farmer who asked can rate this answer"), nil},
		{"arch:3", &ack3, refused("只有提问的农户可以关闭这个问题", "Only the farmer who asked can close this question"), nil},
		{"prev:1", nil, refused("这个按钮已失效", "This button no longer works"), nil},
		{"show:1", nil, refused("没有 #1 号问题", "There is no question #1"), map[string]outcome{
			asOtherCategory: allowedTo("水稻卷叶怎么办", "水稻卷叶怎么办"),
		}},
		{"queue:1", nil, notExpert, map[string]outcome{
			asOtherCategory: allowedTo("目前没有待认领的问题", "No open questions"),
			asOtherCounty:   allowedTo("目前没有待认领的问题", "No open questions"),
		}},
		{fmt.Sprintf("cexp:%d:%d", clinic.Schedule.ID, rice.ID), nil, refused("只有本县管理员可以安排坐诊", "Only an admin of this county can schedule sessions"), nil},
		{fmt.Sprintf("cgo:%d", clinic.Schedule.ID), nil, refused("只有本县管理员可以安排坐诊", "Only an admin of this county can schedule sessions"), nil},
		{fmt.Sprintf("outbreakvisit:%d", alert.ID), nil, refused("只有本县管理员可以安排上门服务", "Only an admin of this county can order a visit"), nil},
		{"kw:yuqing:rice:稻瘟", nil, refused("只有本县管理员可以添加关键词", "Only an admin of this county can add keywords"), nil},
		{fmt.Sprintf("assign:2:%d", rice.ID), nil, refused("只有本县管理员可以指派问题", "Only an admin of this county can assign questions"), nil},
		{fmt.Sprintf("vopen:%d", vid), nil, visitDeciders, nil},
		{fmt.Sprintf("vapprove:%d", vid), nil, visitDeciders, nil},
		{fmt.Sprintf("vpropose:%d", vid), nil, visitDeciders, nil},
		{fmt.Sprintf("vback:%d", vid), nil, visitDeciders, nil},
		{fmt.Sprintf("vdecline:%d", vid), nil, visitDeciders, nil},
		{fmt.Sprintf("vdate:%d:a20260707", vid), nil, visitDeciders, nil},
		{fmt.Sprintf("vtime:%d:a202607070900", vid), nil, visitDeciders, nil},
		{fmt.Sprintf("vexp:%d:%d:1", vid, rice.ID), nil, visitDeciders, nil},
		{fmt.Sprintf("vdone:%d", vid), nil, visitDeciders, nil},
		{fmt.Sprintf("vaccept:%d", vid), nil, refused("只有预约的乡镇联络员可以答复", "Only the township's coordinator can answer this"), nil},
		{fmt.Sprintf("vreject:%d", vid), nil, refused("只有预约的乡镇联络员可以答复", "Only the township's coordinator can answer this"), nil},
		{"vneed:3", nil, refused("只有本县该类别的专家可以申请上门服务", "Only an expert of this question's category can order a visit"), nil},
		{fmt.Sprintf("vf:%d:t:=rice", form.Form.ID), nil, refused("这是别人的表单", "This is someone else's form"), nil},
		{"hsend:1", nil, refused("只有作答的专家可以送复核", "Only the expert who wrote the answer can send it"), nil},
		{"hok:1", nil, refused("只有本县的复核专家或管理员可以复核", "Only the county's seniors and admins decide"), nil},
		{"hret:1", nil, refused("只有本县的复核专家或管理员可以复核", "Only the county's seniors and admins decide"), nil},
		{"hok:99", nil, refused("找不到这条待复核的回答", "That held answer does not exist"), nil},
	}

	check := func(t *testing.T, p persona, o outcome, text string) {
		t.Helper()
		want := o.zh
		if p.english() {
			want = o.en
		}
		if !strings.Contains(text, want) {
			t.Errorf("answer = %q, want %q", text, want)
		}
		if o.absent != "" && strings.Contains(text, o.absent) {
			t.Errorf("answer = %q, shows %q", text, o.absent)
		}
	}
	for _, cmd := range commands {
		for _, p := range people {
			o, ok := cmd.but[p.name]
			if !ok {
				o = cmd.all
			}
			where := "private"
			if cmd.group {
				where = "group"
			}
			t.Run(fmt.Sprintf("%s in %s as %s", strings.TrimPrefix(cmd.text, "/"), where, p.name), func(t *testing.T) {
				text := cmd.text
				if p.english() {
					text = strings.ReplaceAll(text, "{code}", "en")
				} else {
					text = strings.ReplaceAll(text, "{code}", "zh")
				}
				chat := telegramtest.PrivateChat(p.user)
				if cmd.group {
					chat = c.group
				}
				before := c.everything(t)
				sent := tg.SendText(chat, p.user, text)
				got := waitAfter(t, tg, chat.ID, sent.MessageID, repliesTo(sent, ""))
				check(t, p, o, got.Text)
				if cmd.group && strings.Contains(got.Text, strconv.FormatInt(p.user.ID, 10)) {
					t.Errorf("the answer in the group = %q, shows the person's id", got.Text)
				}
				if !o.refused {
					c.svc.Settle()
					return
				}
				if after := c.everything(t); after != before {
					t.Errorf("a refused command changed the archive:\nbefore %s\nafter  %s", before, after)
				}
			})
		}
	}
	for _, btn := range buttons {
		for _, p := range people {
			o, ok := btn.but[p.name]
			if !ok {
				o = btn.all
			}
			t.Run(fmt.Sprintf("%s pressed by %s", btn.data, p.name), func(t *testing.T) {
				chat, on := telegramtest.PrivateChat(p.user), tgbotapi.Message{}
				if btn.on != nil {
					chat, on = c.group, *btn.on
				} else {
					msgs := tg.Messages(p.user.ID)
					on = msgs[len(msgs)-1]
				}
				last := tg.LastMessageID(chat.ID)
				before := c.everything(t)
				a := tg.WaitCallbackAnswer(t, tg.PressForged(chat, p.user, on, btn.data))
				text := a.Text
				if o.refused && !a.ShowAlert && text != "" {
					t.Errorf("a refusal %q is not shown as an alert", text)
				}
				if text == "" {
					// Some buttons answer in the chat: the open questions, a question's conversation.
					text = waitAfter(t, tg, chat.ID, last, func(tgbotapi.Message) bool { return true }).Text
				}
				check(t, p, o, text)
				if !o.refused {
					return
				}
				if after := c.everything(t); after != before {
					t.Errorf("a refused press changed the archive:\nbefore %s\nafter  %s", before, after)
				}
			})
		}
	}
}
