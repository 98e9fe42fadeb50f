package bot_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/bot"
	"github.com/agriclinic/agriclinic/bot/telegramtest"
)

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestARedeliveredUpdateChangesNothing hands the bot the same /ask update twice, as
// Telegram does when a confirmation was lost: one question, one acknowledgement.
func TestARedeliveredUpdateChangesNothing(t *testing.T) {
	t.Parallel()
	c := newClinic(t)
	c.bindGroup(t)

	text := "/ask 水稻秧苗发黄"
	msg := &tgbotapi.Message{
		MessageID: 9999, From: &c.farmer, Chat: &c.group, Text: text,
		Entities: []tgbotapi.MessageEntity{{Type: "bot_command", Offset: 0, Length: 4}},
	}
	u := bot.Update{Update: tgbotapi.Update{UpdateID: 424242, Message: msg}}
	ctx := context.Background()
	for range 2 {
		if err := c.bot.Handle(ctx, u); err != nil {
			t.Fatalf("handle: %v", err)
		}
	}
	var acks int
	if err := c.pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE chat_id = $1 AND text LIKE '%已收到问题%'`, c.group.ID).Scan(&acks); err != nil {
		t.Fatal(err)
	}
	open, err := c.db.OpenQuestions(ctx)
	if err != nil || len(open) != 1 || acks != 1 {
		t.Errorf("after a redelivery: %d questions (%v) and %d acks; want 1 and 1", len(open), err, acks)
	}
	c.tg.WaitMessage(t, c.group.ID, func(m tgbotapi.Message) bool { return strings.Contains(m.Text, "已收到问题") })
}

// TestPollerConfirmsAnUpdateOnlyAfterItIsStored makes the handler fail once, as when
// Postgres is down: the update is not confirmed, comes again, and is confirmed after it
// succeeds.
func TestPollerConfirmsAnUpdateOnlyAfterItIsStored(t *testing.T) {
	t.Parallel()
	tg := telegramtest.NewServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	client, err := bot.NewClient(ctx, tg.Token(), tg.URL())
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var seen []int
	var before []telegramtest.Call // getUpdates calls made before the update was stored
	handled := make(chan struct{})
	handler := func(ctx context.Context, u bot.Update) error {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, u.UpdateID)
		if len(seen) == 1 {
			return errors.New("postgres is down")
		}
		before = tg.Calls("getUpdates")
		close(handled)
		return nil
	}
	done := make(chan error, 1)
	go func() { done <- bot.NewPoller(client, bot.OneByOne(handler, 16), quietLog()).Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	user := tg.NewUser("张", "三", "zh")
	tg.SendText(telegramtest.PrivateChat(user), user, "/help")
	<-handled
	tg.WaitConfirmed(t, 1)
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2 || seen[0] != 1 || seen[1] != 1 {
		t.Errorf("handler saw updates %v, want update 1 twice", seen)
	}
	for _, call := range before {
		if call.Params["offset"] != "" && call.Params["offset"] != "0" && call.Params["offset"] != "1" {
			t.Errorf("getUpdates with offset %s before update 1 was stored", call.Params["offset"])
		}
	}
}

// TestWebhookModeHandlesUpdatesAndRejectsAWrongSecret runs the bot behind its webhook, with
// the fake Bot API posting updates to it.
func TestWebhookModeHandlesUpdatesAndRejectsAWrongSecret(t *testing.T) {
	t.Parallel()
	c := newClinicWithoutPolling(t)
	const secret = "s3cret-token_1"
	srv := httptest.NewServer(bot.NewWebhook(secret, c.bot.Handle, quietLog()))
	t.Cleanup(srv.Close)

	for _, tt := range []struct {
		name   string
		secret string
		body   string
		want   int
	}{
		{"no secret", "", `{"update_id":1}`, http.StatusUnauthorized},
		{"a wrong secret", "guess", `{"update_id":1}`, http.StatusUnauthorized},
		{"a malformed body", secret, `{"update_id":`, http.StatusBadRequest},
		{"not an update", secret, `[]`, http.StatusBadRequest},
		{"an oversized body", secret, `{"update_id":1,"x":"` + strings.Repeat("a", 2<<20) + `"}`, http.StatusRequestEntityTooLarge},
	} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(tt.body))
		if tt.secret != "" {
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", tt.secret)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, resp.StatusCode, tt.want)
		}
	}

	if err := c.client.SetWebhook(context.Background(), srv.URL+"/telegram", secret); err != nil {
		t.Fatal(err)
	}
	c.bindGroup(t)
}

func TestTheCommandMenuIsPublishedInChineseAndEnglish(t *testing.T) {
	t.Parallel()
	tg := telegramtest.NewServer(t)
	client, err := bot.NewClient(context.Background(), tg.Token(), tg.URL())
	if err != nil {
		t.Fatal(err)
	}
	if err := client.RegisterCommands(context.Background()); err != nil {
		t.Fatal(err)
	}
	names := func(cmds []tgbotapi.BotCommand) string {
		var s []string
		for _, c := range cmds {
			s = append(s, c.Command)
		}
		return strings.Join(s, " ")
	}
	group := tg.Commands(tgbotapi.BotCommandScope{Type: "all_group_chats"}, "")
	groupEn := tg.Commands(tgbotapi.BotCommandScope{Type: "all_group_chats"}, "en")
	private := tg.Commands(tgbotapi.BotCommandScope{Type: "all_private_chats"}, "")
	if len(group) == 0 || group[0].Command != "ask" || !strings.Contains(group[0].Description, "提问") {
		t.Errorf("group menu = %+v, want Chinese starting with ask", group)
	}
	if len(groupEn) == 0 || !strings.Contains(groupEn[0].Description, "Ask") {
		t.Errorf("English group menu = %+v, want English", groupEn)
	}
	// A farmer's private menu has no expert commands and no group-only ones.
	if got := names(private); got != "expert lang whoami help" {
		t.Errorf("private menu = %s, want expert lang whoami help", got)
	}
	if got := names(group); strings.Contains(got, "queue") || !strings.Contains(got, "bind") {
		t.Errorf("group menu = %s, want the group's commands only", got)
	}
}

// TestPollerHandlesEachChatsUpdatesInOrderAndChatsTogether queues updates from two chats
// before the poller starts, so they come in one batch: a chat's updates are handled in
// order, and a failure holds back only its chat's later updates, which come again after
// the failed one.
func TestPollerHandlesEachChatsUpdatesInOrderAndChatsTogether(t *testing.T) {
	t.Parallel()
	tg := telegramtest.NewServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	client, err := bot.NewClient(ctx, tg.Token(), tg.URL())
	if err != nil {
		t.Fatal(err)
	}
	a, b := tg.NewUser("甲", "", "zh"), tg.NewUser("乙", "", "zh")
	tg.SendText(telegramtest.PrivateChat(a), a, "a1") // update 1
	tg.SendText(telegramtest.PrivateChat(a), a, "a2") // update 2, fails the first time
	tg.SendText(telegramtest.PrivateChat(b), b, "b1") // update 3
	tg.SendText(telegramtest.PrivateChat(a), a, "a3") // update 4

	var mu sync.Mutex
	seen := map[int64][]int{}
	failed := false
	handle := func(ctx context.Context, u bot.Update) error {
		mu.Lock()
		defer mu.Unlock()
		seen[u.Message.Chat.ID] = append(seen[u.Message.Chat.ID], u.UpdateID)
		if u.UpdateID == 2 && !failed {
			failed = true
			return errors.New("postgres is down")
		}
		return nil
	}
	done := make(chan error, 1)
	go func() { done <- bot.NewPoller(client, bot.OneByOne(handle, 16), quietLog()).Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	tg.WaitConfirmed(t, 4)

	mu.Lock()
	defer mu.Unlock()
	// a3 waited behind a2; b1 came again with the batch from a2 on (handlers deduplicate).
	if got, want := fmt.Sprint(seen[a.ID], seen[b.ID]), "[1 2 2 4] [3 3]"; got != want {
		t.Errorf("handled %s, want %s", got, want)
	}
}

// TestHandleManyTakesQuestionsTogetherAndEverythingElseAsAlways hands the bot a batch:
// in the bound group a question, the same question again, /help and another question;
// questions from an unbound group; a command for another bot; a private /help. The
// group's messages come out in the order of its updates, the repeat is recognised inside
// the batch, the unbound group is told why not, the other bot's command is left alone.
func TestHandleManyTakesQuestionsTogetherAndEverythingElseAsAlways(t *testing.T) {
	t.Parallel()
	c := newClinic(t)
	c.bindGroup(t)
	unbound, other := c.tg.NewGroup("未绑定的群"), c.tg.NewGroup("别的群")
	neighbour := c.tg.NewUser("赵", "四", "zh")
	msg := func(chat tgbotapi.Chat, from tgbotapi.User, id int, text string) *tgbotapi.Message {
		return &tgbotapi.Message{MessageID: id, From: &from, Chat: &chat, Text: text}
	}
	us := []bot.Update{
		{Update: tgbotapi.Update{UpdateID: 900001, Message: msg(c.group, c.farmer, 7001, "/ask 水稻叶子发黄")}},
		{Update: tgbotapi.Update{UpdateID: 900002, Message: msg(unbound, c.farmer, 7002, "/ask 茶叶")}},
		{Update: tgbotapi.Update{UpdateID: 900003, Message: msg(c.group, c.farmer, 7003, "/ask 水稻叶子发黄")}},
		{Update: tgbotapi.Update{UpdateID: 900004, Message: msg(other, c.farmer, 7004, "/ask@SomeOtherBot 你好")}},
		{Update: tgbotapi.Update{UpdateID: 900005, Message: msg(c.group, c.farmer, 7005, "/help")}},
		{Update: tgbotapi.Update{UpdateID: 900006, Message: msg(telegramtest.PrivateChat(c.farmer), c.farmer, 7006, "/help")}},
		{Update: tgbotapi.Update{UpdateID: 900007, Message: msg(c.group, neighbour, 7007, "/ask 茶树长虫子了")}},
		{Update: tgbotapi.Update{UpdateID: 900008, Message: msg(unbound, c.farmer, 7008, "/ask 玉米")}},
	}
	ctx := context.Background()
	for i, err := range c.bot.HandleMany(ctx, us) {
		if err != nil {
			t.Errorf("update %d: %v", i, err)
		}
	}
	replies := func(chat int64) (out []string) {
		rows, err := c.pool.Query(ctx, `SELECT reply_to || ' ' || text FROM outbox WHERE chat_id = $1 AND reply_to >= 7000 ORDER BY id`, chat)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var s string
			rows.Scan(&s)
			out = append(out, s)
		}
		return out
	}
	group := replies(c.group.ID)
	wants := []string{"7001 已收到问题", "7003 这个问题刚才已经收到了", "7005 ", "7007 已收到问题"}
	if len(group) != len(wants) {
		t.Fatalf("group replies %q, want %d in the order of the updates", group, len(wants))
	}
	for i, want := range wants {
		if !strings.HasPrefix(group[i], want) {
			t.Errorf("group reply %d = %q, want it to start %q", i, group[i], want)
		}
	}
	open, err := c.db.OpenQuestions(ctx)
	if err != nil || len(open) != 2 || open[0].MessageID != 7001 || open[1].MessageID != 7007 || open[0].ID > open[1].ID {
		t.Errorf("open questions %+v (%v), want 7001 then 7007", open, err)
	}
	if u := replies(unbound.ID); len(u) != 2 || !strings.Contains(u[0], "还没有绑定乡镇") || len(replies(other.ID)) != 0 || len(replies(c.farmer.ID)) != 1 {
		t.Errorf("unbound told %q, the other bot's group %q, the private /help %q; want 2, none and 1",
			u, replies(other.ID), replies(c.farmer.ID))
	}
}
