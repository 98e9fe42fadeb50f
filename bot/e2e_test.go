package bot_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/agriclinic/agriclinic/bot"
	"github.com/agriclinic/agriclinic/bot/telegramtest"
	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
	"github.com/agriclinic/agriclinic/store/storetest"
)

// clinic is a running bot wired to real Postgres and Redis and to the fake Bot API, with
// the people of one county.
type clinic struct {
	tg     *telegramtest.Server
	client *bot.Client
	pool   *pgxpool.Pool
	db     *store.DB
	svc    *consult.Service
	bot    *bot.Bot
	// guard is what the transports call, as in serve: each update once, none stuck.
	guard   *bot.Guard
	admin   tgbotapi.User
	group   tgbotapi.Chat
	farmer  tgbotapi.User
	experts []tgbotapi.User
}

const countyYAML = `counties:
  - id: yuqing
    name: 余庆县
    timezone: Asia/Shanghai
    admins: [%d]
    townships: [白泥镇, 龙溪镇]
    categories:
      - id: rice
        name: 水稻
        name_en: Rice
        keywords: [水稻, 稻, 秧苗, 卷叶, rice, paddy]
      - id: tea
        name: 茶叶
        name_en: Tea
        keywords: [茶, 茶叶, 茶树, tea]
      - id: general
        name: 综合
        name_en: General
`

// newClinic starts the bot with long polling; it stops when the test ends.
func newClinic(t *testing.T, opts ...clinicOption) *clinic {
	t.Helper()
	c := newClinicWithoutPolling(t, opts...)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- bot.NewPoller(c.client, c.guard.HandleMany, quietLog()).Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("poller: %v", err)
		}
	})
	return c
}

// newClinicWithoutPolling wires the bot but leaves receiving updates to the test.
func newClinicWithoutPolling(t testing.TB, opts ...clinicOption) *clinic {
	t.Helper()
	tg := telegramtest.NewServer(t)
	c := &clinic{
		tg:     tg,
		admin:  tg.NewUser("王", "局长", "zh-hans"),
		farmer: tg.NewUser("张", "大伯", "zh-hans"),
		group:  tg.NewGroup("白泥镇农户群"),
	}
	c.experts = []tgbotapi.User{tg.NewUser("李", "明", "zh-hans"), tg.NewUser("Chen", "Wei", "en")}

	counties, err := consult.ParseCounties([]byte(fmt.Sprintf(countyYAML, c.admin.ID)), "test.yaml")
	if err != nil {
		t.Fatalf("counties: %v", err)
	}
	c.pool = storetest.NewPool(t)
	rdb, prefix := storetest.NewRedis(t)
	c.db = store.NewDB(c.pool)
	log := quietLog()
	// Each question is acknowledged on its own: these tests ask many questions within a
	// minute and read each one's reply. burst_test.go turns shared acknowledgements on.
	o := consult.Options{Logger: log, Bursts: &store.BurstRule{}}
	for _, opt := range opts {
		opt(&o, rdb, prefix)
	}
	c.svc = consult.NewService(c.db, store.NewQueue(rdb, prefix), counties, o)
	ctx := context.Background()
	if err := c.svc.SaveCounties(ctx); err != nil {
		t.Fatalf("save counties: %v", err)
	}
	c.client, err = bot.NewClient(ctx, tg.Token(), tg.URL())
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	c.bot = bot.New(c.svc, c.db, c.client, log)
	c.guard = c.bot.Guard(func(ctx context.Context) error { return errors.Join(c.db.Ping(ctx), rdb.Ping(ctx).Err()) })

	// Tests are not held to Telegram's pace, except the test of the pace itself.
	limiter := store.NewLimiter(rdb, prefix, store.Rates{Global: 10000, PerChat: 10000, GroupMin: 100000})
	sendCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	sender := bot.NewSender(c.db, c.client, limiter, log)
	sender.Refused = c.bot.Refused // as serve wires it
	go func() { done <- sender.Run(sendCtx) }()
	t.Cleanup(func() { stop(); <-done })
	return c
}

// clinicOption changes the service a clinic runs, e.g. to count pushes in its Redis.
type clinicOption func(o *consult.Options, rdb redis.UniversalClient, prefix string)

func contains(sub string) func(tgbotapi.Message) bool {
	return func(m tgbotapi.Message) bool { return strings.Contains(m.Text, sub) }
}

func repliesTo(msg tgbotapi.Message, sub string) func(tgbotapi.Message) bool {
	return func(m tgbotapi.Message) bool {
		return m.ReplyToMessage != nil && m.ReplyToMessage.MessageID == msg.MessageID && strings.Contains(m.Text, sub)
	}
}

// hasButton reports whether a message carries an inline button with this callback data.
func hasButton(m tgbotapi.Message, data string) bool {
	if m.ReplyMarkup == nil {
		return false
	}
	for _, row := range m.ReplyMarkup.InlineKeyboard {
		for _, b := range row {
			if b.CallbackData != nil && *b.CallbackData == data {
				return true
			}
		}
	}
	return false
}

// bindGroup binds the clinic's group to 白泥镇 as the admin would.
func (c *clinic) bindGroup(t testing.TB) {
	t.Helper()
	bind := c.tg.SendText(c.group, c.admin, "/bind 白泥镇")
	c.tg.WaitMessage(t, c.group.ID, repliesTo(bind, "已绑定"))
}

// approveExpert walks an expert request from /expert to the admin's Approve press.
func (c *clinic) approveExpert(t *testing.T, expert tgbotapi.User, args string) {
	t.Helper()
	dm := telegramtest.PrivateChat(expert)
	c.tg.Start(c.admin)
	c.tg.SendText(dm, expert, "/start")
	c.tg.SendText(dm, expert, "/expert "+args)
	name := expert.FirstName
	request := c.tg.WaitMessage(t, c.admin.ID, func(m tgbotapi.Message) bool {
		return strings.Contains(m.Text, name) && m.ReplyMarkup != nil && len(m.ReplyMarkup.InlineKeyboard) > 0
	})
	data := *request.ReplyMarkup.InlineKeyboard[0][0].CallbackData
	c.tg.Press(telegramtest.PrivateChat(c.admin), c.admin, request, data)
	c.tg.WaitMessage(t, expert.ID, func(m tgbotapi.Message) bool { return strings.Contains(m.Text, "✅") })
	c.tg.WaitMessage(t, c.admin.ID, func(m tgbotapi.Message) bool {
		return m.MessageID == request.MessageID && strings.Contains(m.Text, "王 局长") && m.ReplyMarkup == nil
	})
}

// TestConsultationLoop walks the whole loop as the people in it see it: an admin binds a
// group, experts register and are approved, a farmer asks, two experts press Claim at
// once, the winner answers, the answer lands in the group and the archive holds it all.
func TestConsultationLoop(t *testing.T) {
	t.Parallel()
	c := newClinic(t)
	tg := c.tg
	adminDM := telegramtest.PrivateChat(c.admin)
	tg.SendText(adminDM, c.admin, "/start")

	// 1. Only an admin binds; an unknown township gets the list.
	refused := tg.SendText(c.group, c.farmer, "/bind 白泥镇")
	tg.WaitMessage(t, c.group.ID, repliesTo(refused, "只有县农业农村局的管理员"))
	unknown := tg.SendText(c.group, c.admin, "/bind 北京")
	tg.WaitMessage(t, c.group.ID, repliesTo(unknown, "白泥镇、龙溪镇"))
	bind := tg.SendText(c.group, c.admin, "/bind 白泥镇")
	tg.WaitMessage(t, c.group.ID, repliesTo(bind, "本群已绑定到 余庆县 白泥镇"))

	unbound := tg.NewGroup("未绑定的群")
	early := tg.SendText(unbound, c.farmer, "/ask 水稻怎么施肥")
	tg.WaitMessage(t, unbound.ID, repliesTo(early, "还没有绑定乡镇"))

	// 2. Two experts register for rice and are approved by the admin.
	c.approveExpert(t, c.experts[0], "水稻")
	c.approveExpert(t, c.experts[1], "rice tea")

	// 3. An empty question gets a hint; a real one is numbered, routed and acknowledged.
	empty := tg.SendText(c.group, c.farmer, "/ask")
	tg.WaitMessage(t, c.group.ID, repliesTo(empty, "请把问题写在 /ask 后面"))
	question := tg.SendText(c.group, c.farmer, "/ask 种植的水稻出现卷叶现象怎么处理? <b>急 & 谢谢 🌾")
	ack := tg.WaitMessage(t, c.group.ID, repliesTo(question, "#1"))
	if !strings.Contains(ack.Text, "水稻") {
		t.Errorf("ack = %q, want the category 水稻", ack.Text)
	}

	// 4. Every on-duty rice expert is notified, in their own language, with a Claim button.
	var notices []tgbotapi.Message
	for _, e := range c.experts {
		n := tg.WaitMessage(t, e.ID, func(m tgbotapi.Message) bool { return hasButton(m, "claim:1") })
		if !strings.Contains(n.Text, "<b>急 & 谢谢 🌾") {
			t.Errorf("notice to %s = %q, want the question text verbatim", e.FirstName, n.Text)
		}
		notices = append(notices, n)
	}
	if !strings.Contains(notices[1].Text, "Question #1") {
		t.Errorf("notice to the English-speaking expert = %q, want English", notices[1].Text)
	}

	// 5. Both press Claim at the same moment: exactly one gets it.
	ids := []string{
		tg.Press(telegramtest.PrivateChat(c.experts[0]), c.experts[0], notices[0], "claim:1"),
		tg.Press(telegramtest.PrivateChat(c.experts[1]), c.experts[1], notices[1], "claim:1"),
	}
	var winner, loser int = -1, -1
	for i, id := range ids {
		a := tg.WaitCallbackAnswer(t, id)
		switch {
		case strings.Contains(a.Text, "已认领 #1") || strings.Contains(a.Text, "You claimed #1"):
			if winner >= 0 {
				t.Fatalf("two experts were told they claimed #1")
			}
			winner = i
		case strings.Contains(a.Text, "was claimed by") || strings.Contains(a.Text, "已被"):
			loser = i
		default:
			t.Fatalf("callback answer %q says neither won nor lost", a.Text)
		}
	}
	if winner < 0 || loser < 0 {
		t.Fatalf("winner=%d loser=%d, want one of each", winner, loser)
	}
	w, l := c.experts[winner], c.experts[loser]
	// The loser's notice now names the holder, and has no button left.
	tg.WaitMessage(t, l.ID, func(m tgbotapi.Message) bool {
		return m.MessageID == notices[loser].MessageID && strings.Contains(m.Text, w.FirstName) && m.ReplyMarkup == nil
	})
	confirm := tg.WaitMessage(t, w.ID, func(m tgbotapi.Message) bool {
		return m.MessageID != notices[winner].MessageID && strings.Contains(m.Text, "#1") && !hasButton(m, "claim:1") &&
			(strings.Contains(m.Text, "你已认领") || strings.Contains(m.Text, "Yours now"))
	})

	// 6. Only the holder may answer; the holder answers by replying to the question.
	lossy := tg.SendText(telegramtest.PrivateChat(l), l, "/answer 1 我也来答")
	tg.WaitMessage(t, l.ID, repliesTo(lossy, "#1"))
	answerText := "建议用 20% 氯虫苯甲酰胺 喷施 <注意安全>"
	tg.ReplyText(telegramtest.PrivateChat(w), w, confirm, answerText)
	posted := tg.WaitMessage(t, c.group.ID, repliesTo(question, "专家解答"))
	if !strings.Contains(posted.Text, answerText) || !strings.Contains(posted.Text, w.FirstName) {
		t.Errorf("answer in group = %q, want the text and the expert's name", posted.Text)
	}
	for _, m := range tg.Messages(c.group.ID) {
		if strings.Contains(m.Text, "我也来答") {
			t.Errorf("the loser's answer reached the group: %q", m.Text)
		}
	}

	// 7. The archive holds the question as answered, with its times and the answer.
	// The holder's confirmation comes after everything answering stores.
	tg.WaitMessage(t, w.ID, func(m tgbotapi.Message) bool {
		return strings.Contains(m.Text, "已发到") || strings.Contains(m.Text, "is posted")
	})
	ctx := context.Background()
	q, err := c.db.Question(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if q.ExpertID != w.ID || q.ClaimedAt.IsZero() || q.AnsweredAt.IsZero() || q.AskedAt.After(q.ClaimedAt) || q.ClaimedAt.After(q.AnsweredAt) {
		t.Errorf("archived question = %+v, want answered by %d with asked ≤ claimed ≤ answered", q, w.ID)
	}
	if q.Township != "白泥镇" || q.CategoryID != "rice" || q.FarmerID != c.farmer.ID {
		t.Errorf("archived question = %+v, want 白泥镇 / rice / the farmer", q)
	}
	answers, err := c.db.Answers(ctx, 1)
	if err != nil || len(answers) != 1 || answers[0].Text != answerText || answers[0].GroupMessageID != int64(posted.MessageID) {
		t.Errorf("answers = %+v, %v; want the one answer posted as message %d", answers, err, posted.MessageID)
	}

	// 8. /queue shows an expert the open questions of their categories, with Claim buttons.
	tea := tg.SendText(c.group, c.farmer, "/ask 茶树叶子发黄是什么原因")
	tg.WaitMessage(t, c.group.ID, repliesTo(tea, "#2"))
	tg.SendText(telegramtest.PrivateChat(c.experts[1]), c.experts[1], "/queue")
	tg.WaitMessage(t, c.experts[1].ID, func(m tgbotapi.Message) bool {
		return strings.Contains(m.Text, "Open questions (1)") && hasButton(m, "claim:2")
	})
	tg.SendText(telegramtest.PrivateChat(c.experts[0]), c.experts[0], "/queue")
	tg.WaitMessage(t, c.experts[0].ID, contains("目前没有待认领的问题"))
}

// runLoops runs a clinic's sender and its poller, through the guard as serve does, until
// the test ends. Tests are not held to Telegram's pace.
func (c *clinic) runLoops(t testing.TB, rdb redis.UniversalClient, prefix string, log *slog.Logger) {
	t.Helper()
	c.guard = c.bot.Guard(func(ctx context.Context) error { return errors.Join(c.db.Ping(ctx), rdb.Ping(ctx).Err()) })
	limiter := store.NewLimiter(rdb, prefix, store.Rates{Global: 10000, PerChat: 10000, GroupMin: 100000})
	runCtx, stop := context.WithCancel(context.Background())
	sent, polled := make(chan error, 1), make(chan error, 1)
	go func() { sent <- bot.NewSender(c.db, c.client, limiter, log).Run(runCtx) }()
	go func() { polled <- bot.NewPoller(c.client, c.guard.HandleMany, log).Run(runCtx) }()
	t.Cleanup(func() {
		stop()
		<-sent
		if err := <-polled; err != nil {
			t.Errorf("poller: %v", err)
		}
	})
}
