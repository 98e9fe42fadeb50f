package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/bot"
	"github.com/agriclinic/agriclinic/bot/telegramtest"
	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
)

func assignButton(questionID int, expert tgbotapi.User) string {
	return fmt.Sprintf("assign:%d:%d", questionID, expert.ID)
}

// holds checks with /mine that the expert holds #1 and nothing else. The answer comes
// after everything sent to the expert before, so the assignment is recorded by then and a
// reply to it is read as an answer.
func (c *clinic) holds(t *testing.T, expert tgbotapi.User) {
	t.Helper()
	mine := c.tg.SendText(telegramtest.PrivateChat(expert), expert, "/mine")
	c.tg.WaitMessage(t, expert.ID, repliesTo(mine, "你认领的问题（1 个）"))
}

// escalate runs the escalation job with an SLA every question has passed, as the jobs
// loop would once SLA_ESCALATE is over, and returns the admin's message about #1.
func (c *clinic) escalate(t *testing.T) tgbotapi.Message {
	t.Helper()
	if n, err := c.svc.EscalateLate(context.Background(), time.Nanosecond, bot.EscalationMessages); err != nil || n != 1 {
		t.Fatalf("EscalateLate = %d, %v; want 1", n, err)
	}
	if n, err := c.svc.EscalateLate(context.Background(), time.Nanosecond, bot.EscalationMessages); err != nil || n != 0 {
		t.Fatalf("EscalateLate again = %d, %v; want 0: once is enough", n, err)
	}
	return c.tg.WaitMessage(t, c.admin.ID, contains("问题 #1 超时未解答"))
}

// TestAnAdminAssignsALateOpenQuestion: an unclaimed question past the SLA reaches the
// county admin with a button per expert; only the admin may press one; the chosen expert
// gets the question and answers it by replying.
func TestAnAdminAssignsALateOpenQuestion(t *testing.T) {
	t.Parallel()
	c := newClinic(t)
	tg := c.tg
	c.bindGroup(t)
	chosen, other := c.experts[0], c.experts[1]
	c.approveExpert(t, chosen, "水稻")
	c.approveExpert(t, other, "rice")
	asked := tg.SendText(c.group, c.farmer, "/ask 水稻卷叶 <急> & 🌾")
	tg.WaitMessage(t, c.group.ID, repliesTo(asked, "#1"))
	otherNotice := tg.WaitMessage(t, other.ID, func(m tgbotapi.Message) bool { return hasButton(m, "claim:1") })

	escalation := c.escalate(t)
	for _, want := range []string{"余庆县 · 白泥镇 · 水稻", "已等待", "无人认领", "提问：张 大伯", "水稻卷叶 <急> & 🌾"} {
		if !strings.Contains(escalation.Text, want) {
			t.Errorf("escalation = %q, want it to say %q", escalation.Text, want)
		}
	}
	for _, e := range []tgbotapi.User{chosen, other} {
		if !hasButton(escalation, assignButton(1, e)) {
			t.Errorf("escalation has no button to assign #1 to %s", e.FirstName)
		}
	}
	if label := escalation.ReplyMarkup.InlineKeyboard[0][0].Text; label != "🟢 李 明 · 在手 0" {
		t.Errorf("first button = %q, want the on-duty expert's name and load", label)
	}

	// An expert forging the admin's button is refused, and nothing changes.
	forged := tg.PressForged(telegramtest.PrivateChat(other), other, otherNotice, assignButton(1, other))
	if a := tg.WaitCallbackAnswer(t, forged); !a.ShowAlert || !strings.Contains(a.Text, "Only an admin of this county") {
		t.Errorf("non-admin's press answered %+v, want an alert", a)
	}
	if q, _ := c.db.Question(context.Background(), 1); q.Status != store.StatusOpen {
		t.Errorf("after a non-admin's press the question is %s, want open", q.Status)
	}

	press := tg.Press(telegramtest.PrivateChat(c.admin), c.admin, escalation, assignButton(1, chosen))
	if a := tg.WaitCallbackAnswer(t, press); !strings.Contains(a.Text, "已把 #1 指派给 李 明") {
		t.Errorf("admin's press answered %q", a.Text)
	}
	tg.WaitMessage(t, c.admin.ID, func(m tgbotapi.Message) bool {
		return m.MessageID == escalation.MessageID && strings.Contains(m.Text, "你已指派给 李 明") && m.ReplyMarkup == nil
	})
	tg.WaitMessage(t, other.ID, func(m tgbotapi.Message) bool {
		return m.MessageID == otherNotice.MessageID && strings.Contains(m.Text, "Assigned by the county bureau to 李 明") && m.ReplyMarkup == nil
	})
	assigned := tg.WaitMessage(t, chosen.ID, func(m tgbotapi.Message) bool {
		return strings.Contains(m.Text, "县局管理员把这个问题指派给了你") && strings.Contains(m.Text, "<急> & 🌾") && strings.Contains(m.Text, "回复本消息")
	})

	c.holds(t, chosen)
	tg.ReplyText(telegramtest.PrivateChat(chosen), chosen, assigned, "剪除卷叶，喷施氯虫苯甲酰胺")
	posted := tg.WaitMessage(t, c.group.ID, repliesTo(asked, "专家解答"))
	if !strings.Contains(posted.Text, "剪除卷叶") || !strings.Contains(posted.Text, "李 明") {
		t.Errorf("answer in the group = %q, want the assigned expert's answer", posted.Text)
	}
	var kind string
	var actor, expert int64
	err := c.pool.QueryRow(context.Background(), `SELECT kind, actor_id, (detail->>'expert')::bigint FROM question_events
		WHERE question_id = 1 AND kind = 'assigned'`).Scan(&kind, &actor, &expert)
	if err != nil || actor != c.admin.ID || expert != chosen.ID {
		t.Errorf("assignment event = %s by %d to %d, %v; want by the admin to %d", kind, actor, expert, err, chosen.ID)
	}
}

// TestAnAdminTakesALateQuestionFromItsHolder: a claimed question left unanswered is
// escalated naming its holder; assigned to another expert, the holder is told and can no
// longer answer, the new one can; a press once it is answered changes nothing.
func TestAnAdminTakesALateQuestionFromItsHolder(t *testing.T) {
	t.Parallel()
	c := newClinic(t)
	tg := c.tg
	c.bindGroup(t)
	chosen, holder := c.experts[0], c.experts[1]
	c.approveExpert(t, chosen, "水稻")
	c.approveExpert(t, holder, "rice")
	asked := tg.SendText(c.group, c.farmer, "/ask 水稻秧苗发黄")
	tg.WaitMessage(t, c.group.ID, repliesTo(asked, "#1"))
	notice := tg.WaitMessage(t, holder.ID, func(m tgbotapi.Message) bool { return hasButton(m, "claim:1") })
	tg.Press(telegramtest.PrivateChat(holder), holder, notice, "claim:1")
	yours := tg.WaitMessage(t, holder.ID, contains("Yours now"))

	escalation := c.escalate(t)
	if !strings.Contains(escalation.Text, "Chen Wei 已认领，尚未作答") {
		t.Errorf("escalation = %q, want it to name the holder", escalation.Text)
	}
	if hasButton(escalation, assignButton(1, holder)) || !hasButton(escalation, assignButton(1, chosen)) {
		t.Errorf("escalation buttons = %+v, want the other expert only", escalation.ReplyMarkup)
	}

	tg.Press(telegramtest.PrivateChat(c.admin), c.admin, escalation, assignButton(1, chosen))
	tg.WaitMessage(t, holder.ID, contains("A county admin gave #1 to 李 明"))
	tg.WaitMessage(t, holder.ID, func(m tgbotapi.Message) bool {
		return m.MessageID == yours.MessageID && strings.Contains(m.Text, "Assigned by the county bureau to 李 明")
	})
	assigned := tg.WaitMessage(t, chosen.ID, contains("县局管理员把这个问题指派给了你"))

	c.holds(t, chosen)
	late := tg.ReplyText(telegramtest.PrivateChat(holder), holder, yours, "too late")
	tg.WaitMessage(t, holder.ID, repliesTo(late, "You do not hold #1"))
	tg.ReplyText(telegramtest.PrivateChat(chosen), chosen, assigned, "追施穗肥")
	tg.WaitMessage(t, c.group.ID, repliesTo(asked, "追施穗肥"))
	tg.WaitMessage(t, chosen.ID, contains("✅ #1 的解答已发到"))

	again := tg.PressForged(telegramtest.PrivateChat(c.admin), c.admin, escalation, assignButton(1, holder))
	if a := tg.WaitCallbackAnswer(t, again); !strings.Contains(a.Text, "#1 已经解答了") {
		t.Errorf("press after the answer answered %q, want it to say it is answered", a.Text)
	}
	if q, _ := c.db.Question(context.Background(), 1); q.Status != store.StatusAnswered || q.ExpertID != chosen.ID {
		t.Errorf("question = %s by %d, want answered by the assigned expert", q.Status, q.ExpertID)
	}
}

// TestTheMorningDigestReachesTheAdmin sends a digest through the outbox and the fake.
func TestTheMorningDigestReachesTheAdmin(t *testing.T) {
	t.Parallel()
	c := newClinic(t)
	tg := c.tg
	c.bindGroup(t)
	tg.Start(c.admin)
	asked := tg.SendText(c.group, c.farmer, "/ask 茶树叶子发黄")
	tg.WaitMessage(t, c.group.ID, repliesTo(asked, "#1"))
	// "00:00" has always passed today, wherever the county is.
	if n, err := c.svc.MorningDigest(context.Background(), "00:00", 2*time.Hour, bot.MorningDigestMessages); err != nil || n != 1 {
		t.Fatalf("MorningDigest = %d, %v; want 1", n, err)
	}
	d := tg.WaitMessage(t, c.admin.ID, contains("余庆县 农技坐诊日报"))
	for _, want := range []string{"未答 1 · 超时 0", "最久未答：#1 · 白泥镇 · 茶叶", "无人认领", "茶树叶子发黄"} {
		if !strings.Contains(d.Text, want) {
			t.Errorf("digest = %q, want it to say %q", d.Text, want)
		}
	}
}

// TestTheDigestReadsInEachAdminsLanguage renders a digest with known numbers.
func TestTheDigestReadsInEachAdminsLanguage(t *testing.T) {
	t.Parallel()
	rice := &consult.Category{ID: "rice", Name: "水稻", NameEn: "Rice"}
	day := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	d := consult.Digest{
		County: &consult.County{ID: "yuqing", Name: "余庆县"},
		Day:    day,
		Rows:   []consult.DigestRow{{Category: rice, Asked: 2, Answered: 3, Waiting: 4, Overdue: 1}},
		Total:  consult.DigestRow{Asked: 2, Answered: 3, Waiting: 4, Overdue: 1},
		Oldest: consult.QuestionView{
			Question: store.Question{ID: 7, Township: "白泥镇 <村>", Text: "稻子 & 虫", AskedAt: day},
			Category: rice,
		},
		OldestHolder: store.Expert{UserID: 11, Name: "李 <明>"},
		OldestWaited: 26*time.Hour + 10*time.Minute,
		Overdue:      2 * time.Hour,
		Admins:       []consult.AdminContact{{UserID: 1}, {UserID: 2, Language: "en"}},
	}
	msgs := bot.MorningDigestMessages(d)
	if len(msgs) != 2 || msgs[0].ChatID != 1 || msgs[1].ChatID != 2 {
		t.Fatalf("messages = %+v; want one to each admin", msgs)
	}
	wants := [][]string{
		{"2026-07-01 周三", "水稻：新增 2 · 已答 3 · 未答 4 · 超时 1", "<b>合计：新增 2 · 已答 3 · 未答 4 · 超时 1</b>",
			"超过 2小时0分钟", "最久未答：<b>#7</b> · 白泥镇 &lt;村&gt; · 水稻 · 已等待 1天2小时 · 李 &lt;明&gt; 已认领", "稻子 &amp; 虫"},
		{"Wed 2026-07-01", "Rice: new 2 · answered 3 · waiting 4 · overdue 1", "<b>Total: new 2 · answered 3 · waiting 4 · overdue 1</b>",
			"more than 2h 0m ago", "Oldest waiting: <b>#7</b> · 白泥镇 &lt;村&gt; · Rice · waiting 1d 2h · claimed by 李 &lt;明&gt;"},
	}
	for i, m := range msgs {
		for _, want := range wants[i] {
			if !strings.Contains(m.Text, want) {
				t.Errorf("digest to admin %d = %q\nwant it to contain %q", m.ChatID, m.Text, want)
			}
		}
	}
}
