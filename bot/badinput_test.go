package bot_test

import (
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/bot/telegramtest"
)

// TestBadInputGetsAClearAnswerInThePersonsLanguage sends what people get wrong and checks
// that each gets a reply in their language — never silence, never a broken message (the
// fake Bot API rejects malformed HTML, so a reply that arrives was well-formed).
func TestBadInputGetsAClearAnswerInThePersonsLanguage(t *testing.T) {
	c := newClinic(t)
	bind := c.tg.SendText(c.group, c.admin, "/bind 白泥镇")
	c.tg.WaitMessage(t, c.group.ID, repliesTo(bind, "已绑定"))

	for _, person := range []struct {
		user tgbotapi.User
		want map[string]string // message → what the reply contains
	}{
		{c.tg.NewUser("Anna", "", "en"), map[string]string{
			"/expert":             "Usage: /expert",
			"/expert bananas":     "Unknown category: bananas",
			"/queue":              "You are not an expert yet",
			"/answer":             "Usage: /answer",
			"/answer 1 <b>x</b>":  "There is no question #1",
			"/answer abc text":    "Usage: /answer",
			"/bind 白泥镇":           "Use /bind in your township",
			"/frobnicate":         "Unknown command",
			"hello <there> & bye": "reply to its message",
			"/ask 水稻":             "Use /ask in your township",
			"/whoami":             "Your Telegram id",
			"/help":               "AgriClinic",
		}},
		{c.tg.NewUser("小", "王", "zh-hans"), map[string]string{
			"/expert 香蕉":  "没有这个类别：香蕉",
			"/queue":      "你还不是专家",
			"/answer 5":   "用法：/answer",
			"/frobnicate": "未知命令",
			"你好":          "请直接回复问题消息",
		}},
	} {
		dm := telegramtest.PrivateChat(person.user)
		c.tg.SendText(dm, person.user, "/start")
		for text, want := range person.want {
			sent := c.tg.SendText(dm, person.user, text)
			c.tg.WaitMessage(t, dm.ID, repliesTo(sent, want))
		}
	}

	// In the group: private commands are pointed to the private chat.
	for text, want := range map[string]string{
		"/expert 水稻": "请私聊",
		"/queue":     "请私聊",
		"/ask   ":    "请把问题写在 /ask 后面",
	} {
		sent := c.tg.SendText(c.group, c.farmer, text)
		c.tg.WaitMessage(t, c.group.ID, repliesTo(sent, want))
	}
	open, _ := c.db.OpenQuestions(t.Context())
	if len(open) != 0 {
		t.Errorf("bad input created %d questions", len(open))
	}
}
