package bot_test

import (
	"context"
	"errors"
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
	go func() { done <- bot.NewPoller(client, handler, quietLog()).Run(ctx) }()
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
