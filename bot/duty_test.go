package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/agriclinic/agriclinic/bot"
	"github.com/agriclinic/agriclinic/bot/telegramtest"
)

// TestDutyMineAndRelease: an expert off duty is not pushed new questions but sees them in
// /queue; an expert lists what they hold with /mine and gives one back with /release,
// after which it is open to others again.
func TestDutyMineAndRelease(t *testing.T) {
	t.Parallel()
	c := newClinic(t)
	tg := c.tg
	c.bindGroup(t)
	resting, working := c.experts[0], c.experts[1]
	c.approveExpert(t, resting, "水稻")
	c.approveExpert(t, working, "rice")
	restingDM, workingDM := telegramtest.PrivateChat(resting), telegramtest.PrivateChat(working)

	off := tg.SendText(restingDM, resting, "/duty off")
	tg.WaitMessage(t, resting.ID, repliesTo(off, "你已下班"))
	asked := tg.SendText(c.group, c.farmer, "/ask 水稻卷叶怎么办")
	tg.WaitMessage(t, c.group.ID, repliesTo(asked, "#1"))
	notice := tg.WaitMessage(t, working.ID, func(m tgbotapi.Message) bool { return hasButton(m, "claim:1") })
	var pushed int
	if err := c.pool.QueryRow(context.Background(), `SELECT count(*) FROM outbox WHERE chat_id = $1 AND remember_ref = 1`, resting.ID).Scan(&pushed); err != nil {
		t.Fatal(err)
	}
	if pushed != 0 {
		t.Errorf("the off-duty expert was pushed the question %d times", pushed)
	}
	queue := tg.SendText(restingDM, resting, "/queue")
	tg.WaitMessage(t, resting.ID, func(m tgbotapi.Message) bool {
		return m.ReplyToMessage != nil && m.ReplyToMessage.MessageID == queue.MessageID && hasButton(m, "claim:1")
	})

	tg.Press(workingDM, working, notice, "claim:1")
	tg.WaitMessage(t, working.ID, func(m tgbotapi.Message) bool { return strings.Contains(m.Text, "Yours now") })
	mine := tg.SendText(workingDM, working, "/mine")
	tg.WaitMessage(t, working.ID, repliesTo(mine, "Questions you hold (1)"))
	stranger := tg.SendText(restingDM, resting, "/release 1")
	tg.WaitMessage(t, resting.ID, repliesTo(stranger, "#1 不在你手上"))
	release := tg.SendText(workingDM, working, "/release 1")
	tg.WaitMessage(t, working.ID, repliesTo(release, "#1 is back in the queue"))

	again := tg.SendText(restingDM, resting, "/queue")
	list := tg.WaitMessage(t, resting.ID, func(m tgbotapi.Message) bool {
		return m.ReplyToMessage != nil && m.ReplyToMessage.MessageID == again.MessageID
	})
	if !hasButton(list, "claim:1") {
		t.Errorf("after /release the queue shows %q, want #1 open again", list.Text)
	}
	tg.Press(restingDM, resting, list, "claim:1")
	tg.WaitMessage(t, resting.ID, func(m tgbotapi.Message) bool { return strings.Contains(m.Text, "你已认领") })
	on := tg.SendText(restingDM, resting, "/duty on")
	tg.WaitMessage(t, resting.ID, repliesTo(on, "你现在值班"))
}

// TestAnExpiredClaimIsOfferedAgain renders what a lapsed claim sends through the real
// outbox and fake Telegram: the former holder is told, the other on-duty expert offered it.
func TestAnExpiredClaimIsOfferedAgain(t *testing.T) {
	t.Parallel()
	c := newClinic(t)
	tg := c.tg
	c.bindGroup(t)
	holder, other := c.experts[0], c.experts[1]
	c.approveExpert(t, holder, "水稻")
	c.approveExpert(t, other, "rice")
	asked := tg.SendText(c.group, c.farmer, "/ask 水稻卷叶怎么办")
	tg.WaitMessage(t, c.group.ID, repliesTo(asked, "#1"))
	notice := tg.WaitMessage(t, holder.ID, func(m tgbotapi.Message) bool { return hasButton(m, "claim:1") })
	tg.Press(telegramtest.PrivateChat(holder), holder, notice, "claim:1")
	tg.WaitMessage(t, holder.ID, func(m tgbotapi.Message) bool { return strings.Contains(m.Text, "你已认领。") })

	// A lease of a nanosecond has run out by now; no waiting needed.
	if n, err := c.svc.ExpireClaims(context.Background(), time.Nanosecond, bot.ExpiredClaimMessages); err != nil || n != 1 {
		t.Fatalf("ExpireClaims = %d, %v; want 1", n, err)
	}
	tg.WaitMessage(t, holder.ID, func(m tgbotapi.Message) bool {
		return strings.Contains(m.Text, "已退回待认领队列") && hasButton(m, "claim:1")
	})
	offer := tg.WaitMessage(t, other.ID, func(m tgbotapi.Message) bool {
		return strings.Contains(m.Text, "open again") && hasButton(m, "claim:1")
	})
	tg.Press(telegramtest.PrivateChat(other), other, offer, "claim:1")
	tg.WaitMessage(t, other.ID, func(m tgbotapi.Message) bool { return strings.Contains(m.Text, "Yours now") })
}

// TestAGroupThatBecomesASupergroupKeepsItsTownship follows migrate_to_chat_id: questions
// asked in the new chat are accepted as the township's.
func TestAGroupThatBecomesASupergroupKeepsItsTownship(t *testing.T) {
	t.Parallel()
	c := newClinic(t)
	tg := c.tg
	c.bindGroup(t)
	super := tg.NewGroup("白泥镇农户群")
	id := tg.PushUpdate(tgbotapi.Update{Message: &tgbotapi.Message{
		MessageID: 900, Chat: &c.group, From: &c.admin, MigrateToChatID: super.ID,
	}})
	tg.WaitConfirmed(t, id)
	asked := tg.SendText(super, c.farmer, "/ask 水稻秧苗发黄")
	tg.WaitMessage(t, super.ID, repliesTo(asked, "#1"))
	g, _, err := c.svc.Group(context.Background(), super.ID)
	if err != nil || g.Township != "白泥镇" {
		t.Errorf("new chat's binding = %+v, %v; want 白泥镇", g, err)
	}
}

// TestALateQuestionIsPushedAgain renders the SLA re-push through the outbox and the fake.
func TestALateQuestionIsPushedAgain(t *testing.T) {
	t.Parallel()
	c := newClinic(t)
	tg := c.tg
	c.bindGroup(t)
	c.approveExpert(t, c.experts[0], "水稻")
	asked := tg.SendText(c.group, c.farmer, "/ask 水稻卷叶 <急> & 🌾")
	tg.WaitMessage(t, c.group.ID, repliesTo(asked, "#1"))
	if n, err := c.svc.RepushUnclaimed(context.Background(), time.Nanosecond, bot.RepushMessages); err != nil || n != 1 {
		t.Fatalf("RepushUnclaimed = %d, %v; want 1", n, err)
	}
	tg.WaitMessage(t, c.experts[0].ID, func(m tgbotapi.Message) bool {
		return strings.Contains(m.Text, "这个问题还没有人认领") && strings.Contains(m.Text, "<急> & 🌾") && hasButton(m, "claim:1")
	})
}
