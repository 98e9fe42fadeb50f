package main

import (
	"context"
	"net/url"
	"strings"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/bot/telegramtest"
	"github.com/agriclinic/agriclinic/store/storetest"
)

// throughProxy rewrites a URL's host:port to go through p.
func throughProxy(t *testing.T, raw string, p *storetest.Proxy) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = p.Addr()
	return u.String()
}

// TestTheBotRidesOutPostgresAndRedisOutages runs the binary with Postgres and Redis behind
// proxies and takes each away in turn. Without Postgres an update is not confirmed to
// Telegram and is handled once Postgres is back; without Redis questions are still stored
// and answered, and the queues come back when Redis does — also after Redis lost all keys.
func TestTheBotRidesOutPostgresAndRedisOutages(t *testing.T) {
	t.Parallel()
	tg := telegramtest.NewServer(t)
	admin := tg.NewUser("王", "局长", "zh-hans")
	expert := tg.NewUser("李", "明", "zh-hans")
	farmer := tg.NewUser("张", "大伯", "zh-hans")
	counties := exampleWithAdmin(t, admin.ID)
	dbURL := storetest.NewDatabase(t)
	pgProxy := storetest.NewProxy(t, "127.0.0.1:5432")
	rdb, prefix := storetest.NewRedis(t)
	redisProxy := storetest.NewProxy(t, rdb.Options().Addr)
	env := map[string]string{
		"TELEGRAM_TOKEN":      tg.Token(),
		"TELEGRAM_API_URL":    tg.URL(),
		"DATABASE_URL":        throughProxy(t, dbURL, pgProxy),
		"REDIS_URL":           "redis://" + redisProxy.Addr() + "/0",
		"REDIS_PREFIX":        prefix,
		"HTTP_ADDR":           freeAddr(t),
		"AGRICLINIC_COUNTIES": counties,
		"RECONCILE_INTERVAL":  "100ms",
		"SEND_RATE_CHAT":      "1000",
		"SEND_RATE_GROUP":     "100000",
		"SEND_RATE_GLOBAL":    "10000",
	}
	runServe(t, env)

	group := tg.NewGroup("白泥镇群")
	bind := tg.SendText(group, admin, "/bind 白泥镇")
	tg.WaitMessage(t, group.ID, replyContaining(bind, "余庆县 白泥镇"))
	tg.Start(admin)
	tg.SendText(telegramtest.PrivateChat(expert), expert, "/expert 水稻")
	request := tg.WaitMessage(t, admin.ID, func(m tgbotapi.Message) bool { return m.ReplyMarkup != nil })
	tg.Press(telegramtest.PrivateChat(admin), admin, request, *request.ReplyMarkup.InlineKeyboard[0][0].CallbackData)
	tg.WaitMessage(t, expert.ID, func(m tgbotapi.Message) bool { return strings.Contains(m.Text, "你已成为") })

	// Postgres goes away: the question is not confirmed to Telegram, and the bot keeps
	// asking for it again.
	pgProxy.Down()
	asked := tg.SendText(group, farmer, "/ask 水稻叶子卷了怎么办")
	fetches := func() int {
		n := 0
		for _, c := range tg.Calls("getUpdates") {
			if c.Status == 200 && strings.Contains(string(c.Result), "水稻叶子卷了") {
				n++
			}
		}
		return n
	}
	// Fetched, not stored, so not confirmed: Telegram hands it over again.
	tg.WaitCall(t, "getUpdates", func(telegramtest.Call) bool { return fetches() >= 2 })
	if acks := countReplies(tg, group.ID, asked); acks != 0 {
		t.Fatalf("acknowledged while Postgres was down")
	}
	pgProxy.Up()
	tg.WaitMessage(t, group.ID, replyContaining(asked, "#1"))
	tg.WaitMessage(t, expert.ID, func(m tgbotapi.Message) bool { return strings.Contains(m.Text, "问题 #1") })

	// Redis goes away: a question is still stored, acknowledged and pushed to the expert.
	redisProxy.Down()
	second := tg.SendText(group, farmer, "/ask 秧苗发黄 水稻")
	tg.WaitMessage(t, group.ID, replyContaining(second, "#2"))
	tg.WaitMessage(t, expert.ID, func(m tgbotapi.Message) bool { return strings.Contains(m.Text, "问题 #2") })

	// Redis comes back having lost every key: the reconciler puts both questions back.
	keys, err := rdb.Keys(context.Background(), prefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) > 0 {
		if err := rdb.Del(context.Background(), keys...).Err(); err != nil {
			t.Fatal(err)
		}
	}
	redisProxy.Up()
	for {
		q := tg.SendText(telegramtest.PrivateChat(expert), expert, "/queue")
		list := tg.WaitMessage(t, expert.ID, replyContaining(q, ""))
		if strings.Contains(list.Text, "#1") && strings.Contains(list.Text, "#2") {
			break
		}
	}
	if countReplies(tg, group.ID, asked) != 1 || countReplies(tg, group.ID, second) != 1 {
		t.Errorf("a question was acknowledged other than once")
	}
}

func replyContaining(to tgbotapi.Message, sub string) func(tgbotapi.Message) bool {
	return func(m tgbotapi.Message) bool {
		return m.ReplyToMessage != nil && m.ReplyToMessage.MessageID == to.MessageID && strings.Contains(m.Text, sub)
	}
}

func countReplies(tg *telegramtest.Server, chatID int64, to tgbotapi.Message) int {
	n := 0
	for _, m := range tg.Messages(chatID) {
		if m.From != nil && m.From.IsBot && m.ReplyToMessage != nil && m.ReplyToMessage.MessageID == to.MessageID {
			n++
		}
	}
	return n
}
