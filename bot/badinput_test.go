package bot_test

import (
	"context"
	"strings"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/bot/telegramtest"
)

// snapshot is everything a person's input could change in the archive.
func (c *clinic) snapshot(t *testing.T) string {
	t.Helper()
	var s string
	err := c.pool.QueryRow(context.Background(), `SELECT concat_ws(' ',
		(SELECT count(*) FROM questions), (SELECT string_agg(id || status || coalesce(expert_id, 0) || text, ',' ORDER BY id) FROM questions),
		(SELECT count(*) FROM answers), (SELECT count(*) FROM experts), (SELECT count(*) FROM expert_requests),
		(SELECT string_agg(status, ',' ORDER BY id) FROM expert_requests),
		(SELECT string_agg(chat_id || township, ',' ORDER BY chat_id) FROM groups))`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestBadInputGetsAClearAnswerAndChangesNothing sends what people get wrong — in the group
// and in private, as farmers, experts and admins, in Chinese and English — and checks for
// each the answer they get and that the archive is exactly as before. The fake Bot API
// rejects malformed HTML, so an answer that arrives was well-formed.
func TestBadInputGetsAClearAnswerAndChangesNothing(t *testing.T) {
	t.Parallel()
	c := newClinic(t)
	tg := c.tg
	c.bindGroup(t)
	c.approveExpert(t, c.experts[0], "水稻")
	question := tg.SendText(c.group, c.farmer, "/ask 水稻卷叶")
	notice := tg.WaitMessage(t, c.experts[0].ID, func(m tgbotapi.Message) bool { return hasButton(m, "claim:1") })
	tg.WaitMessage(t, c.group.ID, repliesTo(question, "#1"))

	english := tg.NewUser("Anna", "", "en")
	chinese := tg.NewUser("小", "王", "zh-hans")
	tg.Start(english)
	tg.Start(chinese)
	unbound := tg.NewGroup("未绑定的群")
	long := "/ask " + strings.Repeat("水稻", 2100)

	type send struct {
		chat tgbotapi.Chat
		from tgbotapi.User
		text string
	}
	tests := []struct {
		name string
		send send
		want string // what the reply contains
	}{
		{"an empty /ask", send{c.group, c.farmer, "/ask"}, "请把问题写在 /ask 后面"},
		{"a whitespace-only /ask", send{c.group, c.farmer, "/ask  \t "}, "请把问题写在 /ask 后面"},
		{"zero-width characters only", send{c.group, c.farmer, "/ask \u200b\u200d\ufeff"}, "请把问题写在 /ask 后面"},
		{"a question over 4096 units", send{c.group, c.farmer, long}, "问题太长了"},
		{"a question in a group not bound", send{unbound, c.farmer, "/ask 水稻 <b>&amp;"}, "还没有绑定乡镇"},
		{"a farmer binding", send{c.group, c.farmer, "/bind 龙溪镇"}, "只有县农业农村局的管理员"},
		{"an admin binding a township with HTML in its name", send{c.group, c.admin, "/bind <b>龙溪</b> & *_"}, "没有“<b>龙溪</b> & *_”这个乡镇"},
		{"an unknown command in the group", send{c.group, c.farmer, "/frobnicate"}, "未知命令"},
		{"a private command in the group", send{c.group, c.farmer, "/queue"}, "请私聊"},
		{"a command with the bot's @name", send{c.group, c.farmer, "/help@" + tg.Bot().UserName}, "农技坐诊 · 使用说明"},
		{"/expert without categories", send{telegramtest.PrivateChat(english), english, "/expert"}, "Usage: /expert"},
		{"/expert with markup", send{telegramtest.PrivateChat(english), english, "/expert <i>rice</i>*"}, "Unknown category: <i>rice</i>*"},
		{"/queue from a farmer", send{telegramtest.PrivateChat(english), english, "/queue"}, "You are not an expert yet"},
		{"/answer without text", send{telegramtest.PrivateChat(english), english, "/answer 1"}, "Usage: /answer"},
		{"/answer from someone who does not hold it", send{telegramtest.PrivateChat(english), english, "/answer 1 spray <b>"}, "not claimed yet"},
		{"/answer to no question", send{telegramtest.PrivateChat(chinese), chinese, "/answer 99 喷药"}, "没有 #99 号问题"},
		{"/ask in private", send{telegramtest.PrivateChat(chinese), chinese, "/ask 水稻"}, "请在乡镇群里使用 /ask"},
		{"an unknown command in private", send{telegramtest.PrivateChat(chinese), chinese, "/frobnicate"}, "未知命令"},
		{"plain text with emoji in private", send{telegramtest.PrivateChat(chinese), chinese, "你好 🌾 <>&"}, "乡镇的群里发送：/ask"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := c.snapshot(t)
			sent := tg.SendText(tt.send.chat, tt.send.from, tt.send.text)
			tg.WaitMessage(t, tt.send.chat.ID, repliesTo(sent, tt.want))
			if after := c.snapshot(t); after != before {
				t.Errorf("archive changed:\nbefore %s\nafter  %s", before, after)
			}
		})
	}

	t.Run("a sticker replying to the bot is asked for words", func(t *testing.T) {
		before := c.snapshot(t)
		ack := tg.WaitMessage(t, c.group.ID, repliesTo(question, "#1"))
		sticker := tgbotapi.Message{MessageID: 7001, From: &c.farmer, Chat: &c.group, Sticker: &tgbotapi.Sticker{FileID: "s", Emoji: "👍"}, ReplyToMessage: &ack}
		tg.PushUpdate(tgbotapi.Update{Message: &sticker})
		tg.WaitMessage(t, c.group.ID, contains("请用文字写下你的问题"))
		if after := c.snapshot(t); after != before {
			t.Errorf("archive changed:\nbefore %s\nafter  %s", before, after)
		}
	})

	t.Run("an edit of someone else's question and a command for another bot change nothing and get no answer", func(t *testing.T) {
		c.privacyOffInGroup(t) // so that the command for another bot reaches ours
		before := c.snapshot(t)
		edited := tgbotapi.Message{MessageID: question.MessageID, From: &chinese, Chat: &c.group, Text: "/ask 改了"}
		id := tg.PushUpdate(tgbotapi.Update{EditedMessage: &edited})
		other := tg.SendText(c.group, c.farmer, "/ask@some_other_bot 水稻")
		tg.WaitConfirmed(t, id+1)
		for _, m := range tg.Messages(c.group.ID) {
			if m.ReplyToMessage != nil && m.ReplyToMessage.MessageID == other.MessageID {
				t.Errorf("the bot answered a command for another bot: %q", m.Text)
			}
		}
		if after := c.snapshot(t); after != before {
			t.Errorf("archive changed:\nbefore %s\nafter  %s", before, after)
		}
	})

	forged := []struct {
		name string
		from tgbotapi.User
		data string
		want string
	}{
		{"claiming a question that does not exist", c.experts[0], "claim:999999", "没有 #999999 号问题"},
		{"claiming as someone who is not an expert", chinese, "claim:1", "只有该类别经审核的专家可以认领"},
		{"approving as someone who is not an admin", c.experts[0], "approve:1", "只有本县管理员可以审核"},
		{"data the bot never writes", c.experts[0], "claim:1;DROP TABLE", "这个按钮已失效"},
		{"a negative number", c.experts[0], "claim:-1", "这个按钮已失效"},
		{"empty-looking data", c.experts[0], ":", "这个按钮已失效"},
	}
	for _, tt := range forged {
		t.Run("forged button: "+tt.name, func(t *testing.T) {
			before := c.snapshot(t)
			// Any message of the bot in the presser's own chat carries the forged press.
			on := notice
			if tt.from.ID != c.experts[0].ID {
				msgs := tg.Messages(tt.from.ID)
				on = msgs[len(msgs)-1]
			}
			id := tg.PressForged(telegramtest.PrivateChat(tt.from), tt.from, on, tt.data)
			if a := tg.WaitCallbackAnswer(t, id); !strings.Contains(a.Text, tt.want) {
				t.Errorf("answer = %q, want %q", a.Text, tt.want)
			}
			if after := c.snapshot(t); after != before {
				t.Errorf("archive changed:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}
