package bot_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/bot/telegramtest"
	"github.com/agriclinic/agriclinic/store"
)

// failedTo returns the outbox rows given up on for a chat, as the dashboard lists them.
func (c *clinic) failedTo(t *testing.T, chatID int64) []store.FailedMessage {
	t.Helper()
	all, err := c.db.FailedMessages(context.Background(), "yuqing", 50)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.FailedMessage
	for _, m := range all {
		if m.ChatID == chatID {
			out = append(out, m)
		}
	}
	return out
}

// removedGroups lists the county's groups that removed the bot.
func (c *clinic) removedGroups(t *testing.T) []store.RemovedGroup {
	t.Helper()
	gs, err := c.db.RemovedGroups(context.Background(), "yuqing")
	if err != nil {
		t.Fatal(err)
	}
	return gs
}

// refusedIn counts the bot's calls for a chat that Telegram refused as for a chat the
// bot is not in.
func refusedIn(tg *telegramtest.Server, chatID int64) int {
	n := 0
	for _, call := range tg.Calls("") {
		gone := strings.Contains(call.Description, "kicked") || strings.Contains(call.Description, "not a member") ||
			strings.Contains(call.Description, "chat not found")
		if call.Params["chat_id"] == strconv.FormatInt(chatID, 10) && gone {
			n++
		}
	}
	return n
}

// TestAKickedBotKeepsTheGroupBoundAndAnswersTheFarmerPrivately: the group that removes
// the bot is marked inactive, its admins are told which group and township, its claimed
// question stays claimed; the answer goes to the farmer who started the bot, privately,
// and nothing is sent to the group. Added back, the group is active again.
func TestAKickedBotKeepsTheGroupBoundAndAnswersTheFarmerPrivately(t *testing.T) {
	t.Parallel()
	c := newClinic(t)
	tg, ctx := c.tg, context.Background()
	c.bindGroup(t)
	expert := c.experts[0]
	c.approveExpert(t, expert, "水稻")
	// The farmer once started the bot in a private chat.
	start := tg.SendText(telegramtest.PrivateChat(c.farmer), c.farmer, "/start")
	tg.WaitMessage(t, c.farmer.ID, repliesTo(start, ""))
	tg.SendText(c.group, c.farmer, "/ask 水稻叶子卷起来了怎么办")
	tg.WaitMessage(t, c.group.ID, contains("#1"))
	card := c.claimNotice(t, expert, "1")

	tg.RemoveBot(c.group, c.admin)
	told := tg.WaitMessage(t, c.admin.ID, contains("移出"))
	if !strings.Contains(told.Text, "白泥镇农户群") || !strings.Contains(told.Text, "白泥镇") || !strings.Contains(told.Text, "1 个未答问题") {
		t.Errorf("the admin was told %q, want the group, its township and its 1 open question", told.Text)
	}
	if gs := c.removedGroups(t); len(gs) != 1 || gs[0].ChatID != c.group.ID || gs[0].Open != 1 || gs[0].Reason != "banned from the group" {
		t.Errorf("removed groups = %+v, want the group, banned, with its open question", gs)
	}
	if g, err := c.db.Group(ctx, c.group.ID); err != nil || g.Township != "白泥镇" {
		t.Errorf("binding = %+v, %v; want it kept", g, err)
	}
	if q := c.question(t, 1); q.Status != store.StatusClaimed || q.ExpertID != expert.ID {
		t.Errorf("question = %s by %d, want still claimed by the expert", q.Status, q.ExpertID)
	}

	inGroup := len(tg.Messages(c.group.ID))
	tg.ReplyText(telegramtest.PrivateChat(expert), expert, card, "用三环唑喷施")
	private := tg.WaitMessage(t, c.farmer.ID, contains("用三环唑喷施"))
	if !strings.Contains(private.Text, "私信") || !strings.Contains(private.Text, "#1") {
		t.Errorf("the farmer got %q, want the answer to #1 and why it comes privately", private.Text)
	}
	tg.WaitMessage(t, expert.ID, contains("已私信发给提问的农户"))
	if answers, err := c.db.Answers(ctx, 1); err != nil || len(answers) != 1 || answers[0].Text != "用三环唑喷施" {
		t.Errorf("answers = %+v, %v; want the answer archived", answers, err)
	}
	if n := len(tg.Messages(c.group.ID)); n != inGroup {
		t.Errorf("the group has %d messages, had %d: nothing may be sent to a group without the bot", n, inGroup)
	}
	if n := refusedIn(tg, c.group.ID); n != 0 {
		t.Errorf("%d calls to the group were refused, want none: the bot knows it is gone", n)
	}

	tg.AddBot(c.group, c.admin)
	tg.WaitMessage(t, c.admin.ID, contains("重新加入"))
	tg.WaitMessage(t, c.group.ID, contains("机器人回来了"))
	if gs := c.removedGroups(t); len(gs) != 0 {
		t.Errorf("removed groups after re-adding = %+v, want none", gs)
	}
	tg.SendText(c.group, c.farmer, "/ask 秧苗发黄")
	tg.WaitMessage(t, c.group.ID, contains("#2"))
}

// TestAGroupSendAnsweredChatNotFoundCountsAsRemovedAndTheAnswerIsKept: a send to a
// deleted group is refused with "chat not found": the group is marked removed, the
// admins are told, the refused message is failed with its reason (the dashboard lists
// it), and an answer to the group's question, whose farmer never started the bot, is
// archived and the expert told it could not be delivered.
func TestAGroupSendAnsweredChatNotFoundCountsAsRemovedAndTheAnswerIsKept(t *testing.T) {
	t.Parallel()
	c := newClinic(t)
	tg, ctx := c.tg, context.Background()
	c.bindGroup(t)
	expert := c.experts[0]
	c.approveExpert(t, expert, "水稻")
	tg.SendText(c.group, c.farmer, "/ask 稻飞虱很多")
	tg.WaitMessage(t, c.group.ID, contains("#1"))
	card := c.claimNotice(t, expert, "1")

	// The group is deleted; a reminder to it is refused.
	tg.DeleteGroup(c.group)
	if err := c.db.Enqueue(ctx, store.Message{ChatID: c.group.ID, Method: store.MethodSend, Text: "提醒"}); err != nil {
		t.Fatal(err)
	}
	tg.WaitMessage(t, c.admin.ID, contains("白泥镇农户群"))
	if gs := c.removedGroups(t); len(gs) != 1 || gs[0].Reason != "Bad Request: chat not found" {
		t.Errorf("removed groups = %+v, want the group, with Telegram's reason", gs)
	}

	tg.ReplyText(telegramtest.PrivateChat(expert), expert, card, "用吡虫啉")
	tg.WaitMessage(t, expert.ID, contains("无法送达"))
	if answers, err := c.db.Answers(ctx, 1); err != nil || len(answers) != 1 || answers[0].GroupMessageID != 0 {
		t.Errorf("answers = %+v, %v; want the answer archived, posted nowhere", answers, err)
	}
	if msgs := tg.Messages(c.farmer.ID); len(msgs) != 0 {
		t.Errorf("the farmer, who never started the bot, got %d messages", len(msgs))
	}
	// The refused reminder failed right after the group was marked, long before the
	// answer was handled.
	failed := c.failedTo(t, c.group.ID)
	if len(failed) != 1 || failed[0].Reason != "Bad Request: chat not found" || failed[0].Attempts != 1 || failed[0].FailedAt.IsZero() {
		t.Errorf("failed rows to the group = %+v, want the reminder, failed at its first attempt with Telegram's reason", failed)
	}
	if n := refusedIn(tg, c.group.ID); n != 1 {
		t.Errorf("%d calls to the deleted group were refused, want the one that found it gone", n)
	}
}

// TestABlockedExpertIsUnreachableUntilTheirNextStart: an expert who blocks the bot is
// marked unreachable, the question they held goes back to the queue and is offered to
// the other on-duty expert, the admins are told; new questions are not pushed to them;
// their next /start restores them, and the admins are told that too.
func TestABlockedExpertIsUnreachableUntilTheirNextStart(t *testing.T) {
	t.Parallel()
	c := newClinic(t)
	tg := c.tg
	c.bindGroup(t)
	blocker, other := c.experts[0], c.experts[1]
	c.approveExpert(t, blocker, "水稻")
	c.approveExpert(t, other, "rice")
	tg.SendText(c.group, c.farmer, "/ask 水稻倒伏了")
	tg.WaitMessage(t, c.group.ID, contains("#1"))
	c.claimNotice(t, blocker, "1")

	tg.Block(blocker)
	tg.WaitMessage(t, other.ID, func(m tgbotapi.Message) bool {
		return hasButton(m, "claim:1") && strings.Contains(m.Text, "cannot be reached")
	})
	told := tg.WaitMessage(t, c.admin.ID, contains("屏蔽"))
	if !strings.Contains(told.Text, "李 明") || !strings.Contains(told.Text, "1 个问题") {
		t.Errorf("the admin was told %q, want the expert and the 1 question back in the queue", told.Text)
	}
	if q := c.question(t, 1); q.Status != store.StatusOpen || q.ExpertID != 0 {
		t.Errorf("question #1 = %s by %d, want open again", q.Status, q.ExpertID)
	}

	// An unreachable expert is pushed nothing.
	tg.SendText(c.group, c.farmer, "/ask 稻瘟病怎么防")
	tg.WaitMessage(t, c.group.ID, contains("#2"))
	tg.WaitMessage(t, other.ID, func(m tgbotapi.Message) bool { return hasButton(m, "claim:2") })
	if n := pushesOf(t, c, blocker.ID, 2); n != 0 {
		t.Errorf("%d pushes of #2 to the blocked expert, want none", n)
	}

	// Their /start (Telegram first says they unblocked the bot) restores them.
	tg.SendText(telegramtest.PrivateChat(blocker), blocker, "/start")
	tg.WaitMessage(t, c.admin.ID, contains("重新启动了机器人"))
	tg.SendText(c.group, c.farmer, "/ask 水稻分蘖少")
	tg.WaitMessage(t, c.group.ID, contains("#3"))
	tg.WaitMessage(t, blocker.ID, func(m tgbotapi.Message) bool { return hasButton(m, "claim:3") })
}

// TestAnExpertWhoseSendIsRefusedAsBlockedIsUnreachable: the bot learns of the block only
// from Telegram's 403 "Forbidden: bot was blocked by the user" to a send: the expert is
// marked unreachable all the same, their claim is offered to the others, the admins are
// told, and the refused reply is failed with its reason; their /start restores them.
func TestAnExpertWhoseSendIsRefusedAsBlockedIsUnreachable(t *testing.T) {
	t.Parallel()
	c := newClinic(t)
	tg := c.tg
	c.bindGroup(t)
	blocker, other := c.experts[0], c.experts[1]
	c.approveExpert(t, blocker, "水稻")
	c.approveExpert(t, other, "rice")
	tg.SendText(c.group, c.farmer, "/ask 水稻叶尖发黄")
	tg.WaitMessage(t, c.group.ID, contains("#1"))
	c.claimNotice(t, blocker, "1")

	tg.FailNext("sendMessage", http.StatusForbidden, "Forbidden: bot was blocked by the user", 0)
	tg.SendText(telegramtest.PrivateChat(blocker), blocker, "/mine")
	tg.WaitMessage(t, other.ID, func(m tgbotapi.Message) bool {
		return hasButton(m, "claim:1") && strings.Contains(m.Text, "cannot be reached")
	})
	tg.WaitMessage(t, c.admin.ID, contains("屏蔽"))

	start := tg.SendText(telegramtest.PrivateChat(blocker), blocker, "/start")
	tg.WaitMessage(t, c.admin.ID, contains("重新启动了机器人"))
	// A chat's messages go in order: once the reply to /start is there, the refused one
	// before it is settled.
	tg.WaitMessage(t, blocker.ID, repliesTo(start, ""))
	if failed := c.failedTo(t, blocker.ID); len(failed) != 1 || failed[0].Reason != "Forbidden: bot was blocked by the user" {
		t.Errorf("failed rows to the expert = %+v, want the refused reply with Telegram's reason", failed)
	}
}

// The acknowledgements are checked by the number alone: questions asked close together
// are acknowledged in one message (part of issue 21), not each by a reply.

// pushesOf counts the outbox's notices of a question to an expert.
func pushesOf(t *testing.T, c *clinic, expertID, questionID int64) int {
	t.Helper()
	var n int
	err := c.pool.QueryRow(context.Background(), `SELECT count(*) FROM outbox
		WHERE chat_id = $1 AND remember_kind = $2 AND remember_ref = $3`, expertID, store.MessageQuestionNotice, questionID).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestAnAnswerOnItsWayWhenTheGroupTurnsOutGoneReachesTheFarmerPrivately: the group was
// deleted without the bot hearing of it, so the answer is sent to the group and refused
// ("chat not found"): the group is marked removed, the answer goes to the farmer who
// started the bot, and the expert is told so, never that it was posted.
func TestAnAnswerOnItsWayWhenTheGroupTurnsOutGoneReachesTheFarmerPrivately(t *testing.T) {
	t.Parallel()
	c := newClinic(t)
	tg := c.tg
	c.bindGroup(t)
	expert := c.experts[0]
	c.approveExpert(t, expert, "水稻")
	start := tg.SendText(telegramtest.PrivateChat(c.farmer), c.farmer, "/start")
	tg.WaitMessage(t, c.farmer.ID, repliesTo(start, ""))
	tg.SendText(c.group, c.farmer, "/ask 秧苗烂根")
	tg.WaitMessage(t, c.group.ID, contains("#1"))
	card := c.claimNotice(t, expert, "1")

	tg.DeleteGroup(c.group)
	answer := tg.ReplyText(telegramtest.PrivateChat(expert), expert, card, "排水晒田")
	tg.WaitMessage(t, c.farmer.ID, contains("排水晒田"))
	told := tg.WaitMessage(t, expert.ID, contains("已私信发给提问的农户"))
	tg.WaitMessage(t, c.admin.ID, contains("白泥镇农户群"))
	// The expert's chat settles in order: /whoami's reply comes after anything the answer
	// was still to send there.
	probe := tg.SendText(telegramtest.PrivateChat(expert), expert, "/whoami")
	tg.WaitMessage(t, expert.ID, repliesTo(probe, "Telegram"))
	for _, m := range tg.Messages(expert.ID) {
		if m.MessageID > answer.MessageID && m.MessageID != told.MessageID && (strings.Contains(m.Text, "已发到") || strings.Contains(m.Text, "is posted")) {
			t.Errorf("the expert was told %q, but the answer never reached the group", m.Text)
		}
	}
	if gs := c.removedGroups(t); len(gs) != 1 || gs[0].Reason != "Bad Request: chat not found" {
		t.Errorf("removed groups = %+v, want the group, with Telegram's reason", gs)
	}
}
