package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/jackc/pgx/v5"

	"github.com/agriclinic/agriclinic/bot/telegramtest"
	"github.com/agriclinic/agriclinic/store/storetest"
)

// TestAPoisonedUpdateIsSetAsideAndTheOthersGoOn runs the binary, in long polling and in
// webhook mode, and sends a question with a NUL in it, a question that Postgres refuses
// every time (a trigger in the test's database stands for any such cause), and 150
// ordinary questions in five groups, with a few other commands among them. The NUL
// question is cleaned and answered like any other; the refused one is set aside once,
// its farmer is told, and it is listed on the dashboard; every ordinary question is
// acknowledged exactly once, and no reply is sent twice.
func TestAPoisonedUpdateIsSetAsideAndTheOthersGoOn(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"polling", "webhook"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			poisonRun(t, mode == "webhook")
		})
	}
}

func poisonRun(t *testing.T, webhook bool) {
	tg := telegramtest.NewServer(t)
	// The first acknowledgement waited for comes after most of the 150 questions, handled
	// by the whole binary under the race detector beside the other transport's run: more
	// than the fake's usual 10 s on a busy machine.
	tg.SetWaitTimeout(30 * time.Second)
	admin := tg.NewUser("王", "局长", "zh-hans")
	counties := exampleWithAdmin(t, admin.ID)
	dbURL := storetest.NewDatabase(t)
	_, prefix := storetest.NewRedis(t)
	addr, metricsAddr := freeAddr(t), freeAddr(t)
	env := map[string]string{
		"METRICS_ADDR":        metricsAddr,
		"TELEGRAM_TOKEN":      tg.Token(),
		"TELEGRAM_API_URL":    tg.URL(),
		"DATABASE_URL":        dbURL,
		"REDIS_PREFIX":        prefix,
		"HTTP_ADDR":           addr,
		"PUBLIC_URL":          "http://" + addr,
		"AGRICLINIC_COUNTIES": counties,
		"SEND_RATE_CHAT":      "1000",
		"SEND_RATE_GROUP":     "100000",
		"SEND_RATE_GLOBAL":    "10000",
	}
	if webhook {
		env["WEBHOOK_URL"] = "http://" + addr + "/telegram"
		env["WEBHOOK_SECRET"] = "poison-test-secret"
	}
	runServe(t, env)
	ctx := context.Background()

	townships := []string{"白泥镇", "敖溪镇", "龙溪镇", "构皮滩镇", "大乌江镇"}
	groups := make([]tgbotapi.Chat, len(townships))
	for i, name := range townships {
		groups[i] = tg.NewGroup(name + "农技群")
		bind := tg.SendText(groups[i], admin, "/bind "+name)
		tg.WaitMessage(t, groups[i].ID, replyContaining(bind, "余庆县"))
	}
	// Postgres refuses one question, whatever the bot does: as it refused a NUL before the
	// bot cleaned its input.
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, `
		CREATE FUNCTION refuse_poison() RETURNS trigger AS $$
		BEGIN RAISE EXCEPTION 'the test refuses this question'; END $$ LANGUAGE plpgsql;
		CREATE TRIGGER refuse_poison BEFORE INSERT ON questions
			FOR EACH ROW WHEN (NEW.text LIKE '%毒药%') EXECUTE FUNCTION refuse_poison();`); err != nil {
		t.Fatal(err)
	}

	first := tg.NewUser("张", "大伯", "zh-hans")
	nul := tg.SendText(groups[0], first, "/ask 水稻\x00叶子发黄怎么办")
	poisoner := tg.NewUser("赵", "四", "zh-hans")
	poison := tg.SendText(groups[0], poisoner, "/ask 毒药 水稻叶子卷了")
	var asked []tgbotapi.Message
	var helps []tgbotapi.Message
	for i := range 150 {
		g := groups[i%len(groups)]
		farmer := tg.NewUser("农户", fmt.Sprint(i), "zh-hans")
		asked = append(asked, tg.SendText(g, farmer, fmt.Sprintf("/ask 第%d块田的水稻叶尖发黄是什么病", i)))
		if i%30 == 0 {
			helps = append(helps, tg.SendText(g, farmer, "/help"))
		}
	}
	for _, m := range append(asked, nul) {
		tg.WaitMessage(t, m.Chat.ID, numberShown(m))
	}
	for _, m := range helps {
		tg.WaitMessage(t, m.Chat.ID, replyContaining(m, ""))
	}
	// The poisoned question's farmer hears that it was not handled.
	tg.WaitMessage(t, groups[0].ID, replyContaining(poison, "抱歉"))

	// Once the outbox is drained, count what was sent.
	waitOutboxEmpty(t, conn)
	for _, m := range append(asked, nul) {
		if n := countReplies(tg, m.Chat.ID, m); n > 1 {
			t.Errorf("question %q got %d acknowledgements of its own, want at most 1", m.Text, n)
		}
	}
	for _, m := range helps {
		if n := countReplies(tg, m.Chat.ID, m); n != 1 {
			t.Errorf("/help got %d answers, want 1", n)
		}
	}
	if n := countReplies(tg, groups[0].ID, poison); n != 1 {
		t.Errorf("the poisoned question got %d replies, want 1 apology", n)
	}

	// The NUL became U+FFFD in the archive.
	var text string
	if err := conn.QueryRow(ctx, `SELECT text FROM questions WHERE message_id = $1 AND chat_id = $2`,
		nul.MessageID, nul.Chat.ID).Scan(&text); err != nil {
		t.Fatalf("the NUL question is not archived: %v", err)
	}
	if text != "水稻\uFFFD叶子发黄怎么办" {
		t.Errorf("archived text %q, want the NUL replaced by U+FFFD", text)
	}
	// Set aside once, after MaxTries failures.
	var dead, tries int
	if err := conn.QueryRow(ctx, `SELECT count(*), coalesce(max(tries), 0) FROM dead_updates
		WHERE set_aside_at IS NOT NULL`).Scan(&dead, &tries); err != nil {
		t.Fatal(err)
	}
	if dead != 1 || tries != 5 {
		t.Errorf("%d updates set aside after %d tries, want 1 after 5", dead, tries)
	}

	// Counted in /metrics.
	if missing := scrapeUntil(t, "http://"+metricsAddr+"/metrics", []string{"agriclinic_updates_set_aside_total 1"}); len(missing) > 0 {
		t.Errorf("/metrics lacks %q", missing)
	}

	// Listed on the dashboard's groups page, for the county's admin.
	tg.Start(admin)
	ask := tg.SendText(telegramtest.PrivateChat(admin), admin, "/dashboard")
	linkMsg := tg.WaitMessage(t, admin.ID, replyContaining(ask, "login?token="))
	link := regexp.MustCompile(`http://\S+login\?token=[A-Za-z0-9_-]+`).FindString(linkMsg.Text)
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	resp, err := client.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	status, page := getPage(t, client, "http://"+addr+"/groups")
	if status != http.StatusOK || strings.Count(page, `<tr class="dead">`) != 1 {
		t.Fatalf("groups page: %d, %d updates set aside listed, want 1", status, strings.Count(page, `<tr class="dead">`))
	}

	// Its cause fixed, the admin presses Retry: the question is handled as Telegram
	// delivered it, and leaves the list.
	if _, err := conn.Exec(ctx, `DROP TRIGGER refuse_poison ON questions`); err != nil {
		t.Fatal(err)
	}
	form := regexp.MustCompile(`action="(/dead/\d+/retry)"><input type="hidden" name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
	if form == nil {
		t.Fatalf("no Retry button on the groups page")
	}
	resp, err = client.PostForm("http://"+addr+form[1], url.Values{"csrf": {form[2]}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/groups" {
		t.Fatalf("retry: %d at %s, want the groups page again", resp.StatusCode, resp.Request.URL.Path)
	}
	tg.WaitMessage(t, groups[0].ID, numberShown(poison))
	if _, page := getPage(t, client, "http://"+addr+"/groups"); strings.Contains(page, `<tr class="dead">`) {
		t.Error("the update handed back is still listed")
	}
}

func getPage(t *testing.T, c *http.Client, url string) (int, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// waitOutboxEmpty waits until every message in the outbox was delivered (or given up),
// checking again whenever a few milliseconds pass, for at most 30 s.
func waitOutboxEmpty(t *testing.T, conn *pgx.Conn) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		var n int
		if err := conn.QueryRow(context.Background(),
			`SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d messages still in the outbox after 30 s", n)
		}
		<-tick.C
	}
}

// numberShown matches the bot's message that shows the question m was numbered: a reply
// to it, or, since thirty farmers ask in each group at once, the group's shared list of
// a burst, which names the farmer (consult.DefaultBursts).
func numberShown(m tgbotapi.Message) func(tgbotapi.Message) bool {
	name := strings.TrimSpace(m.From.FirstName + " " + m.From.LastName)
	return func(b tgbotapi.Message) bool {
		if b.ReplyToMessage != nil && b.ReplyToMessage.MessageID == m.MessageID {
			return strings.Contains(b.Text, "#")
		}
		return strings.Contains(b.Text, "📋") && strings.Contains(b.Text, " "+name+"（")
	}
}
