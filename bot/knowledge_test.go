package bot_test

import (
	"context"
	"strings"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/bot"
	"github.com/agriclinic/agriclinic/bot/telegramtest"
	"github.com/agriclinic/agriclinic/store"
)

func TestEarlierAnswersAreOfferedToTheFarmerAndTheExpert(t *testing.T) {
	t.Parallel()
	c := newClinic(t)
	tg := c.tg
	c.bindGroup(t)
	c.approveExpert(t, c.experts[0], "水稻")
	expert := c.experts[0]
	neighbour := tg.NewUser("赵", "四", "zh-hans")

	first := tg.SendText(c.group, c.farmer, "/ask 水稻叶子发黄怎么办")
	tg.WaitMessage(t, c.group.ID, repliesTo(first, "#1"))
	c.claimAndAnswer(t, expert, "1", "多半是缺氮，每亩追施尿素5公斤")

	second := tg.SendText(c.group, neighbour, "/ask 水稻叶片变黄了是什么原因")
	ack := tg.WaitMessage(t, c.group.ID, repliesTo(second, "#2"))
	if !strings.Contains(ack.Text, "以前解答过的类似问题") || !strings.Contains(ack.Text, "#1 水稻叶子发黄怎么办") ||
		!hasButton(ack, "prev:1") || !hasButton(ack, "arch:2") {
		t.Fatalf("acknowledgement = %q, want the earlier #1 with its buttons", ack.Text)
	}
	c.settled(t, neighbour)

	tg.Press(c.group, neighbour, ack, "prev:1")
	earlier := tg.WaitMessage(t, c.group.ID, repliesTo(ack, "以前的解答"))
	if !strings.Contains(earlier.Text, "每亩追施尿素5公斤") {
		t.Errorf("earlier answer = %q", earlier.Text)
	}
	c.settled(t, neighbour)
	again := tg.Press(c.group, neighbour, ack, "prev:1")
	if a := tg.WaitCallbackAnswer(t, again); !strings.Contains(a.Text, "已经发过") {
		t.Errorf("second press answered %q, want already posted", a.Text)
	}

	// The expert who claims #2 sees #1's answer as reference.
	card := c.claimNotice(t, expert, "2")
	if !strings.Contains(card.Text, "参考") || !strings.Contains(card.Text, "每亩追施尿素") {
		t.Errorf("claim card = %q, want the earlier answer for reference", card.Text)
	}

	// Only the asker closes it from the archive; then the expert's card says so.
	press := tg.Press(c.group, c.farmer, ack, "arch:2")
	if a := tg.WaitCallbackAnswer(t, press); !a.ShowAlert {
		t.Errorf("another farmer closing #2 answered %+v, want an alert", a)
	}
	tg.Press(c.group, neighbour, ack, "arch:2")
	tg.WaitMessage(t, c.group.ID, repliesTo(ack, "已由农户根据以前的解答解决"))
	tg.WaitMessage(t, expert.ID, func(m tgbotapi.Message) bool { return strings.Contains(m.Text, "农户已根据以前的解答解决") })
	if q := c.question(t, 2); q.Status != store.StatusClosed || q.Feedback != store.FeedbackArchive {
		t.Errorf("#2 is %s %s, want closed from the archive", q.Status, q.Feedback)
	}
}

func TestSearchAndLearnedKeywords(t *testing.T) {
	t.Parallel()
	c := newClinic(t)
	tg := c.tg
	c.bindGroup(t)
	c.approveExpert(t, c.experts[0], "水稻")
	expert := c.experts[0]
	dm := telegramtest.PrivateChat(expert)

	// Two questions about 烂秧 land in general (no keyword knows it); the admin moves
	// them to rice.
	for i, text := range []string{"秧田里烂秧了怎么办", "最近烂秧很严重"} {
		q := tg.SendText(c.group, c.farmer, "/ask "+text)
		tg.WaitMessage(t, c.group.ID, repliesTo(q, "综合"))
		id := itoa(int64(i + 1))
		tr := tg.SendText(telegramtest.PrivateChat(c.admin), c.admin, "/transfer "+id+" 水稻")
		tg.WaitMessage(t, c.admin.ID, repliesTo(tr, "已转到水稻"))
	}
	c.claimAndAnswer(t, expert, "1", "用敌磺钠灌根")

	// An expert searches the archive; a farmer may not.
	found := tg.SendText(dm, expert, "/search 烂秧")
	res := tg.WaitMessage(t, expert.ID, repliesTo(found, "查询结果"))
	if !strings.Contains(res.Text, "#1") || !strings.Contains(res.Text, "#2") || !hasButton(res, "show:1") {
		t.Errorf("search result = %q", res.Text)
	}
	tg.Press(dm, expert, res, "show:1")
	tg.WaitMessage(t, expert.ID, func(m tgbotapi.Message) bool { return strings.Contains(m.Text, "敌磺钠灌根") })
	farmerDM := telegramtest.PrivateChat(c.farmer)
	refused := tg.SendText(farmerDM, c.farmer, "/search 烂秧")
	tg.WaitMessage(t, c.farmer.ID, repliesTo(refused, "只有专家和县局管理员"))

	// The admin sees 烂秧 suggested for rice and adds it; the next such question goes
	// straight to rice.
	adminDM := telegramtest.PrivateChat(c.admin)
	ask := tg.SendText(adminDM, c.admin, "/keywords")
	sugg := tg.WaitMessage(t, c.admin.ID, repliesTo(ask, "关键词建议"))
	data := "kw:yuqing:rice:烂秧"
	if !hasButton(sugg, data) {
		t.Fatalf("suggestions = %q, want a button to add 烂秧 to rice", sugg.Text)
	}
	tg.WaitCallbackAnswer(t, tg.Press(adminDM, c.admin, sugg, data))
	later := tg.SendText(c.group, c.farmer, "/ask 又烂秧了")
	tg.WaitMessage(t, c.group.ID, repliesTo(later, "水稻"))
	if forged := tg.PressForged(farmerDM, c.farmer, refused, data); !tg.WaitCallbackAnswer(t, forged).ShowAlert {
		t.Error("a farmer added a keyword")
	}
}

func TestAnOutbreakAlertsTheAdminsWithAVisitButton(t *testing.T) {
	t.Parallel()
	c := newClinic(t)
	tg := c.tg
	c.bindGroup(t)
	tg.Start(c.admin)
	farmers := []tgbotapi.User{tg.NewUser("甲", "", "zh"), tg.NewUser("乙", "", "zh"), tg.NewUser("丙", "", "zh")}
	for i, f := range farmers {
		q := tg.SendText(c.group, f, "/ask 稻田里稻飞虱很多 "+itoa(int64(i)))
		tg.WaitMessage(t, c.group.ID, repliesTo(q, "#"))
	}
	if n, err := c.svc.DetectOutbreaks(context.Background(), bot.OutbreakMessages); err != nil || n != 1 {
		t.Fatalf("DetectOutbreaks = %d, %v; want 1", n, err)
	}
	alert := tg.WaitMessage(t, c.admin.ID, func(m tgbotapi.Message) bool {
		return strings.Contains(m.Text, "疑似病虫害暴发：白泥镇 · 稻飞虱")
	})
	if !strings.Contains(alert.Text, "#1") || !strings.Contains(alert.Text, "#3") || !hasButton(alert, "outbreakvisit:1") {
		t.Fatalf("alert = %q", alert.Text)
	}
	tg.Press(telegramtest.PrivateChat(c.admin), c.admin, alert, "outbreakvisit:1")
	tg.WaitMessage(t, c.admin.ID, func(m tgbotapi.Message) bool { return strings.Contains(m.Text, "已创建上门服务单 #1") })
	if n, err := c.svc.DetectOutbreaks(context.Background(), bot.OutbreakMessages); err != nil || n != 0 {
		t.Errorf("DetectOutbreaks again = %d, %v; want no second alert this week", n, err)
	}
}

// TestQuestionsAskedTogetherGetEarlierAnswersInTheirAcknowledgement: two questions in one
// batch are stored first and get their earlier answers after, in the acknowledgement
// (revised while waiting, or edited once sent), which still says an expert was told.
func TestQuestionsAskedTogetherGetEarlierAnswersInTheirAcknowledgement(t *testing.T) {
	t.Parallel()
	c := newClinic(t)
	c.bindGroup(t)
	c.approveExpert(t, c.experts[0], "水稻")
	first := c.tg.SendText(c.group, c.farmer, "/ask 水稻叶子发黄怎么办")
	c.tg.WaitMessage(t, c.group.ID, repliesTo(first, "#1"))
	c.claimAndAnswer(t, c.experts[0], "1", "多半是缺氮，每亩追施尿素5公斤")

	neighbour, other := c.tg.NewUser("赵", "四", "zh"), c.tg.NewUser("钱", "五", "zh")
	msg := func(from tgbotapi.User, id int, text string) *tgbotapi.Message {
		return &tgbotapi.Message{MessageID: id, From: &from, Chat: &c.group, Text: text}
	}
	for i, err := range c.bot.HandleMany(context.Background(), []bot.Update{
		{Update: tgbotapi.Update{UpdateID: 800001, Message: msg(neighbour, 8001, "/ask 水稻叶片变黄了是什么原因")}},
		{Update: tgbotapi.Update{UpdateID: 800002, Message: msg(other, 8002, "/ask 我家水稻叶子也发黄")}},
	}) {
		if err != nil {
			t.Fatalf("update %d: %v", i, err)
		}
	}
	c.svc.Settle()
	for _, number := range []string{"#2", "#3"} {
		c.tg.WaitMessage(t, c.group.ID, func(m tgbotapi.Message) bool {
			return strings.HasPrefix(m.Text, "已收到问题 "+number) && strings.Contains(m.Text, "以前解答过的类似问题") &&
				strings.Contains(m.Text, "#1 水稻叶子发黄怎么办") && !strings.Contains(m.Text, "目前没有在线") && hasButton(m, "prev:1")
		})
	}
}
