package bot_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/redis/go-redis/v9"

	"github.com/agriclinic/agriclinic/bot"
	"github.com/agriclinic/agriclinic/bot/telegramtest"
	"github.com/agriclinic/agriclinic/consult"
)

// testClock is a clock the test moves.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func TestAClinicSessionIsScheduledAnnouncedAndSummed(t *testing.T) {
	t.Parallel()
	// Monday 2026-11-23 10:00 in the county.
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	clk := &testClock{now: time.Date(2026, 11, 23, 10, 0, 0, 0, shanghai)}
	c := newClinic(t, func(o *consult.Options, _ redis.UniversalClient, _ string) { o.Now = clk.Now })
	tg := c.tg
	c.bindGroup(t)
	c.approveExpert(t, c.experts[0], "水稻")
	expert := c.experts[0]
	adminDM := telegramtest.PrivateChat(c.admin)

	bad := tg.SendText(adminDM, c.admin, "/clinic add 水稻 2h 0 9 * *")
	tg.WaitMessage(t, c.admin.ID, repliesTo(bad, "日程有误"))
	add := tg.SendText(adminDM, c.admin, "/clinic add 水稻 2h 0 9 * * 2")
	draft := tg.WaitMessage(t, c.admin.ID, repliesTo(add, "坐诊日程 #1"))
	pick := "cexp:1:" + itoa(expert.ID)
	if !hasButton(draft, pick) {
		t.Fatalf("draft = %q, want a button to pick the expert", draft.Text)
	}
	noExperts := tg.Press(adminDM, c.admin, draft, "cgo:1")
	if a := tg.WaitCallbackAnswer(t, noExperts); !strings.Contains(a.Text, "至少一位专家") {
		t.Errorf("starting without experts answered %q", a.Text)
	}
	tg.Press(adminDM, c.admin, draft, pick)
	draft = tg.WaitMessage(t, c.admin.ID, func(m tgbotapi.Message) bool {
		return m.MessageID == draft.MessageID && hasButtonText(m, "☑ 李 明")
	})
	tg.Press(adminDM, c.admin, draft, "cgo:1")
	tg.WaitMessage(t, c.admin.ID, func(m tgbotapi.Message) bool {
		return m.MessageID == draft.MessageID && strings.Contains(m.Text, "已开始") && strings.Contains(m.Text, "11-24 09:00")
	})

	run := func(at time.Time) {
		t.Helper()
		clk.set(at)
		if _, err := c.svc.RunDue(context.Background(), bot.ScheduledMessages); err != nil {
			t.Fatal(err)
		}
	}
	run(time.Date(2026, 11, 24, 8, 50, 0, 0, shanghai))
	tg.WaitMessage(t, expert.ID, contains("09:00开始水稻坐诊"))
	run(time.Date(2026, 11, 24, 9, 0, 0, 0, shanghai))
	tg.WaitMessage(t, c.group.ID, contains("第 1 期农技坐诊：今天 09:00–11:00，水稻专家 李 明 在线坐诊"))
	run(time.Date(2026, 11, 24, 11, 0, 0, 0, shanghai))
	tg.WaitMessage(t, c.group.ID, contains("第 1 期农技坐诊结束，专家共解答 0 个问题"))

	list := tg.SendText(adminDM, c.admin, "/clinic")
	tg.WaitMessage(t, c.admin.ID, repliesTo(list, "下次 12-01 09:00"))
}

func hasButtonText(m tgbotapi.Message, text string) bool {
	if m.ReplyMarkup == nil {
		return false
	}
	for _, row := range m.ReplyMarkup.InlineKeyboard {
		for _, b := range row {
			if b.Text == text {
				return true
			}
		}
	}
	return false
}
