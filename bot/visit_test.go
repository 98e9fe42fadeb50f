package bot_test

import (
	"context"
	"fmt"
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

// newVisitClinic is newClinic with a second admin of the county, who started the bot: a
// visit order goes to both, and only one decides it. It wires the bot as
// newClinicWithoutPolling does, with the county file naming both admins.
func newVisitClinic(t *testing.T) (*clinic, tgbotapi.User) {
	t.Helper()
	tg := telegramtest.NewServer(t)
	c := &clinic{
		tg:     tg,
		admin:  tg.NewUser("王", "局长", "zh-hans"),
		farmer: tg.NewUser("张", "大伯", "zh-hans"),
		group:  tg.NewGroup("白泥镇农户群"),
	}
	c.experts = []tgbotapi.User{tg.NewUser("李", "明", "zh-hans"), tg.NewUser("Chen", "Wei", "en")}
	admin2 := tg.NewUser("刘", "科长", "zh-hans")
	tg.Start(admin2)
	yaml := strings.Replace(countyYAML, "admins: [%d]", "admins: [%d, %d]", 1)
	counties, err := consult.ParseCounties(fmt.Appendf(nil, yaml, c.admin.ID, admin2.ID), "test.yaml")
	if err != nil {
		t.Fatalf("counties: %v", err)
	}
	c.pool = storetest.NewPool(t)
	rdb, prefix := storetest.NewRedis(t)
	c.db = store.NewDB(c.pool)
	log := quietLog()
	c.svc = consult.NewService(c.db, store.NewQueue(rdb, prefix), counties, consult.Options{Logger: log})
	ctx := context.Background()
	if err := c.svc.SaveCounties(ctx); err != nil {
		t.Fatalf("save counties: %v", err)
	}
	if c.client, err = bot.NewClient(ctx, tg.Token(), tg.URL()); err != nil {
		t.Fatalf("client: %v", err)
	}
	c.bot = bot.New(c.svc, c.db, c.client, log)
	c.runLoops(t, rdb, prefix, log)
	return c, admin2
}

// buttonData returns the data of the message's first button whose data starts with
// prefix, or whose label is prefix; it fails the test when there is none.
func buttonData(t *testing.T, m tgbotapi.Message, prefix string) string {
	t.Helper()
	if m.ReplyMarkup != nil {
		for _, row := range m.ReplyMarkup.InlineKeyboard {
			for _, b := range row {
				if b.CallbackData != nil && (strings.HasPrefix(*b.CallbackData, prefix) || b.Text == prefix) {
					return *b.CallbackData
				}
			}
		}
	}
	t.Fatalf("message %q has no button %q: %+v", m.Text, prefix, m.ReplyMarkup)
	return ""
}

func hasButtonPrefix(m tgbotapi.Message, prefix string) bool {
	if m.ReplyMarkup == nil {
		return false
	}
	for _, row := range m.ReplyMarkup.InlineKeyboard {
		for _, b := range row {
			if b.CallbackData != nil && strings.HasPrefix(*b.CallbackData, prefix) {
				return true
			}
		}
	}
	return false
}

// formStep is the marker of step n of a form of total steps in its prompts.
func formStep(n, total int) func(tgbotapi.Message) bool {
	marker := fmt.Sprintf("（%d/%d）", n, total)
	return func(m tgbotapi.Message) bool { return strings.Contains(m.Text, marker) && m.ReplyMarkup != nil }
}

// groupPrompt waits for a form's prompt in the group and for it to be recorded, so that a
// reply to it is read as the form's answer.
func (c *clinic) groupPrompt(t *testing.T, who tgbotapi.User, match func(tgbotapi.Message) bool) tgbotapi.Message {
	t.Helper()
	m := c.tg.WaitMessage(t, c.group.ID, match)
	c.settled(t, who)
	return m
}

// appoint makes who a coordinator of the group's township, as an admin replying to
// their message with /coordinator.
func (c *clinic) appoint(t *testing.T, who tgbotapi.User) {
	t.Helper()
	c.tg.SendText(telegramtest.PrivateChat(who), who, "/start")
	hello := c.tg.SendText(c.group, who, "大家好，我是新村的村长")
	grant := c.tg.ReplyText(c.group, c.admin, hello, "/coordinator")
	c.tg.WaitMessage(t, c.group.ID, repliesTo(grant, "现在是 白泥镇 的乡镇联络员"))
}

// orderInGroup has the coordinator order a rice visit in the group with typed answers
// and returns the confirmation.
func (c *clinic) orderInGroup(t *testing.T, who tgbotapi.User) tgbotapi.Message {
	t.Helper()
	start := c.tg.SendText(c.group, who, "/visit")
	prompt := c.groupPrompt(t, who, repliesTo(start, "（1/6）"))
	var last tgbotapi.Message
	for i, text := range []string{"水稻", "水稻", "稻叶卷曲发黄", "20", "新村二组", "下周"} {
		last = c.tg.ReplyText(c.group, who, prompt, text)
		if i < 5 {
			prompt = c.groupPrompt(t, who, repliesTo(last, fmt.Sprintf("（%d/6）", i+2)))
		}
	}
	return c.tg.WaitMessage(t, c.group.ID, repliesTo(last, "已提交上门服务预约"))
}

// approveVisit has an admin approve a visit on their order card: the first day offered,
// 09:00, the experts given. It returns the card as it ends.
func (c *clinic) approveVisit(t *testing.T, admin tgbotapi.User, card tgbotapi.Message, id int64, experts ...tgbotapi.User) tgbotapi.Message {
	t.Helper()
	dm := telegramtest.PrivateChat(admin)
	step := func(m tgbotapi.Message, data string, next func(tgbotapi.Message) bool) tgbotapi.Message {
		t.Helper()
		c.tg.Press(dm, admin, m, data)
		return c.tg.WaitMessage(t, admin.ID, func(x tgbotapi.Message) bool { return x.MessageID == m.MessageID && next(x) })
	}
	on := func(prefix string) func(tgbotapi.Message) bool {
		return func(m tgbotapi.Message) bool { return hasButtonPrefix(m, prefix) }
	}
	vid := fmt.Sprint(id)
	m := card
	if hasButtonPrefix(m, "vapprove:"+vid) && !hasButtonPrefix(m, "vexp:") {
		m = step(m, "vapprove:"+vid, on("vdate:"+vid+":a"))
		m = step(m, buttonData(t, m, "vdate:"+vid+":a"), on("vtime:"+vid+":a"))
		m = step(m, buttonData(t, m, "09:00"), on("vexp:"+vid+":"))
	}
	for _, e := range experts {
		m = step(m, fmt.Sprintf("vexp:%d:%d:1", id, e.ID), on(fmt.Sprintf("vexp:%d:%d:0", id, e.ID)))
	}
	return step(m, "vdone:"+vid, func(x tgbotapi.Message) bool { return x.ReplyMarkup == nil && strings.Contains(x.Text, "已安排") })
}

func (c *clinic) visit(t *testing.T, id int64) store.Visit {
	t.Helper()
	v, err := c.db.Visit(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestATownshipOrdersAVisitThatAnAdminSchedules walks township ordering as the people in
// it see it: an admin appoints a coordinator by replying to them; the coordinator orders a
// visit in the group, with buttons and typed replies (a bad number asked again); both
// admins get the order; one approves it with a day, a time and an expert; the group, the
// coordinator and the expert are told, the other admin's copy says so and their late press
// is refused; /visits shows it to each role; the expert reports it with a photo.
func TestATownshipOrdersAVisitThatAnAdminSchedules(t *testing.T) {
	t.Parallel()
	c, admin2 := newVisitClinic(t)
	tg := c.tg
	c.bindGroup(t)
	c.approveExpert(t, c.experts[0], "水稻")
	c.approveExpert(t, c.experts[1], "tea")
	rice, tea := c.experts[0], c.experts[1]
	zhao := tg.NewUser("赵", "村长", "zh-hans")

	// Only an admin appoints; a farmer cannot order.
	hello := tg.SendText(c.group, zhao, "大家好")
	refused := tg.ReplyText(c.group, c.farmer, hello, "/coordinator")
	tg.WaitMessage(t, c.group.ID, repliesTo(refused, "只有本县农业农村局的管理员可以授权"))
	notYet := tg.SendText(c.group, zhao, "/visit")
	tg.WaitMessage(t, c.group.ID, repliesTo(notYet, "只有乡镇联络员和县农业农村局管理员可以预约"))
	c.appoint(t, zhao)

	// The coordinator's help and menu name /visit; the admin's help names /coordinator.
	help := c.helpIn(t, telegramtest.PrivateChat(zhao), zhao)
	if !strings.Contains(help.Text, "乡镇联络员") || !strings.Contains(help.Text, "/visit") || !strings.Contains(help.Text, "/visits") || strings.Contains(help.Text, "/queue") {
		t.Errorf("the coordinator's /help = %q, want /visit and /visits without the experts' commands", help.Text)
	}
	tg.WaitCall(t, "setMyCommands", func(call telegramtest.Call) bool {
		return call.Status == 200 && call.Params["language_code"] == "" && strings.Contains(call.Params["scope"], fmt.Sprintf(`"chat_id":%d`, zhao.ID))
	})
	if menu := tg.Commands(tgbotapi.BotCommandScope{Type: "chat", ChatID: zhao.ID}, ""); !menuHas(menu, "visit") || !menuHas(menu, "visits") || menuHas(menu, "queue") {
		t.Errorf("the coordinator's menu = %v, want visit and visits, no queue", menuNames(menu))
	}
	if adminHelp := c.helpIn(t, c.group, c.admin); !strings.Contains(adminHelp.Text, "/coordinator") || !strings.Contains(adminHelp.Text, "/visit") {
		t.Errorf("the admin's /help in the group = %q, want /coordinator and /visit", adminHelp.Text)
	}

	// The form, one step at a time.
	start := tg.SendText(c.group, zhao, "/visit")
	topic := c.groupPrompt(t, zhao, repliesTo(start, "预约上门服务 · 白泥镇（1/6）"))
	if !strings.Contains(topic.Text, "赵 村长") || !hasButtonPrefix(topic, "vf:") || buttonData(t, topic, "水稻") == "" {
		t.Fatalf("first prompt = %q, want the coordinator's name and the categories as buttons", topic.Text)
	}
	tg.Press(c.group, zhao, topic, buttonData(t, topic, "水稻"))
	tg.WaitMessage(t, c.group.ID, func(m tgbotapi.Message) bool {
		return m.MessageID == topic.MessageID && strings.Contains(m.Text, "→ 水稻") && !strings.Contains(m.Text, "请回复本消息") && m.ReplyMarkup == nil
	})
	crops := c.groupPrompt(t, zhao, formStep(2, 6))

	// A farmer replying to the coordinator's prompt asks nothing and answers nothing.
	stray := tg.ReplyText(c.group, c.farmer, crops, "我家也是这样")
	c.settled(t, c.farmer)
	noReplyTo(t, tg, c.group.ID, stray)
	if n := c.countQuestions(t); n != 0 {
		t.Errorf("a reply to a form's prompt made %d questions", n)
	}

	cropsAnswer := tg.ReplyText(c.group, zhao, crops, "水稻、玉米")
	problem := c.groupPrompt(t, zhao, repliesTo(cropsAnswer, "（3/6）"))
	problemAnswer := tg.ReplyText(c.group, zhao, problem, "稻叶卷曲发黄 <约两百亩> & 还在扩散")
	households := c.groupPrompt(t, zhao, repliesTo(problemAnswer, "（4/6）"))
	if !hasButtonPrefix(households, "vf:") || buttonData(t, households, "20") == "" || buttonData(t, households, "⏭ 跳过") == "" {
		t.Errorf("households prompt %q lacks the counts and Skip", households.Text)
	}
	bad := tg.ReplyText(c.group, zhao, households, "很多")
	again := c.groupPrompt(t, zhao, repliesTo(bad, "“很多”不是户数"))
	if !strings.Contains(again.Text, "（4/6）") {
		t.Errorf("after a bad number: %q, want the same step again", again.Text)
	}
	good := tg.ReplyText(c.group, zhao, again, "30户")
	place := c.groupPrompt(t, zhao, repliesTo(good, "（5/6）"))
	tg.Press(c.group, zhao, place, buttonData(t, place, "⏭ 跳过"))
	dates := c.groupPrompt(t, zhao, formStep(6, 6))
	tg.Press(c.group, zhao, dates, buttonData(t, dates, "下周"))
	confirm := tg.WaitMessage(t, c.group.ID, contains("已提交上门服务预约 #1"))
	for _, want := range []string{"水稻、玉米", "稻叶卷曲发黄 <约两百亩> & 还在扩散", "约 30 户", "希望时间：下周", "乡镇点单 · 赵 村长"} {
		if !strings.Contains(confirm.Text, want) {
			t.Errorf("confirmation = %q, want %q", confirm.Text, want)
		}
	}
	v := c.visit(t, 1)
	if v.ChatID != c.group.ID || v.Source != store.SourceOrder || v.Households != 30 || v.CategoryID != "rice" || v.OrderedBy != zhao.ID || v.Place != "" {
		t.Errorf("visit = %+v", v)
	}

	// Both admins get it; someone else's press is refused.
	card := tg.WaitMessage(t, c.admin.ID, func(m tgbotapi.Message) bool { return hasButton(m, "vapprove:1") })
	card2 := tg.WaitMessage(t, admin2.ID, func(m tgbotapi.Message) bool { return hasButton(m, "vapprove:1") })
	if !strings.Contains(card.Text, "新的上门服务预约") || !hasButton(card, "vpropose:1") || !hasButton(card, "vdecline:1") {
		t.Errorf("order card = %q", card.Text)
	}
	forged := tg.PressForged(telegramtest.PrivateChat(zhao), zhao, tg.WaitMessage(t, zhao.ID, nil), "vapprove:1")
	if a := tg.WaitCallbackAnswer(t, forged); !a.ShowAlert || !strings.Contains(a.Text, "只有本县管理员") {
		t.Errorf("a coordinator approving: %+v, want an alert", a)
	}

	// The admin picks a day, a time and the rice expert, whose button shows their week.
	dm := telegramtest.PrivateChat(c.admin)
	tg.Press(dm, c.admin, card, "vapprove:1")
	days := tg.WaitMessage(t, c.admin.ID, func(m tgbotapi.Message) bool { return m.MessageID == card.MessageID && hasButtonPrefix(m, "vdate:1:a") })
	if n := len(days.ReplyMarkup.InlineKeyboard); n != 8 { // 14 days, two a row, and Back
		t.Errorf("day picker has %d rows, want 8", n)
	}
	tg.Press(dm, c.admin, days, buttonData(t, days, "vdate:1:a"))
	times := tg.WaitMessage(t, c.admin.ID, func(m tgbotapi.Message) bool { return m.MessageID == card.MessageID && hasButtonPrefix(m, "vtime:1:a") })
	tg.Press(dm, c.admin, times, buttonData(t, times, "09:00"))
	experts := tg.WaitMessage(t, c.admin.ID, func(m tgbotapi.Message) bool { return m.MessageID == card.MessageID && hasButtonPrefix(m, "vexp:1:") })
	if label := experts.ReplyMarkup.InlineKeyboard[0][0].Text; label != "李 明 · 本周 0" || hasButtonPrefix(experts, fmt.Sprintf("vexp:1:%d", tea.ID)) {
		t.Errorf("expert buttons = %+v, want the rice expert alone, with no visit that week", experts.ReplyMarkup.InlineKeyboard)
	}
	c.approveVisit(t, c.admin, experts, 1, rice)

	// Everyone is told.
	when := visitWhenZh(c.visit(t, 1).ScheduledAt)
	if !strings.HasSuffix(when, "09:00") {
		t.Errorf("scheduled at %s, want 09:00 in the county", when)
	}
	tg.WaitMessage(t, admin2.ID, func(m tgbotapi.Message) bool {
		return m.MessageID == card2.MessageID && strings.Contains(m.Text, "已安排："+when+" · 专家：李 明（王 局长）") && m.ReplyMarkup == nil
	})
	tg.WaitMessage(t, c.group.ID, func(m tgbotapi.Message) bool {
		return strings.Contains(m.Text, "上门服务 #1 已安排") && strings.Contains(m.Text, when) && strings.Contains(m.Text, "李 明")
	})
	tg.WaitMessage(t, zhao.ID, contains("上门服务 #1 已安排"))
	tg.WaitMessage(t, rice.ID, func(m tgbotapi.Message) bool {
		return strings.Contains(m.Text, "你被安排参加上门服务 #1") && strings.Contains(m.Text, "/report 1") && strings.Contains(m.Text, "稻叶卷曲发黄")
	})
	late := tg.PressForged(telegramtest.PrivateChat(admin2), admin2, card2, "vapprove:1")
	if a := tg.WaitCallbackAnswer(t, late); !strings.Contains(a.Text, "已经处理过了") {
		t.Errorf("the second admin's press answered %q, want already decided", a.Text)
	}
	if v := c.visit(t, 1); v.Status != store.VisitApproved || v.DecidedBy != c.admin.ID {
		t.Errorf("visit = %s by %d, want approved by the first admin", v.Status, v.DecidedBy)
	}

	// /visits for each role.
	for _, tc := range []struct {
		who  tgbotapi.User
		want string
	}{
		{zhao, "白泥镇 · 本乡镇的上门服务"},
		{rice, "我参加的上门服务"},
		{c.admin, "余庆县 · 上门服务"},
		{c.farmer, "只有乡镇联络员、专家和县局管理员"},
	} {
		list := tg.SendText(telegramtest.PrivateChat(tc.who), tc.who, "/visits")
		got := tg.WaitMessage(t, tc.who.ID, repliesTo(list, ""))
		if !strings.Contains(got.Text, tc.want) || (tc.who.ID != c.farmer.ID && !strings.Contains(got.Text, "#1 · 白泥镇 · 水稻")) {
			t.Errorf("/visits of %s = %q, want %q and #1", tc.who.FirstName, got.Text, tc.want)
		}
	}

	// The report, with a photo; only an expert of the visit may file it.
	other := tg.SendText(telegramtest.PrivateChat(tea), tea, "/report 1")
	tg.WaitMessage(t, tea.ID, repliesTo(other, "Only the experts sent on visit #1"))
	expertDM := telegramtest.PrivateChat(rice)
	tg.SendText(expertDM, rice, "/report 1")
	tg.WaitMessage(t, rice.ID, formStep(1, 4))
	tg.SendText(expertDM, rice, "稻纵卷叶螟二代幼虫，百丛虫量约60头")
	tg.WaitMessage(t, rice.ID, formStep(2, 4))
	tg.SendText(expertDM, rice, "每亩用氯虫苯甲酰胺10毫升兑水喷雾，7天后复查")
	tg.WaitMessage(t, rice.ID, formStep(3, 4))
	tg.SendText(expertDM, rice, "25")
	tg.WaitMessage(t, rice.ID, formStep(4, 4))
	photo := tg.Post(expertDM, rice, telegramtest.Post{Photo: true})
	got := tg.WaitMessage(t, rice.ID, repliesTo(photo, "已收到 1 张照片"))
	tg.Press(expertDM, rice, got, buttonData(t, got, "✔️ 完成"))
	tg.WaitMessage(t, rice.ID, contains("上门服务 #1 的记录已存档"))
	for _, chat := range []int64{c.admin.ID, admin2.ID, c.group.ID} {
		tg.WaitMessage(t, chat, func(m tgbotapi.Message) bool {
			return strings.Contains(m.Text, "上门服务 #1 已完成") && strings.Contains(m.Text, "服务农户：25 户") && strings.Contains(m.Text, "现场照片：1 张")
		})
	}
	r, err := c.db.VisitReportOf(context.Background(), 1)
	if err != nil || len(r.Photos) != 1 || r.Photos[0] != photo.Photo[len(photo.Photo)-1].FileID || r.ExpertID != rice.ID {
		t.Errorf("report = %+v, %v; want the largest size of the photo", r, err)
	}
	if v := c.visit(t, 1); v.Status != store.VisitDone {
		t.Errorf("visit is %s after the report, want done", v.Status)
	}
}

// visitWhenZh is how the bot writes a visit's time in Chinese, in the county's zone.
func visitWhenZh(t time.Time) string {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	t = t.In(loc)
	return t.Format("01-02") + " " + [...]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}[t.Weekday()] + " " + t.Format("15:04")
}

// TestAProposedTimeIsAcceptedInTheGroupAndTheAdminThenSendsExperts: the admin proposes
// another time, the coordinator accepts it in the group, and the admins choose experts.
func TestAProposedTimeIsAcceptedInTheGroupAndTheAdminThenSendsExperts(t *testing.T) {
	t.Parallel()
	c := newClinic(t)
	tg := c.tg
	c.bindGroup(t)
	c.approveExpert(t, c.experts[0], "水稻")
	zhao := tg.NewUser("赵", "村长", "zh-hans")
	c.appoint(t, zhao)
	c.orderInGroup(t, zhao)

	card := tg.WaitMessage(t, c.admin.ID, func(m tgbotapi.Message) bool { return hasButton(m, "vpropose:1") })
	dm := telegramtest.PrivateChat(c.admin)
	tg.Press(dm, c.admin, card, "vpropose:1")
	days := tg.WaitMessage(t, c.admin.ID, func(m tgbotapi.Message) bool { return m.MessageID == card.MessageID && hasButtonPrefix(m, "vdate:1:p") })
	tg.Press(dm, c.admin, days, *days.ReplyMarkup.InlineKeyboard[1][0].CallbackData)
	times := tg.WaitMessage(t, c.admin.ID, func(m tgbotapi.Message) bool { return m.MessageID == card.MessageID && hasButtonPrefix(m, "vtime:1:p") })
	tg.Press(dm, c.admin, times, buttonData(t, times, "14:00"))
	tg.WaitMessage(t, c.admin.ID, func(m tgbotapi.Message) bool {
		return m.MessageID == card.MessageID && strings.Contains(m.Text, "县局建议改为") && m.ReplyMarkup == nil
	})

	proposal := tg.WaitMessage(t, c.group.ID, func(m tgbotapi.Message) bool { return hasButton(m, "vaccept:1") })
	tg.WaitMessage(t, zhao.ID, func(m tgbotapi.Message) bool { return hasButton(m, "vaccept:1") })
	if !strings.Contains(proposal.Text, "14:00") {
		t.Errorf("proposal = %q, want 14:00", proposal.Text)
	}
	farmerPress := tg.Press(c.group, c.farmer, proposal, "vaccept:1")
	if a := tg.WaitCallbackAnswer(t, farmerPress); !a.ShowAlert {
		t.Errorf("a farmer accepting: %+v, want an alert", a)
	}
	tg.Press(c.group, zhao, proposal, "vaccept:1")
	tg.WaitMessage(t, c.group.ID, func(m tgbotapi.Message) bool {
		return m.MessageID == proposal.MessageID && strings.Contains(m.Text, "赵 村长 已接受") && m.ReplyMarkup == nil
	})
	tg.WaitMessage(t, zhao.ID, func(m tgbotapi.Message) bool { return strings.Contains(m.Text, "已接受") && m.ReplyMarkup == nil })
	if v := c.visit(t, 1); v.Status != store.VisitApproved || v.ScheduledAt.IsZero() {
		t.Errorf("after accepting: %+v", v)
	}

	picker := tg.WaitMessage(t, c.admin.ID, func(m tgbotapi.Message) bool {
		return strings.Contains(m.Text, "乡镇已接受上门服务 #1 的时间") && hasButtonPrefix(m, "vexp:1:")
	})
	c.approveVisit(t, c.admin, picker, 1, c.experts[0])
	tg.WaitMessage(t, c.experts[0].ID, contains("你被安排参加上门服务 #1"))
	tg.WaitMessage(t, c.group.ID, func(m tgbotapi.Message) bool {
		return strings.Contains(m.Text, "上门服务 #1 已安排") && strings.Contains(m.Text, "14:00")
	})
}

// TestADeclinedOrderTellsTheTownshipWhy: the admin's next private message is the reason.
func TestADeclinedOrderTellsTheTownshipWhy(t *testing.T) {
	t.Parallel()
	c := newClinic(t)
	tg := c.tg
	c.bindGroup(t)
	tg.Start(c.admin)
	zhao := tg.NewUser("赵", "村长", "zh-hans")
	c.appoint(t, zhao)
	c.orderInGroup(t, zhao)

	card := tg.WaitMessage(t, c.admin.ID, func(m tgbotapi.Message) bool { return hasButton(m, "vdecline:1") })
	dm := telegramtest.PrivateChat(c.admin)
	tg.Press(dm, c.admin, card, "vdecline:1")
	tg.WaitMessage(t, c.admin.ID, contains("谢绝上门服务 #1"))
	reason := "本周专家都在外地培训 <请下周再约>"
	tg.SendText(dm, c.admin, reason)
	tg.WaitMessage(t, c.admin.ID, contains("已谢绝上门服务 #1"))
	tg.WaitMessage(t, c.admin.ID, func(m tgbotapi.Message) bool {
		return m.MessageID == card.MessageID && strings.Contains(m.Text, "已谢绝："+reason) && m.ReplyMarkup == nil
	})
	tg.WaitMessage(t, c.group.ID, func(m tgbotapi.Message) bool {
		return strings.Contains(m.Text, "上门服务 #1 这次未能安排") && strings.Contains(m.Text, reason)
	})
	tg.WaitMessage(t, zhao.ID, contains("理由："+reason))
	if v := c.visit(t, 1); v.Status != store.VisitDeclined || v.DeclineReason != reason {
		t.Errorf("visit = %s %q", v.Status, v.DeclineReason)
	}
	// The form is over: the admin's next message gets the usual hint.
	after := tg.SendText(dm, c.admin, "好的")
	tg.WaitMessage(t, c.admin.ID, repliesTo(after, "要解答问题"))
}

// TestAnExpertOrdersAFieldVisitFromTheClaimedQuestion: the claim card's button orders a
// visit for the question; once approved, the farmer's group hears it under the question.
func TestAnExpertOrdersAFieldVisitFromTheClaimedQuestion(t *testing.T) {
	t.Parallel()
	c := newClinic(t)
	tg := c.tg
	c.bindGroup(t)
	c.approveExpert(t, c.experts[0], "水稻")
	expert := c.experts[0]
	question := tg.SendText(c.group, c.farmer, "/ask 水稻卷叶很严重，打了药也不行")
	tg.WaitMessage(t, c.group.ID, repliesTo(question, "#1"))
	card := c.claimNotice(t, expert, "1")
	if !hasButton(card, "vneed:1") || !strings.Contains(card.ReplyMarkup.InlineKeyboard[0][0].Text, "需要上门") {
		t.Fatalf("claim card %q has no Needs a field visit button", card.Text)
	}
	dm := telegramtest.PrivateChat(expert)
	press := tg.Press(dm, expert, card, "vneed:1")
	if a := tg.WaitCallbackAnswer(t, press); !strings.Contains(a.Text, "已申请上门服务 #1") {
		t.Errorf("press answered %q", a.Text)
	}
	tg.WaitMessage(t, expert.ID, contains("已为问题 #1 申请上门服务 #1"))
	again := tg.Press(dm, expert, card, "vneed:1")
	if a := tg.WaitCallbackAnswer(t, again); !strings.Contains(a.Text, "问题 #1 已有上门服务 #1") {
		t.Errorf("second press answered %q", a.Text)
	}
	v := c.visit(t, 1)
	if v.Source != store.SourceQuestion || v.QuestionID != 1 || v.Township != "白泥镇" || v.Topic != "水稻" || v.OrderedBy != expert.ID {
		t.Errorf("visit = %+v", v)
	}

	order := tg.WaitMessage(t, c.admin.ID, func(m tgbotapi.Message) bool { return hasButton(m, "vapprove:1") })
	if !strings.Contains(order.Text, "问题 #1 需要上门 · 李 明") || !strings.Contains(order.Text, "打了药也不行") {
		t.Errorf("order card = %q", order.Text)
	}
	c.approveVisit(t, c.admin, order, 1, expert)
	tg.WaitMessage(t, c.group.ID, repliesTo(question, "#1：县里的农技专家将上门查看"))
	tg.WaitMessage(t, expert.ID, contains("你被安排参加上门服务 #1"))
}
