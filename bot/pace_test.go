package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/bot/telegramtest"
	"github.com/agriclinic/agriclinic/consult"
	"github.com/agriclinic/agriclinic/store"
)

// TestAFloodOfPressesAndCommandsIsSlowedDown: past their pace a person's press is
// answered with a short notice in their language and does nothing, and a command gets one
// short reply, then silence while still over, and does nothing either. /ask is not paced
// here (it has ASK_LIMIT), and one person's flood does not slow another.
func TestAFloodOfPressesAndCommandsIsSlowedDown(t *testing.T) {
	t.Parallel()
	c := newTwoCounties(t, func(o *consult.Options, q *store.Quota) {
		o.Quota = q
		o.Pace = &consult.Pace{Presses: 3, PressWindow: time.Hour, Commands: 3, CommandWindow: time.Hour}
	})
	tg := c.tg
	ctx := context.Background()
	c.bindGroup(t)
	expert := tg.NewUser("Quick", "Finger", "en")
	c.register(t, expert, "yuqing", "rice")
	dm := telegramtest.PrivateChat(expert)

	// Four questions: more /ask than the command pace allows, all taken.
	for i, text := range []string{"水稻卷叶", "水稻发黄", "稻飞虱多", "秧苗烂根"} {
		q := tg.SendText(c.group, c.farmer, "/ask "+text)
		tg.WaitMessage(t, c.group.ID, repliesTo(q, "#"+itoa(int64(i+1))))
	}
	notice := tg.WaitMessage(t, expert.ID, func(m tgbotapi.Message) bool { return hasButton(m, "claim:1") })

	// Commands: three answered, the fourth told once, the fifth silent; neither does a thing.
	for range 3 {
		help := tg.SendText(dm, expert, "/help")
		tg.WaitMessage(t, expert.ID, repliesTo(help, "AgriClinic · help"))
	}
	over := tg.SendText(dm, expert, "/duty off")
	tg.WaitMessage(t, expert.ID, repliesTo(over, "Too many commands"))
	silent := tg.SendText(dm, expert, "/duty off")
	// A script trying command names is paced too: no "Unknown command" for each.
	unknown := tg.SendText(dm, expert, "/frobnicate")
	probe := tg.SendText(dm, expert, "hello")
	tg.WaitMessage(t, expert.ID, repliesTo(probe, "To answer a question"))
	noReplyTo(t, tg, expert.ID, silent)
	noReplyTo(t, tg, expert.ID, unknown)
	if e, err := c.db.Expert(ctx, "yuqing", expert.ID); err != nil || !e.OnDuty {
		t.Errorf("expert = %+v, %v; want still on duty: a command over the pace does nothing", e, err)
	}

	// Presses: three handled, the fourth and fifth answered with the notice only.
	for range 3 {
		last := tg.LastMessageID(expert.ID)
		a := tg.WaitCallbackAnswer(t, tg.PressForged(dm, expert, notice, "queue:1"))
		if strings.Contains(a.Text, "Too many") {
			t.Fatalf("a press within the pace was refused: %q", a.Text)
		}
		tg.WaitMessage(t, expert.ID, func(m tgbotapi.Message) bool { return m.MessageID > last && strings.Contains(m.Text, "Open questions") })
	}
	for range 2 {
		a := tg.WaitCallbackAnswer(t, tg.Press(dm, expert, notice, "claim:1"))
		if !strings.Contains(a.Text, "Too many presses") {
			t.Errorf("a press over the pace = %q, want the notice", a.Text)
		}
	}
	if q := c.question(t, 1); q.Status != store.StatusOpen {
		t.Errorf("question #1 is %s after presses over the pace, want open", q.Status)
	}

	// Someone else is not slowed by the expert's flood, nor the farmer by their questions.
	help := tg.SendText(c.group, c.farmer, "/help")
	tg.WaitMessage(t, c.group.ID, repliesTo(help, "使用说明"))
	adminDM := telegramtest.PrivateChat(c.admin)
	hello := tg.WaitMessage(t, c.admin.ID, repliesTo(tg.SendText(adminDM, c.admin, "/start"), "你好"))
	a := tg.WaitCallbackAnswer(t, tg.PressForged(adminDM, c.admin, hello, "claim:1"))
	if !strings.Contains(a.Text, "只有该类别经审核的专家") {
		t.Errorf("the admin's press was slowed by the expert's: %q", a.Text)
	}
}
