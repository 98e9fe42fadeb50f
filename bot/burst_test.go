package bot

// Quiet bursts and the place in the queue (consult/burst.go, ack.go), against the fake
// Bot API enforcing Telegram's limits on a clock the test drives: the service's clock,
// the sender's and the fake's are one, so the sender keeps Telegram's pace without the
// test sleeping. The questions are handled through HandleMany, as the poller hands them
// over, so that a wave of questions is one batch as it is in a real burst.

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/bot/telegramtest"
	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
)

const burstCountyYAML = `
counties:
  - id: yuqing
    name: 余庆县
    timezone: Asia/Shanghai
    admins: [%d]
    townships: [白泥镇]
    categories:
      - id: rice
        name: 水稻
        name_en: Rice
        keywords: [水稻, 稻]
      - id: general
        name: 综合
        name_en: General
`

// burstClinic is one instance of the bot (service, bot, sender) over a shared archive,
// Redis and fake Telegram; restart replaces the instance and keeps the rest.
type burstClinic struct {
	*senderBundle
	clock  *fakeClock
	rule   store.BurstRule
	svc    *consult.Service
	bot    *Bot
	sender *Sender
	admin  tgbotapi.User
	expert tgbotapi.User
	group  tgbotapi.Chat
	update int
	// asked is when each question's message was sent, by message id.
	asked map[int]time.Time
}

func setupBurst(t *testing.T, rule store.BurstRule) *burstClinic {
	t.Helper()
	c := &burstClinic{senderBundle: setupSender(t), rule: rule, update: 900000, asked: map[int]time.Time{}}
	c.clock = c.clockAhead(t, newStepClock)
	// Telegram's limits per chat and per group; not the overall one, which a stepping
	// clock cannot judge (see TestTwoSendersStayWithinTheLimitsTelegramEnforces).
	c.tg.EnforceLimits(telegramtest.Limits{PerChat: 1, GroupPerMinute: 20})
	c.admin = c.tg.NewUser("王", "局长", "zh-hans")
	c.expert = c.tg.NewUser("李", "明", "zh-hans")
	c.group = c.tg.NewGroup("白泥镇农户群")
	c.tg.Start(c.admin)
	c.tg.Start(c.expert)
	c.restart(t)
	ctx := context.Background()
	if _, _, err := c.svc.Bind(ctx, c.group.ID, c.group.Title, c.admin.ID, "白泥镇", nil); err != nil {
		t.Fatalf("bind: %v", err)
	}
	req, _, err := c.svc.RequestExpert(ctx, consult.ExpertRequestInput{Person: consult.Person{ID: c.expert.ID, Name: "李 明"}, Args: []string{"水稻"}, UpdateID: 1}, nil)
	if err != nil {
		t.Fatalf("expert request: %v", err)
	}
	if _, _, err := c.svc.DecideExpert(ctx, req.ID, c.admin.ID, true, nil); err != nil {
		t.Fatalf("approve expert: %v", err)
	}
	return c
}

// restart starts a new instance: nothing of the last one's memory is left.
func (c *burstClinic) restart(t *testing.T) {
	t.Helper()
	counties, err := consult.ParseCounties(fmt.Appendf(nil, burstCountyYAML, c.admin.ID), "test.yaml")
	if err != nil {
		t.Fatalf("counties: %v", err)
	}
	c.svc = consult.NewService(c.db, store.NewQueue(c.rdb, c.prefix), counties,
		consult.Options{Now: c.clock.Now, Bursts: &c.rule, Logger: senderTestLog()})
	if err := c.svc.SaveCounties(context.Background()); err != nil {
		t.Fatalf("save counties: %v", err)
	}
	client, err := NewClient(context.Background(), c.tg.Token(), c.tg.URL())
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	c.bot = New(c.svc, c.db, client, senderTestLog())
	c.sender = c.newSender(t, store.DefaultRates)
	c.sender.clock = c.clock
}

// ask has each farmer ask one question in the group, all in one batch, and returns
// their messages.
func (c *burstClinic) ask(t *testing.T, farmers []tgbotapi.User, text func(i int) string) []tgbotapi.Message {
	t.Helper()
	var us []Update
	var msgs []tgbotapi.Message
	for i, f := range farmers {
		m := c.tg.SendText(c.group, f, text(i))
		c.asked[m.MessageID] = c.clock.Now()
		c.update++
		msgs = append(msgs, m)
		us = append(us, Update{Update: tgbotapi.Update{UpdateID: c.update, Message: &m}})
	}
	for i, err := range c.bot.HandleMany(context.Background(), us) {
		if err != nil {
			t.Fatalf("question %d: %v", i, err)
		}
	}
	return msgs
}

// private handles a message from a person to the bot in their private chat.
func (c *burstClinic) private(t *testing.T, from tgbotapi.User, text string) {
	t.Helper()
	m := c.tg.SendText(telegramtest.PrivateChat(from), from, text)
	c.update++
	if err := c.bot.Handle(context.Background(), Update{Update: tgbotapi.Update{UpdateID: c.update, Message: &m}}); err != nil {
		t.Fatalf("%q: %v", text, err)
	}
}

func (c *burstClinic) farmers(n, from int) []tgbotapi.User {
	out := make([]tgbotapi.User, n)
	for i := range out {
		out[i] = c.tg.NewUser(fmt.Sprintf("农户%d", from+i), "", "zh-hans")
	}
	return out
}

// groupCalls are the bot's accepted calls of a method to the group, in order.
func (c *burstClinic) groupCalls(method string) []telegramtest.Call {
	var out []telegramtest.Call
	for _, call := range c.tg.Calls(method) {
		if call.Status == http.StatusOK && call.Params["chat_id"] == fmt.Sprint(c.group.ID) {
			out = append(out, call)
		}
	}
	return out
}

// numberIn says whether a text shows question #n (not #n0, #n1…).
func numberIn(text string, n int64) bool {
	return regexp.MustCompile(fmt.Sprintf(`#%d(\D|$)`, n)).MatchString(text)
}

// visibleAt is when question #n's number first showed in the group: the first accepted
// send or edit there whose text has it.
func (c *burstClinic) visibleAt(n int64) (time.Time, bool) {
	var first time.Time
	for _, method := range []string{"sendMessage", "editMessageText"} {
		for _, call := range c.groupCalls(method) {
			if numberIn(stripTags(call.Params["text"]), n) && (first.IsZero() || call.At.Before(first)) {
				first = call.At
			}
		}
	}
	return first, !first.IsZero()
}

var tags = regexp.MustCompile(`<[^>]*>`)

func stripTags(s string) string { return tags.ReplaceAllString(s, "") }

func (c *burstClinic) questionOf(t *testing.T, m tgbotapi.Message) store.Question {
	t.Helper()
	var id int64
	if err := c.pool.QueryRow(context.Background(), `SELECT id FROM questions WHERE chat_id = $1 AND message_id = $2`,
		c.group.ID, m.MessageID).Scan(&id); err != nil {
		t.Fatalf("question of message %d: %v", m.MessageID, err)
	}
	q, err := c.db.Question(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// TestABurstOfFortyQuestionsIsAcknowledgedTogetherWithinTelegramsLimits: forty farmers
// ask in one group in four waves (each a batch, as a meeting's questions arrive). The
// group sees every number within ten seconds of its question, from far fewer than forty
// messages (two of their own, then shared lists edited as more come), Telegram
// never answers 429, every question gets 👀, and an answer still replies to its
// farmer's own message and turns 👀 into 👍.
func TestABurstOfFortyQuestionsIsAcknowledgedTogetherWithinTelegramsLimits(t *testing.T) {
	t.Parallel()
	c := setupBurst(t, consult.DefaultBursts)
	var msgs []tgbotapi.Message
	for wave := range 4 {
		msgs = append(msgs, c.ask(t, c.farmers(10, wave*10), func(i int) string { return fmt.Sprintf("/ask 水稻叶子发黄 %d", wave*10+i) })...)
		c.drain(t, c.sender)
	}

	if n := c.tg.TooManyRequests(); n != 0 {
		t.Errorf("Telegram answered 429 %d times, want 0", n)
	}
	sends, edits := c.groupCalls("sendMessage"), c.groupCalls("editMessageText")
	if len(sends) > 5 {
		t.Errorf("the group got %d messages for 40 questions, want at most 5 (2 alone, then shared lists)", len(sends))
	}
	if len(edits) == 0 {
		t.Errorf("the shared acknowledgement was never edited as more questions came")
	}
	shared := 0
	for _, s := range sends {
		if strings.Contains(s.Params["text"], "📋") {
			shared++
			if s.Params["reply_to_message_id"] != "" {
				t.Errorf("the shared acknowledgement replies to message %s, want no reply", s.Params["reply_to_message_id"])
			}
		}
	}
	// Thirty to a list (DefaultBursts.Max): #3–#32, then #33–#40.
	if shared != 2 {
		t.Errorf("%d shared acknowledgements posted, want 2", shared)
	}
	for _, m := range msgs {
		q := c.questionOf(t, m)
		at, ok := c.visibleAt(q.ID)
		switch {
		case !ok:
			t.Errorf("#%d: its number never showed in the group", q.ID)
		case at.Sub(c.asked[m.MessageID]) > 10*time.Second:
			t.Errorf("#%d: its number showed %v after the question, want at most 10s", q.ID, at.Sub(c.asked[m.MessageID]))
		}
		if got := c.tg.Reactions(c.group.ID, m.MessageID); !slices.Equal(got, []string{"👀"}) {
			t.Errorf("#%d: the bot's reaction = %q, want 👀", q.ID, got)
		}
	}
	// The group's messages, minute by minute on the fake's clock: never over 20.
	for i, s := range append(sends, edits...) {
		n := 0
		for _, o := range append(sends, edits...) {
			if !o.At.Before(s.At) && o.At.Sub(s.At) < time.Minute {
				n++
			}
		}
		if n > 20 {
			t.Errorf("call %d: %d messages and edits to the group within the minute after it, want at most 20", i, n)
		}
	}

	// The shared lists name the farmers.
	for _, name := range []string{"农户2（", "农户31（", "农户32（", "农户39（"} {
		if !slices.ContainsFunc(append(sends, edits...), func(c telegramtest.Call) bool { return strings.Contains(stripTags(c.Params["text"]), name) }) {
			t.Errorf("no shared acknowledgement names %s", strings.TrimSuffix(name, "（"))
		}
	}

	// An answer to a question of the shared list replies to the farmer's own message.
	q := c.questionOf(t, msgs[20])
	if _, err := c.svc.Claim(context.Background(), q.ID, c.expert.ID, nil); err != nil {
		t.Fatalf("claim #%d: %v", q.ID, err)
	}
	c.private(t, c.expert, fmt.Sprintf("/answer %d 每亩追施尿素5公斤", q.ID))
	c.drain(t, c.sender)
	var answer *telegramtest.Call
	for _, s := range c.groupCalls("sendMessage") {
		if strings.Contains(s.Params["text"], "每亩追施尿素5公斤") {
			answer = &s
		}
	}
	if answer == nil {
		t.Fatalf("the answer to #%d never reached the group", q.ID)
	}
	if want := fmt.Sprint(msgs[20].MessageID); answer.Params["reply_to_message_id"] != want {
		t.Errorf("the answer replies to message %q, want the farmer's own %s", answer.Params["reply_to_message_id"], want)
	}
	if got := c.tg.Reactions(c.group.ID, msgs[20].MessageID); !slices.Equal(got, []string{"👍"}) {
		t.Errorf("after the answer the bot's reaction = %q, want 👍", got)
	}
	if n := c.tg.TooManyRequests(); n != 0 {
		t.Errorf("Telegram answered 429 %d times, want 0", n)
	}
}

// TestARestartInTheMiddleOfABurstLosesNothing: the bot stops after storing a wave of
// questions and before sending anything; a new instance takes the next wave. The shared
// acknowledgement, posted once, lists every question of both waves.
func TestARestartInTheMiddleOfABurstLosesNothing(t *testing.T) {
	t.Parallel()
	c := setupBurst(t, consult.DefaultBursts)
	first := c.ask(t, c.farmers(8, 0), func(i int) string { return fmt.Sprintf("/ask 水稻倒伏 %d", i) })
	c.restart(t)
	second := c.ask(t, c.farmers(8, 8), func(i int) string { return fmt.Sprintf("/ask 水稻倒伏 %d", 8+i) })
	c.drain(t, c.sender)

	var shared []telegramtest.Call
	for _, s := range c.groupCalls("sendMessage") {
		if strings.Contains(s.Params["text"], "📋") {
			shared = append(shared, s)
		}
	}
	if len(shared) != 1 {
		t.Fatalf("%d shared acknowledgements posted, want 1", len(shared))
	}
	for _, m := range append(first, second...) {
		q := c.questionOf(t, m)
		if _, ok := c.visibleAt(q.ID); !ok {
			t.Errorf("#%d: its number never showed in the group", q.ID)
		}
	}
	// The third question on is in the shared one, and its message id is stored.
	var items int
	var messageID int64
	if err := c.pool.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM group_ack_questions n WHERE n.ack_id = a.id),
			coalesce(o.message_id, 0)
		FROM group_ack_questions g JOIN group_acks a ON a.id = g.ack_id LEFT JOIN outbox o ON o.id = a.outbox_id
		WHERE g.question_id = $1`, c.questionOf(t, second[7]).ID).Scan(&items, &messageID); err != nil {
		t.Fatalf("group ack: %v", err)
	}
	if items != 14 || messageID == 0 {
		t.Errorf("the shared acknowledgement lists %d questions, message %d; want 14 and its message id", items, messageID)
	}
}

// TestReactionsWhereTheGroupAllowsThem: where the group's available reactions leave out
// 👀, Telegram answers REACTION_INVALID; the bot takes it as done (one call, no retry,
// nothing failed), and the acknowledgement goes out as before. So where reactions are
// off altogether.
func TestReactionsWhereTheGroupAllowsThem(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		allowed []string // nil: every emoji
		want    []string
	}{
		{name: "every emoji allowed", want: []string{"👀"}},
		{name: "👀 left out", allowed: []string{"🔥", "👍"}},
		{name: "reactions off", allowed: []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := setupBurst(t, consult.DefaultBursts)
			if tc.allowed != nil {
				c.tg.SetAvailableReactions(c.group.ID, tc.allowed...)
			}
			m := c.ask(t, c.farmers(1, 0), func(int) string { return "/ask 水稻叶子发黄" })[0]
			c.drain(t, c.sender)
			if got := c.tg.Reactions(c.group.ID, m.MessageID); !slices.Equal(got, tc.want) {
				t.Errorf("the bot's reaction = %q, want %q", got, tc.want)
			}
			calls := c.tg.Calls("setMessageReaction")
			if len(calls) != 1 {
				t.Fatalf("setMessageReaction called %d times, want once", len(calls))
			}
			if tc.want == nil && !strings.Contains(calls[0].Description, "REACTION_INVALID") {
				t.Errorf("setMessageReaction answered %d %q, want REACTION_INVALID", calls[0].Status, calls[0].Description)
			}
			if !slices.ContainsFunc(c.groupCalls("sendMessage"), func(s telegramtest.Call) bool {
				return strings.Contains(s.Params["text"], "已收到问题 <b>#1</b>") && s.Params["reply_to_message_id"] == fmt.Sprint(m.MessageID)
			}) {
				t.Errorf("the question was not acknowledged with a reply to it")
			}
			var waiting, failed int
			if err := c.pool.QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE sent_at IS NULL AND failed_at IS NULL),
				count(*) FILTER (WHERE failed_at IS NOT NULL) FROM outbox`).Scan(&waiting, &failed); err != nil {
				t.Fatal(err)
			}
			if waiting != 0 || failed != 0 {
				t.Errorf("outbox: %d waiting, %d failed; want none", waiting, failed)
			}
		})
	}
}

// TestTheAcknowledgementSaysThePlaceInTheQueue: a question says how many wait before it
// and how many experts of its category are on duty; with nobody on duty, when the next
// clinic session of its category opens (county time); in a burst, the shared list says
// each question's place and its category's experts.
func TestTheAcknowledgementSaysThePlaceInTheQueue(t *testing.T) {
	t.Parallel()
	c := setupBurst(t, consult.DefaultBursts)
	ctx := context.Background()
	ack := func(m tgbotapi.Message) string {
		t.Helper()
		for _, s := range c.groupCalls("sendMessage") {
			if s.Params["reply_to_message_id"] == fmt.Sprint(m.MessageID) {
				return stripTags(s.Params["text"])
			}
		}
		t.Fatalf("no acknowledgement of message %d", m.MessageID)
		return ""
	}

	first := c.ask(t, c.farmers(1, 0), func(int) string { return "/ask 水稻叶子发黄" })[0]
	second := c.ask(t, c.farmers(1, 1), func(int) string { return "/ask 水稻倒伏" })[0]
	c.drain(t, c.sender)
	if got := ack(first); !strings.Contains(got, "前面还有 0 个问题，1 位专家值班") {
		t.Errorf("first acknowledgement = %q, want 0 ahead and 1 expert on duty", got)
	}
	if got := ack(second); !strings.Contains(got, "前面还有 1 个问题，1 位专家值班") {
		t.Errorf("second acknowledgement = %q, want 1 ahead and 1 expert on duty", got)
	}

	// Off duty, with a clinic session of rice planned for tomorrow 09:00 county time; two
	// minutes later, so that the group is quiet again.
	c.clock.Set(c.clock.Now().Add(2 * time.Minute))
	if err := c.svc.SetDuty(ctx, c.expert.ID, false); err != nil {
		t.Fatal(err)
	}
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	now := c.clock.Now().In(shanghai)
	session := time.Date(now.Year(), now.Month(), now.Day()+1, 9, 0, 0, 0, shanghai)
	if _, err := c.db.CreateSchedule(ctx, store.Schedule{CountyID: "yuqing", Kind: store.ScheduleClinic, Spec: "0 9 * * *",
		Duration: 2 * time.Hour, CategoryID: "rice", Experts: []int64{c.expert.ID}, Active: true, NextRunAt: session,
		CreatedBy: c.admin.ID, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	third := c.ask(t, c.farmers(1, 2), func(int) string { return "/ask 水稻稻瘟病" })[0]
	c.drain(t, c.sender)
	got := ack(third)
	for _, want := range []string{"目前没有在线的该类专家", "前面还有 2 个问题", "下一次坐诊 " + session.Format("01-02 15:04") + " 开始"} {
		if !strings.Contains(got, want) {
			t.Errorf("acknowledgement off duty = %q, want %q in it", got, want)
		}
	}

	// A burst, in a quiet group again: the third farmer within a minute opens the shared
	// list.
	c.clock.Set(c.clock.Now().Add(2 * time.Minute))
	if err := c.svc.SetDuty(ctx, c.expert.ID, true); err != nil {
		t.Fatal(err)
	}
	c.ask(t, c.farmers(4, 3), func(i int) string { return fmt.Sprintf("/ask 水稻分蘖少 %d", i) })
	c.drain(t, c.sender)
	var list string
	for _, s := range c.groupCalls("sendMessage") {
		if strings.Contains(s.Params["text"], "📋") {
			list = stripTags(s.Params["text"])
		}
	}
	for _, want := range []string{"已收到 2 个问题", "#6 农户5（水稻），前面 5 个", "#7 农户6（水稻），前面 6 个", "水稻：1 位专家值班"} {
		if !strings.Contains(list, want) {
			t.Errorf("shared acknowledgement = %q, want %q in it", list, want)
		}
	}
}

// TestTheSharedAcknowledgementHoldsHostileNames: thirty farmers whose names are 5,000
// characters of markup and a right-to-left override still make one message that
// Telegram can parse: each name is cut short and escaped, the override is gone, and
// the list fits the 4,096-character limit with every question's number in it.
func TestTheSharedAcknowledgementHoldsHostileNames(t *testing.T) {
	t.Parallel()
	hostile := "\u202e<b>&amp;\"'" + strings.Repeat("<a href=\"x\">𝕏</a>", 300)
	a := &store.GroupAck{ID: 1, ChatID: -100}
	for i := range 30 {
		a.Items = append(a.Items, store.GroupAckItem{QuestionID: int64(1_000_000 + i), FarmerName: hostile,
			CategoryID: "rice", Ahead: 1000 + i, OnDuty: 3})
	}
	county := &consult.County{Categories: []consult.Category{{ID: "rice", Name: "水稻"}}}
	for _, code := range []string{"zh", "en"} {
		m := sharedAck(langFromCode(code), county, a)
		if n := utf16Len(m.Text); n > 4096 {
			t.Errorf("%s: the shared acknowledgement is %d UTF-16 units, want at most 4,096", code, n)
		}
		if strings.ContainsRune(m.Text, '\u202e') {
			t.Errorf("%s: a farmer's right-to-left override reached the group", code)
		}
		if strings.Contains(m.Text, "<a") || strings.Contains(m.Text, "<b>&") {
			t.Errorf("%s: a farmer's markup reached the group unescaped: %q", code, m.Text)
		}
		for _, it := range a.Items {
			if !numberIn(m.Text, it.QuestionID) {
				t.Errorf("%s: #%d is missing from the list", code, it.QuestionID)
			}
		}
	}
}
