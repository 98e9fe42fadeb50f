package bot_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/bot/telegramtest"
)

// countQuestions is how many questions the archive holds.
func (c *clinic) countQuestions(t *testing.T) int {
	t.Helper()
	var n int
	if err := c.pool.QueryRow(context.Background(), `SELECT count(*) FROM questions`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// helpIn sends /help in chat as from and returns the bot's reply to it. Since one chat's
// updates are handled in order, its reply also says that everything sent before it in
// that chat has been handled.
func (c *clinic) helpIn(t *testing.T, chat tgbotapi.Chat, from tgbotapi.User) tgbotapi.Message {
	t.Helper()
	help := c.tg.SendText(chat, from, "/help")
	return waitAfter(t, c.tg, chat.ID, help.MessageID, repliesTo(help, ""))
}

// noReplyTo fails the test if the bot answered any of msgs in chat.
func noReplyTo(t *testing.T, tg *telegramtest.Server, chatID int64, msgs ...tgbotapi.Message) {
	t.Helper()
	for _, m := range tg.Messages(chatID) {
		if m.From == nil || m.From.ID != tg.Bot().ID || m.ReplyToMessage == nil {
			continue
		}
		for _, sent := range msgs {
			if m.ReplyToMessage.MessageID == sent.MessageID {
				t.Errorf("the bot answered message %d (%q): %q", sent.MessageID, sent.Text, m.Text)
			}
		}
	}
}

// sentWithThread waits for the sendMessage call that made the bot's message msg (the
// fake may show the message before it has recorded the call's answer) and returns its
// message_thread_id parameter ("" when it had none).
func sentWithThread(t *testing.T, tg *telegramtest.Server, chatID int64, msg tgbotapi.Message) string {
	t.Helper()
	call := tg.WaitCall(t, "sendMessage", func(call telegramtest.Call) bool {
		var res struct {
			MessageID int `json:"message_id"`
		}
		return call.Status == 200 && call.Params["chat_id"] == strconv.FormatInt(chatID, 10) &&
			json.Unmarshal(call.Result, &res) == nil && res.MessageID == msg.MessageID
	})
	return call.Params["message_thread_id"]
}

// TestForumTopicsKeepTheConversationInItsTopic: in a forum group the bot's replies — the
// binding, the acknowledgement, the expert's answer — land in the topic they answer, the
// acknowledgement and the answer sent with its message_thread_id (for /bind see
// TestForumCommandConfirmationsCarryTheTopic); a question asked in General is answered
// outside any topic.
func TestForumTopicsKeepTheConversationInItsTopic(t *testing.T) {
	t.Parallel()
	c := newClinic(t)
	tg := c.tg
	expert := c.experts[0]
	c.approveExpert(t, expert, "水稻")
	dm := telegramtest.PrivateChat(expert)
	forum := tg.NewForumGroup("白泥镇农技论坛")
	topic := tg.NewTopic(forum, "水稻")

	bind := tg.Post(forum, c.admin, telegramtest.Post{Text: "/bind 白泥镇", ThreadID: topic})
	bound := tg.WaitMessage(t, forum.ID, repliesTo(bind, "已绑定"))
	if got := tg.ThreadOf(forum.ID, bound.MessageID); got != topic {
		t.Errorf("the binding's confirmation is in topic %d, want %d", got, topic)
	}

	// A question in the topic: acknowledged, claimed, answered, all in the topic.
	question := tg.Post(forum, c.farmer, telegramtest.Post{Text: "/ask 水稻叶子发黄", ThreadID: topic})
	ack := tg.WaitMessage(t, forum.ID, repliesTo(question, "#1"))
	if got := tg.ThreadOf(forum.ID, ack.MessageID); got != topic {
		t.Errorf("the acknowledgement is in topic %d, want %d", got, topic)
	}
	if got := sentWithThread(t, tg, forum.ID, ack); got != strconv.Itoa(topic) {
		t.Errorf("the acknowledgement was sent with message_thread_id %q, want %d", got, topic)
	}
	notice := tg.WaitMessage(t, expert.ID, func(m tgbotapi.Message) bool { return hasButton(m, "claim:1") })
	tg.Press(dm, expert, notice, "claim:1")
	card := tg.WaitMessage(t, expert.ID, func(m tgbotapi.Message) bool {
		return m.MessageID != notice.MessageID && strings.Contains(m.Text, "你已认领") && strings.Contains(m.Text, "#1")
	})
	// The card is remembered as the question's once its delivery is recorded; a chat's
	// messages go out in order, so the reply to a later /help says it is.
	c.helpIn(t, dm, expert)
	answer := "建议喷施叶面肥，排水晒田"
	tg.ReplyText(dm, expert, card, answer)
	posted := tg.WaitMessage(t, forum.ID, repliesTo(question, answer))
	if got := tg.ThreadOf(forum.ID, posted.MessageID); got != topic {
		t.Errorf("the answer is in topic %d, want %d", got, topic)
	}
	if got := sentWithThread(t, tg, forum.ID, posted); got != strconv.Itoa(topic) {
		t.Errorf("the answer was sent with message_thread_id %q, want %d", got, topic)
	}
	q, err := c.db.Question(context.Background(), 1)
	if err != nil || q.ThreadID != int64(topic) || q.ExpertID != expert.ID {
		t.Errorf("question #1 = %+v, %v; want topic %d, answered by %d", q, err, topic, expert.ID)
	}

	// A question in General: everything stays outside the topics.
	general := tg.Post(forum, c.farmer, telegramtest.Post{Text: "/ask 水稻秧苗长不高怎么办"})
	ack2 := tg.WaitMessage(t, forum.ID, repliesTo(general, "#2"))
	if got := tg.ThreadOf(forum.ID, ack2.MessageID); got != 0 {
		t.Errorf("the acknowledgement of a question in General is in topic %d, want none", got)
	}
	notice2 := tg.WaitMessage(t, expert.ID, func(m tgbotapi.Message) bool { return hasButton(m, "claim:2") })
	tg.Press(dm, expert, notice2, "claim:2")
	card2 := tg.WaitMessage(t, expert.ID, func(m tgbotapi.Message) bool {
		return m.MessageID != notice2.MessageID && strings.Contains(m.Text, "你已认领") && strings.Contains(m.Text, "#2")
	})
	c.helpIn(t, dm, expert)
	answer2 := "秧苗期注意追施分蘖肥"
	tg.ReplyText(dm, expert, card2, answer2)
	posted2 := tg.WaitMessage(t, forum.ID, repliesTo(general, answer2))
	if got := tg.ThreadOf(forum.ID, posted2.MessageID); got != 0 {
		t.Errorf("the answer to a question in General is in topic %d, want none", got)
	}
	if got := sentWithThread(t, tg, forum.ID, posted2); got != "" {
		t.Errorf("the answer to a question in General was sent with message_thread_id %q, want none", got)
	}
}

// TestForumCommandConfirmationsCarryTheTopic: every message the bot sends in reply to a
// command written in a forum topic carries that topic's message_thread_id — not only
// replies built with reply/toQuestion, but also /bind's and /lang's confirmations.
// (The fake, like Telegram, puts a reply in the topic of the message it quotes, so only
// the call's parameters show the difference; it matters when the quoted message is gone
// and allow_sending_without_reply sends the reply to General.)
func TestForumCommandConfirmationsCarryTheTopic(t *testing.T) {
	t.Parallel()
	c := newClinic(t)
	tg := c.tg
	forum := tg.NewForumGroup("白泥镇农技论坛")
	topic := tg.NewTopic(forum, "水稻")
	for _, cmd := range []struct{ text, reply string }{
		{"/bind 白泥镇", "已绑定"},
		{"/lang en", "Switched to English"},
		{"/help", "AgriClinic · help"},
	} {
		sent := tg.Post(forum, c.admin, telegramtest.Post{Text: cmd.text, ThreadID: topic})
		reply := tg.WaitMessage(t, forum.ID, repliesTo(sent, cmd.reply))
		if got := sentWithThread(t, tg, forum.ID, reply); got != strconv.Itoa(topic) {
			t.Errorf("the reply to %s in topic %d was sent with message_thread_id %q", cmd.text, topic, got)
		}
	}
}

// TestModeOpenTakesQuestionsWithoutACommand: only an admin changes a group's mode; in an
// open group a bot that sees everything takes a plain question or a bare photo as a
// question but leaves chit-chat alone; back in ask mode a plain question is ignored.
func TestModeOpenTakesQuestionsWithoutACommand(t *testing.T) {
	t.Parallel()
	c := newClinic(t)
	tg := c.tg
	c.privacyOffInGroup(t) // every message reaches the bot, so open mode may be set
	c.bindGroup(t)
	ctx := context.Background()

	refused := tg.SendText(c.group, c.farmer, "/mode open")
	tg.WaitMessage(t, c.group.ID, repliesTo(refused, "只有本县农业农村局的管理员"))
	bad := tg.SendText(c.group, c.admin, "/mode xyz")
	tg.WaitMessage(t, c.group.ID, repliesTo(bad, "用法：/mode open"))
	open := tg.SendText(c.group, c.admin, "/mode open")
	tg.WaitMessage(t, c.group.ID, repliesTo(open, "已开启自由提问"))

	plain := tg.SendText(c.group, c.farmer, "稻子叶子黄了怎么办")
	tg.WaitMessage(t, c.group.ID, repliesTo(plain, "#1"))
	q, err := c.db.Question(ctx, 1)
	if err != nil || q.Text != "稻子叶子黄了怎么办" || q.MessageID != int64(plain.MessageID) || q.FarmerID != c.farmer.ID || q.CategoryID != "rice" {
		t.Errorf("question #1 = %+v, %v; want the farmer's plain message, as rice", q, err)
	}
	photo := tg.Post(c.group, c.farmer, telegramtest.Post{Photo: true})
	tg.WaitMessage(t, c.group.ID, repliesTo(photo, "#2"))
	if media, err := c.db.QuestionMedia(ctx, 2); err != nil || len(media) != 1 || media[0].MessageID != int64(photo.MessageID) {
		t.Errorf("question #2's media = %+v, %v; want the photo", media, err)
	}

	chat := []tgbotapi.Message{
		tg.SendText(c.group, c.farmer, "好的"),
		tg.SendText(c.group, c.farmer, "谢谢大家"),
		tg.Post(c.group, c.farmer, telegramtest.Post{Animation: true}),
	}
	c.helpIn(t, c.group, c.farmer)
	noReplyTo(t, tg, c.group.ID, chat...)
	if n := c.countQuestions(t); n != 2 {
		t.Errorf("chit-chat made questions: %d in the archive, want 2", n)
	}

	back := tg.SendText(c.group, c.admin, "/mode ask")
	tg.WaitMessage(t, c.group.ID, repliesTo(back, "已恢复"))
	ignored := tg.SendText(c.group, c.farmer, "稻子叶子卷了怎么办")
	c.helpIn(t, c.group, c.farmer)
	noReplyTo(t, tg, c.group.ID, ignored)
	if n := c.countQuestions(t); n != 2 {
		t.Errorf("in ask mode a plain message became a question: %d in the archive, want 2", n)
	}
}

// TestAnEditedQuestionReachesItsHolder: the farmer's edit of their question replaces its
// text, keeps the first words, and tells the expert holding it; an edit that is not the
// asker's changes nothing and tells nobody.
func TestAnEditedQuestionReachesItsHolder(t *testing.T) {
	t.Parallel()
	c := newClinic(t)
	tg := c.tg
	c.bindGroup(t)
	expert := c.experts[0]
	c.approveExpert(t, expert, "水稻")
	ctx := context.Background()

	question := tg.SendText(c.group, c.farmer, "/ask 水稻叶子发黄")
	tg.WaitMessage(t, c.group.ID, repliesTo(question, "#1"))
	notice := tg.WaitMessage(t, expert.ID, func(m tgbotapi.Message) bool { return hasButton(m, "claim:1") })
	tg.Press(telegramtest.PrivateChat(expert), expert, notice, "claim:1")
	tg.WaitMessage(t, expert.ID, func(m tgbotapi.Message) bool {
		return m.MessageID != notice.MessageID && strings.Contains(m.Text, "你已认领")
	})

	tg.EditText(c.group, c.farmer, question, "/ask 水稻叶子发黄，还有褐色斑点")
	tg.WaitMessage(t, expert.ID, func(m tgbotapi.Message) bool {
		return strings.Contains(m.Text, "修改") && strings.Contains(m.Text, "水稻叶子发黄，还有褐色斑点")
	})
	q, err := c.db.Question(ctx, 1)
	if err != nil || q.Text != "水稻叶子发黄，还有褐色斑点" || q.OriginalText != "水稻叶子发黄" || q.EditedAt.IsZero() {
		t.Errorf("question #1 = %+v, %v; want the new text, the first words kept and the edit time", q, err)
	}
	// A second edit: the archive still keeps the words first asked.
	question = tg.EditText(c.group, c.farmer, question, "/ask 水稻叶子发黄，有斑点，已经打过药")
	edited := tg.WaitMessage(t, expert.ID, func(m tgbotapi.Message) bool {
		return strings.Contains(m.Text, "修改") && strings.Contains(m.Text, "已经打过药")
	})
	if q, err := c.db.Question(ctx, 1); err != nil || q.Text != "水稻叶子发黄，有斑点，已经打过药" || q.OriginalText != "水稻叶子发黄" {
		t.Errorf("after a second edit question #1 = %+v, %v; want the newest text and the first words", q, err)
	}

	// Telegram lets nobody edit another's message; a forged update must change nothing.
	outboxToHolder := func() int {
		var n int
		if err := c.pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE chat_id = $1`, expert.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	toHolder := outboxToHolder()
	before := c.snapshot(t)
	other := tg.NewUser("赵", "四", "zh-hans")
	forged := tgbotapi.Message{MessageID: question.MessageID, From: &other, Chat: &c.group, Date: question.Date,
		EditDate: question.Date + 1, Text: "/ask 这是别人改的"}
	tg.PushUpdate(tgbotapi.Update{EditedMessage: &forged})
	c.helpIn(t, c.group, c.farmer)
	if after := c.snapshot(t); after != before {
		t.Errorf("someone else's edit changed the archive:\nbefore %s\nafter  %s", before, after)
	}
	if n := outboxToHolder(); n != toHolder {
		t.Errorf("someone else's edit sent the holder %d more messages", n-toHolder)
	}
	if q, err := c.db.Question(ctx, 1); err != nil || q.Text != "水稻叶子发黄，有斑点，已经打过药" || q.OriginalText != "水稻叶子发黄" {
		t.Errorf("after someone else's edit question #1 = %+v, %v", q, err)
	}

	// The holder answers by replying to the card that showed the edit.
	dm := telegramtest.PrivateChat(expert)
	c.helpIn(t, dm, expert) // the card is remembered once its delivery is recorded
	answer := "先排水，再喷施叶面肥"
	tg.ReplyText(dm, expert, edited, answer)
	tg.WaitMessage(t, c.group.ID, repliesTo(question, answer))
}

// menuNames lists the commands of a menu.
func menuNames(cmds []tgbotapi.BotCommand) []string {
	var out []string
	for _, c := range cmds {
		out = append(out, c.Command)
	}
	return out
}

func menuHas(cmds []tgbotapi.BotCommand, name string) bool {
	for _, c := range cmds {
		if c.Command == name {
			return true
		}
	}
	return false
}

// TestHelpAndMenusFollowTheRole: /help lists what the person can do where they are — a
// farmer is told how to become an expert, an expert gets the expert commands, an admin in
// a group the admin commands — in the group's language in a group; an approved expert
// gets their own command menu, and the published menus keep expert commands out of
// farmers' chats.
func TestHelpAndMenusFollowTheRole(t *testing.T) {
	t.Parallel()
	c := newClinic(t)
	tg := c.tg
	c.bindGroup(t)
	expert := c.experts[0]

	farmerHelp := c.helpIn(t, telegramtest.PrivateChat(c.farmer), c.farmer)
	if !strings.Contains(farmerHelp.Text, "/expert") || strings.Contains(farmerHelp.Text, "/queue") || !strings.Contains(farmerHelp.Text, "使用说明") {
		t.Errorf("a farmer's /help in private = %q, want Chinese, with /expert and without /queue", farmerHelp.Text)
	}
	farmerGroupHelp := c.helpIn(t, c.group, c.farmer)
	if !strings.Contains(farmerGroupHelp.Text, "/ask") || strings.Contains(farmerGroupHelp.Text, "/bind") || strings.Contains(farmerGroupHelp.Text, "/queue") {
		t.Errorf("a farmer's /help in the group = %q, want /ask and neither /bind nor /queue", farmerGroupHelp.Text)
	}

	c.approveExpert(t, expert, "水稻")
	expertHelp := c.helpIn(t, telegramtest.PrivateChat(expert), expert)
	for _, want := range []string{"/queue", "/transfer", "/duty"} {
		if !strings.Contains(expertHelp.Text, want) {
			t.Errorf("an expert's /help = %q, want %s", expertHelp.Text, want)
		}
	}
	if strings.Contains(expertHelp.Text, "/bind") {
		t.Errorf("an expert's /help = %q, want no admin commands", expertHelp.Text)
	}

	adminHelp := c.helpIn(t, c.group, c.admin)
	if !strings.Contains(adminHelp.Text, "/bind") || !strings.Contains(adminHelp.Text, "/mode") {
		t.Errorf("the admin's /help in the group = %q, want /bind and /mode", adminHelp.Text)
	}

	english := tg.SendText(c.group, c.admin, "/lang en")
	tg.WaitMessage(t, c.group.ID, repliesTo(english, "Switched to English"))
	enHelp := c.helpIn(t, c.group, c.farmer) // a Chinese app, in an English group
	if !strings.Contains(enHelp.Text, "AgriClinic · help") || strings.Contains(enHelp.Text, "使用说明") {
		t.Errorf("/help in an English group = %q, want English", enHelp.Text)
	}

	// The expert's own menu, set through the outbox with the approval.
	scope := tgbotapi.BotCommandScope{Type: "chat", ChatID: expert.ID}
	for _, lc := range []string{"", "en"} {
		tg.WaitCall(t, "setMyCommands", func(call telegramtest.Call) bool {
			return call.Status == 200 && call.Params["language_code"] == lc &&
				strings.Contains(call.Params["scope"], `"chat_id":`+strconv.FormatInt(expert.ID, 10))
		})
		menu := tg.Commands(scope, lc)
		if !menuHas(menu, "queue") || !menuHas(menu, "duty") || menuHas(menu, "bind") {
			t.Errorf("the expert's menu (%q) = %v, want queue and duty, no bind", lc, menuNames(menu))
		}
	}
	if farmerMenu := tg.Commands(tgbotapi.BotCommandScope{Type: "chat", ChatID: c.farmer.ID}, ""); len(farmerMenu) != 0 {
		t.Errorf("the farmer got a menu of their own: %v", menuNames(farmerMenu))
	}

	// The menus everyone sees.
	if err := c.client.RegisterCommands(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, lc := range []string{"", "en"} {
		private := tg.Commands(tgbotapi.BotCommandScope{Type: "all_private_chats"}, lc)
		if len(private) == 0 || menuHas(private, "queue") || menuHas(private, "ask") || !menuHas(private, "expert") {
			t.Errorf("the private chats' menu (%q) = %v, want expert, without queue or ask", lc, menuNames(private))
		}
		group := tg.Commands(tgbotapi.BotCommandScope{Type: "all_group_chats"}, lc)
		if !menuHas(group, "ask") || menuHas(group, "queue") {
			t.Errorf("the group chats' menu (%q) = %v, want ask, without queue", lc, menuNames(group))
		}
	}
}
