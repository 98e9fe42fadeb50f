package bot_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/redis/go-redis/v9"

	"github.com/agriclinic/agriclinic/bot"
	"github.com/agriclinic/agriclinic/bot/telegramtest"
	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
	"github.com/agriclinic/agriclinic/store/storetest"
)

// heldClinic is a clinic whose county names two seniors (复核), and which can be stopped
// and started again on the same archive, as a restart does.
type heldClinic struct {
	*clinic
	seniors []tgbotapi.User
	rdb     redis.UniversalClient
	stop    func()
}

func newHeldClinic(t *testing.T) *heldClinic {
	t.Helper()
	tg := telegramtest.NewServer(t)
	c := &clinic{
		tg:     tg,
		admin:  tg.NewUser("王", "局长", "zh-hans"),
		farmer: tg.NewUser("张", "大伯", "zh-hans"),
		group:  tg.NewGroup("白泥镇农户群"),
	}
	c.experts = []tgbotapi.User{tg.NewUser("李", "明", "zh-hans")}
	h := &heldClinic{clinic: c, seniors: []tgbotapi.User{tg.NewUser("赵", "高工", "zh-hans"), tg.NewUser("钱", "研究员", "zh-hans")}}
	for _, s := range h.seniors {
		tg.Start(s)
	}
	c.pool = storetest.NewPool(t)
	h.rdb, _ = storetest.NewRedis(t)
	h.start(t, "held-a:")
	return h
}

// start runs a service, bot, sender and poller on the clinic's archive with a Redis key
// prefix of its own: a new prefix is a Redis that lost everything.
func (h *heldClinic) start(t *testing.T, prefix string) {
	t.Helper()
	c := h.clinic
	yaml := strings.Replace(countyYAML, "admins: [%d]", "admins: [%d]\n    seniors: [%d, %d]", 1)
	counties, err := consult.ParseCounties(fmt.Appendf(nil, yaml, c.admin.ID, h.seniors[0].ID, h.seniors[1].ID), "test.yaml")
	if err != nil {
		t.Fatalf("counties: %v", err)
	}
	c.db = store.NewDB(c.pool)
	log := quietLog()
	c.svc = consult.NewService(c.db, store.NewQueue(h.rdb, prefix), counties, consult.Options{Logger: log, Bursts: &store.BurstRule{}})
	ctx := context.Background()
	if err := c.svc.SaveCounties(ctx); err != nil {
		t.Fatalf("save counties: %v", err)
	}
	if c.client, err = bot.NewClient(ctx, c.tg.Token(), c.tg.URL()); err != nil {
		t.Fatalf("client: %v", err)
	}
	c.bot = bot.New(c.svc, c.db, c.client, log)
	rdb := h.rdb
	c.guard = c.bot.Guard(func(ctx context.Context) error { return errors.Join(c.db.Ping(ctx), rdb.Ping(ctx).Err()) })
	limiter := store.NewLimiter(rdb, prefix, store.Rates{Global: 10000, PerChat: 10000, GroupMin: 100000})
	runCtx, cancel := context.WithCancel(context.Background())
	sent, polled := make(chan error, 1), make(chan error, 1)
	go func() { sent <- bot.NewSender(c.db, c.client, limiter, log).Run(runCtx) }()
	go func() { polled <- bot.NewPoller(c.client, c.guard.HandleMany, log).Run(runCtx) }()
	stopped := false
	h.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		<-sent
		if err := <-polled; err != nil {
			t.Errorf("poller: %v", err)
		}
	}
	t.Cleanup(h.stop)
}

// claimed binds the group, approves the expert for rice and tea, has the farmer ask and
// the expert claim; it returns the farmer's question and the expert's claimed notice.
func (h *heldClinic) claimed(t *testing.T, ask string) (question, notice tgbotapi.Message) {
	t.Helper()
	c, tg := h.clinic, h.tg
	c.bindGroup(t)
	c.approveExpert(t, c.experts[0], "水稻 茶叶")
	question = tg.SendText(c.group, c.farmer, "/ask "+ask)
	tg.WaitMessage(t, c.group.ID, repliesTo(question, "#1"))
	e := c.experts[0]
	n := tg.WaitMessage(t, e.ID, func(m tgbotapi.Message) bool { return hasButton(m, "claim:1") })
	id := tg.Press(telegramtest.PrivateChat(e), e, n, "claim:1")
	tg.WaitCallbackAnswer(t, id)
	notice = tg.WaitMessage(t, e.ID, contains("你已认领"))
	return question, notice
}

// groupAnswers are the answers posted in the group under the question.
func groupAnswers(tg *telegramtest.Server, groupID int64, question tgbotapi.Message) []tgbotapi.Message {
	var out []tgbotapi.Message
	for _, m := range tg.Messages(groupID) {
		if m.ReplyToMessage != nil && m.ReplyToMessage.MessageID == question.MessageID && strings.Contains(m.Text, "专家解答") {
			out = append(out, m)
		}
	}
	return out
}

// An answer naming a banned pesticide is held: the expert hears which words and why, the
// group hears only that the answer is being checked, and a rewrite replaces it.
func TestHeldBannedThenRewrite(t *testing.T) {
	t.Parallel()
	h := newHeldClinic(t)
	tg, e := h.tg, h.experts[0]
	question, notice := h.claimed(t, "水稻田里杂草太多怎么办")
	dm := telegramtest.PrivateChat(e)

	tg.ReplyText(dm, e, notice, "直接用克无踪兑水喷，一亩一瓶")
	held := tg.WaitMessage(t, e.ID, contains("没有发出"))
	if !strings.Contains(held.Text, "克无踪") || !strings.Contains(held.Text, "百草枯") || !strings.Contains(held.Text, "禁用") {
		t.Errorf("hold notice = %q, want the words matched, the pesticide and that it is banned", held.Text)
	}
	if !hasButton(held, "hsend:1") {
		t.Errorf("hold notice has no 送复核 button: %+v", held.ReplyMarkup)
	}
	tg.WaitMessage(t, h.group.ID, repliesTo(question, "正在复核"))
	// /answer is checked as a reply is; the code number counts beside 兑水.
	tg.SendText(dm, e, "/answer 1 1605 兑水 喷雾")
	tg.WaitMessage(t, e.ID, func(m tgbotapi.Message) bool {
		return strings.Contains(m.Text, "没有发出") && strings.Contains(m.Text, "对硫磷")
	})

	// Nobody else may send it to review; the group got nothing of it.
	other := tg.NewUser("孙", "路人", "zh-hans")
	tg.Start(other)
	hello := tg.SendText(telegramtest.PrivateChat(other), other, "/start")
	tg.WaitMessage(t, other.ID, repliesTo(hello, "你好"))
	press := tg.PressForged(telegramtest.PrivateChat(other), other, hello, "hsend:2")
	if a := tg.WaitCallbackAnswer(t, press); !strings.Contains(a.Text, "只有作答的专家") {
		t.Errorf("a stranger's press = %q, want a refusal", a.Text)
	}
	if got := groupAnswers(tg, h.group.ID, question); len(got) != 0 {
		t.Fatalf("a held answer reached the group: %q", got[0].Text)
	}
	for _, m := range tg.Messages(h.group.ID) {
		if strings.Contains(m.Text, "克无踪") || strings.Contains(m.Text, "1605") {
			t.Errorf("the group saw the held words: %q", m.Text)
		}
	}

	// The rewrite goes out; the group was told of the review once.
	tg.SendText(dm, e, "/answer 1 人工拔除，或用草铵膦定向喷雾，避开稻苗")
	posted := tg.WaitMessage(t, h.group.ID, repliesTo(question, "专家解答"))
	if !strings.Contains(posted.Text, "草铵膦") {
		t.Errorf("posted = %q, want the rewrite", posted.Text)
	}
	notes := 0
	for _, m := range tg.Messages(h.group.ID) {
		if strings.Contains(m.Text, "正在复核") {
			notes++
		}
	}
	if notes != 1 {
		t.Errorf("the group was told %d times that the answer is checked, want once", notes)
	}
	// The replaced hold cannot be sent to review any more.
	press = tg.Press(dm, e, held, "hsend:1")
	if a := tg.WaitCallbackAnswer(t, press); !strings.Contains(a.Text, "已经处理过") {
		t.Errorf("a press on a replaced hold = %q, want it settled", a.Text)
	}
}

// An answer restricted on the question's crop goes to the seniors; two press 通过 and
// 退回 at the same moment and exactly one decides; the other's copy says who did.
func TestHeldRestrictedTeaOneDecision(t *testing.T) {
	t.Parallel()
	h := newHeldClinic(t)
	tg, e := h.tg, h.experts[0]
	question, notice := h.claimed(t, "茶叶上有小绿叶蝉怎么办")
	tg.ReplyText(telegramtest.PrivateChat(e), e, notice, "用氰戊菊酯兑水喷雾")
	tg.WaitMessage(t, e.ID, contains("已送复核"))
	tg.WaitMessage(t, h.group.ID, repliesTo(question, "正在复核"))

	var copies []tgbotapi.Message
	for _, s := range h.seniors {
		copies = append(copies, tg.WaitMessage(t, s.ID, func(m tgbotapi.Message) bool { return hasButton(m, "hok:1") && hasButton(m, "hret:1") }))
	}
	if !strings.Contains(copies[0].Text, "氰戊菊酯") || !strings.Contains(copies[0].Text, "茶") {
		t.Errorf("senior's copy = %q, want the answer and why it was held", copies[0].Text)
	}
	// An expert is no senior.
	if a := tg.WaitCallbackAnswer(t, tg.PressForged(telegramtest.PrivateChat(e), e, notice, "hok:1")); !strings.Contains(a.Text, "只有本县的复核专家") {
		t.Errorf("the expert's press = %q, want a refusal", a.Text)
	}
	ids := []string{
		tg.Press(telegramtest.PrivateChat(h.seniors[0]), h.seniors[0], copies[0], "hok:1"),
		tg.Press(telegramtest.PrivateChat(h.seniors[1]), h.seniors[1], copies[1], "hret:1"),
	}
	winner := -1
	for i, id := range ids {
		a := tg.WaitCallbackAnswer(t, id)
		switch {
		case strings.Contains(a.Text, "你已"):
			if winner >= 0 {
				t.Fatalf("both seniors were told they decided")
			}
			winner = i
		case strings.Contains(a.Text, "已由"):
		default:
			t.Fatalf("press answer %q says neither decided nor lost", a.Text)
		}
	}
	if winner < 0 {
		t.Fatal("no senior decided")
	}
	w := h.seniors[winner]
	for i, s := range h.seniors {
		tg.WaitMessage(t, s.ID, func(m tgbotapi.Message) bool {
			return m.MessageID == copies[i].MessageID && strings.Contains(m.Text, w.FirstName) && m.ReplyMarkup == nil
		})
	}
	if winner == 0 {
		posted := tg.WaitMessage(t, h.group.ID, repliesTo(question, "专家解答"))
		if !strings.Contains(posted.Text, "已复核") || !strings.Contains(posted.Text, w.FirstName) || !strings.Contains(posted.Text, "氰戊菊酯") {
			t.Errorf("posted = %q, want the answer marked 已复核 with the senior", posted.Text)
		}
		tg.WaitMessage(t, e.ID, contains("复核（通过）"))
	} else {
		tg.WaitMessage(t, e.ID, contains("被 "+w.FirstName))
		prompt := tg.WaitMessage(t, w.ID, contains("写给专家的意见"))
		tg.ReplyText(telegramtest.PrivateChat(w), w, prompt, "茶园禁用氰戊菊酯，请换成登记用于茶树的药剂")
		tg.WaitMessage(t, e.ID, contains("请换成登记"))
	}
	// Pressed again: a refusal, nothing changes.
	// (the button is gone from the copy: an old client, or a forged press)
	again := tg.PressForged(telegramtest.PrivateChat(w), w, copies[winner], "hok:1")
	if a := tg.WaitCallbackAnswer(t, again); !strings.Contains(a.Text, "已由") {
		t.Errorf("second press = %q, want 'decided already'", a.Text)
	}
	want := 0
	if winner == 0 {
		want = 1
	}
	if got := groupAnswers(tg, h.group.ID, question); len(got) != want {
		t.Errorf("the group got %d answers, want %d", len(got), want)
	}
}

// A held answer survives a restart with Redis emptied, is decided once, reaches the group
// once; a senior's corrected text is what goes out, and one naming a banned pesticide is
// refused.
func TestHeldRestartAndCorrection(t *testing.T) {
	t.Parallel()
	h := newHeldClinic(t)
	tg, e := h.tg, h.experts[0]
	question, notice := h.claimed(t, "茶树上有虫子吃叶子")
	tg.ReplyText(telegramtest.PrivateChat(e), e, notice, "千万不要用百草枯，用苦参碱喷雾")
	// A banned name in a negation is no hold for the expert, but never goes out unchecked.
	tg.WaitMessage(t, e.ID, contains("已送复核（在否定句里写到禁用农药）"))
	tg.WaitMessage(t, h.group.ID, repliesTo(question, "正在复核"))
	s := h.seniors[0]
	card := tg.WaitMessage(t, s.ID, func(m tgbotapi.Message) bool { return hasButton(m, "hok:1") })

	// Restart: a new service and bot on the same archive, Redis empty.
	h.stop()
	h.start(t, "held-b:")
	if hd, err := h.db.OpenHeld(context.Background(), 1); err != nil || hd.State != store.HeldReview {
		t.Fatalf("after the restart: %+v, %v; want the answer still in review", hd, err)
	}

	// A corrected text naming a banned pesticide is refused and changes nothing.
	bad := tg.ReplyText(telegramtest.PrivateChat(s), s, card, "用甲胺磷喷")
	tg.WaitMessage(t, s.ID, repliesTo(bad, "禁用农药"))
	fixed := "用0.3%苦参碱水剂喷雾，采摘前7天停药"
	tg.ReplyText(telegramtest.PrivateChat(s), s, card, fixed)
	posted := tg.WaitMessage(t, h.group.ID, repliesTo(question, "专家解答"))
	if !strings.Contains(posted.Text, "苦参碱水剂") || strings.Contains(posted.Text, "百草枯") || !strings.Contains(posted.Text, "已复核") {
		t.Errorf("posted = %q, want the senior's corrected text, marked 已复核", posted.Text)
	}
	tg.WaitMessage(t, e.ID, contains("修改后通过"))
	// The other senior's copy is settled; their press changes nothing.
	other := h.seniors[1]
	oc := tg.WaitMessage(t, other.ID, func(m tgbotapi.Message) bool { return strings.Contains(m.Text, "修改后通过") })
	if a := tg.WaitCallbackAnswer(t, tg.PressForged(telegramtest.PrivateChat(other), other, oc, "hret:1")); !strings.Contains(a.Text, "已由") {
		t.Errorf("late press = %q, want 'decided already'", a.Text)
	}
	if got := groupAnswers(tg, h.group.ID, question); len(got) != 1 {
		t.Errorf("the group got %d answers, want 1", len(got))
	}
	hd, err := h.db.Held(context.Background(), 1)
	if err != nil || hd.State != store.HeldApproved || hd.DecidedBy != s.ID || hd.CorrectedText != fixed || hd.AnswerID == 0 {
		t.Errorf("held = %+v, %v; want approved by the senior with the corrected text", hd, err)
	}
}
