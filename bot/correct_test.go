package bot_test

import (
	"context"
	"strings"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/bot/telegramtest"
)

// TestACorrectionRepliesUnderTheOriginalAnswer: the expert corrects their answer with
// /correct, the admin corrects it again, the expert edits their answer message: each is
// a reply in the group to the original answer, marked 更正, and the archive keeps the
// four revisions in order. A correction naming a banned pesticide is refused, naming
// it, and nothing reaches the group; bad input gets an answer and changes nothing.
func TestACorrectionRepliesUnderTheOriginalAnswer(t *testing.T) {
	t.Parallel()
	c := newClinic(t)
	tg := c.tg
	c.bindGroup(t)
	expert := c.experts[0]
	c.approveExpert(t, expert, "水稻")
	dm := telegramtest.PrivateChat(expert)
	question := tg.SendText(c.group, c.farmer, "/ask 水稻卷叶怎么办")
	tg.WaitMessage(t, c.group.ID, repliesTo(question, "#1"))
	card := c.claimNotice(t, expert, "1")
	answerMsg := tg.ReplyText(dm, expert, card, "稻纵卷叶螟为害，用阿维菌素")
	posted := tg.WaitMessage(t, c.group.ID, func(m tgbotapi.Message) bool {
		return strings.Contains(m.Text, "阿维菌素") && hasButton(m, "solved:1")
	})
	tg.WaitMessage(t, expert.ID, repliesTo(answerMsg, "已发到"))
	c.settled(t, c.farmer)

	underAnswer := func(sub string) func(tgbotapi.Message) bool {
		return func(m tgbotapi.Message) bool {
			return m.ReplyToMessage != nil && m.ReplyToMessage.MessageID == posted.MessageID &&
				strings.Contains(m.Text, "更正") && strings.Contains(m.Text, sub)
		}
	}
	first := tg.SendText(dm, expert, "/correct 1 稻纵卷叶螟为害，用氯虫苯甲酰胺\n原因：药名写错")
	tg.WaitMessage(t, c.group.ID, underAnswer("氯虫苯甲酰胺"))
	tg.WaitMessage(t, expert.ID, repliesTo(first, "第 2 版"))

	admin := telegramtest.PrivateChat(c.admin)
	second := tg.SendText(admin, c.admin, "/correct 1 每亩用氯虫苯甲酰胺 10 毫升，兑水 30 公斤")
	got := tg.WaitMessage(t, c.group.ID, underAnswer("10 毫升"))
	if !strings.Contains(got.Text, "王 局长") {
		t.Errorf("the admin's correction = %q, want it signed by the admin", got.Text)
	}
	tg.WaitMessage(t, c.admin.ID, repliesTo(second, "第 3 版"))

	// The expert edits the message they answered with: a fourth revision, again under
	// the original answer.
	tg.EditText(dm, expert, answerMsg, "每亩用氯虫苯甲酰胺 10 毫升，傍晚喷")
	tg.WaitMessage(t, c.group.ID, underAnswer("傍晚喷"))
	tg.WaitMessage(t, expert.ID, repliesTo(answerMsg, "第 4 版"))

	revs, err := c.svc.Revisions(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, r := range revs {
		texts = append(texts, r.Text)
	}
	want := []string{"稻纵卷叶螟为害，用阿维菌素", "稻纵卷叶螟为害，用氯虫苯甲酰胺", "每亩用氯虫苯甲酰胺 10 毫升，兑水 30 公斤", "每亩用氯虫苯甲酰胺 10 毫升，傍晚喷"}
	if strings.Join(texts, "|") != strings.Join(want, "|") {
		t.Errorf("revisions = %q, want %q", texts, want)
	}
	if len(revs) == 4 && (revs[1].Why != "药名写错" || revs[2].ByID != c.admin.ID || revs[3].Source != "edit") {
		t.Errorf("revisions = %+v, want the reason, the admin and the edit", revs)
	}

	// Refused: a banned pesticide (named, with its notice), bad input, someone else.
	before := c.everything(t)
	groupBefore := len(tg.Messages(c.group.ID))
	for _, tt := range []struct {
		from       tgbotapi.User
		text, want string
	}{
		{expert, "/correct 1 改用甲胺磷喷雾", "没有发出"},
		{expert, "/correct 1 用1605兑水", "对硫磷"},
		{expert, "/correct abc 改用氯虫苯甲酰胺", "用法"},
		{expert, "/correct 1", "用法"},
		{expert, "/correct 99 改用氯虫苯甲酰胺", "没有 #99"},
		{expert, "/correct 1 改用<b>氯虫苯甲酰胺</b>", "HTML"},
		{expert, "/correct 1 改用\x00氯虫苯甲酰胺", "无法识别"},
		{expert, "/correct 1 " + strings.Repeat("药", 4097), "最多 4096"},
		{c.experts[1], "/correct 1 Use something else", "Only the expert who answered #1"},
		{c.farmer, "/correct 1 我觉得不对", "只有解答 #1 的专家"},
	} {
		sent := tg.SendText(telegramtest.PrivateChat(tt.from), tt.from, tt.text)
		got := tg.WaitMessage(t, tt.from.ID, repliesTo(sent, ""))
		if !strings.Contains(got.Text, tt.want) {
			t.Errorf("%.40q by %s = %q, want %q", tt.text, tt.from.FirstName, got.Text, tt.want)
		}
	}
	if banned := "甲胺磷"; true {
		for _, m := range tg.Messages(c.group.ID) {
			if strings.Contains(m.Text, banned) {
				t.Errorf("the group got %q", m.Text)
			}
		}
	}
	if n := len(tg.Messages(c.group.ID)); n != groupBefore {
		t.Errorf("the group got %d messages from refused corrections", n-groupBefore)
	}
	if after := c.everything(t); after != before {
		t.Errorf("a refused correction changed the archive:\nbefore %s\nafter  %s", before, after)
	}
}
